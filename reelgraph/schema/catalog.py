"""Catalog entry points: genres, movie, person, trending, movies, discover, search, refreshCache."""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry.types import Info

from reelgraph.resolvers import catalog
from reelgraph.schema.permissions import IsAdmin
from reelgraph.schema.types.catalog import (
    GenreType,
    MovieConnection,
    MovieType,
    PersonType,
    SearchResultConnection,
)
from reelgraph.schema.types.payloads import OkPayload
from reelgraph.schema.types.recommendations import Recommendation, RecommendationStrategy
from reelgraph.services.discovery import (
    IMDB_FILTER_MAX_UPSTREAM_PAGES,
    IMDB_SORT_WINDOW_PAGES,
    MovieFilterSpec,
)


@strawberry.enum
class TimeWindow(Enum):
    DAY = "day"
    WEEK = "week"


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
            genre_match=(self.genre_match or GenreMatch.ANY).value,
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
        )


def _first(first: int | None) -> int:
    # The contract's arguments are nullable with defaults: an explicit null means the default.
    return 20 if first is None else first


@strawberry.type
class CatalogQuery:
    genres: list[GenreType] = strawberry.field(resolver=catalog.genres)
    movie: MovieType | None = strawberry.field(resolver=catalog.movie)
    person: PersonType | None = strawberry.field(resolver=catalog.person)

    @strawberry.field
    async def trending(
        self,
        info: Info,
        window: TimeWindow | None = TimeWindow.WEEK,
        first: int | None = 20,
        after: str | None = None,
        include_hidden: bool | None = False,
        language: str | None = None,
    ) -> MovieConnection:
        return await catalog.trending(
            info, (window or TimeWindow.WEEK).value, _first(first), after, bool(include_hidden), language
        )

    @strawberry.field
    async def movies(
        self,
        info: Info,
        list: MovieList,
        first: int | None = 20,
        after: str | None = None,
        region: str | None = None,
        include_hidden: bool | None = False,
        language: str | None = None,
    ) -> MovieConnection:
        return await catalog.movie_list(
            info, list.value, _first(first), after, region, bool(include_hidden), language
        )

    @strawberry.field
    async def discover(
        self,
        info: Info,
        filter: MovieFilter,
        sort: MovieSort | None = MovieSort.POPULARITY_DESC,
        first: int | None = 20,
        after: str | None = None,
        include_hidden: bool | None = False,
        language: str | None = None,
    ) -> MovieConnection:
        sort_value = (sort or MovieSort.POPULARITY_DESC).value
        return await catalog.discover(
            info, filter.to_spec(), sort_value, _first(first), after, bool(include_hidden), language
        )

    @strawberry.field(description="Requires a signed-in viewer.")
    async def recommendations(
        self,
        info: Info,
        strategy: RecommendationStrategy | None = RecommendationStrategy.HYBRID,
        first: int | None = 20,
        filter: MovieFilter | None = None,
        language: str | None = None,
    ) -> list[Recommendation]:
        from reelgraph.resolvers.recommendations import recommendations

        chosen = (strategy or RecommendationStrategy.HYBRID).value
        return await recommendations(
            info, chosen, _first(first), filter.to_spec() if filter else None, language
        )

    @strawberry.field
    async def search(
        self,
        info: Info,
        query: str,
        first: int | None = 20,
        after: str | None = None,
        language: str | None = None,
    ) -> SearchResultConnection:
        return await catalog.search(info, query, _first(first), after, language)


@strawberry.type
class CatalogMutation:
    refresh_cache: OkPayload = strawberry.mutation(
        resolver=catalog.refresh_cache,
        permission_classes=[IsAdmin],
        description="ADMIN only: drop cached upstream data (all, or one movie) and re-fetch lazily.",
    )
