"""The viewer's library on the wire: interactions, ratings, reviews, watch events, preferences, stats."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from reelgraph.persistence.models import InteractionRow, ReviewRow
from reelgraph.schema.errors import UserError
from reelgraph.schema.pagination import Connection
from reelgraph.schema.types.catalog import GenreType, MovieType, PersonType
from reelgraph.schema.types.user import UserType


@strawberry.enum
class InteractionKind(Enum):
    SEEN = "SEEN"
    WATCH_LATER = "WATCH_LATER"
    NOT_INTERESTED = "NOT_INTERESTED"
    LIKED = "LIKED"
    FAVORITE = "FAVORITE"


async def load_movie(info: Info, movie_id: int) -> MovieType:
    """A library row's movie, through the catalog loader; the mirror's title if TMDb forgot it."""
    language = await info.context.language(None)
    details = await info.context.loaders.catalog.movie.load((movie_id, language))
    return MovieType.from_tmdb(details or {"id": movie_id, "title": f"#{movie_id}"}, language)


@strawberry.type(name="Interaction")
class InteractionType(relay.Node):
    row_id: relay.NodeID[int]
    kind: InteractionKind
    created_at: datetime
    _movie_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: InteractionRow) -> InteractionType:
        assert row.id is not None
        return cls(
            row_id=row.id, kind=InteractionKind(row.kind), created_at=row.created_at, _movie_id=row.movie_id
        )

    @strawberry.field
    async def movie(self, info: Info) -> MovieType:
        return await load_movie(info, self._movie_id)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Any]:
        from reelgraph.resolvers.library import interaction_nodes

        return await interaction_nodes(info, list(node_ids))


@strawberry.type(name="Rating")
class RatingType:
    value: float = strawberry.field(description="0.5 to 5.0 in steps of 0.5.")
    created_at: datetime
    _movie_id: strawberry.Private[int]

    @strawberry.field
    async def movie(self, info: Info) -> MovieType:
        return await load_movie(info, self._movie_id)


@strawberry.type(name="Review")
class ReviewType(relay.Node):
    row_id: relay.NodeID[int]
    body: str
    rating: float | None
    created_at: datetime
    updated_at: datetime
    _movie_id: strawberry.Private[int]
    _user_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: ReviewRow) -> ReviewType:
        assert row.id is not None
        return cls(
            row_id=row.id,
            body=row.body,
            rating=row.rating,
            created_at=row.created_at,
            updated_at=row.updated_at,
            _movie_id=row.movie_id,
            _user_id=row.user_id,
        )

    @strawberry.field
    async def movie(self, info: Info) -> MovieType:
        return await load_movie(info, self._movie_id)

    @strawberry.field
    async def author(self, info: Info) -> UserType:
        authors = await UserType.resolve_nodes(info=info, node_ids=[str(self._user_id)])
        return authors[0]

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Any]:
        from reelgraph.resolvers.library import review_nodes

        return await review_nodes(info, list(node_ids))


@strawberry.type(name="WatchEvent")
class WatchEventType:
    watched_at: datetime
    _movie_id: strawberry.Private[int]

    @strawberry.field
    async def movie(self, info: Info) -> MovieType:
        return await load_movie(info, self._movie_id)


# Concrete subclasses (not aliases) so that other modules can refer to them lazily by name.
@strawberry.type
class InteractionConnection(Connection[InteractionType]):
    pass


@strawberry.type
class RatingConnection(Connection[RatingType]):
    pass


@strawberry.type
class ReviewConnection(Connection[ReviewType]):
    pass


@strawberry.type
class WatchEventConnection(Connection[WatchEventType]):
    pass


@strawberry.type
class Preferences:
    favorite_genres: list[GenreType]
    disliked_genres: list[GenreType]
    favorite_people: list[PersonType]
    favorite_movies: list[MovieType]


@strawberry.type
class UserStats:
    seen_count: int
    watch_later_count: int
    ratings_count: int
    average_rating: float | None
    minutes_watched: int = strawberry.field(description="Sum of the runtimes of movies marked SEEN.")
    _user_id: strawberry.Private[int]

    @strawberry.field(
        description="Genres of the movies the user saw, liked or rated well, most frequent first."
    )
    async def top_genres(self, info: Info, first: int | None = 5) -> list[GenreType]:
        from reelgraph.resolvers.library import top_genres

        return await top_genres(info, self._user_id, 5 if first is None else first)


@strawberry.input
class PreferencesInput:
    favorite_genres: list[int] | None = None
    disliked_genres: list[int] | None = None
    favorite_people: list[int] | None = None
    favorite_movies: list[int] | None = None


@strawberry.type
class PreferencesPayload:
    preferences: Preferences | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class InteractionPayload:
    interaction: InteractionType | None = None
    movie: MovieType | None = strawberry.field(
        default=None, description="The movie with the viewer's interactions after the change."
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RatingPayload:
    rating: RatingType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ReviewPayload:
    review: ReviewType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
