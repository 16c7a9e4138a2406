"""Aggregate queries for the admin analytics. Callers own the session.

Days are UTC calendar days, bucketed in SQL (`utc_date`) so a year of events comes back as at
most 366 rows instead of every timestamp; the expression compiles per backend.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func, select, union
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from reelgraph.persistence.models import InteractionRow, RatingRow, UserRow, WatchEventRow


class utc_date(FunctionElement[date]):  # lower case: reads like the SQL function it renders
    """The UTC calendar day of a UTCDateTime column."""

    type = sa.Date()
    inherit_cache = True
    name = "utc_date"


@compiles(utc_date)
def _utc_date_default(element: utc_date, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS DATE)"


@compiles(utc_date, "sqlite")
def _utc_date_sqlite(element: utc_date, compiler: SQLCompiler, **kw: Any) -> str:
    # UTCDateTime stores UTC text ('YYYY-MM-DD HH:MM:SS.ffffff'); date() keeps its day.
    return f"date({compiler.process(element.clauses, **kw)})"


@compiles(utc_date, "postgresql")
def _utc_date_postgresql(element: utc_date, compiler: SQLCompiler, **kw: Any) -> str:
    # timestamptz -> UTC wall time -> day, whatever the session's TimeZone. 'UTC' is inlined, not
    # bound, so the same expression in SELECT and GROUP BY compiles to identical SQL.
    return f"CAST(timezone('UTC', {compiler.process(element.clauses, **kw)}) AS DATE)"


def _within(column: Any, since: datetime, until: datetime) -> ColumnElement[bool]:
    return sa.and_(column >= since, column < until)


async def count_users(session: AsyncSession) -> int:
    return (await session.execute(select(func.count()).select_from(UserRow))).scalar_one()


async def new_users_per_day(session: AsyncSession, since: datetime, until: datetime) -> dict[date, int]:
    """Accounts created per UTC day in [since, until); days without any are absent."""
    day = utc_date(UserRow.created_at).label("day")
    rows = await session.execute(
        select(day, func.count()).where(_within(UserRow.created_at, since, until)).group_by(day)
    )
    return {row[0]: row[1] for row in rows}


async def active_users_per_day(session: AsyncSession, since: datetime, until: datetime) -> dict[date, int]:
    """Distinct users per UTC day with a watch event, a rating (created or updated) or an
    interaction in [since, until); days without any are absent."""
    sources: list[tuple[Any, Any]] = [
        (WatchEventRow.user_id, WatchEventRow.watched_at),
        (RatingRow.user_id, RatingRow.created_at),
        (RatingRow.user_id, RatingRow.updated_at),
        (InteractionRow.user_id, InteractionRow.created_at),
    ]
    # UNION (not UNION ALL) already makes (user, day) pairs distinct across all activity kinds.
    pairs = union(
        *(
            select(user_id.label("user_id"), utc_date(at).label("day")).where(
                user_id.is_not(None), _within(at, since, until)
            )
            for user_id, at in sources
        )
    ).subquery("activity")
    rows = await session.execute(
        select(pairs.c.day, func.count(func.distinct(pairs.c.user_id))).group_by(pairs.c.day)
    )
    return {row[0]: row[1] for row in rows}


async def most_watched(
    session: AsyncSession, since: datetime, until: datetime, limit: int
) -> list[tuple[int, int]]:
    """(tmdb id, watch events) in [since, until), signed-in and anonymous alike; most first."""
    count = func.count(WatchEventRow.id)
    rows = await session.execute(
        select(WatchEventRow.movie_id, count)
        .where(_within(WatchEventRow.watched_at, since, until))
        .group_by(WatchEventRow.movie_id)
        .order_by(count.desc(), WatchEventRow.movie_id)
        .limit(limit)
    )
    return [(row[0], row[1]) for row in rows]


async def most_rated(session: AsyncSession, limit: int) -> list[tuple[int, int]]:
    """(tmdb id, ratings) of all time; most first."""
    count = func.count(RatingRow.id)
    rows = await session.execute(
        select(RatingRow.movie_id, count)
        .group_by(RatingRow.movie_id)
        .order_by(count.desc(), RatingRow.movie_id)
        .limit(limit)
    )
    return [(row[0], row[1]) for row in rows]
