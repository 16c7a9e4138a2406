"""The viewer's library on the wire: interactions, ratings, reviews, watch events, preferences, stats."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry import relay

from reelgraph.errors import BadUserInput
from reelgraph.persistence.models import InteractionRow, RatingRow, ReviewRow, WatchEventRow
from reelgraph.schema import ids
from reelgraph.schema.accounts.types import User
from reelgraph.schema.catalog.types import Genre, Movie, Person
from reelgraph.schema.context import Info
from reelgraph.schema.errors import UserError
from reelgraph.schema.pagination import Connection, or_default


@strawberry.enum
class InteractionKind(Enum):
    SEEN = "SEEN"
    WATCH_LATER = "WATCH_LATER"
    NOT_INTERESTED = "NOT_INTERESTED"
    LIKED = "LIKED"
    FAVORITE = "FAVORITE"


@strawberry.type
class Interaction(relay.Node):
    row_id: relay.NodeID[int]
    kind: InteractionKind
    created_at: datetime
    _movie_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: InteractionRow) -> Interaction:
        assert row.id is not None
        return cls(
            row_id=row.id, kind=InteractionKind(row.kind), created_at=row.created_at, _movie_id=row.movie_id
        )

    @strawberry.field
    async def movie(self, info: Info) -> Movie:
        return await Movie.load(info, self._movie_id)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Any]:
        # Private like the rest of a library: the owner and admins only.
        viewer = await info.context.viewer()
        rows = await ids.load_by_keys(node_ids, ids.row_key, info.context.loaders.interaction.load_many)
        return [
            cls.from_row(row) if row and viewer and viewer.is_owner_or_admin(row.user_id) else None
            for row in rows
        ]


@strawberry.type
class Rating:
    value: float = strawberry.field(description="0.5 to 5.0 in steps of 0.5.")
    created_at: datetime
    _movie_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: RatingRow) -> Rating:
        return cls(value=row.value, created_at=row.created_at, _movie_id=row.movie_id)

    @strawberry.field
    async def movie(self, info: Info) -> Movie:
        return await Movie.load(info, self._movie_id)


@strawberry.type
class Review(relay.Node):
    row_id: relay.NodeID[int]
    body: str
    rating: float | None
    created_at: datetime
    updated_at: datetime
    _movie_id: strawberry.Private[int]
    _user_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: ReviewRow) -> Review:
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
    async def movie(self, info: Info) -> Movie:
        return await Movie.load(info, self._movie_id)

    @strawberry.field
    async def author(self, info: Info) -> User:
        # One query for every author on the page (reviews cascade with their author's account).
        row = await info.context.loaders.user.load(self._user_id)
        assert row is not None
        return User.from_row(row)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Any]:
        rows = await ids.load_by_keys(node_ids, ids.row_key, info.context.loaders.review.load_many)
        return [cls.from_row(row) if row else None for row in rows]


@strawberry.type
class WatchEvent:
    watched_at: datetime
    _movie_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: WatchEventRow) -> WatchEvent:
        return cls(watched_at=row.watched_at, _movie_id=row.movie_id)

    @strawberry.field
    async def movie(self, info: Info) -> Movie:
        return await Movie.load(info, self._movie_id)


# Concrete subclasses (not aliases) so that other modules can refer to them lazily by name.
@strawberry.type
class InteractionConnection(Connection[Interaction]):
    pass


@strawberry.type
class RatingConnection(Connection[Rating]):
    pass


@strawberry.type
class ReviewConnection(Connection[Review]):
    pass


@strawberry.type
class WatchEventConnection(Connection[WatchEvent]):
    pass


@strawberry.type
class Preferences:
    favorite_genres: list[Genre]
    disliked_genres: list[Genre]
    favorite_people: list[Person]
    favorite_movies: list[Movie]

    @classmethod
    async def load(cls, info: Info, user_id: int) -> Preferences:
        found = await info.context.services.library.preferences(user_id)
        language = await info.context.language(None)
        names = await info.context.loaders.genre_names.load(language)
        people = await info.context.loaders.person.load_many(
            [(p, language) for p in found.get("FAVORITE_PERSON", [])]
        )
        return cls(
            favorite_genres=Genre.many(found.get("FAVORITE_GENRE", []), names, language),
            disliked_genres=Genre.many(found.get("DISLIKED_GENRE", []), names, language),
            favorite_people=[Person.from_tmdb(p, language, details=True) for p in people if p],
            favorite_movies=[await Movie.load(info, m) for m in found.get("FAVORITE_MOVIE", [])],
        )


@strawberry.type
class UserStats:
    seen_count: int
    watch_later_count: int
    ratings_count: int
    average_rating: float | None
    minutes_watched: int = strawberry.field(description="Sum of the runtimes of movies marked SEEN.")
    _user_id: strawberry.Private[int]

    @classmethod
    async def load(cls, info: Info, user_id: int) -> UserStats:
        found = await info.context.services.library.stats(user_id, 0)
        average = found["average_rating"]
        return cls(
            seen_count=found["seen"],
            watch_later_count=found["watch_later"],
            ratings_count=found["ratings"],
            average_rating=round(average, 2) if average is not None else None,
            minutes_watched=found["minutes"],
            _user_id=user_id,
        )

    @strawberry.field(
        description="Genres of the movies the user saw, liked or rated well, most frequent first."
    )
    async def top_genres(self, info: Info, first: int | None = 5) -> list[Genre]:
        wanted = or_default(first, 5)
        if not 0 <= wanted <= 19:
            raise BadUserInput("'first' must be between 0 and 19.", field="first")
        found = await info.context.services.library.stats(self._user_id, wanted)
        language = await info.context.language(None)
        names = await info.context.loaders.genre_names.load(language)
        return Genre.many(found["top_genres"], names, language)


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
    interaction: Interaction | None = None
    movie: Movie | None = strawberry.field(
        default=None, description="The movie with the viewer's interactions after the change."
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RatingPayload:
    rating: Rating | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ReviewPayload:
    review: Review | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
