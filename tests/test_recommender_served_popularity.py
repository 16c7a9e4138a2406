"""The model the retrain job serves weighs popularity by recency, as the evaluation does.

Three viewers rate the same two movies (outside the community prior, so only local activity
counts); one movie's ratings are backdated three years. After the retrain-recommender job, the
served model counts the old movie's viewers at the decay of their age (half-life a year: 1/8)
and the recent one's at full weight, where plain counts would call the two equally popular.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from reelgraph.integrations.offline_catalog import OfflineCatalog
from reelgraph.jobs.registry import JobContext, registered_jobs
from reelgraph.persistence.models import InteractionRow, RatingRow
from reelgraph.recommender.hybrid import DEFAULT_CONFIG
from reelgraph.recommender.storage import CommunityPrior
from tests.helpers import GraphQLClient, register

RATE = "mutation($m: Int!, $v: Float!) { rateMovie(movieId: $m, value: $v) { errors { code } } }"


async def test_the_served_popularity_decays_with_the_ratings_age(app: Any, gql: GraphQLClient) -> None:
    prior = set(CommunityPrior.load().tmdb_ids.tolist())
    # Deep in the catalog and outside the prior: no other test's viewers rate these.
    old, recent = [m for m in list(OfflineCatalog.load().popular())[::-1] if m not in prior][:2]
    for _ in range(3):
        token = (await register(gql))["accessToken"]
        for movie in (old, recent):
            body = await gql(RATE, {"m": movie, "v": 4.0}, token=token)
            assert body["data"]["rateMovie"]["errors"] == [], body
    services = app.state.services
    years_ago = datetime.now(UTC) - timedelta(days=3 * 365)
    async with services.sessions() as session:
        await session.execute(update(RatingRow).where(RatingRow.movie_id == old).values(updated_at=years_ago))
        await session.execute(
            update(InteractionRow).where(InteractionRow.movie_id == old).values(created_at=years_ago)
        )
        await session.commit()

    spec = registered_jobs()["retrain-recommender"]
    summary = await spec.body(JobContext(services, job_id="test-recency", params={"force": True}))
    assert summary is not None and summary["retrained"] is True
    model = services.recommendations.engine.model
    cols, found = model.columns([old, recent])
    assert found.all()
    assert DEFAULT_CONFIG.popularity_half_life_days == 365.0
    assert model.counts[cols[1]] == pytest.approx(3.0, rel=1e-3)
    assert model.counts[cols[0]] == pytest.approx(3.0 * 0.125, rel=1e-2)
    assert model.popularity[cols[1]] > model.popularity[cols[0]]
