"""Analytics, DailyCount and MovieCount: the admin dashboard's figures; ExportPayload: a download link.

Arguments are nullable with defaults, as the contract says; an explicit null means the default.
"""

from __future__ import annotations

import datetime as dt

import strawberry

from reelgraph.schema.catalog.types import Movie
from reelgraph.schema.context import Info
from reelgraph.schema.errors import UserError
from reelgraph.schema.pagination import or_default
from reelgraph.services.analytics import (
    DEFAULT_DAYS,
    DEFAULT_FIRST,
    AnalyticsService,
    DayCount,
    MovieTally,
)


@strawberry.type
class DailyCount:
    date: dt.date = strawberry.field(description="A UTC calendar day.")
    count: int

    @classmethod
    def from_day(cls, day: DayCount) -> DailyCount:
        return cls(date=day.day, count=day.count)


@strawberry.type
class MovieCount:
    movie: Movie
    count: int


async def _movie_counts(info: Info, tallies: list[MovieTally]) -> list[MovieCount]:
    """Resolves the movies in one DataLoader batch; drops those the catalog no longer knows."""
    language = await info.context.language(None)
    details = await info.context.loaders.movie.load_many([(t.tmdb_id, language) for t in tallies])
    return [
        MovieCount(movie=Movie.from_tmdb(movie, language), count=tally.count)
        for tally, movie in zip(tallies, details, strict=True)
        if movie
    ]


@strawberry.type
class Analytics:
    """Reached only through Query.analytics, whose permission check guards every field here."""

    _service: strawberry.Private[AnalyticsService]

    @strawberry.field(description="Number of accounts.")
    async def user_count(self) -> int:
        return await self._service.user_count()

    @strawberry.field(description="Accounts created per UTC day over the last `days` days, oldest first.")
    async def new_users(self, days: int | None = DEFAULT_DAYS) -> list[DailyCount]:
        counts = await self._service.new_users(or_default(days, DEFAULT_DAYS))
        return [DailyCount.from_day(day) for day in counts]

    @strawberry.field(
        description="Distinct users who watched, rated or interacted, per UTC day over the last `days` days."
    )
    async def daily_active_users(self, days: int | None = DEFAULT_DAYS) -> list[DailyCount]:
        counts = await self._service.daily_active_users(or_default(days, DEFAULT_DAYS))
        return [DailyCount.from_day(day) for day in counts]

    @strawberry.field(description="Movies with the most watch events over the last `days` days.")
    async def most_watched(
        self, info: Info, first: int | None = DEFAULT_FIRST, days: int | None = DEFAULT_DAYS
    ) -> list[MovieCount]:
        tallies = await self._service.most_watched(
            or_default(first, DEFAULT_FIRST), or_default(days, DEFAULT_DAYS)
        )
        return await _movie_counts(info, tallies)

    @strawberry.field(description="Movies with the most ratings.")
    async def most_rated(self, info: Info, first: int | None = DEFAULT_FIRST) -> list[MovieCount]:
        tallies = await self._service.most_rated(or_default(first, DEFAULT_FIRST))
        return await _movie_counts(info, tallies)


@strawberry.type
class ExportPayload:
    url: str | None = strawberry.field(description="A download link, valid until expiresAt.")
    expires_at: dt.datetime | None
    errors: list[UserError]
