"""Writes the database mirror behind the reads: queued, coalesced, one transaction per batch.

The mirror (movies and their OMDb scores kept in the database) is a fallback for when TMDb is
down. Writing it inline put one write transaction per movie and per score on every cold read's
path, and on SQLite they waited on each other in the busy handler. Reads now hand the write over
and return. The writer waits a moment so that a cold page's 30 details and scores land in one
batch, then writes each kind with a few multi-row statements: a cold `discover(first: 30)` spent
most of its CPU building ~150 single-row statements on the event loop, while the request waited
for the same loop. `flush()` (called on shutdown) waits for whatever is pending.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reelgraph.persistence import catalog_mirror as mirror
from reelgraph.persistence.engine import write_transaction

log = logging.getLogger("reelgraph.catalog")

# Long enough for a cold page's detail reads to arrive together, short enough that the mirror
# is current within a blink.
COALESCE_SECONDS = 0.2

MovieWrite = tuple[dict[str, Any], str]  # details (or a list item), language


class MirrorWriter:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], coalesce_seconds: float = COALESCE_SECONDS
    ):
        self._sessions = sessions
        self._coalesce_seconds = coalesce_seconds
        # The latest of each: a movie read twice is written once.
        self._movies: dict[tuple[int, str], MovieWrite] = {}
        self._scores: dict[int, dict[str, Any] | None] = {}
        self._task: asyncio.Task[None] | None = None

    def movie(self, details: dict[str, Any], language: str) -> None:
        """Queues a TMDb movie (details or list item) and its genres."""
        self._movies[(int(details["id"]), language)] = (details, language)
        self._start()

    def omdb_scores(self, tmdb_id: int, scores: dict[str, Any] | None) -> None:
        """Queues a movie's OMDb scores (None: OMDb has none), written after the movies."""
        self._scores[tmdb_id] = scores
        self._start()

    async def flush(self) -> None:
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)

    def _start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self._drain())

    async def _drain(self) -> None:
        await asyncio.sleep(self._coalesce_seconds)
        while self._movies or self._scores:
            movies, self._movies = list(self._movies.values()), {}
            scores, self._scores = self._scores, {}
            try:
                async with write_transaction(self._sessions) as session:
                    await mirror.mirror_movies(session, movies)
                    await mirror.save_omdb_many(session, scores)
            except Exception:  # one bad row must not lose the others: write them one by one
                await self._write_one_by_one(movies, scores)

    async def _write_one_by_one(
        self, movies: list[MovieWrite], scores: dict[int, dict[str, Any] | None]
    ) -> None:
        for details, language in movies:
            await self._write_alone(mirror.mirror_movies, [(details, language)], f"movie {details.get('id')}")
        for tmdb_id, found in scores.items():
            await self._write_alone(mirror.save_omdb_many, {tmdb_id: found}, f"OMDb scores of {tmdb_id}")

    async def _write_alone(self, write: Any, rows: Any, what: str) -> None:
        try:
            async with write_transaction(self._sessions) as session:
                await write(session, rows)
        except Exception:  # the mirror is a fallback: failing to write it must not fail a read
            log.exception("could not mirror %s", what)
