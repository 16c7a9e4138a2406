"""Admin analytics: accounts, new and active users per UTC day, most watched and most rated movies,
read from the rollups the writes keep (reelgraph.persistence.rollups), which `rebuild_rollups`
recomputes from the raw rows."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reelgraph.errors import BadUserInput
from reelgraph.persistence import analytics as repo
from reelgraph.persistence import rollups
from reelgraph.persistence.engine import write_transaction

MAX_DAYS = 366  # a leap year
MAX_FIRST = 100  # the page size limit of every list in the API
DEFAULT_DAYS = 30
DEFAULT_FIRST = 10


class DayCount(NamedTuple):
    day: date
    count: int  # type: ignore[assignment]  # a NamedTuple field may shadow tuple.count


class MovieTally(NamedTuple):
    tmdb_id: int
    count: int  # type: ignore[assignment]  # a NamedTuple field may shadow tuple.count


def check_days(days: int) -> int:
    if not 1 <= days <= MAX_DAYS:
        raise BadUserInput(f"'days' must be between 1 and {MAX_DAYS}.", field="days")
    return days


def check_first(first: int) -> int:
    if not 1 <= first <= MAX_FIRST:
        raise BadUserInput(f"'first' must be between 1 and {MAX_FIRST}.", field="first")
    return first


def window(days: int, today: date) -> tuple[list[date], datetime, datetime]:
    """The `days` UTC days ending with `today` (oldest first) and the instants that bound them."""
    first_day = today - timedelta(days=days - 1)
    since = datetime.combine(first_day, time.min, tzinfo=UTC)
    until = datetime.combine(today + timedelta(days=1), time.min, tzinfo=UTC)
    return [first_day + timedelta(days=i) for i in range(days)], since, until


def _zero_filled(days: list[date], counts: Mapping[date, int]) -> list[DayCount]:
    return [DayCount(day, counts.get(day, 0)) for day in days]


def _utc_today() -> date:
    return datetime.now(UTC).date()


class AnalyticsService:
    """Read-only aggregates. `today` parameters exist for tests; callers normally omit them."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def user_count(self) -> int:
        async with self._sessions() as session:
            return await repo.count_users(session)

    async def new_users(self, days: int = DEFAULT_DAYS, *, today: date | None = None) -> list[DayCount]:
        """Accounts created per UTC day, one entry per day including empty ones, today last."""
        dates, _, _ = window(check_days(days), today or _utc_today())
        async with self._sessions() as session:
            counts = await repo.new_users_per_day(session, dates[0], dates[-1])
        return _zero_filled(dates, counts)

    async def daily_active_users(
        self, days: int = DEFAULT_DAYS, *, today: date | None = None
    ) -> list[DayCount]:
        """Distinct users per UTC day who watched, rated or interacted, zero-filled, today last."""
        dates, _, _ = window(check_days(days), today or _utc_today())
        async with self._sessions() as session:
            counts = await repo.active_users_per_day(session, dates[0], dates[-1])
        return _zero_filled(dates, counts)

    async def most_watched(
        self, first: int = DEFAULT_FIRST, days: int = DEFAULT_DAYS, *, today: date | None = None
    ) -> list[MovieTally]:
        """Movies by watch events in the last `days` UTC days: most first, then by TMDb id."""
        check_first(first)
        dates, _, _ = window(check_days(days), today or _utc_today())
        async with self._sessions() as session:
            rows = await repo.most_watched(session, dates[0], dates[-1], first)
        return [MovieTally(*row) for row in rows]

    async def most_rated(self, first: int = DEFAULT_FIRST) -> list[MovieTally]:
        """Movies by number of ratings of all time: most first, then by TMDb id."""
        check_first(first)
        async with self._sessions() as session:
            rows = await repo.most_rated(session, first)
        return [MovieTally(*row) for row in rows]

    async def rebuild_rollups(self) -> None:
        """Recomputes the rollups from the raw rows (after a bulk load, or to check them)."""
        async with write_transaction(self._sessions) as session:
            await rollups.rebuild(session)
