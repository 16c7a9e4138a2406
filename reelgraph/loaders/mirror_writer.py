"""Writes the database mirror behind the reads: queued, one writer, one transaction per batch.

The mirror (movies and their OMDb scores kept in the database) is a fallback for when TMDb is
down. Writing it inline put one write transaction per movie and per score on every cold read's
path, and on SQLite they waited on each other in the busy handler: a cold page of 30 movies spent
most of its second there. Reads now hand the write over and return; whatever is pending is
written together, and `flush()` (called on shutdown) waits for it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reelgraph.persistence.engine import write_transaction

log = logging.getLogger("reelgraph.catalog")

Write = Callable[[AsyncSession], Awaitable[None]]


class MirrorWriter:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._pending: list[tuple[Write, str]] = []
        self._task: asyncio.Task[None] | None = None

    def submit(self, write: Write, what: str) -> None:
        """Queues `write` (a function of a session); `what` names it in the log should it fail."""
        self._pending.append((write, what))
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self._drain())

    async def flush(self) -> None:
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)

    async def _drain(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                async with write_transaction(self._sessions) as session:
                    for write, _ in batch:
                        await write(session)
            except Exception:  # one bad row must not lose the others: write them one by one
                for write, what in batch:
                    await self._write_alone(write, what)

    async def _write_alone(self, write: Write, what: str) -> None:
        try:
            async with write_transaction(self._sessions) as session:
                await write(session)
        except Exception:  # the mirror is a fallback: failing to write it must not fail a read
            log.exception("could not mirror %s", what)
