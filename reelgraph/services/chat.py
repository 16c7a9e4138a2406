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
from reelgraph.errors import NotFound, RateLimited, UserErrorCode, UserErrors
from reelgraph.loaders import RequestLoaders
from reelgraph.persistence import chat as repo
from reelgraph.persistence.engine import write_transaction
from reelgraph.persistence.models import ChatMessageRow, ChatSessionRow
from reelgraph.services import discovery
from reelgraph.services.browse import BrowseService
from reelgraph.services.catalog import CatalogService, ListSource
from reelgraph.services.movie_lists import Item

MOVIES_PER_TURN = 10
# How many candidates to fetch so that exclusions ("not these", "without him") still leave enough.
CANDIDATES = 30
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
            (
                int(p["id"]),
                str(p.get("name", "")),
                float(p.get("popularity") or 0),
                p.get("known_for_department") or None,
            )
            for p in page["results"]
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


@dataclass
class ChatAnswer:
    """One turn, answered and stored: what was understood, the movies (TMDb items), the reply."""

    state: ChatFilterState
    movies: list[Item]
    reply: str
    session: ChatSessionRow
    messages: list[ChatMessageRow]


class ChatService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        engine: ChatEngine,
        browse: BrowseService,
        limit_storage: Storage,
        rate_limit: str,
    ) -> None:
        self._sessions = sessions
        self.engine = engine
        self._browse = browse
        self._limiter = MovingWindowRateLimiter(limit_storage)
        self._limit = parse(rate_limit)

    @staticmethod
    def check_message(message: str) -> str:
        text = message.strip()
        if not text:
            raise UserErrors.one(UserErrorCode.EMPTY_MESSAGE, "Say what you would like to watch.", "message")
        if len(message) > MAX_MESSAGE_LENGTH:
            raise UserErrors.one(
                UserErrorCode.MESSAGE_TOO_LONG,
                f"Messages are at most {MAX_MESSAGE_LENGTH} characters.",
                "message",
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
        if stored is None or not self._readable(stored, viewer_id):
            raise NotFound("No chat session has this id.")
        return stored

    @staticmethod
    def _readable(stored: ChatSessionRow, viewer_id: int | None) -> bool:
        expired = stored.updated_at < datetime.now(UTC) - SESSION_TTL
        # A viewer's session is theirs alone; an anonymous one is reachable by its id only.
        foreign = stored.user_id is not None and stored.user_id != viewer_id
        return not (expired or foreign)

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

    async def find_many(
        self, session_ids: list[str], viewer_id: int | None
    ) -> list[tuple[ChatSessionRow, list[ChatMessageRow]] | None]:
        """The sessions this viewer may read, in two queries whatever their number."""
        async with self._sessions() as session:
            rows = await repo.sessions_by_id(session, session_ids)
            readable = [i for i in session_ids if i in rows and self._readable(rows[i], viewer_id)]
            messages = await repo.messages_of(session, readable) if readable else {}
        return [(rows[i], messages[i]) if i in messages else None for i in session_ids]

    async def answer(
        self,
        loaders: RequestLoaders,
        message: str,
        session_id: str | None,
        visible_movie_ids: list[int],
        viewer_id: int | None,
        caller: str,
        language: str,
    ) -> ChatAnswer:
        """One turn: understand the message, find real movies, reply, store the turn."""
        text = self.check_message(message)
        context = await self.open(session_id, viewer_id)
        await self.check_rate(caller)
        state = await self.engine.understand(
            text, context.previous, visible_movie_ids, language, history=context.history
        )
        movies = await self._movies(loaders, state, language)
        reply = ChatEngine.reply(
            state, [str(m.get("title") or m.get("original_title") or "") for m in movies], language
        )
        row, messages = await self.record(context, viewer_id, text, reply, state)
        return ChatAnswer(state=state, movies=movies, reply=reply, session=row, messages=messages)

    async def _movies(self, loaders: RequestLoaders, state: ChatFilterState, language: str) -> list[Item]:
        """Real movies for the filters: from the catalog only, hidden ones removed by the lists."""
        intent = state.intent
        if intent == "SMALLTALK":
            return []
        if intent == "TITLE" and state.similar_to:
            found = await loaders.movie.load((state.similar_to[0], language))
            return [found] if found else []
        # By what the filters hold, not the intent alone: a REFINE turn ("more like the second one")
        # can set similar_to too.
        if state.similar_to:
            seed_id = state.similar_to[0]
            seed = await loaders.movie.load((seed_id, language))
            candidates = (
                await self._browse.related(
                    loaders, seed_id, "recommendations", CANDIDATES, False, language, seed
                )
                if seed
                else []
            )
            candidates = [m for m in candidates if _matches(m, state)]
        elif intent == "TRENDING" and not state.has_filters():
            candidates = (
                await self._browse.trending(loaders, "week", CANDIDATES, None, False, language)
            ).items
        else:
            sort = state.sort or ("IMDB_RATING_DESC" if state.min_imdb_rating else "POPULARITY_DESC")
            spec = state.to_movie_filter_spec()
            discovery.validate(spec)
            page = await self._browse.discover(loaders, spec, sort, CANDIDATES, None, False, language)
            candidates = page.items
        excluded = set(state.exclude_ids) | set(state.similar_to)
        kept = [m for m in candidates if int(m["id"]) not in excluded]
        if state.exclude_people:
            kept = await _without_people(loaders, kept, set(state.exclude_people), language)
        return kept[:MOVIES_PER_TURN]


def _matches(item: Item, state: ChatFilterState) -> bool:
    """The list-level filters that similar-movie lists can honour without more calls."""
    genre_ids = {int(g["id"]) for g in item.get("genres", [])}
    year = _year(item.get("release_date"))
    return (
        (not state.genres or bool(genre_ids & set(state.genres)))
        and not genre_ids & set(state.exclude_genres)
        and (state.year_from is None or (year or 0) >= state.year_from)
        and (state.year_to is None or (year or 9999) <= state.year_to)
        and (state.min_vote_average is None or (item.get("vote_average") or 0) >= state.min_vote_average)
    )


async def _without_people(
    loaders: RequestLoaders, movies: list[Item], people: set[int], language: str
) -> list[Item]:
    details = await loaders.movie.load_many([(int(m["id"]), language) for m in movies])
    kept = []
    for movie, data in zip(movies, details, strict=True):
        credits = (data or {}).get("credits") or {}
        credited = {int(c["id"]) for c in [*credits.get("cast", []), *credits.get("crew", [])]}
        if not credited & people:
            kept.append(movie)
    return kept
