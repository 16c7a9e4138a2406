"""Training off the API process: without a broker the retrain runs in a spawned child (the server
only loads the stored blob, and never imports scikit-learn); with a broker the API never trains,
it asks the workers for a run and serves the version they store."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col

from reelgraph.config import Settings
from reelgraph.persistence.models import JobRunRow
from reelgraph.services.recommendations import RecommendationService
from tests.conftest import make_settings
from tests.test_recs_jobs import fan, replica

BROKER_URL = os.environ.get("REELGRAPH_TEST_BROKER_URL", "redis://127.0.0.1:6379/3")
ROOT = Path(__file__).resolve().parent.parent
PATIENCE = 120  # seconds: far beyond a training on the test data, so a hang fails instead


async def test_an_embedded_retrain_runs_in_another_process_and_its_model_answers(
    settings: Settings, tmp_path: Path
) -> None:
    embedded = make_settings(tmp_path, database_url=settings.database_url, recs_train_subprocess=True)
    async with replica(embedded) as one:
        token = await fan(one.gql)
        summary = await one.run("retrain-recommender", force=True)
        assert summary["retrained"] is True
        assert summary["trainer_pid"] != os.getpid()
        served = one.services.recommendations.engine.model
        assert served.stats["trained_by_pid"] == summary["trainer_pid"]  # the stored blob says so too
        assert (await one.reported())["version"] == summary["version"]
        found = await one.recommendations(token)
        assert found and not set(found) & {603, 27205, 157336}


async def test_the_in_thread_setting_trains_in_the_api_process(settings: Settings, tmp_path: Path) -> None:
    threaded = make_settings(tmp_path, database_url=settings.database_url, recs_train_subprocess=False)
    async with replica(threaded) as one:
        token = await fan(one.gql)
        summary = await one.run("retrain-recommender", force=True)
        assert summary["trainer_pid"] == os.getpid()
        assert await one.recommendations(token)


SERVER_SCRIPT = """
import asyncio, json, sys
import httpx
from reelgraph.app import create_app
from reelgraph.config import Settings
from reelgraph.jobs.registry import JobContext, registered_jobs

async def main() -> None:
    app = create_app(Settings(recs_train_on_start=False, job_schedules=False))
    async with app.router.lifespan_context(app):
        before = "sklearn" in sys.modules
        spec = registered_jobs()["retrain-recommender"]
        summary = await spec.body(JobContext(app.state.services, job_id="t", params={"force": True}))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            ready = (await http.get("/health/ready")).json()["recommender"]
        print(json.dumps({"before": before, "after": "sklearn" in sys.modules,
                          "summary": dict(summary), "ready": ready}))

asyncio.run(main())
"""


def test_the_api_process_does_not_import_scikit_learn_for_a_retrain(tmp_path: Path) -> None:
    # A fresh interpreter: this one imported scikit-learn for other tests long ago.
    from reelgraph.persistence.migrate import upgrade_to_head

    url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    upgrade_to_head(url)
    env = {
        **os.environ,
        "REELGRAPH_DATABASE_URL": url,
        "REELGRAPH_CACHE_URL": "memory://",
        "REELGRAPH_JWT_SECRET": "test-secret-Zq3vT9kLw2XbN8rYp4HcJ6mFd1sGa7Ue0oVi5",
        "REELGRAPH_RECS_TRAIN_SUBPROCESS": "true",
    }
    env.pop("REELGRAPH_BROKER_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", SERVER_SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=PATIENCE,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["before"] is False  # serving alone never needs it
    assert seen["summary"]["retrained"] is True
    assert seen["ready"]["version"] == seen["summary"]["version"]  # the server serves what was trained
    assert seen["after"] is False


async def _redis_reachable() -> bool:
    import redis.asyncio as redis

    client = redis.from_url(BROKER_URL)
    try:
        await asyncio.wait_for(client.ping(), 2)
        return True
    except Exception:
        return False
    finally:
        await client.aclose()


async def test_with_a_broker_the_api_asks_the_workers_and_never_trains(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not await _redis_reachable():
        pytest.skip(f"Redis at {BROKER_URL} is unreachable (CI starts it)")
    trainings: list[int] = []
    real = RecommendationService._train

    async def counted(self: RecommendationService, seen: Any) -> Any:
        trainings.append(1)
        return await real(self, seen)

    monkeypatch.setattr(RecommendationService, "_train", counted)
    brokered = make_settings(
        tmp_path,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'brokered.db'}",
        broker_url=BROKER_URL,
        job_queue_name=f"reelgraph-test-{uuid.uuid4().hex}",
        job_eager=False,
        recs_poll_seconds=0.2,
        recs_train_on_start=True,  # with a broker: wait for the workers' model, never train here
    )
    from reelgraph.persistence.migrate import upgrade_to_head

    await asyncio.to_thread(upgrade_to_head, brokered.database_url)
    async with replica(brokered) as api:
        token = await fan(api.gql)
        asking = asyncio.create_task(api.recommendations(token))

        async def queued() -> list[JobRunRow]:
            async with api.services.sessions() as session:
                rows = await session.execute(
                    select(JobRunRow).where(col(JobRunRow.name) == "retrain-recommender")
                )
                return list(rows.scalars())

        deadline = asyncio.get_running_loop().time() + PATIENCE
        while not await queued():
            assert asyncio.get_running_loop().time() < deadline, "no retrain run was asked of the workers"
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.0)
        assert not asking.done() and trainings == []  # the API waits: it does not train

        # A worker runs the body (here in this process, as `reelgraph worker` would).
        summary = await api.run("retrain-recommender")
        assert summary["retrained"] is True and trainings == [1]
        found = await asyncio.wait_for(asking, PATIENCE)
        assert found
        assert (await api.reported())["version"] == summary["version"]
