"""Keeps the movies people use fresh in the background, so a reader's request does not have to:
TMDb details older than the details cache lifetime and OMDb scores older than
REELGRAPH_OMDB_MAX_AGE_DAYS, for movies someone rated or interacted with, oldest first.

Bounded per run (REELGRAPH_CATALOG_REFRESH_MAX_MOVIES) and read a few at a time, under the
upstream clients' own rate limits, so a run never crowds out readers' requests.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reelgraph.config import Settings
from reelgraph.errors import UpstreamUnavailableError
from reelgraph.integrations.call_budget import UpstreamBudgetExceeded
from reelgraph.integrations.errors import UpstreamError
from reelgraph.loaders.catalog_reader import CatalogReader
from reelgraph.persistence import catalog_mirror as mirror

AT_ONCE = 4  # movies refreshed concurrently: a trickle beside the readers


class CatalogRefresh:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], reader: CatalogReader, settings: Settings
    ) -> None:
        self._sessions = sessions
        self._reader = reader
        self._settings = settings

    async def run(self, now: datetime | None = None) -> dict[str, int]:
        now = now or datetime.now(UTC)
        details_before = now - timedelta(seconds=self._settings.cache_ttl_details_seconds)
        scores_before = now - timedelta(days=self._settings.omdb_max_age_days)
        async with self._sessions() as session:
            stale = await mirror.stale_movies_people_use(
                session, details_before, scores_before, self._settings.catalog_refresh_max_movies
            )
        counts = {"details_refreshed": 0, "scores_refreshed": 0, "failed": 0}
        slots = asyncio.Semaphore(AT_ONCE)

        async def refresh(tmdb_id: int, imdb_id: str | None, details: bool, scores: bool) -> None:
            async with slots:
                try:
                    if details and await self._reader.refresh_movie(tmdb_id):
                        counts["details_refreshed"] += 1
                    if scores and imdb_id and await self._reader.refresh_omdb(tmdb_id, imdb_id):
                        counts["scores_refreshed"] += 1
                except (UpstreamError, UpstreamUnavailableError, UpstreamBudgetExceeded):  # next run
                    counts["failed"] += 1

        await asyncio.gather(*(refresh(*movie) for movie in stale))
        await self._reader.mirror.flush()
        return counts
