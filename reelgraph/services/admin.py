"""Administration: listing users, granting and revoking roles, deleting accounts."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reelgraph.errors import UserErrorCode, UserErrors
from reelgraph.persistence import rollups
from reelgraph.persistence import users as repo
from reelgraph.persistence.engine import write_transaction
from reelgraph.persistence.models import UserRow

ROLES = ("USER", "MODERATOR", "ADMIN")


def _user_not_found() -> UserErrors:
    return UserErrors.one(UserErrorCode.USER_NOT_FOUND, "No user has this id.", "userId")


class AdminService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def users(self, search: str | None, after_id: int | None, limit: int) -> tuple[list[UserRow], int]:
        async with self._sessions() as session:
            return await repo.search_users(session, search, after_id, limit)

    async def assign_role(self, user_id: int, role: str) -> UserRow:
        async with write_transaction(self._sessions) as session:
            user = await repo.get_user(session, user_id)
            if user is None:
                raise _user_not_found()
            await repo.grant_role(session, user_id, role)
            return user

    async def revoke_role(self, user_id: int, role: str) -> UserRow:
        async with write_transaction(self._sessions) as session:
            user = await repo.get_user(session, user_id)
            if user is None:
                raise _user_not_found()
            if role == "USER":
                raise UserErrors.one(
                    UserErrorCode.ROLE_REQUIRED, "Every account keeps the USER role.", "role"
                )
            roles = (await repo.roles_of(session, [user_id]))[user_id]
            if role == "ADMIN" and "ADMIN" in roles and await repo.count_with_role(session, "ADMIN") <= 1:
                raise UserErrors.one(
                    UserErrorCode.LAST_ADMIN, "The last admin cannot lose the ADMIN role.", "role"
                )
            await repo.revoke_role(session, user_id, role)
            return user

    async def delete_user(self, user_id: int) -> None:
        async with write_transaction(self._sessions) as session:
            user = await repo.get_user(session, user_id)
            if user is None:
                raise _user_not_found()
            roles = (await repo.roles_of(session, [user_id]))[user_id]
            if "ADMIN" in roles and await repo.count_with_role(session, "ADMIN") <= 1:
                raise UserErrors.one(UserErrorCode.LAST_ADMIN, "The last admin cannot be deleted.", "userId")
            # Foreign keys cascade: roles, tokens, interactions, ratings, reviews, history, chats;
            # the rollups and movie aggregates are told first, under the user's row lock.
            await rollups.forget_user(session, user_id)
            await session.delete(user)
