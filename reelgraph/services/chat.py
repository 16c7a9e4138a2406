"""The assistant's sessions: validation, ownership, rate limit, and the turns stored.

Understanding is the chat engine's job (reelgraph.chat); which movies answer is the catalog's.
"""

from __future__ import annotations

import asyncio
import math
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from limits import parse
from limits.aio.storage import Storage
from limits.aio.strategies import MovingWindowRateLimiter
from rapidfuzz import fuzz
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reelgraph.chat.engine import ChatEngine
from reelgraph.chat.entities import FUZZY_FALLBACK_CUTOFF, MovieHit, PersonHit
from reelgraph.chat.filters import ChatFilterState
from reelgraph.chat.themes import ThemeText, matches, search_phrases
from reelgraph.errors import NotFound, RateLimited, UserErrorCode, UserErrors
from reelgraph.loaders import RequestLoaders
from reelgraph.movie_filter import MovieFilterSpec
from reelgraph.persistence import chat as repo
from reelgraph.persistence.engine import write_transaction
from reelgraph.persistence.models import ChatMessageRow, ChatSessionRow
from reelgraph.services import age_gate, discovery
from reelgraph.services.browse import BrowseService
from reelgraph.services.catalog import CatalogService, ListSource
from reelgraph.services.movie_lists import Item
from reelgraph.services.theme_search import ThemeSearch
from reelgraph.text import fold, is_french
from reelgraph.tmdb_payloads import imdb_id_of

MOVIES_PER_TURN = 10
MAX_CHOICES = 5  # a question offers at most this many movies
# How many candidates to fetch so that exclusions ("not these", "without him") still leave enough.
CANDIDATES = 30
MAX_MESSAGE_LENGTH = 2000
SESSION_TTL = timedelta(days=30)
HISTORY_TURNS = 6


class CatalogSearchResolver:
    """The chat's EntityResolver over the catalog service: TMDb search (or the offline catalog),
    through the shared cache. TMDb's search wants the words as written; when it finds nothing, a
    typo fallback ("Tom Hanx", "Inceptoin") searches the query's words and their first letters and
    keeps the results close to the whole query (rapidfuzz), as the offline resolver does."""

    def __init__(self, catalog: CatalogService, language: str = "en-US") -> None:
        self._catalog = catalog
        self._language = language

    async def search_people(self, name: str) -> list[PersonHit]:
        hits = await self._people(name)
        return hits or await _typo_fallback(name, self._people, lambda hit: (hit[1], hit[2]))

    async def search_movies(self, title: str) -> list[MovieHit]:
        hits = await self._movies(title)
        return hits or await _typo_fallback(title, self._movies, lambda hit: (hit[1], hit[3]))

    async def credit_counts(self, person_ids: list[int]) -> dict[int, int]:
        """Distinct movies in each person's movie credits (their details, cached like all details)."""

        async def one(person_id: int) -> int:
            details = await self._catalog.reader.person(person_id, self._language) or {}
            credits = details.get("movie_credits") or {}
            return len({c.get("id") for c in [*credits.get("cast", []), *credits.get("crew", [])]})

        counts = await asyncio.gather(*(one(i) for i in person_ids), return_exceptions=True)
        return {i: c for i, c in zip(person_ids, counts, strict=True) if isinstance(c, int)}

    async def _people(self, name: str) -> list[PersonHit]:
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

    async def _movies(self, title: str) -> list[MovieHit]:
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


# The typo fallback: at most this many extra searches, for words of at least TYPO_MIN_WORD letters.
TYPO_SEARCHES = 3
TYPO_MIN_WORD = 4
Hit = TypeVar("Hit", PersonHit, MovieHit)


async def _typo_fallback(
    query: str, search: Callable[[str], Awaitable[list[Hit]]], name_of: Callable[[Hit], tuple[str, float]]
) -> list[Hit]:
    """Hits for a misspelt query: each long word as written and by its first letters ("incep" for
    "inceptoin": a typo is rarely at the start), ranked by closeness to the whole query, then
    popularity; only those at least FUZZY_FALLBACK_CUTOFF close."""
    wanted = fold(query)
    words = sorted({w for w in wanted.split() if len(w) >= TYPO_MIN_WORD}, key=len, reverse=True)
    probes: list[str] = []
    for word in words:
        for probe in (word, word[: max(TYPO_MIN_WORD, math.ceil(len(word) * 0.6))]):
            if probe not in probes and probe != wanted:
                probes.append(probe)
    if len(wanted.split()) > 1:  # the first name alone finds "Tom Hanks" for "Tom Hanx"
        probes.extend(w for w in wanted.split() if len(w) >= 3 and w not in probes)
    found = await asyncio.gather(*(search(p) for p in probes[:TYPO_SEARCHES]), return_exceptions=True)
    scored: dict[str, tuple[float, float, Hit]] = {}
    for result in found:
        if isinstance(result, BaseException):
            continue
        for hit in result:
            name, popularity = name_of(hit)
            score = fuzz.ratio(wanted, fold(name))
            if score >= FUZZY_FALLBACK_CUTOFF:
                scored.setdefault(repr(hit), (score, popularity, hit))
    return [hit for _, _, hit in sorted(scored.values(), key=lambda s: (-s[0], -s[1]))]


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
    """One turn, answered and stored: what was understood, the movies (TMDb items), the reply,
    the choices of a CLARIFY question, the constraints relaxed to find movies (GraphQL names) and
    the language the movies and the reply are in (the message's)."""

    state: ChatFilterState
    movies: list[Item]
    reply: str
    session: ChatSessionRow
    messages: list[ChatMessageRow]
    choices: list[Item] = field(default_factory=list)
    relaxed: list[str] = field(default_factory=list)
    language: str = "en-US"


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
        # The message's language decides the reply and the movies' titles; the request's only
        # when the text does not tell (the engine already weighed both).
        lang = answer_language(state.language, language)
        choices: list[Item] = []
        relaxed: list[str] = []
        if state.intent == "CLARIFY":
            movies: list[Item] = []
            if not state.choices and state.clarify in ("reference", "title") and context.previous is not None:
                state = await self._offer_shown(loaders, state, context.previous, lang)
            found = await loaders.movie.load_many([(c, lang) for c in state.choices])
            choices = [c for c in found if c]
        else:
            movies, relaxed = await self._movies(loaders, state, lang)
        # A minor's answer holds only what their age admits (services.age_gate), replies included.
        movies, choices = await age_gate.admitted(loaders, movies), await age_gate.admitted(loaders, choices)
        reply = ChatEngine.reply(
            state,
            [_title(m) for m in movies],
            state.language,
            relaxed=[FIELD_NAMES[name] for name in relaxed],
            choices=[(_title(c), _year(c.get("release_date"))) for c in choices],
            signed_in=viewer_id is not None,
        )
        row, messages = await self.record(context, viewer_id, text, reply, state)
        return ChatAnswer(
            state=state,
            movies=movies,
            reply=reply,
            session=row,
            messages=messages,
            choices=choices,
            relaxed=[GRAPHQL_NAMES[name] for name in relaxed],
            language=lang,
        )

    async def _offer_shown(
        self, loaders: RequestLoaders, state: ChatFilterState, previous: ChatFilterState, language: str
    ) -> ChatFilterState:
        """ "The second one" with nothing visible in a session: the movies its last turn answered
        (the same query, so the same list) become the choices to answer by number or title."""
        if previous.intent in ("CLARIFY", "SMALLTALK"):
            return state
        shown, _ = await self._movies(loaders, previous, language)
        offered = shown[:MAX_CHOICES]
        if not offered:
            return state
        state = state.copy()
        state.choices = [int(m["id"]) for m in offered]
        state.movie_titles.update({int(m["id"]): _title(m) for m in offered})
        state.movie_years = {
            int(m["id"]): year for m in offered if (year := _year(m.get("release_date"))) is not None
        }
        return state.normalized()

    async def _movies(
        self, loaders: RequestLoaders, state: ChatFilterState, language: str
    ) -> tuple[list[Item], list[str]]:
        """Real movies that satisfy every filter in force, and the filters dropped (in RELAX_ORDER,
        one group at a time) when the whole set matches nothing."""
        if state.intent == "SMALLTALK":
            return [], []
        if state.intent == "TITLE" and state.similar_to:
            found = await loaders.movie.load((state.similar_to[0], language))
            return ([found] if found else []), []
        query = state
        relaxed: list[str] = []
        groups = iter(RELAX_ORDER)
        while True:
            movies = await self._consistent_movies(loaders, query, language)
            if movies:
                return movies, relaxed
            group = next(groups, None)
            while group is not None and not any(getattr(query, name) not in (None, []) for name in group):
                group = next(groups, None)
            if group is None:
                return [], []
            query = query.copy()
            for name in group:
                if getattr(query, name) not in (None, []):
                    relaxed.append(name)
                    setattr(query, name, [] if name in ("people", "keywords") else None)

    async def _consistent_movies(
        self, loaders: RequestLoaders, state: ChatFilterState, language: str
    ) -> list[Item]:
        candidates = await self._candidates(loaders, state, language)
        excluded = set(state.exclude_ids) | set(state.similar_to)
        candidates = [m for m in dict((int(m["id"]), m) for m in candidates).values()]
        candidates = [m for m in candidates if int(m["id"]) not in excluded]
        # Whatever list they came from, only movies that keep every constraint are shown.
        kept = await consistent(loaders, candidates, state, language)
        return kept[:MOVIES_PER_TURN]

    async def _candidates(self, loaders: RequestLoaders, state: ChatFilterState, language: str) -> list[Item]:
        # By what the filters hold, not the intent alone: a REFINE turn ("more like the second one")
        # can set similar_to too.
        if state.similar_to:
            return await self._similar(loaders, state, language)
        if state.intent == "TRENDING" and not state.has_filters():
            return (await self._browse.trending(loaders, "week", CANDIDATES, None, False, language)).items
        if state.keywords:
            return await self._themed(loaders, state, language)
        return await self._discover(loaders, state, state.to_movie_filter_spec(), language)

    async def _themed(self, loaders: RequestLoaders, state: ChatFilterState, language: str) -> list[Item]:
        """Movies about the themes under the other filters: the catalog's theme index, best match
        first; when it finds few (a live TMDb knows newer movies), TMDb's keywords of the same names."""
        spec = state.to_movie_filter_spec()
        ids = await ThemeSearch.search(state.keywords, spec, set(state.exclude_ids), CANDIDATES, state.sort)
        found = [m for m in await loaders.movie.load_many([(i, language) for i in ids]) if m]
        if len(found) < MOVIES_PER_TURN:
            spec.keywords = list(dict.fromkeys(p for k in state.keywords for p in search_phrases(k)[:3]))[:20]
            found += await self._discover(loaders, state, spec, language)
        return found

    async def _discover(
        self, loaders: RequestLoaders, state: ChatFilterState, spec: MovieFilterSpec, language: str
    ) -> list[Item]:
        # an IMDb minimum filters the popular movies (the IMDb order would read 100 movies' scores)
        sort = state.sort or "POPULARITY_DESC"
        discovery.validate(spec)
        page = await self._browse.discover(loaders, spec, sort, CANDIDATES, None, False, language)
        return page.items

    async def _similar(self, loaders: RequestLoaders, state: ChatFilterState, language: str) -> list[Item]:
        """Movies like the seed: its related lists first, then (so that a strict filter still
        leaves some) the catalog's movies of the seed's genres under the same filters."""
        seed_id = state.similar_to[0]
        seed = await loaders.movie.load((seed_id, language))
        if not seed:
            return []
        related = await self._browse.related(
            loaders, seed_id, "recommendations", CANDIDATES, False, language, seed
        )
        related = [m for m in related if _list_matches(m, state)]
        if len(related) >= MOVIES_PER_TURN:
            # enough related movies of the genres: when the other filters keep none, the answer
            # relaxes them ("nothing like Inception is under 100 minutes") rather than showing
            # movies that only share a genre
            return related
        spec = state.to_movie_filter_spec()
        if not spec.genres:
            spec.genres = [int(g["id"]) for g in seed.get("genres", [])][:3]
            spec.genre_match = "ANY"
        if not spec.genres:
            return related
        return [*related, *await self._discover(loaders, state, spec, language)]


# Relaxation order (issue 19): quality, then runtime, then years, then themes (a text match may
# miss what the user meant; a named person is exact), then people.
RELAX_ORDER: tuple[tuple[str, ...], ...] = (
    ("min_imdb_rating", "min_vote_average"),
    ("runtime_max", "runtime_min"),
    ("year_from", "year_to"),
    ("keywords",),
    ("people",),
)
GRAPHQL_NAMES = {
    "min_imdb_rating": "minImdbRating",
    "min_vote_average": "minVoteAverage",
    "runtime_max": "runtimeMax",
    "runtime_min": "runtimeMin",
    "year_from": "yearFrom",
    "year_to": "yearTo",
    "keywords": "keywords",
    "people": "people",
}
FIELD_NAMES = {name: name for name in GRAPHQL_NAMES}


def answer_language(message_language: str, requested: str) -> str:
    """The locale for titles and genres: the request's when it is in the message's language, else
    the message language's default locale."""
    wants_french = message_language == "fr"
    if is_french(requested) == wants_french:
        return requested
    return "fr-FR" if wants_french else "en-US"


def _title(item: Item) -> str:
    return str(item.get("title") or item.get("original_title") or "")


def _list_matches(item: Item, state: ChatFilterState) -> bool:
    """The cheap checks a list item allows, before details are read."""
    genre_ids = {int(g["id"]) for g in item.get("genres", [])}
    return genres_match(genre_ids, state) and not genre_ids & set(state.exclude_genres)


def genres_match(genre_ids: set[int], state: ChatFilterState) -> bool:
    wanted = set(state.genres)
    if not wanted:
        return True
    return bool(genre_ids & wanted) if state.genre_match == "ANY" else wanted <= genre_ids


async def consistent(
    loaders: RequestLoaders, movies: list[Item], state: ChatFilterState, language: str
) -> list[Item]:
    """The movies that satisfy every filter in ``state`` (genres in and out, years, runtime,
    people in and out, original language, TMDb and IMDb ratings), read from their details; an
    unknown value never counts as satisfying a bound."""
    if not movies:
        return []
    details = await loaders.movie.load_many([(int(m["id"]), language) for m in movies])
    scores: list[dict[str, Any] | None] = [None] * len(movies)
    if state.min_imdb_rating is not None:
        keys = [(int(m["id"]), imdb_id_of(d)) for m, d in zip(movies, details, strict=True)]
        scores = list(await loaders.scores.load_many(keys))
    kept = []
    for movie, data, score in zip(movies, details, scores, strict=True):
        if data and satisfies(data, score or {}, state):
            kept.append(movie)
    return kept


def satisfies(details: Item, score: dict[str, Any], state: ChatFilterState) -> bool:
    """One movie's details (TMDb shape, with credits) against every filter of ``state``."""
    genre_ids = {int(g["id"]) for g in details.get("genres", [])}
    if not genres_match(genre_ids, state) or genre_ids & set(state.exclude_genres):
        return False
    year = _year(details.get("release_date"))
    if state.year_from is not None and (year is None or year < state.year_from):
        return False
    if state.year_to is not None and (year is None or year > state.year_to):
        return False
    runtime = details.get("runtime") or None
    if state.runtime_max is not None and (runtime is None or runtime > state.runtime_max):
        return False
    if state.runtime_min is not None and (runtime is None or runtime < state.runtime_min):
        return False
    if state.original_language and details.get("original_language") != state.original_language:
        return False
    vote = details.get("vote_average")
    if state.min_vote_average is not None and (vote is None or vote < state.min_vote_average):
        return False
    imdb = score.get("imdb_rating")
    if state.min_imdb_rating is not None and (imdb is None or imdb < state.min_imdb_rating):
        return False
    if state.people or state.exclude_people:
        credits = details.get("credits") or {}
        credited = {int(c["id"]) for c in [*credits.get("cast", []), *credits.get("crew", [])]}
        if not set(state.people) <= credited or credited & set(state.exclude_people):
            return False
    # a theme counts only when the movie's keywords, tagline or overview really say it
    return not state.keywords or matches(ThemeText.of_details(details), state.keywords)
