"""The assistant on the wire: sessions, messages, the filters understood, and streamed deltas."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry import relay

from reelgraph.chat.filters import ChatFilterState
from reelgraph.persistence.models import ChatMessageRow, ChatSessionRow
from reelgraph.schema import ids
from reelgraph.schema.catalog.inputs import MovieSort
from reelgraph.schema.catalog.types import Genre, Movie, Person
from reelgraph.schema.context import Info
from reelgraph.schema.errors import UserError


@strawberry.enum
class ChatIntent(Enum):
    DISCOVER = "DISCOVER"
    SIMILAR = "SIMILAR"
    PERSON = "PERSON"
    TITLE = "TITLE"
    TRENDING = "TRENDING"
    REFINE = "REFINE"
    SMALLTALK = "SMALLTALK"
    CLARIFY = strawberry.enum_value(
        "CLARIFY", description="The assistant needs the user to choose (see ChatPayload.choices)."
    )


@strawberry.type
class ChatFilters:
    genres: list[Genre]
    exclude_genres: list[Genre]
    people: list[Person]
    similar_to: list[Movie]
    year_from: int | None
    year_to: int | None
    min_imdb_rating: float | None
    min_vote_average: float | None
    runtime_max: int | None
    original_language: str | None
    keywords: list[str]
    sort: MovieSort | None

    @classmethod
    async def load(cls, info: Info, state: ChatFilterState, language: str) -> ChatFilters:
        """The filters with their genres, people and movies resolved in `language`, in batches."""
        loaders = info.context.loaders
        names = await loaders.genre_names.load(language)
        people = await loaders.person.load_many([(p, language) for p in state.people])
        movies = await loaders.movie.load_many([(m, language) for m in state.similar_to])
        return cls(
            genres=Genre.many(state.genres, names, language),
            exclude_genres=Genre.many(state.exclude_genres, names, language),
            people=[
                Person.from_tmdb(
                    p or {"id": pid, "name": state.person_names.get(pid, "")}, language, details=bool(p)
                )
                for pid, p in zip(state.people, people, strict=True)
            ],
            similar_to=[Movie.from_tmdb(m, language) for m in movies if m],
            year_from=state.year_from,
            year_to=state.year_to,
            min_imdb_rating=state.min_imdb_rating,
            min_vote_average=state.min_vote_average,
            runtime_max=state.runtime_max,
            original_language=state.original_language,
            keywords=list(state.keywords),
            sort=MovieSort(state.sort) if state.sort else None,
        )

    @classmethod
    def empty(cls) -> ChatFilters:
        return cls(
            genres=[],
            exclude_genres=[],
            people=[],
            similar_to=[],
            year_from=None,
            year_to=None,
            min_imdb_rating=None,
            min_vote_average=None,
            runtime_max=None,
            original_language=None,
            keywords=[],
            sort=None,
        )


@strawberry.type
class ChatMessage:
    role: str
    content: str
    created_at: datetime


@strawberry.type
class ChatSession(relay.Node):
    session_id: relay.NodeID[str]
    messages: list[ChatMessage]
    filters: ChatFilters = strawberry.field(
        description="The filters in force after the last turn; later turns refine them."
    )
    created_at: datetime

    @classmethod
    def of(cls, row: ChatSessionRow, messages: list[ChatMessageRow], filters: ChatFilters) -> ChatSession:
        return cls(
            session_id=row.id,
            messages=[ChatMessage(role=m.role, content=m.content, created_at=m.created_at) for m in messages],
            filters=filters,
            created_at=row.created_at,
        )

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Any]:
        viewer = await info.context.viewer()
        language = await info.context.language(None)
        viewer_id = viewer.id if viewer else None
        found = await ids.load_by_keys(
            node_ids, ids.session_key, lambda keys: info.context.services.chat.find_many(keys, viewer_id)
        )
        sessions: list[ChatSession | None] = []
        for stored in found:
            if stored is None:
                sessions.append(None)
                continue
            row, messages = stored
            filters = await ChatFilters.load(info, ChatFilterState.from_dict(row.filters), language)
            sessions.append(cls.of(row, messages, filters))
        return sessions


@strawberry.type
class ChatPayload:
    session: ChatSession | None = None
    reply: str = ""
    intent: ChatIntent = ChatIntent.SMALLTALK
    filters: ChatFilters = strawberry.field(default_factory=ChatFilters.empty)
    movies: list[Movie] = strawberry.field(default_factory=list)
    choices: list[Movie] = strawberry.field(
        default_factory=list, description="With intent CLARIFY: the movies the user may mean, in order."
    )
    relaxed: list[str] = strawberry.field(
        default_factory=list,
        description='Constraints dropped to find movies, e.g. ["runtimeMax"]; empty when none.',
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ChatDelta:
    text: str = strawberry.field(description="Text appended to the reply so far.")
    done: bool = strawberry.field(description="Set on the last delta.")
    payload: ChatPayload | None = None
