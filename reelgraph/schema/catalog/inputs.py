"""The catalog's arguments: time windows, lists, sorts and the movie filter of discover."""

from __future__ import annotations

from enum import Enum

import strawberry

from reelgraph.movie_filter import MovieFilterSpec
from reelgraph.services.discovery import IMDB_FILTER_MAX_UPSTREAM_PAGES, IMDB_SORT_WINDOW_PAGES


@strawberry.enum
class TimeWindow(Enum):
    DAY = "day"
    WEEK = "week"


@strawberry.enum
class TrendingSource(Enum):
    TMDB = strawberry.enum_value("TMDB", description="TMDb's trending list.")
    COMMUNITY = strawberry.enum_value(
        "COMMUNITY",
        description="This server's own signals: views by distinct users, ratings, interactions, with recency decay.",
    )


@strawberry.enum
class MovieList(Enum):
    POPULAR = "popular"
    TOP_RATED = "top_rated"
    UPCOMING = "upcoming"
    NOW_PLAYING = "now_playing"


@strawberry.enum
class GenreMatch(Enum):
    ANY = strawberry.enum_value("ANY", description="Any of the listed genres.")
    ALL = strawberry.enum_value("ALL", description="All of the listed genres.")
    PRIMARY = strawberry.enum_value(
        "PRIMARY", description="One of the listed genres is the movie's first or second genre."
    )


@strawberry.enum
class MovieSort(Enum):
    POPULARITY_DESC = "POPULARITY_DESC"
    RELEASE_DATE_DESC = "RELEASE_DATE_DESC"
    RELEASE_DATE_ASC = "RELEASE_DATE_ASC"
    VOTE_AVERAGE_DESC = "VOTE_AVERAGE_DESC"
    IMDB_RATING_DESC = strawberry.enum_value(
        "IMDB_RATING_DESC",
        description=f"Ranks the first {IMDB_SORT_WINDOW_PAGES * 20} matches by popularity by their IMDb rating.",
    )
    TITLE_ASC = "TITLE_ASC"


@strawberry.input
class MovieFilter:
    include_adult: bool | None = strawberry.field(
        default=False, description="Adult titles are hidden unless this is true (never for minors)."
    )
    genres: list[int] | None = strawberry.field(default=None, description="TMDb genre ids.")
    genre_match: GenreMatch | None = GenreMatch.ANY
    exclude_genres: list[int] | None = None
    year_from: int | None = None
    year_to: int | None = None
    min_vote_average: float | None = None
    min_vote_count: int | None = None
    min_imdb_rating: float | None = strawberry.field(
        default=None,
        description=(
            "IMDb rating from OMDb, 0-10. IMDb filters examine at most "
            f"{IMDB_FILTER_MAX_UPSTREAM_PAGES * 20} upstream movies per request; the cursor continues from there."
        ),
    )
    min_imdb_votes: int | None = None
    runtime_min: int | None = None
    runtime_max: int | None = None
    original_language: str | None = strawberry.field(
        default=None, description='ISO 639-1 original language, e.g. "fr".'
    )
    with_people: list[int] | None = strawberry.field(
        default=None, description="TMDb person ids; the movie credits any of them (cast or crew)."
    )
    keywords: list[str] | None = None
    watch_providers: list[int] | None = strawberry.field(
        default=None, description="Only movies streamable on these TMDb provider ids in watchRegion."
    )
    watch_region: str | None = None

    def to_spec(self) -> MovieFilterSpec:
        return MovieFilterSpec(
            genres=list(self.genres or []),
            genre_match=(self.genre_match or GenreMatch.ANY).name,
            exclude_genres=list(self.exclude_genres or []),
            year_from=self.year_from,
            year_to=self.year_to,
            min_vote_average=self.min_vote_average,
            min_vote_count=self.min_vote_count,
            min_imdb_rating=self.min_imdb_rating,
            min_imdb_votes=self.min_imdb_votes,
            runtime_min=self.runtime_min,
            runtime_max=self.runtime_max,
            original_language=self.original_language,
            with_people=list(self.with_people or []),
            keywords=list(self.keywords or []),
            watch_providers=list(self.watch_providers or []),
            watch_region=self.watch_region,
            include_adult=bool(self.include_adult),
        )
