"""Who the signed-in viewer is as an audience: date of birth and region, read once per request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reelgraph.loaders.library import ViewerId
from reelgraph.persistence import users as repo


@dataclass(frozen=True, slots=True)
class Audience:
    date_of_birth: date | None
    region: str | None


class ViewerAudienceOfViewer:
    """The viewer's date of birth and region; None when anonymous (no database read then)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], viewer_id: ViewerId) -> None:
        self._sessions = sessions
        self._viewer_id = viewer_id
        self._loaded = False
        self._audience: Audience | None = None

    async def load(self) -> Audience | None:
        if not self._loaded:
            user_id = await self._viewer_id()
            if user_id is not None:
                async with self._sessions() as session:
                    user = await repo.get_user(session, user_id)
                if user is not None:
                    self._audience = Audience(user.date_of_birth, user.region)
            self._loaded = True
        return self._audience

    def clear(self) -> None:
        """After updateProfile: the same request reads the new date of birth."""
        self._loaded = False
        self._audience = None
