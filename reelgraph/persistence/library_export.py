"""Everything stored about one user, read for their export, oldest first.

Plain rows (SQLAlchemy Core), not ORM objects: they read five times faster, and the reading is CPU
work on the event loop. The tables that grow with a library are read a chunk per query, so a big
library never holds the loop in one go. Each row has its table's columns as attributes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from reelgraph.persistence.models import (
    ChatMessageRow,
    ChatSessionRow,
    DownloadRow,
    InteractionRow,
    LibraryImportRow,
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
# Rows read per query from the tables that grow with a library.
_CHUNK_ROWS = 2000

Rows = list[Row[Any]]


@dataclass
class UserData:
    user: UserRow
    roles: list[str]
    preferences: Rows  # by kind, then the user's order
    interactions: Rows
    ratings: Rows
    reviews: Rows
    watch_events: Rows  # by watched_at
    chat_sessions: Rows
    chat_messages: dict[str, Rows]  # by chat session id, oldest first
    login_sessions: Rows
    imports: Rows  # oldest first, without the uploaded files


async def _rows(session: AsyncSession, model: Any, user_id: int, *order: Any) -> Rows:
    query = select(model.__table__).where(model.user_id == user_id).order_by(*order)
    return list(await session.execute(query))


async def _chunked(session: AsyncSession, model: Any, user_id: int) -> Rows:
    """The user's rows of ``model`` in id order, a chunk per query."""
    found: Rows = []
    while True:
        query = select(model.__table__).where(model.user_id == user_id)
        if found:
            query = query.where(model.id > found[-1].id)
        chunk = list(await session.execute(query.order_by(model.id).limit(_CHUNK_ROWS)))
        found.extend(chunk)
        if len(chunk) < _CHUNK_ROWS:
            return found


async def user_data(session: AsyncSession, user_id: int) -> UserData | None:
    """The user's rows, None when the account is gone. Run it in one transaction, so that a write
    in the middle cannot make the parts disagree."""
    user = await session.get(UserRow, user_id)
    if user is None:
        return None
    chats = await _rows(session, ChatSessionRow, user_id, ChatSessionRow.created_at, ChatSessionRow.id)
    messages: dict[str, Rows] = {chat.id: [] for chat in chats}
    if chats:
        query = (
            select(ChatMessageRow.__table__)
            .join(ChatSessionRow, ChatSessionRow.id == ChatMessageRow.session_id)
            .where(ChatSessionRow.user_id == user_id)
            .order_by(ChatMessageRow.id)
        )
        for message in await session.execute(query):
            messages[message.session_id].append(message)
    views = await _chunked(session, WatchEventRow, user_id)
    return UserData(
        user=user,
        roles=(await roles_of(session, [user_id]))[user_id],
        preferences=await _rows(session, PreferenceRow, user_id, PreferenceRow.kind, PreferenceRow.position),
        interactions=await _chunked(session, InteractionRow, user_id),
        ratings=await _chunked(session, RatingRow, user_id),
        reviews=await _chunked(session, ReviewRow, user_id),
        # Oldest first: a view's id does not say when it happened (imported views are dated).
        watch_events=sorted(views, key=lambda view: (view.watched_at, view.id)),
        chat_sessions=chats,
        chat_messages=messages,
        login_sessions=await _rows(session, LoginSessionRow, user_id, LoginSessionRow.created_at),
        imports=await _imports(session, user_id),
    )


async def _imports(session: AsyncSession, user_id: int) -> Rows:
    # Everything but the upload itself (kept only until its job has read it).
    columns = [column for column in LibraryImportRow.__table__.columns if column.name != "content"]
    query = select(*columns).where(LibraryImportRow.owner_id == user_id).order_by(LibraryImportRow.id)
    return list(await session.execute(query))


async def delete_older_downloads(session: AsyncSession, owner_id: int, kind: str, than: datetime) -> None:
    """The owner's downloads of ``kind`` made before ``than``: of two concurrent exports, the
    newer stays (deleting all but one's own, each would delete the other)."""
    await session.execute(
        delete(DownloadRow).where(
            DownloadRow.owner_id == owner_id, DownloadRow.kind == kind, DownloadRow.created_at < than
        )
    )


async def mirrored_movies(session: AsyncSession, tmdb_ids: Sequence[int]) -> dict[int, Row[Any]]:
    """The database's copy of these movies (title, release date, IMDb id); every movie in a
    library has one (foreign keys)."""
    found: dict[int, Row[Any]] = {}
    ids = sorted(set(tmdb_ids))
    columns = (MovieRow.tmdb_id, MovieRow.title, MovieRow.release_date, MovieRow.imdb_id)
    for start in range(0, len(ids), _IN_CHUNK):
        query = select(*columns).where(MovieRow.tmdb_id.in_(ids[start : start + _IN_CHUNK]))
        found.update((row.tmdb_id, row) for row in await session.execute(query))
    return found
