"""Per-request loaders for the viewer's library state: one query per request, not per movie.

The signed-in viewer's interactions and ratings are read once, whole, the first time anything
asks (the hidden set, a viewer field); from then on every movie's viewer state is a dict lookup,
so a page of movies pays no DataLoader round per field.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reelgraph.loaders.shared import SharedDataLoader
from reelgraph.loaders.viewer_library_cache import ViewerLibraryCache
from reelgraph.persistence import library as repo
from reelgraph.persistence.viewer_library import library_of

ViewerId = Callable[[], Awaitable[int | None]]
Sessions = async_sessionmaker[AsyncSession]

# Read along with the viewer (same session) only up to this many rows; a larger library is read
# when something asks for it. Either is kept by version (ViewerLibraryCache) for the next requests.
PREFETCH_ROWS = 20_000


@dataclass(frozen=True, slots=True)
class ViewerLibrary:
    """What the viewer did with each movie. Read-only: it is shared by every field of the request."""

    kinds: dict[int, list[str]]  # interaction kinds per movie, sorted
    ratings: dict[int, float]
    hidden: set[int]  # marked SEEN or NOT_INTERESTED: every list drops them

    def kinds_of(self, movie_id: int) -> list[str]:
        return self.kinds.get(movie_id, [])

    @classmethod
    def of_rows(cls, interactions: list[tuple[int, str]], ratings: list[tuple[int, float]]) -> ViewerLibrary:
        kinds: dict[int, list[str]] = {}
        hidden: set[int] = set()
        for movie_id, kind in interactions:
            kinds.setdefault(movie_id, []).append(kind)
            if kind in repo.HIDING_KINDS:
                hidden.add(movie_id)
        for found in kinds.values():
            found.sort()
        return cls(kinds, dict(ratings), hidden)


EMPTY_LIBRARY = ViewerLibrary({}, {}, set())


class ViewerLibraryLoader:
    """The viewer's library, read in one statement at most once per request (concurrent callers
    share the read); empty, without a read, when anonymous."""

    def __init__(self, sessions: Sessions, viewer_id: ViewerId, kept: ViewerLibraryCache) -> None:
        self._sessions = sessions
        self._viewer_id = viewer_id
        self._kept = kept
        self._library: ViewerLibrary | None = None
        self._reading: asyncio.Future[ViewerLibrary] | None = None
        self._generation = 0  # a read started before clear() must not store what it read
        # (user id, library version) read with the viewer; None once this request wrote.
        self._version: tuple[int, int] | None = None

    @property
    def ready(self) -> ViewerLibrary | None:
        """The library when already read: resolvers then answer synchronously."""
        return self._library

    async def load(self) -> ViewerLibrary:
        if self._library is not None:
            return self._library
        if self._reading is None:
            self._reading = asyncio.ensure_future(self._read(self._generation))
            self._reading.add_done_callback(_retrieve)
        # Shielded: one cancelled caller must not cancel the read the others wait for.
        return await asyncio.shield(self._reading)

    async def prefetch(self, session: AsyncSession, user_id: int, version: int) -> None:
        """Takes the library kept at the viewer's current version, else reads it in the session
        the viewer was just resolved in (one session, one transaction per signed-in request),
        unless it is larger than PREFETCH_ROWS."""
        if self._library is not None:
            return
        generation = self._generation
        self._version = (user_id, version)
        kept = self._kept.get(user_id, version)
        if kept is not None:
            self._library = kept
            return
        rows = await library_of(session, user_id, PREFETCH_ROWS)
        if rows is not None and generation == self._generation and self._library is None:
            self._library = ViewerLibrary.of_rows(rows.interactions, rows.ratings)
            # Read after the version in the same transaction: at least as new as the version says.
            self._kept.put(user_id, version, self._library)

    async def _read(self, generation: int) -> ViewerLibrary:
        user_id = await self._viewer_id()
        if user_id is None:
            library = EMPTY_LIBRARY
        elif self._library is not None:  # prefetched while the viewer was resolved
            return self._library
        else:
            version = self._version  # taken before the read: the read is at least as new
            async with self._sessions() as session:
                rows = await library_of(session, user_id)
            assert rows is not None  # no limit
            library = ViewerLibrary.of_rows(rows.interactions, rows.ratings)
            if version is not None and version[0] == user_id and generation == self._generation:
                self._kept.put(user_id, version[1], library)
        if generation == self._generation:
            self._library = library
        return library

    def clear(self) -> None:
        """After a library mutation: what this request reads next must reflect it."""
        self._generation += 1
        self._library = None
        self._reading = None
        self._version = None  # this request's write moved it: nothing kept is known to be current


class HiddenMoviesOfViewer:
    """What the viewer marked SEEN or NOT_INTERESTED: the library's hidden set (no read of its own)."""

    def __init__(self, library: ViewerLibraryLoader) -> None:
        self._library = library

    async def load(self) -> set[int]:
        return (await self._library.load()).hidden


class AverageRatingByMovieLoader(SharedDataLoader[int, float | None]):
    def __init__(self, sessions: Sessions) -> None:
        async def load(movie_ids: Sequence[int]) -> list[float | None]:
            async with sessions() as session:
                found = await repo.average_ratings(session, list(movie_ids))
            return [found.get(movie_id) for movie_id in movie_ids]

        super().__init__(load_fn=load)


def _retrieve(future: asyncio.Future[Any]) -> None:
    # When every caller was cancelled nobody awaits the read: keep asyncio from logging it as lost.
    if not future.cancelled():
        future.exception()
