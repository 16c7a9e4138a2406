"""The assistant's sessions: validation, ownership, rate limit, and the turns stored.

Understanding is the chat engine's job (reelgraph.chat); which movies answer is the catalog's.
"""

from __future__ import annotations

import math
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from limits import parse
from limits.aio.storage import Storage
from limits.aio.strategies import MovingWindowRateLimiter
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reelgraph.chat.engine import ChatEngine
from reelgraph.chat.entities import MovieHit, PersonHit
from reelgraph.chat.filters import ChatFilterState
from reelgraph.errors import NotFound, RateLimited, UserErrors
from reelgraph.persistence import chat as repo
from reelgraph.persistence.engine import write_transaction
from reelgraph.persistence.models import ChatMessageRow, ChatSessionRow
from reelgraph.services.catalog import CatalogService, ListSource

MAX_MESSAGE_LENGTH = 2000
SESSION_TTL = timedelta(days=30)
HISTORY_TURNS = 6


class CatalogSearchResolver:
    """The chat's EntityResolver over the catalog service: TMDb search (or the offline catalog),
    through the shared cache."""

    def __init__(self, catalog: CatalogService, language: str = "en-US") -> None:
        self._catalog = catalog
        self._language = language

    async def search_people(self, name: str) -> list[PersonHit]:
        page = await self._catalog.page_fetcher(ListSource("search_people", (name,)), self._language)(1)
        return [
            (int(p["id"]), str(p.get("name", "")), float(p.get("popularity") or 0)) for p in page["results"]
        ]

    async def search_movies(self, title: str) -> list[MovieHit]:
        page = await self._catalog.page_fetcher(ListSource("search_movies", (title, None)), self._language)(1)
        return [
            (
                int(m["id"]),
                str(m.get("title", "")),
                _year(m.get("release_date")),
                float(m.get("popularity") or 0),
            )
            for m in page["results"]
        ]


def _year(value: object) -> int | None:
    text = str(value or "")
    return int(text[:4]) if text[:4].isdigit() else None


@dataclass
class ChatContext:
    """What a turn starts from: the stored session (if any), its filters and recent history."""

    session_id: str | None
    previous: ChatFilterState | None
    history: list[tuple[str, str]]


class ChatService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        engine: ChatEngine,
        limit_storage: Storage,
        rate_limit: str,
    ) -> None:
        self._sessions = sessions
        self.engine = engine
        self._limiter = MovingWindowRateLimiter(limit_storage)
        self._limit = parse(rate_limit)

    @staticmethod
    def check_message(message: str) -> str:
        text = message.strip()
        if not text:
            raise UserErrors.one("EMPTY_MESSAGE", "Say what you would like to watch.", "message")
        if len(message) > MAX_MESSAGE_LENGTH:
            raise UserErrors.one(
                "MESSAGE_TOO_LONG", f"Messages are at most {MAX_MESSAGE_LENGTH} characters.", "message"
            )
        return text

    async def check_rate(self, caller: str) -> None:
        """Each turn may call a paid model: a per-viewer (or per-address) budget."""
        if not await self._limiter.hit(self._limit, "chat", caller):
            stats = await self._limiter.get_window_stats(self._limit, "chat", caller)
            raise RateLimited(
                "Too many chat messages; try again shortly.",
                max(1, math.ceil(stats.reset_time - time.time())),
            )

    async def open(self, session_id: str | None, viewer_id: int | None) -> ChatContext:
        """The session to continue; NOT_FOUND when it is unknown, expired or someone else's."""
        if session_id is None:
            return ChatContext(None, None, [])
        async with self._sessions() as session:
            stored = await self._owned(session, session_id, viewer_id)
            messages = (await repo.messages_of(session, [session_id]))[session_id]
        history = [(m.role, m.content) for m in messages[-2 * HISTORY_TURNS :]]
        return ChatContext(session_id, ChatFilterState.from_dict(stored.filters), history)

    async def _owned(self, session: AsyncSession, session_id: str, viewer_id: int | None) -> ChatSessionRow:
        stored = await repo.get_session(session, session_id)
        expired = stored is not None and stored.updated_at < datetime.now(UTC) - SESSION_TTL
        # A viewer's session is theirs alone; an anonymous one is reachable by its id only.
        foreign = stored is not None and stored.user_id is not None and stored.user_id != viewer_id
        if stored is None or expired or foreign:
            raise NotFound("No chat session has this id.")
        return stored

    async def record(
        self, context: ChatContext, viewer_id: int | None, message: str, reply: str, state: ChatFilterState
    ) -> tuple[ChatSessionRow, list[ChatMessageRow]]:
        """Stores the turn (both messages and the filters now in force) in one transaction."""
        now = datetime.now(UTC)
        async with write_transaction(self._sessions) as session:
            if context.session_id is None:
                stored = ChatSessionRow(id=str(uuid.uuid4()), user_id=viewer_id, filters=state.to_dict())
                session.add(stored)
                await repo.delete_expired(session, now - SESSION_TTL)
            else:
                stored = await self._owned(session, context.session_id, viewer_id)
                stored.filters = state.to_dict()
                stored.updated_at = now
            await session.flush()
            session.add(ChatMessageRow(session_id=stored.id, role="user", content=message, created_at=now))
            session.add(ChatMessageRow(session_id=stored.id, role="assistant", content=reply, created_at=now))
            await session.flush()
            messages = (await repo.messages_of(session, [stored.id]))[stored.id]
        return stored, messages

    async def find(
        self, session_id: str, viewer_id: int | None
    ) -> tuple[ChatSessionRow, list[ChatMessageRow]] | None:
        async with self._sessions() as session:
            try:
                stored = await self._owned(session, session_id, viewer_id)
            except NotFound:
                return None
            return stored, (await repo.messages_of(session, [session_id]))[session_id]
