"""Per-request loaders for the viewer's library state: one query per request per kind, not per movie."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reelgraph.loaders.shared import SharedDataLoader
from reelgraph.persistence import library as repo

ViewerId = Callable[[], Awaitable[int | None]]
Sessions = async_sessionmaker[AsyncSession]


class ViewerInteractionsByMovieLoader(SharedDataLoader[int, list[str]]):
    """The signed-in viewer's interaction kinds per movie; empty when anonymous."""

    def __init__(self, sessions: Sessions, viewer_id: ViewerId) -> None:
        async def load(movie_ids: Sequence[int]) -> list[list[str]]:
            user_id = await viewer_id()
            if user_id is None:
                return [[] for _ in movie_ids]
            async with sessions() as session:
                found = await repo.interactions_by_movie(session, user_id, list(movie_ids))
            return [sorted(found.get(movie_id, [])) for movie_id in movie_ids]

        super().__init__(load_fn=load)


class ViewerRatingByMovieLoader(SharedDataLoader[int, float | None]):
    def __init__(self, sessions: Sessions, viewer_id: ViewerId) -> None:
        async def load(movie_ids: Sequence[int]) -> list[float | None]:
            user_id = await viewer_id()
            if user_id is None:
                return [None for _ in movie_ids]
            async with sessions() as session:
                found = await repo.ratings_by_movie(session, user_id, list(movie_ids))
            return [found.get(movie_id) for movie_id in movie_ids]

        super().__init__(load_fn=load)


class AverageRatingByMovieLoader(SharedDataLoader[int, float | None]):
    def __init__(self, sessions: Sessions) -> None:
        async def load(movie_ids: Sequence[int]) -> list[float | None]:
            async with sessions() as session:
                found = await repo.average_ratings(session, list(movie_ids))
            return [found.get(movie_id) for movie_id in movie_ids]

        super().__init__(load_fn=load)


class HiddenMoviesOfViewer:
    """What the viewer marked SEEN or NOT_INTERESTED, read once per request (every list drops them)."""

    def __init__(self, sessions: Sessions, viewer_id: ViewerId) -> None:
        self._sessions = sessions
        self._viewer_id = viewer_id
        self._hidden: set[int] | None = None

    async def load(self) -> set[int]:
        if self._hidden is None:
            user_id = await self._viewer_id()
            if user_id is None:
                self._hidden = set()
            else:
                async with self._sessions() as session:
                    self._hidden = await repo.hidden_movie_ids(session, user_id)
        return self._hidden

    def clear(self) -> None:
        self._hidden = None
