"""The User type and its roles."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from sqlalchemy import select
from strawberry import relay
from strawberry.types import Info

from reelgraph.persistence.models import UserRow
from reelgraph.schema.pagination import Connection

if TYPE_CHECKING:
    from reelgraph.schema.types.library import (
        InteractionConnection,
        InteractionKind,
        Preferences,
        RatingConnection,
        ReviewConnection,
        UserStats,
        WatchEventConnection,
    )

LIBRARY = "reelgraph.schema.types.library"


@strawberry.enum
class Role(Enum):
    USER = "USER"
    MODERATOR = "MODERATOR"
    ADMIN = "ADMIN"


async def _can_see_private(info: Info, user: UserType) -> bool:
    if user._is_owner:
        return True
    viewer = await info.context.viewer()
    return viewer is not None and (viewer.id == user.user_id or viewer.has_role("ADMIN"))


@strawberry.type(name="User")
class UserType(relay.Node):
    user_id: relay.NodeID[int]
    name: str
    locale: str
    region: str | None
    created_at: datetime
    _email: strawberry.Private[str]
    _date_of_birth: strawberry.Private[date | None]
    # True in the payloads of register/login, where the caller is this user but not yet the viewer.
    _is_owner: strawberry.Private[bool] = False

    @classmethod
    def from_row(cls, row: UserRow, *, is_owner: bool = False) -> UserType:
        assert row.id is not None
        return cls(
            user_id=row.id,
            name=row.name,
            locale=row.locale,
            region=row.region,
            created_at=row.created_at,
            _email=row.email,
            _date_of_birth=row.date_of_birth,
            _is_owner=is_owner,
        )

    @strawberry.field(description="Visible to the user themself and to admins only.")
    async def email(self, info: Info) -> str | None:
        return self._email if await _can_see_private(info, self) else None

    @strawberry.field(description="Visible to the user themself and to admins only.")
    async def date_of_birth(self, info: Info) -> date | None:
        return self._date_of_birth if await _can_see_private(info, self) else None

    @strawberry.field
    async def roles(self, info: Info) -> list[Role]:
        return [Role(name) for name in await info.context.loaders.roles.load(self.user_id)]

    @strawberry.field
    async def preferences(self, info: Info) -> Annotated[Preferences, strawberry.lazy(LIBRARY)]:
        from reelgraph.resolvers.library import preferences

        return await preferences(info, self.user_id)

    @strawberry.field
    async def interactions(
        self,
        info: Info,
        kind: Annotated[InteractionKind, strawberry.lazy(LIBRARY)] | None = None,
        first: int | None = 20,
        after: str | None = None,
    ) -> Annotated[InteractionConnection, strawberry.lazy(LIBRARY)]:
        from reelgraph.resolvers.library import interactions

        return await interactions(info, self.user_id, kind, first, after)

    @strawberry.field
    async def ratings(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> Annotated[RatingConnection, strawberry.lazy(LIBRARY)]:
        from reelgraph.resolvers.library import ratings

        return await ratings(info, self.user_id, first, after)

    @strawberry.field
    async def reviews(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> Annotated[ReviewConnection, strawberry.lazy(LIBRARY)]:
        from reelgraph.resolvers.library import user_reviews

        return await user_reviews(info, self.user_id, first, after)

    @strawberry.field
    async def watch_history(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> Annotated[WatchEventConnection, strawberry.lazy(LIBRARY)]:
        from reelgraph.resolvers.library import watch_history

        return await watch_history(info, self.user_id, first, after)

    @strawberry.field
    async def stats(self, info: Info) -> Annotated[UserStats, strawberry.lazy(LIBRARY)]:
        from reelgraph.resolvers.library import stats

        return await stats(info, self.user_id)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Any]:
        # Reading another user by id is open (reviews show authors); private fields stay hidden.
        ids = [int(node_id) for node_id in node_ids if node_id.isdigit()]
        async with info.context.services.sessions() as session:
            rows = (await session.execute(select(UserRow).where(UserRow.id.in_(ids)))).scalars().all()
        by_id = {row.id: cls.from_row(row) for row in rows}
        return [by_id.get(int(node_id)) if node_id.isdigit() else None for node_id in node_ids]


@strawberry.type
class UserConnection(Connection[UserType]):
    pass
