"""Chat sessions and their messages."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from reelgraph.persistence.models import ChatMessage, ChatSession


async def get_session(session: AsyncSession, session_id: str) -> ChatSession | None:
    return await session.get(ChatSession, session_id)


async def messages_of(session: AsyncSession, session_ids: list[str]) -> dict[str, list[ChatMessage]]:
    rows = await session.execute(
        select(ChatMessage).where(ChatMessage.session_id.in_(session_ids)).order_by(ChatMessage.id)
    )
    found: dict[str, list[ChatMessage]] = {session_id: [] for session_id in session_ids}
    for message in rows.scalars():
        found[message.session_id].append(message)
    return found


async def delete_expired(session: AsyncSession, before: datetime) -> None:
    await session.execute(delete(ChatSession).where(ChatSession.updated_at < before))
