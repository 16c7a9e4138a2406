"""Who the signed-in viewer is as an audience: date of birth and region, read once per request."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reelgraph.loaders.library import ViewerId
from reelgraph.persistence import users as repo
from reelgraph.persistence.models import UserRow

# The user row the request's viewer was resolved with (None when anonymous).
ViewerUser = Callable[[], Awaitable[UserRow | None]]


@dataclass(frozen=True, slots=True)
class Audience:
    date_of_birth: date | None
    region: str | None


class ViewerAudienceOfViewer:
    """The viewer's date of birth and region; None when anonymous. Taken from the row the viewer
    was resolved with (no query of its own); after clear(), read again from the database."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        viewer_id: ViewerId,
        viewer_user: ViewerUser | None = None,
    ) -> None:
        self._sessions = sessions
        self._viewer_id = viewer_id
        self._viewer_user = viewer_user
        self._loaded = False
        self._audience: Audience | None = None

    async def load(self) -> Audience | None:
        if not self._loaded:
            user = await self._viewer_user() if self._viewer_user is not None else await self._read()
            self._audience = Audience(user.date_of_birth, user.region) if user is not None else None
            self._loaded = True
        return self._audience

    async def _read(self) -> UserRow | None:
        user_id = await self._viewer_id()
        if user_id is None:
            return None
        async with self._sessions() as session:
            return await repo.get_user(session, user_id)

    def clear(self) -> None:
        """After updateProfile: the same request reads the new date of birth."""
        self._viewer_user = None  # the resolved row is now stale
        self._loaded = False
        self._audience = None
