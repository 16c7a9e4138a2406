"""refresh-catalog: OMDb scores older than REELGRAPH_OMDB_MAX_AGE_DAYS of the movies people rated or
interacted with are read again in the background (over the mock upstream); fresh ones are left alone,
and a second run finds nothing to do."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from reelgraph.config import Settings
from reelgraph.jobs.registry import JobContext, registered_jobs
from reelgraph.persistence.engine import write_transaction
from reelgraph.persistence.migrate import upgrade_to_head
from reelgraph.persistence.models import MovieRow
from tests.catalog_fixtures import Isolated, isolated_app
from tests.library_fixtures import member, rate

MATRIX, FIGHT_CLUB = 603, 550


@pytest.fixture
async def env(settings: Settings, tmp_path: Path) -> AsyncIterator[Isolated]:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'refresh.db'}"
    await asyncio.to_thread(upgrade_to_head, database_url)
    async with isolated_app(settings, database_url=database_url, omdb_max_age_days=30) as isolated:
        yield isolated


async def fetched_at(env: Isolated) -> dict[int, datetime | None]:
    async with env.app.state.services.sessions() as session:
        rows = await session.execute(select(MovieRow.tmdb_id, MovieRow.omdb_fetched_at))
        return {int(tmdb_id): at for tmdb_id, at in rows}


async def run(env: Isolated) -> dict[str, int]:
    services = env.app.state.services
    summary = await registered_jobs()["refresh-catalog"].body(JobContext(services, job_id="test"))
    assert summary is not None
    return dict(summary)


async def test_a_stale_omdb_score_is_refreshed_and_a_fresh_one_left_alone(env: Isolated) -> None:
    ann = await member(env.gql)
    for movie in (MATRIX, FIGHT_CLUB):
        await rate(env.gql, ann, movie, 4.5)
        body = await env.gql("query($m: Int!) { movie(tmdbId: $m) { imdbRating } }", {"m": movie})
        assert "errors" not in body, body
    services = env.app.state.services
    await services.reader.mirror.flush()
    now = datetime.now(UTC)
    stale, fresh = now - timedelta(days=90), now - timedelta(days=1)
    async with write_transaction(services.sessions) as session:
        # Details just read (not due); Matrix's scores three months old, Fight Club's a day old.
        await session.execute(update(MovieRow).values(updated_at=now))
        await session.execute(
            update(MovieRow).where(MovieRow.tmdb_id == MATRIX).values(omdb_fetched_at=stale)
        )
        await session.execute(
            update(MovieRow).where(MovieRow.tmdb_id == FIGHT_CLUB).values(omdb_fetched_at=fresh)
        )
    omdb_before = sum(env.omdb_calls.values())

    summary = await run(env)

    assert summary["scores_refreshed"] == 1 and summary["details_refreshed"] == 0, summary
    assert sum(env.omdb_calls.values()) == omdb_before + 1
    after = await fetched_at(env)
    assert after[MATRIX] is not None and after[MATRIX] > now - timedelta(minutes=5)
    assert after[FIGHT_CLUB] == fresh
    # Idempotent: the second run finds every score fresh and asks OMDb nothing.
    again = await run(env)
    assert again["scores_refreshed"] == 0 and sum(env.omdb_calls.values()) == omdb_before + 1


async def test_movies_nobody_uses_are_not_refreshed(env: Isolated) -> None:
    services = env.app.state.services
    await services.reader.movie(MATRIX, "en-US")  # mirrored by a read, but no one rated or saved it
    await services.reader.mirror.flush()
    async with write_transaction(services.sessions) as session:
        await session.execute(update(MovieRow).values(omdb_fetched_at=datetime.now(UTC) - timedelta(days=90)))
    summary = await run(env)
    assert summary == {"details_refreshed": 0, "scores_refreshed": 0, "failed": 0}
