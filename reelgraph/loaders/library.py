"""Per-request loaders for the viewer's state: one query per request per kind, not per movie."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.dataloader import DataLoader

from reelgraph.persistence import library as repo

ViewerId = Callable[[], Awaitable[int | None]]


class LibraryLoaders:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], viewer_id: ViewerId) -> None:
        self._sessions = sessions
        self._viewer_id = viewer_id
        self._hidden: set[int] | None = None

        async def interactions(movie_ids: Sequence[int]) -> list[list[str]]:
            user_id = await viewer_id()
            if user_id is None:
                return [[] for _ in movie_ids]
            async with sessions() as session:
                found = await repo.interactions_by_movie(session, user_id, list(movie_ids))
            return [sorted(found.get(movie_id, [])) for movie_id in movie_ids]

        async def ratings(movie_ids: Sequence[int]) -> list[float | None]:
            user_id = await viewer_id()
            if user_id is None:
                return [None for _ in movie_ids]
            async with sessions() as session:
                found = await repo.ratings_by_movie(session, user_id, list(movie_ids))
            return [found.get(movie_id) for movie_id in movie_ids]

        async def averages(movie_ids: Sequence[int]) -> list[float | None]:
            async with sessions() as session:
                found = await repo.average_ratings(session, list(movie_ids))
            return [found.get(movie_id) for movie_id in movie_ids]

        self.viewer_interactions: DataLoader[int, list[str]] = DataLoader(interactions)
        self.viewer_rating: DataLoader[int, float | None] = DataLoader(ratings)
        self.average_rating: DataLoader[int, float | None] = DataLoader(averages)

    async def hidden_movie_ids(self) -> set[int]:
        """What the viewer marked SEEN or NOT_INTERESTED, read once per request."""
        if self._hidden is None:
            user_id = await self._viewer_id()
            if user_id is None:
                self._hidden = set()
            else:
                async with self._sessions() as session:
                    self._hidden = await repo.hidden_movie_ids(session, user_id)
        return self._hidden

    def forget(self) -> None:
        """After a mutation: what this request reads next must reflect it."""
        self._hidden = None
        self.viewer_interactions.clear_all()
        self.viewer_rating.clear_all()
        self.average_rating.clear_all()
