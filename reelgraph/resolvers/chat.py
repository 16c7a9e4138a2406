"""Assistant resolvers: one turn = understand the message, find real movies, reply, store."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from reelgraph.chat.engine import ChatEngine
from reelgraph.chat.filters import ChatFilterState
from reelgraph.errors import BadUserInput, UserErrors
from reelgraph.persistence.models import ChatMessageRow as MessageRow
from reelgraph.persistence.models import ChatSessionRow as SessionRow
from reelgraph.resolvers import catalog
from reelgraph.schema.catalog import MovieSort
from reelgraph.schema.errors import UserError
from reelgraph.schema.types.catalog import GenreType, MovieType, PersonType
from reelgraph.schema.types.chat import (
    ChatDelta,
    ChatFilters,
    ChatIntent,
    ChatMessage,
    ChatPayload,
    ChatSessionType,
)

MOVIES_PER_TURN = 10
# How many candidates to fetch so that exclusions ("not these", "without him") still leave enough.
CANDIDATES = 30


def session_pk(global_id: strawberry.ID | None) -> str | None:
    if global_id is None:
        return None
    try:
        parsed = relay.GlobalID.from_id(global_id)
    except Exception as exc:
        raise BadUserInput("'sessionId' is not a valid id.", field="sessionId") from exc
    if parsed.type_name != "ChatSession":
        raise BadUserInput("'sessionId' is not a chat session id.", field="sessionId")
    return parsed.node_id


async def _filters(info: Info, state: ChatFilterState, language: str) -> ChatFilters:
    loaders = info.context.loaders.catalog
    names = await loaders.genre_names.load(language)
    people = await loaders.person.load_many([(p, language) for p in state.people])
    movies = await loaders.movie.load_many([(m, language) for m in state.similar_to])

    def genres(ids: list[int]) -> list[GenreType]:
        return [GenreType(tmdb_id=g, name=names.get(g, str(g)), _language=language) for g in ids]

    return ChatFilters(
        genres=genres(state.genres),
        exclude_genres=genres(state.exclude_genres),
        people=[
            PersonType.from_tmdb(
                p or {"id": pid, "name": state.person_names.get(pid, "")}, language, details=bool(p)
            )
            for pid, p in zip(state.people, people, strict=True)
        ],
        similar_to=[MovieType.from_tmdb(m, language) for m in movies if m],
        year_from=state.year_from,
        year_to=state.year_to,
        min_imdb_rating=state.min_imdb_rating,
        min_vote_average=state.min_vote_average,
        runtime_max=state.runtime_max,
        original_language=state.original_language,
        keywords=list(state.keywords),
        sort=MovieSort(state.sort) if state.sort else None,
    )


async def _movies(info: Info, state: ChatFilterState, language: str) -> list[MovieType]:
    """Real movies for the filters: from the catalog only, hidden ones removed by the lists."""
    intent = state.intent
    if intent == "SMALLTALK":
        return []
    if intent == "TITLE" and state.similar_to:
        found = await catalog.movie(info, state.similar_to[0], language)
        return [found] if found else []
    # By what the filters hold, not the intent alone: a REFINE turn ("more like the second one")
    # can set similar_to too.
    if state.similar_to:
        seed = await catalog.movie(info, state.similar_to[0], language)
        candidates = (
            await catalog.related_movies(info, seed, "recommendations", CANDIDATES, False) if seed else []
        )
        candidates = [m for m in candidates if _matches(m, state)]
    elif intent == "TRENDING" and not state.has_filters():
        connection = await catalog.trending(info, "week", CANDIDATES, None, False, language)
        candidates = connection.nodes
    else:
        sort = state.sort or ("IMDB_RATING_DESC" if state.min_imdb_rating else "POPULARITY_DESC")
        connection = await catalog.discover(
            info, state.to_movie_filter_spec(), sort, CANDIDATES, None, False, language
        )
        candidates = connection.nodes
    excluded = set(state.exclude_ids) | set(state.similar_to)
    kept = [m for m in candidates if m.tmdb_id not in excluded]
    if state.exclude_people:
        kept = await _without_people(info, kept, set(state.exclude_people))
    return kept[:MOVIES_PER_TURN]


def _matches(movie: MovieType, state: ChatFilterState) -> bool:
    """The list-level filters that similar-movie lists can honour without more calls."""
    genre_ids = {g.tmdb_id for g in movie.genres}
    return (
        (not state.genres or bool(genre_ids & set(state.genres)))
        and not genre_ids & set(state.exclude_genres)
        and (state.year_from is None or (movie.year or 0) >= state.year_from)
        and (state.year_to is None or (movie.year or 9999) <= state.year_to)
        and (state.min_vote_average is None or (movie.vote_average or 0) >= state.min_vote_average)
    )


async def _without_people(info: Info, movies: list[MovieType], people: set[int]) -> list[MovieType]:
    details = await asyncio.gather(*(movie.details(info) for movie in movies))
    kept = []
    for movie, data in zip(movies, details, strict=True):
        credits = data.get("credits") or {}
        credited = {int(c["id"]) for c in [*credits.get("cast", []), *credits.get("crew", [])]}
        if not credited & people:
            kept.append(movie)
    return kept


def _session_type(row: SessionRow, messages: list[MessageRow], filters: ChatFilters) -> ChatSessionType:
    return ChatSessionType(
        session_id=row.id,
        messages=[ChatMessage(role=m.role, content=m.content, created_at=m.created_at) for m in messages],
        filters=filters,
        created_at=row.created_at,
    )


async def _turn(
    info: Info,
    message: str,
    session_id: strawberry.ID | None,
    visible_movie_ids: list[int] | None,
    language: str | None,
) -> ChatPayload:
    services = info.context.services
    viewer = await info.context.viewer()
    lang = await info.context.language(language)
    try:
        text = services.chat.check_message(message)
        context = await services.chat.open(session_pk(session_id), viewer.id if viewer else None)
    except UserErrors as errors:
        return ChatPayload(errors=UserError.from_errors(errors))
    await services.chat.check_rate(f"user:{viewer.id}" if viewer else f"ip:{info.context.client_ip}")
    state = await services.chat.engine.understand(
        text, context.previous, list(visible_movie_ids or []), lang, history=context.history
    )
    movies = await _movies(info, state, lang)
    reply = ChatEngine.reply(state, [m.title for m in movies], lang)
    row, messages = await services.chat.record(context, viewer.id if viewer else None, text, reply, state)
    filters = await _filters(info, state, lang)
    return ChatPayload(
        session=_session_type(row, messages, filters),
        reply=reply,
        intent=ChatIntent(state.intent),
        filters=filters,
        movies=movies,
    )


async def chat(
    info: Info,
    message: str,
    session_id: strawberry.ID | None = None,
    visible_movie_ids: list[int] | None = None,
    language: str | None = None,
) -> ChatPayload:
    return await _turn(info, message, session_id, visible_movie_ids, language)


async def chat_stream(
    info: Info,
    message: str,
    session_id: strawberry.ID | None = None,
    visible_movie_ids: list[int] | None = None,
    language: str | None = None,
) -> AsyncGenerator[ChatDelta, None]:
    payload = await _turn(info, message, session_id, visible_movie_ids, language)
    # The reply goes out a few words at a time, the way a model streams it; the last delta
    # carries the whole payload (movies, filters, session).
    words = payload.reply.split(" ")
    for start in range(0, len(words), 4):
        chunk = " ".join(words[start : start + 4])
        yield ChatDelta(text=chunk if start == 0 else " " + chunk, done=False)
        await asyncio.sleep(0)
    yield ChatDelta(text="", done=True, payload=payload)


async def chat_session(info: Info, id: strawberry.ID) -> ChatSessionType | None:
    pk = session_pk(id)
    return (await session_nodes(info, [pk]))[0] if pk else None


async def session_nodes(info: Info, node_ids: list[str]) -> list[Any]:
    viewer = await info.context.viewer()
    language = await info.context.language(None)
    found = []
    for node_id in node_ids:
        stored = await info.context.services.chat.find(node_id, viewer.id if viewer else None)
        if stored is None:
            found.append(None)
            continue
        row, messages = stored
        filters = await _filters(info, ChatFilterState.from_dict(row.filters), language)
        found.append(_session_type(row, messages, filters))
    return found
