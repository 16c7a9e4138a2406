"""`reelgraph serve --workers 2` on PostgreSQL and Redis: one port answered by two processes.

Through the command: answers come from two worker processes (the `worker` pid of their JSON
access-log lines), a token one issued is accepted by the other, migrations ran once in the
parent, one worker fires the embedded job schedules, and a second scheduler on the same database
(another `reelgraph serve`) does not run a period twice. Without Redis or PostgreSQL the command
refuses with exit code 2 and says what is missing.

Needs PostgreSQL (127.0.0.1:5432, user postgres, trust) and Redis (127.0.0.1:6379); override with
REELGRAPH_WORKERS_POSTGRES_URL (a database to connect to for CREATE DATABASE) and
REELGRAPH_WORKERS_REDIS_URL. Skipped when unreachable, unless CI is set: then it fails loudly.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers import PASSWORD, free_port, unique_email
from tests.pg_redis import admin_sql, flush_redis, require

ROOT = Path(__file__).resolve().parent.parent
ADMIN_URL = os.environ.get("REELGRAPH_WORKERS_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("REELGRAPH_WORKERS_REDIS_URL", "redis://127.0.0.1:6379/6")
DATABASE = "test_workers_cli"
CLEANUP_SECONDS = 2  # the schedule watched here fires this often

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


def _database_url(driver: str) -> str:
    return f"{driver}://{ADMIN_URL.split('://', 1)[1].rsplit('/', 1)[0]}/{DATABASE}"


@dataclass
class Served:
    url: str
    process: asyncio.subprocess.Process
    log: Path
    env: dict[str, str]
    cwd: Path

    def lines(self) -> list[dict[str, Any]]:
        entries = []
        for line in self.log.read_text().splitlines():
            try:
                entries.append(json.loads(line))
            except ValueError:
                continue  # a traceback's continuation, say
        return entries


@pytest.fixture(scope="module")
def workers_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    require(ADMIN_URL, REDIS_URL)
    asyncio.run(
        admin_sql(
            ADMIN_URL, f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)", f"CREATE DATABASE {DATABASE}"
        )
    )
    asyncio.run(flush_redis(REDIS_URL))
    env = {
        **os.environ,
        # Development: migrates on start and generates the signing secret, both in the parent.
        "REELGRAPH_ENV": "development",
        "REELGRAPH_DATABASE_URL": _database_url("postgresql+asyncpg"),
        "REELGRAPH_CACHE_URL": REDIS_URL,
        "REELGRAPH_LOG_FORMAT": "json",
        "REELGRAPH_ACCESS_LOG_PER_SECOND": "0",  # every request's line, however fast they come
        "REELGRAPH_RECS_TRAIN_ON_START": "false",
        "REELGRAPH_CLEANUP_SECONDS": str(CLEANUP_SECONDS),
        "PYTHONUNBUFFERED": "1",
    }
    for key in ("TMDB_API_KEY", "TMDB_READ_TOKEN", "OMDB_API_KEY", "OPENAI_API_KEY", "REELGRAPH_JWT_SECRET"):
        env.pop(key, None)  # the offline catalog, and a secret the parent generates
    try:
        yield env
    finally:
        asyncio.run(admin_sql(ADMIN_URL, f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
        asyncio.run(flush_redis(REDIS_URL))


async def _start(env: dict[str, str], cwd: Path, *args: str) -> Served:
    port = free_port()
    log = cwd / f"serve-{port}.log"
    with log.open("wb") as handle:
        process = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "reelgraph.cli", "serve", "--port", str(port), *args),
            env=env,
            cwd=cwd,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
    served = Served(f"http://127.0.0.1:{port}", process, log, env, cwd)
    deadline = time.monotonic() + 120
    async with httpx.AsyncClient(timeout=5) as http:
        while True:
            assert process.returncode is None, log.read_text()[-3000:]
            try:
                if (await http.get(served.url + "/health/ready")).status_code == 200:
                    return served
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            await asyncio.sleep(0.3)


async def _stop(served: Served) -> None:
    served.process.terminate()  # the parent stops its workers
    try:
        await asyncio.wait_for(served.process.wait(), 30)
    except TimeoutError:
        served.process.kill()
        await served.process.wait()


@pytest.fixture(scope="module")
async def served(
    workers_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Served]:
    server = await _start(workers_env, tmp_path_factory.mktemp("workers"), "--workers", "2")
    try:
        yield server
    finally:
        await _stop(server)


async def _post(http: httpx.AsyncClient, url: str, query: str, **options: Any) -> tuple[str, dict[str, Any]]:
    """A GraphQL request on a connection of its own (so the kernel may hand it to either worker)."""
    request_id = uuid.uuid4().hex
    headers = {"x-request-id": request_id, "connection": "close", **options.pop("headers", {})}
    response = await http.post(url + "/graphql", json={"query": query, **options}, headers=headers)
    assert response.status_code == 200, response.text
    return request_id, response.json()


def _worker_of(served: Served, request_ids: set[str]) -> dict[str, int]:
    """The worker pid of each request's access-log line."""
    return {
        entry["request_id"]: entry["worker"]
        for entry in served.lines()
        if entry.get("logger") == "reelgraph.access" and entry.get("request_id") in request_ids
    }


def _parent_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


async def test_two_worker_processes_answer_and_accept_each_others_tokens(served: Served) -> None:
    async with httpx.AsyncClient(timeout=30) as http:
        email = unique_email("workers")
        _, body = await _post(
            http,
            served.url,
            "mutation($i: RegisterInput!) { register(input: $i) { accessToken errors { code } } }",
            variables={"i": {"email": email, "password": PASSWORD, "name": "Wanda"}},
        )
        token = body["data"]["register"]["accessToken"]
        assert token, body
        answered: dict[str, dict[str, Any]] = {}
        for _ in range(10):  # rounds of concurrent requests until both workers have answered
            for request_id, answer in await asyncio.gather(
                *(
                    _post(
                        http,
                        served.url,
                        "{ viewer { email } trending(first: 3) { nodes { title } } }",
                        headers={"authorization": f"Bearer {token}"},
                    )
                    for _ in range(12)
                )
            ):
                answered[request_id] = answer
            await asyncio.sleep(0.5)  # the access-log lines are written after the answers
            if len(set(_worker_of(served, set(answered)).values())) >= 2:
                break
    workers = _worker_of(served, set(answered))
    assert len(set(workers.values())) == 2, workers
    assert {_parent_of(pid) for pid in workers.values()} == {served.process.pid}
    for answer in answered.values():  # whichever worker answered knew the token and the catalog
        assert "errors" not in answer, answer
        assert answer["data"]["viewer"]["email"] == email
        assert len(answer["data"]["trending"]["nodes"]) == 3


async def test_migrations_ran_once_in_the_parent_before_the_workers(served: Served) -> None:
    upgrades = [entry for entry in served.lines() if "Running upgrade" in str(entry.get("message"))]
    assert upgrades, "the fresh database was migrated"
    assert all("worker" not in entry for entry in upgrades), upgrades
    started = [entry for entry in served.lines() if str(entry.get("message")).startswith("worker ")]
    assert len(started) == 2
    assert sum("fires the job schedules" in entry["message"] for entry in started) == 1


async def _cleanup_runs() -> list[tuple[str, str, str]]:
    import asyncpg

    connection = await asyncpg.connect(_database_url("postgresql"))
    try:
        rows = await connection.fetch(
            "SELECT period_key, worker, status FROM job_runs WHERE name = 'cleanup' ORDER BY id"
        )
    finally:
        await connection.close()
    return [(row["period_key"], row["worker"] or "", row["status"]) for row in rows]


async def test_one_worker_fires_the_schedules_and_a_second_scheduler_runs_no_period_twice(
    served: Served,
) -> None:
    started = [entry for entry in served.lines() if str(entry.get("message")).startswith("worker ")]
    scheduler = next(entry["worker"] for entry in started if "fires the job schedules" in entry["message"])
    await asyncio.sleep(3 * CLEANUP_SECONDS)
    runs = await _cleanup_runs()
    assert len(runs) >= 3, runs
    # In-process (no broker): the run is executed where it was fired, in the scheduling worker.
    assert {worker.split(":")[1] for _, worker, status in runs if status == "SUCCEEDED"} == {str(scheduler)}
    assert "schedule already fired" not in served.log.read_text()

    # Another process firing the same schedules on the same database (a replica started by
    # mistake with schedules on): each period still gets one run.
    replica = await _start(served.env, served.cwd)
    try:
        await asyncio.sleep(4 * CLEANUP_SECONDS)
    finally:
        await _stop(replica)
    runs = await _cleanup_runs()
    periods = [key for key, _, _ in runs]
    assert len(periods) == len(set(periods)), runs
    refused = served.log.read_text().count("schedule already fired") + replica.log.read_text().count(
        "schedule already fired"
    )
    assert refused >= 1, "both schedulers fired some period; one of them was refused"


@pytest.mark.parametrize(
    ("database", "cache", "missing"),
    [
        ("sqlite", REDIS_URL, "needs PostgreSQL"),
        ("postgres", "memory://", "needs a shared cache (REELGRAPH_CACHE_URL=redis://"),
    ],
)
def test_several_workers_without_shared_state_are_refused(
    tmp_path: Path, database: str, cache: str, missing: str
) -> None:
    env = {
        **os.environ,
        "REELGRAPH_ENV": "development",
        "REELGRAPH_DATABASE_URL": (
            f"sqlite+aiosqlite:///{tmp_path / 'refused.db'}"
            if database == "sqlite"
            else _database_url("postgresql+asyncpg")
        ),
        "REELGRAPH_CACHE_URL": cache,
    }
    result = subprocess.run(
        [sys.executable, "-m", "reelgraph.cli", "serve", "--workers", "2", "--port", str(free_port())],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr[-2000:]
    assert missing in result.stderr
    assert "--workers 2" in result.stderr
    assert list(tmp_path.iterdir()) == [], "refused before migrating or writing a secret"
