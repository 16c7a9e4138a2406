"""The assistant on the wire: sessions, messages, the filters understood, and streamed deltas."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from reelgraph.schema.catalog import MovieSort
from reelgraph.schema.errors import UserError
from reelgraph.schema.types.catalog import GenreType, MovieType, PersonType


@strawberry.enum
class ChatIntent(Enum):
    DISCOVER = "DISCOVER"
    SIMILAR = "SIMILAR"
    PERSON = "PERSON"
    TITLE = "TITLE"
    TRENDING = "TRENDING"
    REFINE = "REFINE"
    SMALLTALK = "SMALLTALK"


@strawberry.type
class ChatFilters:
    genres: list[GenreType]
    exclude_genres: list[GenreType]
    people: list[PersonType]
    similar_to: list[MovieType]
    year_from: int | None
    year_to: int | None
    min_imdb_rating: float | None
    min_vote_average: float | None
    runtime_max: int | None
    original_language: str | None
    keywords: list[str]
    sort: MovieSort | None

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


@strawberry.type(name="ChatSession")
class ChatSessionType(relay.Node):
    session_id: relay.NodeID[str]
    messages: list[ChatMessage]
    filters: ChatFilters = strawberry.field(
        description="The filters in force after the last turn; later turns refine them."
    )
    created_at: datetime

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Any]:
        from reelgraph.resolvers.chat import session_nodes

        return await session_nodes(info, list(node_ids))


@strawberry.type
class ChatPayload:
    session: ChatSessionType | None = None
    reply: str = ""
    intent: ChatIntent = ChatIntent.SMALLTALK
    filters: ChatFilters = strawberry.field(default_factory=ChatFilters.empty)
    movies: list[MovieType] = strawberry.field(default_factory=list)
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ChatDelta:
    text: str = strawberry.field(description="Text appended to the reply so far.")
    done: bool = strawberry.field(description="Set on the last delta.")
    payload: ChatPayload | None = None
