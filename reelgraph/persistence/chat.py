"""Chat sessions and their messages."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from reelgraph.persistence.models import ChatMessageRow, ChatSessionRow


async def get_session(session: AsyncSession, session_id: str) -> ChatSessionRow | None:
    return await session.get(ChatSessionRow, session_id)


async def sessions_by_id(session: AsyncSession, session_ids: list[str]) -> dict[str, ChatSessionRow]:
    rows = await session.execute(select(ChatSessionRow).where(ChatSessionRow.id.in_(session_ids)))
    return {row.id: row for row in rows.scalars()}


async def messages_of(session: AsyncSession, session_ids: list[str]) -> dict[str, list[ChatMessageRow]]:
    rows = await session.execute(
        select(ChatMessageRow).where(ChatMessageRow.session_id.in_(session_ids)).order_by(ChatMessageRow.id)
    )
    found: dict[str, list[ChatMessageRow]] = {session_id: [] for session_id in session_ids}
    for message in rows.scalars():
        found[message.session_id].append(message)
    return found


async def delete_expired(session: AsyncSession, before: datetime) -> None:
    await session.execute(delete(ChatSessionRow).where(ChatSessionRow.updated_at < before))


async def delete_idle_sessions(session: AsyncSession, before: datetime) -> int:
    """Chat sessions untouched since `before`, with their messages (cascade); how many went."""
    result = await session.execute(delete(ChatSessionRow).where(ChatSessionRow.updated_at < before))
    return int(result.rowcount)
