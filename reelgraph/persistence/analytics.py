"""Reads of the admin analytics, from the rollups (reelgraph.persistence.rollups) that the writes
keep: a window of days reads one row per day, or per movie and day, never the raw events.
Callers own the session. Days are UTC calendar days; ranges include both ends.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from reelgraph.persistence import movie_aggregates
from reelgraph.persistence.models import DailyCountRow, MovieAggregateRow, MovieDayViewsRow
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


# mostWatched over a long window first ranks only the most viewed movies of all time: a movie
# outside them has at most the last one's total, so when the window's top `limit` all beat that
# total, no other movie can reach them. Otherwise (old views, or a short window) every movie's sum.
PRUNE_FROM_DAYS = 8
CANDIDATE_FLOOR = 100


def _window_sums(first: date, last: date) -> Any:  # a Select of (movie_id, views)
    count = func.sum(MovieDayViewsRow.count).label("views")
    return (
        select(MovieDayViewsRow.movie_id, count)
        .where(MovieDayViewsRow.day >= first, MovieDayViewsRow.day <= last)
        .group_by(MovieDayViewsRow.movie_id)
        .having(count > 0)
    )


def _ranked(rows: Iterable[tuple[int, int]], limit: int) -> list[tuple[int, int]]:
    return sorted(((int(m), int(c)) for m, c in rows), key=lambda row: (-row[1], row[0]))[:limit]


async def _most_watched_of_candidates(
    session: AsyncSession, first: date, last: date, limit: int
) -> list[tuple[int, int]] | None:
    size = max(CANDIDATE_FLOOR, 5 * limit)
    candidates = (
        await session.execute(
            select(MovieAggregateRow.movie_id, MovieAggregateRow.view_count)
            .where(MovieAggregateRow.view_count > 0)
            .order_by(MovieAggregateRow.view_count.desc(), MovieAggregateRow.movie_id)
            .limit(size)
        )
    ).all()
    ids = [movie_id for movie_id, _ in candidates]
    ranked = _ranked(
        (await session.execute(_window_sums(first, last).where(MovieDayViewsRow.movie_id.in_(ids)))).all(),
        limit,
    )
    if len(candidates) < size:
        return ranked  # every movie ever watched was a candidate
    bound = candidates[-1][1]
    return ranked if len(ranked) == limit and ranked[-1][1] > bound else None


async def most_watched(session: AsyncSession, first: date, last: date, limit: int) -> list[tuple[int, int]]:
    """(tmdb id, watch events) in [first, last], signed-in and anonymous alike; most first."""
    if (last - first).days + 1 >= PRUNE_FROM_DAYS:
        found = await _most_watched_of_candidates(session, first, last, limit)
        if found is not None:
            return found
    sums = _window_sums(first, last).subquery()
    rows = await session.execute(
        select(sums.c.movie_id, sums.c.views).order_by(sums.c.views.desc(), sums.c.movie_id).limit(limit)
    )
    return _ranked(rows.all(), limit)


async def most_rated(session: AsyncSession, limit: int) -> list[tuple[int, int]]:
    """(tmdb id, ratings) of all time; most first."""
    return await movie_aggregates.most_rated(session, limit)
