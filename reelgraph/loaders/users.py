"""Per-request loaders for users and the rows that are fetched by id (node(id:), Review.author)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reelgraph.loaders.shared import SharedDataLoader
from reelgraph.persistence import library as library_repo
from reelgraph.persistence import users as repo
from reelgraph.persistence.models import InteractionRow, ReviewRow, UserRow

Sessions = async_sessionmaker[AsyncSession]


class RolesByUserLoader(SharedDataLoader[int, list[str]]):
    def __init__(self, sessions: Sessions) -> None:
        async def load(user_ids: Sequence[int]) -> list[list[str]]:
            async with sessions() as session:
                found = await repo.roles_of(session, list(user_ids))
            return [found[user_id] for user_id in user_ids]

        super().__init__(load_fn=load)


class UserByIdLoader(SharedDataLoader[int, UserRow | None]):
    def __init__(self, sessions: Sessions) -> None:
        async def load(user_ids: Sequence[int]) -> list[UserRow | None]:
            async with sessions() as session:
                found = await repo.users_by_id(session, list(user_ids))
            return [found.get(user_id) for user_id in user_ids]

        super().__init__(load_fn=load)


class ReviewByIdLoader(SharedDataLoader[int, ReviewRow | None]):
    def __init__(self, sessions: Sessions) -> None:
        async def load(review_ids: Sequence[int]) -> list[ReviewRow | None]:
            async with sessions() as session:
                found = await library_repo.reviews_by_id(session, list(review_ids))
            return [found.get(review_id) for review_id in review_ids]

        super().__init__(load_fn=load)


class InteractionByIdLoader(SharedDataLoader[int, InteractionRow | None]):
    def __init__(self, sessions: Sessions) -> None:
        async def load(interaction_ids: Sequence[int]) -> list[InteractionRow | None]:
            async with sessions() as session:
                found = await library_repo.interactions_by_id(session, list(interaction_ids))
            return [found.get(interaction_id) for interaction_id in interaction_ids]

        super().__init__(load_fn=load)
