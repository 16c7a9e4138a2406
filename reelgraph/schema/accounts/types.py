"""The User type and its roles."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from enum import Enum
from types import ModuleType
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay

from reelgraph.persistence.models import UserRow
from reelgraph.schema import ids
from reelgraph.schema.context import Info
from reelgraph.schema.errors import UserError
from reelgraph.schema.pagination import Connection
from reelgraph.schema.permissions import IsOwnerOrAdmin

if TYPE_CHECKING:
    from reelgraph.schema.library.types import (
        InteractionConnection,
        InteractionKind,
        Preferences,
        RatingConnection,
        ReviewConnection,
        UserStats,
        WatchEventConnection,
    )

LIBRARY = "reelgraph.schema.library.types"
PRIVATE = "The user themself and admins only."


def _library() -> ModuleType:
    # The library's types name User (Review.author): imported when first needed, not at load.
    from reelgraph.schema.library import types

    return types


@strawberry.enum
class Role(Enum):
    USER = "USER"
    MODERATOR = "MODERATOR"
    ADMIN = "ADMIN"


async def _can_see_private(info: Info, user: User) -> bool:
    if user._is_owner:
        return True
    viewer = await info.context.viewer()
    return viewer is not None and viewer.is_owner_or_admin(user.user_id)


@strawberry.type
class User(relay.Node):
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
    def from_row(cls, row: UserRow, *, is_owner: bool = False) -> User:
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

    @strawberry.field(permission_classes=[IsOwnerOrAdmin], description=PRIVATE)
    async def preferences(self, info: Info) -> Annotated[Preferences, strawberry.lazy(LIBRARY)]:
        preferences: Preferences = await _library().Preferences.load(info, self.user_id)
        return preferences

    @strawberry.field(permission_classes=[IsOwnerOrAdmin], description=PRIVATE)
    async def interactions(
        self,
        info: Info,
        kind: Annotated[InteractionKind, strawberry.lazy(LIBRARY)] | None = None,
        first: int | None = 20,
        after: str | None = None,
    ) -> Annotated[InteractionConnection, strawberry.lazy(LIBRARY)]:
        library, pages = _library(), info.context.services.pages
        wanted = kind.value if kind is not None else None
        connection: InteractionConnection = await library.InteractionConnection.from_rows(
            "interaction",
            first,
            after,
            lambda position, limit: pages.interactions(self.user_id, wanted, position, limit),
            library.Interaction.from_row,
            owner=(self.user_id, wanted),
        )
        return connection

    @strawberry.field(permission_classes=[IsOwnerOrAdmin], description=PRIVATE)
    async def ratings(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> Annotated[RatingConnection, strawberry.lazy(LIBRARY)]:
        library, pages = _library(), info.context.services.pages
        connection: RatingConnection = await library.RatingConnection.from_rows(
            "rating",
            first,
            after,
            lambda position, limit: pages.ratings(self.user_id, position, limit),
            library.Rating.from_row,
            owner=self.user_id,
        )
        return connection

    @strawberry.field(description="Public: anyone may read what someone wrote.")
    async def reviews(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> Annotated[ReviewConnection, strawberry.lazy(LIBRARY)]:
        library, pages = _library(), info.context.services.pages
        connection: ReviewConnection = await library.ReviewConnection.from_rows(
            "review",
            first,
            after,
            lambda position, limit: pages.reviews_by(self.user_id, position, limit),
            library.Review.from_row,
            owner=("user", self.user_id),
        )
        return connection

    @strawberry.field(permission_classes=[IsOwnerOrAdmin], description=PRIVATE)
    async def watch_history(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> Annotated[WatchEventConnection, strawberry.lazy(LIBRARY)]:
        library, pages = _library(), info.context.services.pages
        connection: WatchEventConnection = await library.WatchEventConnection.from_rows(
            "watch",
            first,
            after,
            lambda position, limit: pages.watch_history(self.user_id, position, limit),
            library.WatchEvent.from_row,
            owner=self.user_id,
        )
        return connection

    @strawberry.field(permission_classes=[IsOwnerOrAdmin], description=PRIVATE)
    async def stats(self, info: Info) -> Annotated[UserStats, strawberry.lazy(LIBRARY)]:
        stats: UserStats = await _library().UserStats.load(info, self.user_id)
        return stats

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Any]:
        # Reading another user by id is open (reviews show authors); private fields stay hidden.
        rows = await ids.load_by_keys(node_ids, ids.row_key, info.context.loaders.user.load_many)
        return [cls.from_row(row) if row else None for row in rows]


@strawberry.type
class UserConnection(Connection[User]):
    pass


@strawberry.input
class RegisterInput:
    email: str
    password: str
    name: str
    locale: str | None = None


@strawberry.input
class LoginInput:
    email: str
    password: str


@strawberry.input
class UpdateProfileInput:
    name: str | None = strawberry.UNSET
    locale: str | None = strawberry.UNSET
    region: str | None = strawberry.UNSET
    date_of_birth: date | None = strawberry.UNSET


@strawberry.type
class AuthPayload:
    access_token: str | None = None
    refresh_token: str | None = None
    expires_in: int | None = strawberry.field(
        default=None, description="Seconds until the access token expires."
    )
    user: User | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class UserPayload:
    user: User | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
