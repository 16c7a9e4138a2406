"""DataLoaders for users: roles of many users in one query."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.dataloader import DataLoader

from reelgraph.persistence import users as repo


def make_roles_loader(sessions: async_sessionmaker[AsyncSession]) -> DataLoader[int, list[str]]:
    async def load(user_ids: Sequence[int]) -> list[list[str]]:
        async with sessions() as session:
            found = await repo.roles_of(session, list(user_ids))
        return [found[user_id] for user_id in user_ids]

    return DataLoader(load_fn=load)
