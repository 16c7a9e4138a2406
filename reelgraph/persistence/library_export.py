"""Everything stored about one user, read for their export: oldest first, in one snapshot."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from reelgraph.persistence.models import (
    ChatMessageRow,
    ChatSessionRow,
    InteractionRow,
    LoginSessionRow,
    MovieRow,
    PreferenceRow,
    RatingRow,
    ReviewRow,
    UserRow,
    WatchEventRow,
)
from reelgraph.persistence.users import roles_of

# Well under SQLite's and asyncpg's bound-parameter limits.
_IN_CHUNK = 1000


@dataclass
class UserData:
    user: UserRow
    roles: list[str]
    preferences: list[PreferenceRow]
    interactions: list[InteractionRow]
    ratings: list[RatingRow]
    reviews: list[ReviewRow]
    watch_events: list[WatchEventRow]
    chat_sessions: list[ChatSessionRow]
    chat_messages: dict[str, list[ChatMessageRow]] = field(default_factory=dict)
    login_sessions: list[LoginSessionRow] = field(default_factory=list)


async def user_data(session: AsyncSession, user_id: int) -> UserData | None:
    """The user's rows (None when the account is gone). Run inside one transaction, so a write
    in the middle cannot make the parts disagree."""
    user = await session.get(UserRow, user_id)
    if user is None:
        return None

    async def rows(model: Any, *order: Any) -> list[Any]:
        query = select(model).where(model.user_id == user_id).order_by(*order)
        return list((await session.execute(query)).scalars())

    chats: list[ChatSessionRow] = await rows(ChatSessionRow, ChatSessionRow.created_at, ChatSessionRow.id)
    messages: dict[str, list[ChatMessageRow]] = {chat.id: [] for chat in chats}
    if chats:
        query = (
            select(ChatMessageRow)
            .join(ChatSessionRow, ChatSessionRow.id == ChatMessageRow.session_id)
            .where(ChatSessionRow.user_id == user_id)
            .order_by(ChatMessageRow.id)
        )
        for message in (await session.execute(query)).scalars():
            messages[message.session_id].append(message)
    return UserData(
        user=user,
        roles=(await roles_of(session, [user_id]))[user_id],
        preferences=await rows(PreferenceRow, PreferenceRow.kind, PreferenceRow.position),
        interactions=await rows(InteractionRow, InteractionRow.id),
        ratings=await rows(RatingRow, RatingRow.id),
        reviews=await rows(ReviewRow, ReviewRow.id),
        watch_events=await rows(WatchEventRow, WatchEventRow.watched_at, WatchEventRow.id),
        chat_sessions=chats,
        chat_messages=messages,
        login_sessions=await rows(LoginSessionRow, LoginSessionRow.created_at),
    )


async def mirrored_movies(session: AsyncSession, tmdb_ids: Sequence[int]) -> dict[int, MovieRow]:
    """The database's copy of these movies (every movie in a library has one: foreign keys)."""
    found: dict[int, MovieRow] = {}
    ids = sorted(set(tmdb_ids))
    for start in range(0, len(ids), _IN_CHUNK):
        chunk = ids[start : start + _IN_CHUNK]
        query = select(MovieRow).where(MovieRow.tmdb_id.in_(chunk))
        found.update((row.tmdb_id, row) for row in (await session.execute(query)).scalars())
    return found
