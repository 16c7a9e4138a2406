"""Queries on users, roles and auth tokens. Callers own the session and its transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from reelgraph.persistence.models import (
    LoginSessionRow,
    PasswordResetTokenRow,
    RefreshTokenRow,
    RoleRow,
    UserRoleRow,
    UserRow,
)


async def get_user(session: AsyncSession, user_id: int) -> UserRow | None:
    return await session.get(UserRow, user_id)


async def users_by_id(session: AsyncSession, user_ids: Sequence[int]) -> dict[int, UserRow]:
    rows = await session.execute(select(UserRow).where(UserRow.id.in_(user_ids)))
    return {row.id: row for row in rows.scalars() if row.id is not None}


async def get_user_by_email(session: AsyncSession, email: str) -> UserRow | None:
    return (await session.execute(select(UserRow).where(UserRow.email == email))).scalar_one_or_none()


async def roles_of(session: AsyncSession, user_ids: Sequence[int]) -> dict[int, list[str]]:
    rows = await session.execute(
        select(UserRoleRow.user_id, RoleRow.name)
        .join(RoleRow, RoleRow.id == UserRoleRow.role_id)
        .where(UserRoleRow.user_id.in_(user_ids))
        .order_by(RoleRow.id)
    )
    found: dict[int, list[str]] = {user_id: [] for user_id in user_ids}
    for user_id, name in rows:
        found[user_id].append(name)
    return found


async def role_id(session: AsyncSession, name: str) -> int:
    found: int = (await session.execute(select(RoleRow.id).where(RoleRow.name == name))).scalar_one()
    return found


async def grant_role(session: AsyncSession, user_id: int, role: str) -> None:
    rid = await role_id(session, role)
    if await session.get(UserRoleRow, (user_id, rid)) is None:
        session.add(UserRoleRow(user_id=user_id, role_id=rid))
        await session.flush()


async def revoke_role(session: AsyncSession, user_id: int, role: str) -> None:
    rid = await role_id(session, role)
    await session.execute(
        delete(UserRoleRow).where(UserRoleRow.user_id == user_id, UserRoleRow.role_id == rid)
    )


async def count_with_role(session: AsyncSession, role: str) -> int:
    rid = await role_id(session, role)
    return (await session.execute(select(func.count()).where(UserRoleRow.role_id == rid))).scalar_one()


async def search_users(
    session: AsyncSession, search: str | None, after_id: int | None, limit: int
) -> tuple[list[UserRow], int]:
    """A page of users by id (keyset), and the total matching the search."""
    conditions = []
    if search:
        # ILIKE on the bare columns, so PostgreSQL's trigram index (ix_users_search) serves the
        # leading wildcard; SQLite renders lower(..) LIKE lower(..). "%", "_" and "/" match literally.
        pattern = "%" + search.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"
        conditions.append(
            or_(UserRow.name.ilike(pattern, escape="/"), UserRow.email.ilike(pattern, escape="/"))
        )
    total = (await session.execute(select(func.count()).select_from(UserRow).where(*conditions))).scalar_one()
    query = select(UserRow).where(*conditions)
    if after_id is not None:
        query = query.where(UserRow.id > after_id)
    users = (await session.execute(query.order_by(UserRow.id).limit(limit))).scalars().all()
    return list(users), total


async def find_refresh_token(session: AsyncSession, token_hash: str) -> RefreshTokenRow | None:
    query = select(RefreshTokenRow).where(RefreshTokenRow.token_hash == token_hash).with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def login_session_with_user(
    session: AsyncSession, session_id: str
) -> tuple[LoginSessionRow, UserRow] | None:
    """The login session and its account, in one query (every authenticated request asks)."""
    query = (
        select(LoginSessionRow, UserRow)
        .join(UserRow, UserRow.id == LoginSessionRow.user_id)
        .where(LoginSessionRow.id == session_id)
    )
    found = (await session.execute(query)).one_or_none()
    return None if found is None else (found[0], found[1])


# Built once (every authenticated request runs it): only the bound session id changes.
_SESSION_USER_ROLES = (
    select(LoginSessionRow, UserRow, RoleRow.name)
    .join(UserRow, UserRow.id == LoginSessionRow.user_id)
    .outerjoin(UserRoleRow, UserRoleRow.user_id == UserRow.id)
    .outerjoin(RoleRow, RoleRow.id == UserRoleRow.role_id)
    .where(LoginSessionRow.id == bindparam("session_id"))
    .order_by(RoleRow.id)
)


async def login_session_with_user_and_roles(
    session: AsyncSession, session_id: str
) -> tuple[LoginSessionRow, UserRow, list[str]] | None:
    """The login session, its account and the account's roles in one statement (every
    authenticated request asks): one row per role, or one row with no role."""
    rows = (await session.execute(_SESSION_USER_ROLES, {"session_id": session_id})).all()
    if not rows:
        return None
    return rows[0][0], rows[0][1], [row[2] for row in rows if row[2] is not None]


async def find_login_session(session: AsyncSession, session_id: str) -> LoginSessionRow | None:
    return await session.get(LoginSessionRow, session_id)


async def revoke_login_session(session: AsyncSession, session_id: str, now: datetime) -> None:
    """Ends one login session: its access tokens and its refresh tokens stop working."""
    await session.execute(
        update(LoginSessionRow)
        .where(LoginSessionRow.id == session_id, LoginSessionRow.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    await session.execute(
        update(RefreshTokenRow)
        .where(RefreshTokenRow.family_id == session_id, RefreshTokenRow.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def revoke_all_login_sessions(
    session: AsyncSession, user_id: int, now: datetime, *, keep: str | None = None
) -> None:
    """Ends every login session of the account but `keep`, and with them all their tokens."""
    sessions = update(LoginSessionRow).where(
        LoginSessionRow.user_id == user_id, LoginSessionRow.revoked_at.is_(None)
    )
    tokens = update(RefreshTokenRow).where(
        RefreshTokenRow.user_id == user_id, RefreshTokenRow.revoked_at.is_(None)
    )
    if keep is not None:
        sessions = sessions.where(LoginSessionRow.id != keep)
        tokens = tokens.where(RefreshTokenRow.family_id != keep)
    await session.execute(sessions.values(revoked_at=now))
    await session.execute(tokens.values(revoked_at=now))


async def find_reset_token(session: AsyncSession, token_hash: str) -> PasswordResetTokenRow | None:
    query = (
        select(PasswordResetTokenRow).where(PasswordResetTokenRow.token_hash == token_hash).with_for_update()
    )
    return (await session.execute(query)).scalar_one_or_none()


async def delete_expired_credentials(
    session: AsyncSession, now: datetime, grace: timedelta
) -> dict[str, int]:
    """Clean-up: login sessions over (revoked, or with no refresh token left to use) more than
    `grace` ago (the longest an access token of theirs lives), refresh tokens past their expiry,
    and password-reset tokens used or expired. Rotated but unexpired refresh tokens stay: reuse
    detection needs them."""
    cutoff = now - grace
    live_token = select(RefreshTokenRow.id).where(
        RefreshTokenRow.family_id == LoginSessionRow.id,
        RefreshTokenRow.revoked_at.is_(None),
        RefreshTokenRow.expires_at > cutoff,
    )
    sessions = await session.execute(
        delete(LoginSessionRow).where(
            or_(
                LoginSessionRow.revoked_at < cutoff,
                (LoginSessionRow.created_at < cutoff) & ~live_token.exists(),
            )
        )
    )
    tokens = await session.execute(delete(RefreshTokenRow).where(RefreshTokenRow.expires_at < now))
    resets = await session.execute(
        delete(PasswordResetTokenRow).where(
            or_(PasswordResetTokenRow.expires_at < now, PasswordResetTokenRow.used_at.is_not(None))
        )
    )
    return {
        "login_sessions": sessions.rowcount,
        "refresh_tokens": tokens.rowcount,
        "password_reset_tokens": resets.rowcount,
    }
