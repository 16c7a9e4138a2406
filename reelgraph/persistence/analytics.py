"""Reads of the admin analytics, from the rollups (reelgraph.persistence.rollups) that the writes
keep: a window of days reads one row per day, or per movie and day, never the raw events.
Callers own the session. Days are UTC calendar days; ranges include both ends.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from reelgraph.persistence import movie_aggregates
from reelgraph.persistence.models import DailyCountRow, MovieDayViewsRow
from reelgraph.persistence.rollups import ACTIVE_USERS, NEW_USERS


async def count_users(session: AsyncSession) -> int:
    """Accounts: every creation day's count (a few rows per day the server has run)."""
    query = select(func.coalesce(func.sum(DailyCountRow.count), 0)).where(DailyCountRow.metric == NEW_USERS)
    return int((await session.execute(query)).scalar_one())


async def _per_day(session: AsyncSession, metric: str, first: date, last: date) -> dict[date, int]:
    rows = await session.execute(
        select(DailyCountRow.day, DailyCountRow.count).where(
            DailyCountRow.metric == metric,
            DailyCountRow.day >= first,
            DailyCountRow.day <= last,
            DailyCountRow.count != 0,
        )
    )
    return {row[0]: row[1] for row in rows}


async def new_users_per_day(session: AsyncSession, first: date, last: date) -> dict[date, int]:
    """Accounts created per UTC day in [first, last]; days without any are absent."""
    return await _per_day(session, NEW_USERS, first, last)


async def active_users_per_day(session: AsyncSession, first: date, last: date) -> dict[date, int]:
    """Distinct users per UTC day with a watch event, a rating (created or updated) or an
    interaction on that day; days without any are absent."""
    return await _per_day(session, ACTIVE_USERS, first, last)


async def most_watched(session: AsyncSession, first: date, last: date, limit: int) -> list[tuple[int, int]]:
    """(tmdb id, watch events) in [first, last], signed-in and anonymous alike; most first."""
    count = func.sum(MovieDayViewsRow.count)
    rows = await session.execute(
        select(MovieDayViewsRow.movie_id, count)
        .where(MovieDayViewsRow.day >= first, MovieDayViewsRow.day <= last)
        .group_by(MovieDayViewsRow.movie_id)
        .having(count > 0)
        .order_by(count.desc(), MovieDayViewsRow.movie_id)
        .limit(limit)
    )
    return [(row[0], int(row[1])) for row in rows]


async def most_rated(session: AsyncSession, limit: int) -> list[tuple[int, int]]:
    """(tmdb id, ratings) of all time; most first."""
    return await movie_aggregates.most_rated(session, limit)
