"""Recommendations on the wire: a movie, a score, and the reasons behind it."""

from __future__ import annotations

from enum import Enum

import strawberry

from reelgraph.schema.catalog.types import Genre, Movie, Person


@strawberry.enum
class RecommendationStrategy(Enum):
    HYBRID = "HYBRID"
    CONTENT = "CONTENT"
    COLLABORATIVE = "COLLABORATIVE"
    POPULAR = "POPULAR"


@strawberry.type
class RecommendationReason:
    kind: str = strawberry.field(
        description="E.g. BECAUSE_YOU_LIKED, FAVORITE_GENRE, FAVORITE_PERSON, SIMILAR_USERS, POPULAR."
    )
    text: str = strawberry.field(description="Human-readable, in the request language.")
    because_of: Movie | None = None
    genre: Genre | None = None
    person: Person | None = None


@strawberry.type
class Recommendation:
    movie: Movie
    score: float
    reasons: list[RecommendationReason]
