"""The broker setup with a real Redis: the API process only enqueues, `reelgraph worker`
processes run the jobs; a failing job retries and ends FAILED; a worker killed mid-job loses
nothing. Redis db 3 (REELGRAPH_TEST_BROKER_URL), a SQLite file shared by the processes."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from strawberry.relay import GlobalID

from reelgraph.app import create_app
from reelgraph.persistence.migrate import upgrade_to_head
from tests.conftest import RecordingMailer, make_settings
from tests.helpers import GraphQLClient, free_port, register

BROKER_URL = os.environ.get("REELGRAPH_TEST_BROKER_URL", "redis://127.0.0.1:6379/3")
ROOT = Path(__file__).resolve().parents[1]
RUN = "mutation($n: String!) { runJob(name: $n) { job { id status } errors { code } } }"
JOBS = "query($s: JobStatus) { jobs(status: $s, first: 100) { nodes { id name status attempts error } } }"
LEASE_SECONDS = 2  # short, so a killed worker's run is claimable again soon

PATIENCE = 180  # seconds: far beyond what any wait here takes, so a broken engine fails, never hangs


async def _redis_reachable() -> bool:
    import redis.asyncio as redis

    client = redis.from_url(BROKER_URL)
    try:
        await asyncio.wait_for(client.ping(), 3)
        return True
    except Exception:
        return False
    finally:
        await client.aclose()


@pytest.fixture
async def cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[dict[str, Any]]:
    if not await _redis_reachable():
        pytest.skip(f"Redis at {BROKER_URL} is unreachable (CI starts it)")
    job_dir = tmp_path / "jobs"
    job_dir.mkdir()
    monkeypatch.setenv("REELGRAPH_TEST_JOB_DIR", str(job_dir))
    settings = make_settings(
        tmp_path,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'cluster.db'}",
        broker_url=BROKER_URL,
        job_queue_name=f"test-jobs-{uuid.uuid4().hex[:8]}",  # a stream of its own
        job_modules=["tests.jobs_test_bodies"],
        job_lease_seconds=LEASE_SECONDS,
        job_retry_backoff_seconds=0.05,
        job_eager=False,
    )
    await asyncio.to_thread(upgrade_to_head, settings.database_url)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("TMDB", "OMDB", "OPENAI"))}
    env.update(
        PYTHONPATH=str(ROOT),
        REELGRAPH_TEST_JOB_DIR=str(job_dir),
        REELGRAPH_DATABASE_URL=settings.database_url,
        REELGRAPH_BROKER_URL=BROKER_URL,
        REELGRAPH_JOB_QUEUE_NAME=settings.job_queue_name,
        REELGRAPH_JOB_MODULES="tests.jobs_test_bodies",
        REELGRAPH_JOB_LEASE_SECONDS=str(LEASE_SECONDS),
        REELGRAPH_JOB_RETRY_BACKOFF_SECONDS="0.05",
        REELGRAPH_JWT_SECRET=settings.jwt_secret or "",
        REELGRAPH_RECS_TRAIN_ON_START="false",
        REELGRAPH_CACHE_URL="memory://",
    )
    workers: list[subprocess.Popen[bytes]] = []
    app = create_app(settings, mailer=RecordingMailer())
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            gql = GraphQLClient(http)
            session = await register(gql, name="Admin")
            user_id = int(GlobalID.from_id(session["user"]["id"]).node_id)
            await app.state.services.admin.assign_role(user_id, "ADMIN")
            yield {
                "gql": gql,
                "token": session["accessToken"],
                "dir": job_dir,
                "start_worker": lambda: _start_worker(env, workers, tmp_path),
            }
    for worker in workers:
        if worker.poll() is None:
            worker.terminate()
    for worker in workers:
        worker.wait(30)


def _start_worker(env: dict[str, str], workers: list[subprocess.Popen[bytes]], tmp_path: Path) -> Any:
    port = free_port()
    log = (tmp_path / f"worker-{len(workers)}.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "reelgraph.cli", "worker", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    workers.append(process)
    return _ready(process, port)


async def _ready(process: subprocess.Popen[bytes], port: int) -> subprocess.Popen[bytes]:
    """Waits for the worker's /health/ready."""
    async with httpx.AsyncClient() as http:
        async with asyncio.timeout(PATIENCE):  # a bound against a hang, not a timing check
            while True:
                assert process.poll() is None, "the worker exited"
                try:
                    if (
                        await http.get(f"http://127.0.0.1:{port}/health/ready", timeout=1)
                    ).status_code == 200:
                        return process
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.2)


async def _until(cluster: dict[str, Any], job_id: str, status: str) -> dict[str, Any]:
    """Polls jobs(status:) over /graphql until the run is listed there."""
    async with asyncio.timeout(PATIENCE):  # a bound against a hang, not a timing check
        while True:
            body = await cluster["gql"](JOBS, {"s": status}, token=cluster["token"])
            for node in body["data"]["jobs"]["nodes"]:
                if node["id"] == job_id:
                    return dict(node)
            await asyncio.sleep(0.1)


def _files(directory: Path, pattern: str) -> list[str]:
    return sorted(path.name for path in directory.glob(pattern))


async def _run(cluster: dict[str, Any], name: str) -> tuple[str, str]:
    payload = (await cluster["gql"](RUN, {"n": name}, token=cluster["token"]))["data"]["runJob"]
    assert payload["errors"] == []
    return payload["job"]["id"], payload["job"]["status"]


async def test_a_job_enqueued_by_the_api_runs_in_a_worker_process(cluster: dict[str, Any]) -> None:
    worker = await cluster["start_worker"]()
    job_id, status = await _run(cluster, "test-record")
    assert status == "QUEUED"  # with a broker the API only enqueues

    done = await _until(cluster, job_id, "SUCCEEDED")

    run_id = GlobalID.from_id(job_id).node_id
    assert _files(cluster["dir"], f"ran-{run_id}-*") == [f"ran-{run_id}-{worker.pid}"]
    assert worker.pid != os.getpid() and done["attempts"] == 1


async def test_a_failing_job_retries_and_is_listed_failed_with_its_error(cluster: dict[str, Any]) -> None:
    await cluster["start_worker"]()
    job_id, _ = await _run(cluster, "test-fail")

    failed = await _until(cluster, job_id, "FAILED")

    assert failed["attempts"] == 2 and failed["error"] == "RuntimeError: the upstream said no"
    run_id = GlobalID.from_id(job_id).node_id
    assert _files(cluster["dir"], f"failed-{run_id}-*") == [f"failed-{run_id}-1", f"failed-{run_id}-2"]


async def test_a_worker_killed_mid_job_loses_nothing(cluster: dict[str, Any]) -> None:
    first = await cluster["start_worker"]()
    job_id, _ = await _run(cluster, "test-hold")
    async with asyncio.timeout(PATIENCE):  # a bound against a hang, not a timing check
        while not _files(cluster["dir"], f"started-{first.pid}-*"):  # noqa: ASYNC110  # another process writes it
            await asyncio.sleep(0.05)

    first.send_signal(signal.SIGKILL)  # no shutdown of any kind: the run stays RUNNING, unacknowledged
    first.wait(10)
    second = await cluster["start_worker"]()
    (cluster["dir"] / "release").touch()

    done = await _until(cluster, job_id, "SUCCEEDED")

    assert _files(cluster["dir"], "done-*") == [f"done-{second.pid}"]  # the second worker finished it
    assert _files(cluster["dir"], "started-*") == [f"started-{first.pid}-1", f"started-{second.pid}-2"]
    assert done["attempts"] == 2


async def test_a_worker_stopped_gracefully_finishes_its_job(cluster: dict[str, Any]) -> None:
    worker = await cluster["start_worker"]()
    job_id, _ = await _run(cluster, "test-hold")
    async with asyncio.timeout(PATIENCE):  # a bound against a hang, not a timing check
        while not _files(cluster["dir"], f"started-{worker.pid}-*"):  # noqa: ASYNC110  # another process writes it
            await asyncio.sleep(0.05)

    worker.send_signal(signal.SIGTERM)  # it stops taking runs and waits for this one
    (cluster["dir"] / "release").touch()

    assert await asyncio.to_thread(worker.wait, 60) == 0
    done = await _until(cluster, job_id, "SUCCEEDED")
    assert _files(cluster["dir"], "done-*") == [f"done-{worker.pid}"] and done["attempts"] == 1
