"""Daily rollups for the admin analytics, kept by the writes themselves.

Each write that adds or removes a watch event, an interaction, a rating or an account records
what it changed in a `Tally` and applies it, last, inside its own transaction: the rollups are
always exactly what aggregating the raw rows would give, and analytics reads a few hundred rows
whatever the size of the raw tables.

- daily_counts: NEW_USERS (accounts by creation day) and ACTIVE_USERS (distinct active users);
- active_user_days: (day, user) with the number of activity times of the user's rows that fall
  on that day (watch, interaction, rating creation and last update, as analytics defined
  activity); the day's ACTIVE_USERS changes only when a pair appears or goes, so that hot row
  is written about once per user per day, not once per write;
- movie_daily_views: watch events per movie and day;
- movie_aggregates (reelgraph.persistence.movie_aggregates): ratings and reviews per movie.

Rows are written in one order (these tables in this order, keys sorted) so concurrent writers
cannot deadlock on them. `rebuild` recomputes everything from the raw rows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import delete, func, insert, literal, select, text, union_all, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import Executable
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from reelgraph.persistence import movie_aggregates
from reelgraph.persistence.models import (
    ActiveUserDayRow,
    DailyCountRow,
    InteractionRow,
    MovieDayViewsRow,
    RatingRow,
    ReviewRow,
    UserRow,
    WatchEventRow,
)
from reelgraph.persistence.movie_aggregates import AggregateDelta
from reelgraph.persistence.upsert import dialect_insert

NEW_USERS, ACTIVE_USERS = "NEW_USERS", "ACTIVE_USERS"
_CHUNK = 1_000  # rows per multi-row upsert (SQLite binds at most 32,766 parameters)


class utc_date(FunctionElement[date]):  # lower case: reads like the SQL function it renders
    """The UTC calendar day of a UTCDateTime column, computed in SQL (backfill, account deletion)."""

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


def utc_day(at: datetime) -> date:
    """The UTC calendar day of a stored time (naive times are UTC, as UTCDateTime stores them)."""
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC).date()


@dataclass
class Tally:
    """What one transaction changed, applied once at its end by `apply`."""

    active: Counter[tuple[date, int]] = field(default_factory=Counter)
    views: Counter[tuple[date, int]] = field(default_factory=Counter)
    daily: Counter[tuple[str, date]] = field(default_factory=Counter)
    movies: dict[int, AggregateDelta] = field(default_factory=dict)

    def activity(self, user_id: int | None, at: datetime, delta: int = 1) -> None:
        if user_id is not None:
            self.active[(utc_day(at), user_id)] += delta

    def watch(self, user_id: int | None, movie_id: int, at: datetime, delta: int = 1) -> None:
        self.views[(utc_day(at), movie_id)] += delta
        self.movie(movie_id).view_count += delta
        self.activity(user_id, at, delta)

    def interaction(self, user_id: int, at: datetime, delta: int = 1) -> None:
        self.activity(user_id, at, delta)

    def rating(
        self,
        user_id: int,
        movie_id: int,
        value: float,
        created_at: datetime,
        updated_at: datetime,
        delta: int = 1,
    ) -> None:
        """A rating added (delta 1) or removed (delta -1)."""
        self.activity(user_id, created_at, delta)
        self.activity(user_id, updated_at, delta)
        aggregate = self.movie(movie_id)
        aggregate.rating_count += delta
        aggregate.rating_sum += delta * value

    def rating_changed(
        self,
        user_id: int,
        movie_id: int,
        old: float,
        old_updated_at: datetime,
        new: float,
        updated_at: datetime,
    ) -> None:
        self.activity(user_id, old_updated_at, -1)
        self.activity(user_id, updated_at, 1)
        self.movie(movie_id).rating_sum += new - old

    def review(self, movie_id: int, delta: int = 1) -> None:
        self.movie(movie_id).review_count += delta

    def user_created(self, at: datetime, delta: int = 1) -> None:
        self.daily[(NEW_USERS, utc_day(at))] += delta

    def movie(self, movie_id: int) -> AggregateDelta:
        return self.movies.setdefault(movie_id, AggregateDelta())

    async def apply(self, session: AsyncSession) -> None:
        await _apply_activity(session, self.active, self.daily)
        await _add_counts(session, DailyCountRow, ["metric", "day"], self.daily)
        await _add_counts(session, MovieDayViewsRow, ["day", "movie_id"], self.views)
        await movie_aggregates.add(session, self.movies)
        self.active.clear()
        self.views.clear()
        self.daily.clear()
        self.movies.clear()


async def _apply_activity(
    session: AsyncSession, active: Counter[tuple[date, int]], daily: Counter[tuple[str, date]]
) -> None:
    """Moves each (day, user) pair's refs; a pair appearing or going moves the day's ACTIVE_USERS."""
    table = ActiveUserDayRow.__table__.c
    keys = sorted(key for key, delta in active.items() if delta)
    gained = [key for key in keys if active[key] > 0]
    for start in range(0, len(gained), _CHUNK):
        rows = [{"day": d, "user_id": u, "refs": active[(d, u)]} for d, u in gained[start : start + _CHUNK]]
        statement = dialect_insert(session, ActiveUserDayRow).values(rows)
        result = await session.execute(
            statement.on_conflict_do_update(
                index_elements=["day", "user_id"], set_={"refs": table.refs + statement.excluded.refs}
            ).returning(table.day, table.user_id, table.refs)
        )
        for day, user_id, refs in result:
            if refs == active[(day, user_id)]:  # the pair did not exist: a newly active user
                daily[(ACTIVE_USERS, day)] += 1
    for day, user_id in (key for key in keys if active[key] < 0):
        where = (table.day == day, table.user_id == user_id)
        refs = (
            await session.execute(
                update(ActiveUserDayRow.__table__)
                .where(*where)
                .values(refs=table.refs + active[(day, user_id)])
                .returning(table.refs)
            )
        ).scalar_one_or_none()
        if refs is not None and refs <= 0:
            await session.execute(delete(ActiveUserDayRow.__table__).where(*where))
            daily[(ACTIVE_USERS, day)] -= 1


async def _add_counts(session: AsyncSession, model: Any, keys: list[str], deltas: Counter[Any]) -> None:
    items = sorted((key, delta) for key, delta in deltas.items() if delta)
    table = model.__table__.c
    for start in range(0, len(items), _CHUNK):
        rows = [
            dict(zip(keys, key, strict=True), count=delta) for key, delta in items[start : start + _CHUNK]
        ]
        statement = dialect_insert(session, model).values(rows)
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=keys, set_={"count": table.count + statement.excluded.count}
            )
        )


async def forget_user(session: AsyncSession, user_id: int) -> None:
    """Takes a user's rows out of every rollup, before the account is deleted (in the same
    transaction, which holds the user's row lock, so no write of theirs comes in between)."""
    tally = Tally()
    # FOR UPDATE: the user's library writes take this lock first (persistence.library.lock_user).
    locked = select(UserRow.created_at).where(UserRow.id == user_id).with_for_update()
    created_at = (await session.execute(locked)).scalar_one()
    tally.user_created(created_at, -1)
    days = await session.execute(
        delete(ActiveUserDayRow.__table__)
        .where(ActiveUserDayRow.__table__.c.user_id == user_id)
        .returning(ActiveUserDayRow.__table__.c.day)
    )
    for (day,) in days:
        tally.daily[(ACTIVE_USERS, day)] -= 1
    day = utc_date(WatchEventRow.watched_at).label("day")
    watched = await session.execute(
        select(day, WatchEventRow.movie_id, func.count())
        .where(WatchEventRow.user_id == user_id)
        .group_by(day, WatchEventRow.movie_id)
    )
    for watch_day, movie_id, count in watched:
        tally.views[(_as_date(watch_day), movie_id)] -= count
        tally.movie(movie_id).view_count -= count
    rated = await session.execute(
        select(RatingRow.movie_id, func.count(), func.sum(RatingRow.value))
        .where(RatingRow.user_id == user_id)
        .group_by(RatingRow.movie_id)
    )
    for movie_id, count, total in rated:
        aggregate = tally.movie(movie_id)
        aggregate.rating_count -= count
        aggregate.rating_sum -= float(total)
    reviewed = await session.execute(
        select(ReviewRow.movie_id, func.count())
        .where(ReviewRow.user_id == user_id)
        .group_by(ReviewRow.movie_id)
    )
    for movie_id, count in reviewed:
        tally.review(movie_id, -count)
    await tally.apply(session)


def _as_date(value: date | str) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value  # SQLite returns text


def rebuild_statements() -> list[Executable]:
    """Empties the rollups and computes them from the raw rows, one grouped pass per table."""
    sources: list[tuple[Any, Any]] = [
        (WatchEventRow.user_id, WatchEventRow.watched_at),
        (RatingRow.user_id, RatingRow.created_at),
        (RatingRow.user_id, RatingRow.updated_at),
        (InteractionRow.user_id, InteractionRow.created_at),
    ]
    activity = union_all(
        *(
            select(user_id.label("user_id"), utc_date(at).label("day")).where(user_id.is_not(None))
            for user_id, at in sources
        )
    ).subquery("activity")
    pairs = select(activity.c.day, activity.c.user_id, func.count()).group_by(
        activity.c.day, activity.c.user_id
    )
    active_days = ActiveUserDayRow.__table__.c
    active_per_day = select(literal(ACTIVE_USERS), active_days.day, func.count()).group_by(active_days.day)
    joined = utc_date(UserRow.created_at).label("day")
    new_per_day = select(literal(NEW_USERS), joined, func.count()).group_by(joined)
    watched = utc_date(WatchEventRow.watched_at).label("day")
    views = select(watched, WatchEventRow.movie_id, func.count()).group_by(watched, WatchEventRow.movie_id)
    return [
        delete(ActiveUserDayRow),
        delete(DailyCountRow),
        delete(MovieDayViewsRow),
        insert(ActiveUserDayRow).from_select(["day", "user_id", "refs"], pairs),
        insert(DailyCountRow).from_select(["metric", "day", "count"], active_per_day),
        insert(DailyCountRow).from_select(["metric", "day", "count"], new_per_day),
        insert(MovieDayViewsRow).from_select(["day", "movie_id", "count"], views),
        *movie_aggregates.rebuild_statements(),
    ]


ROLLUP_TABLES: Sequence[str] = ("active_user_days", "daily_counts", "movie_daily_views", "movie_aggregates")


async def rebuild(session: AsyncSession) -> None:
    """Recomputes every rollup in the caller's transaction. On PostgreSQL the rollup tables are
    locked first, so writes that commit meanwhile wait and then add to the rebuilt rows."""
    bind = session.bind
    if bind is not None and bind.dialect.name == "postgresql":
        await session.execute(text(f"LOCK TABLE {', '.join(ROLLUP_TABLES)} IN EXCLUSIVE MODE"))
    for statement in rebuild_statements():
        await session.execute(statement)
