"""The recommender's jobs: one stored model version that every replica picks up and reports,
retraining by the cheap counter, precomputed lists (served from the cache until the viewer's next
rating), and `recs train --out DIR` served through REELGRAPH_RECS_MODEL_DIR.

Two apps on the same database stand for two replicas; their bodies run directly, as the task
engine would run them.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from reelgraph.app import create_app
from reelgraph.config import Settings
from reelgraph.jobs.registry import JobContext, registered_jobs
from reelgraph.recommender.engine import RecommenderEngine
from reelgraph.services.container import Services
from tests.conftest import make_settings
from tests.helpers import GraphQLClient, register

RECS = """
query($s: RecommendationStrategy, $first: Int) {
  recommendations(strategy: $s, first: $first) { movie { tmdbId } score reasons { kind text } }
}
"""
RATE = "mutation($m: Int!, $v: Float!) { rateMovie(movieId: $m, value: $v) { errors { code } } }"
LIKED = {603: 5.0, 27205: 4.5, 157336: 4.5}  # The Matrix, Inception, Interstellar
SWAP_BOUND_SECONDS = 60  # generous: the poll interval below is a fifth of a second


class Replica:
    def __init__(self, app: Starlette, http: httpx.AsyncClient) -> None:
        self.app = app
        self.http = http
        self.gql = GraphQLClient(http)

    @property
    def services(self) -> Services:
        services: Services = self.app.state.services
        return services

    async def reported(self) -> dict[str, Any]:
        response = await self.http.get("/health/ready")
        recommender: dict[str, Any] = response.json()["recommender"]
        return recommender

    async def run(self, name: str, **params: Any) -> dict[str, Any]:
        spec = registered_jobs()[name]
        summary = await spec.body(JobContext(self.services, job_id=f"test-{name}", params=params))
        assert summary is not None
        return dict(summary)

    async def recommendations(self, token: str, first: int = 10, strategy: str = "HYBRID") -> list[int]:
        body = await self.gql(RECS, {"s": strategy, "first": first}, token=token)
        assert "errors" not in body, body
        return [r["movie"]["tmdbId"] for r in body["data"]["recommendations"]]


@asynccontextmanager
async def replica(settings: Settings) -> AsyncIterator[Replica]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application, client=("127.0.0.1", 40002))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield Replica(application, http)


@pytest.fixture
def replica_settings(settings: Settings, tmp_path: Path) -> Settings:
    # The session database (migrated), a short poll; each app keeps its own in-memory cache.
    return make_settings(
        tmp_path,
        database_url=settings.database_url,
        recs_poll_seconds=0.2,
        recs_retrain_after=3,
        recs_precompute_max_users=20,
    )


async def until(check: Callable[[], Any], what: str) -> None:
    deadline = time.monotonic() + SWAP_BOUND_SECONDS
    while not await check():
        assert time.monotonic() < deadline, f"not seen within {SWAP_BOUND_SECONDS}s: {what}"
        await asyncio.sleep(0.1)


async def fan(gql: GraphQLClient) -> str:
    token = str((await register(gql))["accessToken"])
    for movie, value in LIKED.items():
        assert (await gql(RATE, {"m": movie, "v": value}, token=token))["data"]["rateMovie"]["errors"] == []
    return token


async def test_a_stored_version_reaches_the_other_replica_and_both_report_it(
    replica_settings: Settings,
) -> None:
    async with replica(replica_settings) as one, replica(replica_settings) as two:
        first = await one.run("retrain-recommender", force=True)
        assert first["retrained"] is True
        token = await fan(two.gql)
        # The other replica trains nothing: its first request loads the stored version.
        assert await two.recommendations(token)
        assert (await two.reported())["version"] >= first["version"]

        second = await one.run("retrain-recommender", force=True)
        assert second["version"] > first["version"]

        async def two_serves_it() -> bool:
            return bool((await two.reported())["version"] == second["version"])

        await until(two_serves_it, "the second replica swapping to the new version")
        assert await one.reported() == await two.reported()
        assert (await two.reported())["model"] == second["model"]


async def test_retraining_waits_for_enough_new_activity(replica_settings: Settings) -> None:
    async with replica(replica_settings) as one:
        stored = await one.run("retrain-recommender", force=True)
        assert (await one.run("retrain-recommender"))["retrained"] is False  # nothing new yet
        await fan(one.gql)  # three ratings: REELGRAPH_RECS_RETRAIN_AFTER is 3 here
        again = await one.run("retrain-recommender")
        assert again["retrained"] is True and again["version"] > stored["version"]
        assert again["ratings"] >= stored["ratings"] + len(LIKED)


async def test_a_precomputed_list_is_a_cache_read_until_the_next_rating(
    replica_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    scored: list[int] = []
    real = RecommenderEngine.recommend

    def counted(self: RecommenderEngine, *args: Any, **kwargs: Any) -> Any:
        scored.append(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(RecommenderEngine, "recommend", counted)
    async with replica(replica_settings) as one:
        token = await fan(one.gql)
        computed = await one.recommendations(token)
        assert len(scored) == 1  # not precomputed yet: the model ranks them

        summary = await one.run("precompute-recommendations")
        assert summary["users"] >= 1
        precomputing = len(scored)
        served = await one.recommendations(token)
        assert served == computed
        assert len(scored) == precomputing  # a cache read: the model was not asked
        assert await one.recommendations(token, first=5) == computed[:5]
        await one.recommendations(token, strategy="CONTENT")  # another strategy is not precomputed
        assert len(scored) == precomputing + 1

        # Rating the top recommendation makes the entry unused: the next list reflects the rating.
        top = served[0]
        assert (await one.gql(RATE, {"m": top, "v": 2.0}, token=token))["data"]["rateMovie"]["errors"] == []
        after = await one.recommendations(token)
        assert top not in after
        assert len(scored) == precomputing + 2


async def test_recs_train_out_is_what_recs_model_dir_serves(settings: Settings, tmp_path: Path) -> None:
    from reelgraph.cli import main

    out = tmp_path / "model"
    code = await asyncio.to_thread(
        main, ["recs", "train", "--out", str(out), "--database-url", settings.database_url]
    )
    assert code == 0
    trained = RecommenderEngine.load(out).version
    pinned = make_settings(tmp_path, database_url=settings.database_url, recs_model_dir=str(out))
    async with replica(pinned) as one:
        token = await fan(one.gql)
        assert await one.recommendations(token)
        reported = await one.reported()
    assert reported["model"] == trained and re.fullmatch(r"r\d+-[0-9a-f]{16}", trained)
