"""Admin analytics: the service on fixed days, then Query.analytics over HTTP.

The session database is shared with other test files, so HTTP checks compare counts before and
after inserting known rows; the service checks use days in 2001, where nothing else writes.
Every row made here is deleted afterwards (users cascade to their events and ratings).

Rows are written straight to the tables here, behind the API's back, as a bulk load would be:
the rollups analytics reads are rebuilt after each write (tests/test_analytics_rollups.py checks
that the API's own writes keep them without a rebuild).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.relay import GlobalID

from reelgraph.errors import BadUserInput
from reelgraph.persistence.models import InteractionRow, MovieRow, RatingRow, UserRow, WatchEventRow
from reelgraph.services.analytics import AnalyticsService, DayCount, MovieTally
from tests.helpers import GraphQLClient, error_codes, register, unique_email

# In the offline catalog, so MovieCount.movie resolves.
MATRIX, RELOADED, REVOLUTIONS, INCEPTION, INTERSTELLAR = 603, 604, 605, 27205, 157336
CATALOG_MOVIES = (MATRIX, RELOADED, REVOLUTIONS, INCEPTION, INTERSTELLAR)
UNKNOWN_MOVIE = 999_000_001  # mirrored locally but unknown to the catalog
PAST_TODAY = date(2001, 3, 10)  # service checks run on days no other test writes to


def utc_today() -> date:
    return datetime.now(UTC).date()


def noon(day: date, days_ago: int = 0) -> datetime:
    return datetime.combine(day - timedelta(days=days_ago), time(12), tzinfo=UTC)


@dataclass
class Rows:
    """Writes rows straight to the database and removes them at teardown."""

    sessions: async_sessionmaker[AsyncSession]
    user_ids: list[int] = field(default_factory=list)
    anonymous_key: str = field(default_factory=lambda: f"analytics-{uuid.uuid4().hex[:16]}")
    own_movies: list[int] = field(default_factory=list)

    async def movies(self, *tmdb_ids: int) -> None:
        # Other tests (and the catalog mirror) may have written these rows already: insert or ignore.
        async with self.sessions.begin() as session:
            insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
            rows = [{"tmdb_id": i, "title": f"Movie {i}", "updated_at": datetime.now(UTC)} for i in tmdb_ids]
            await session.execute(
                insert(MovieRow).values(rows).on_conflict_do_nothing(index_elements=["tmdb_id"])
            )

    async def unknown_movie(self) -> int:
        await self.movies(UNKNOWN_MOVIE)
        self.own_movies.append(UNKNOWN_MOVIE)
        return UNKNOWN_MOVIE

    async def rebuild(self) -> None:
        await AnalyticsService(self.sessions).rebuild_rollups()

    async def user(self, created_at: datetime | None = None) -> int:
        created_at = created_at or datetime.now(UTC)
        async with self.sessions.begin() as session:
            row = UserRow(
                email=unique_email("analytics"),
                name="Analytics",
                password_hash="not-a-hash",
                created_at=created_at,
                updated_at=created_at,
            )
            session.add(row)
            await session.flush()
            assert row.id is not None
            self.user_ids.append(row.id)
        await self.rebuild()
        return row.id

    async def add(self, *rows: Any) -> None:
        async with self.sessions.begin() as session:
            session.add_all(rows)
        await self.rebuild()

    async def watches(self, movie_id: int, at: datetime, count: int = 1, user_id: int | None = None) -> None:
        # Events without a user are anonymous viewers, as the history mutation records them.
        key = None if user_id is not None else self.anonymous_key
        await self.add(
            *(
                WatchEventRow(user_id=user_id, anonymous_key=key, movie_id=movie_id, watched_at=at)
                for _ in range(count)
            )
        )

    async def ratings(self, movie_id: int, count: int, at: datetime) -> None:
        users = [await self.user(at) for _ in range(count)]
        await self.add(
            *(RatingRow(user_id=u, movie_id=movie_id, value=4.0, created_at=at, updated_at=at) for u in users)
        )

    async def cleanup(self) -> None:
        async with self.sessions.begin() as session:
            if self.user_ids:
                await session.execute(delete(UserRow).where(UserRow.id.in_(self.user_ids)))
            await session.execute(
                delete(WatchEventRow).where(WatchEventRow.anonymous_key == self.anonymous_key)
            )
            if self.own_movies:
                await session.execute(delete(MovieRow).where(MovieRow.tmdb_id.in_(self.own_movies)))
        await self.rebuild()


@pytest.fixture
async def rows(app: Any) -> AsyncIterator[Rows]:
    made = Rows(app.state.services.sessions)
    await made.movies(*CATALOG_MOVIES)
    try:
        yield made
    finally:
        await made.cleanup()


@pytest.fixture
def service(app: Any) -> AnalyticsService:
    return AnalyticsService(app.state.services.sessions)


def by_day(counts: Iterable[DayCount]) -> dict[date, int]:
    return {c.day: c.count for c in counts}


# --- the service, on days in 2001 -------------------------------------------------------------


async def test_arguments_are_checked(service: AnalyticsService) -> None:
    for call, argument in (
        (lambda: service.new_users(0), "days"),
        (lambda: service.new_users(367), "days"),
        (lambda: service.daily_active_users(-1), "days"),
        (lambda: service.most_watched(first=0), "first"),
        (lambda: service.most_watched(first=101), "first"),
        (lambda: service.most_watched(days=367), "days"),
        (lambda: service.most_rated(first=101), "first"),
    ):
        with pytest.raises(BadUserInput) as raised:
            await call()
        assert raised.value.extensions == {"code": "BAD_USER_INPUT", "field": argument}
        assert f"'{argument}'" in raised.value.message
    # The bounds themselves are accepted.
    assert len(await service.new_users(366, today=PAST_TODAY)) == 366
    assert len(await service.new_users(1, today=PAST_TODAY)) == 1
    await service.most_watched(first=100, days=1, today=PAST_TODAY)
    await service.most_rated(first=1)


async def test_user_count_and_new_users_per_utc_day(service: AnalyticsService, rows: Rows) -> None:
    before = await service.user_count()
    plus_two = timezone(timedelta(hours=2))
    # 01:30 at +02:00 on the 9th is 23:30 UTC on the 8th: days are UTC days.
    await rows.user(datetime(2001, 3, 9, 1, 30, tzinfo=plus_two))
    await rows.user(datetime(2001, 3, 8, 0, 0, tzinfo=UTC))
    await rows.user(datetime(2001, 3, 10, 23, 59, 59, tzinfo=UTC))  # the last instant of "today"
    await rows.user(datetime(2001, 3, 11, 0, 0, tzinfo=UTC))  # tomorrow: outside the window
    await rows.user(datetime(2001, 3, 4, 23, 59, 59, tzinfo=UTC))  # the day before a 6-day window
    assert await service.user_count() == before + 5

    days = await service.new_users(6, today=PAST_TODAY)
    assert days == [
        DayCount(date(2001, 3, 5), 0),
        DayCount(date(2001, 3, 6), 0),
        DayCount(date(2001, 3, 7), 0),
        DayCount(date(2001, 3, 8), 2),
        DayCount(date(2001, 3, 9), 0),
        DayCount(date(2001, 3, 10), 1),
    ]
    assert [d.day for d in await service.new_users(today=PAST_TODAY)] == [
        PAST_TODAY - timedelta(days=n) for n in range(29, -1, -1)
    ]
    assert by_day(await service.new_users(7, today=PAST_TODAY))[date(2001, 3, 4)] == 1


async def test_daily_active_users_counts_each_user_once_per_day(
    service: AnalyticsService, rows: Rows
) -> None:
    day = PAST_TODAY
    both = await rows.user(noon(day, 30))
    # Watched and rated on the same day: one active user that day.
    await rows.watches(MATRIX, noon(day, 1), user_id=both)
    await rows.watches(RELOADED, noon(day, 1), user_id=both)
    await rows.add(
        RatingRow(user_id=both, movie_id=MATRIX, value=5, created_at=noon(day, 1), updated_at=noon(day, 1))
    )
    await rows.add(InteractionRow(user_id=both, movie_id=MATRIX, kind="SEEN", created_at=noon(day, 3)))
    # Rated long ago, re-rated two days ago: active on the day of the update.
    rerated = await rows.user(noon(day, 60))
    await rows.add(
        RatingRow(
            user_id=rerated, movie_id=RELOADED, value=3, created_at=noon(day, 40), updated_at=noon(day, 2)
        )
    )
    liked = await rows.user(noon(day, 60))
    await rows.add(InteractionRow(user_id=liked, movie_id=MATRIX, kind="WATCHLIST", created_at=noon(day, 1)))
    await rows.add(
        InteractionRow(user_id=liked, movie_id=RELOADED, kind="WATCHLIST", created_at=noon(day, 1))
    )
    await rows.watches(MATRIX, noon(day, 1), count=3)  # anonymous: never an active user

    active = await service.daily_active_users(5, today=day)
    assert active == [
        DayCount(date(2001, 3, 6), 0),
        DayCount(date(2001, 3, 7), 1),
        DayCount(date(2001, 3, 8), 1),
        DayCount(date(2001, 3, 9), 2),
        DayCount(date(2001, 3, 10), 0),
    ]
    # The creation 40 days back counts on its own day, in a window that reaches it.
    assert by_day(await service.daily_active_users(41, today=day))[day - timedelta(days=40)] == 1


async def test_most_watched_in_a_window(service: AnalyticsService, rows: Rows) -> None:
    day = PAST_TODAY
    viewer = await rows.user(noon(day, 100))
    await rows.watches(REVOLUTIONS, noon(day, 0), count=2)
    await rows.watches(REVOLUTIONS, noon(day, 1), user_id=viewer)  # signed-in and anonymous add up
    await rows.watches(INCEPTION, noon(day, 2), count=2)
    await rows.watches(RELOADED, noon(day, 4), count=2)  # ties with INCEPTION: lower id first
    await rows.watches(MATRIX, noon(day, 4))
    await rows.watches(INTERSTELLAR, noon(day, 10), count=9)  # outside a 5-day window

    assert await service.most_watched(first=10, days=5, today=day) == [
        MovieTally(REVOLUTIONS, 3),
        MovieTally(RELOADED, 2),
        MovieTally(INCEPTION, 2),
        MovieTally(MATRIX, 1),
    ]
    assert await service.most_watched(first=2, days=5, today=day) == [
        MovieTally(REVOLUTIONS, 3),
        MovieTally(RELOADED, 2),
    ]
    assert (await service.most_watched(first=1, days=11, today=day)) == [MovieTally(INTERSTELLAR, 9)]
    assert await service.most_watched(days=3, today=day) == [
        MovieTally(REVOLUTIONS, 3),
        MovieTally(INCEPTION, 2),
    ]


async def test_most_rated(service: AnalyticsService, rows: Rows) -> None:
    before = {t.tmdb_id: t.count for t in await service.most_rated(first=100)}
    await rows.ratings(INTERSTELLAR, 3, noon(PAST_TODAY, 500))
    await rows.ratings(INCEPTION, 1, noon(PAST_TODAY, 0))
    after = await service.most_rated(first=100)
    counts = {t.tmdb_id: t.count for t in after}
    assert counts[INTERSTELLAR] == before.get(INTERSTELLAR, 0) + 3
    assert counts[INCEPTION] == before.get(INCEPTION, 0) + 1
    assert after == sorted(after, key=lambda t: (-t.count, t.tmdb_id))


# --- Query.analytics over HTTP ----------------------------------------------------------------
# These need Query.analytics in the schema (AnalyticsQuery merged into Query); until then they fail.

DAYS = """
query($days: Int) {
  analytics { userCount newUsers(days: $days) { date count } dailyActiveUsers(days: $days) { date count } }
}
"""
MOVIES = """
query($first: Int, $days: Int) {
  analytics {
    mostWatched(first: $first, days: $days) { count movie { tmdbId title } }
    mostRated(first: $first) { count movie { tmdbId title } }
  }
}
"""


@pytest.fixture
async def admin(gql: GraphQLClient, app: Any) -> str:
    session = await register(gql, name="Analyst")
    user_id = int(GlobalID.from_id(session["user"]["id"]).node_id)
    await app.state.services.admin.assign_role(user_id, "ADMIN")
    return str(session["accessToken"])


async def analytics(gql: GraphQLClient, token: str, query: str, **variables: Any) -> dict[str, Any]:
    body = await gql(query, variables, token=token)
    assert "errors" not in body, body
    return dict(body["data"]["analytics"])


def counts_by_date(days: list[dict[str, Any]]) -> dict[date, int]:
    return {date.fromisoformat(d["date"]): d["count"] for d in days}


def movie_counts(items: list[dict[str, Any]]) -> dict[int, int]:
    return {item["movie"]["tmdbId"]: item["count"] for item in items}


async def test_analytics_is_for_admins_only(gql: GraphQLClient) -> None:
    user = await register(gql)
    for query in ("{ analytics { userCount } }", MOVIES):
        anonymous = await gql(query)
        assert error_codes(anonymous) == ["UNAUTHENTICATED"] and anonymous["data"] is None
        forbidden = await gql(query, token=user["accessToken"])
        assert error_codes(forbidden) == ["FORBIDDEN"] and forbidden["data"] is None


async def test_bad_arguments(gql: GraphQLClient, admin: str) -> None:
    for query, variables, argument in (
        (DAYS, {"days": 0}, "days"),
        (DAYS, {"days": 367}, "days"),
        (MOVIES, {"days": 0}, "days"),
        (MOVIES, {"first": 101}, "first"),
        (MOVIES, {"first": 0}, "first"),
    ):
        body = await gql(query, variables, token=admin)
        assert set(error_codes(body)) == {"BAD_USER_INPUT"}, (variables, body)
        assert {e["extensions"]["field"] for e in body["errors"]} == {argument}


async def test_days_are_thirty_zero_filled_utc_days_by_default(gql: GraphQLClient, admin: str) -> None:
    today = utc_today()
    for variables in ({}, {"days": None}):
        data = await analytics(gql, admin, DAYS, **variables)
        for series in (data["newUsers"], data["dailyActiveUsers"]):
            dates = [date.fromisoformat(d["date"]) for d in series]
            assert len(dates) == 30
            assert dates[-1] in (today, utc_today())  # today last (allowing for a midnight in between)
            assert dates == [dates[-1] - timedelta(days=n) for n in range(29, -1, -1)]  # oldest first
            assert all(isinstance(d["count"], int) and d["count"] >= 0 for d in series)
        assert data["userCount"] >= 1
    one = await analytics(gql, admin, DAYS, days=1)
    assert len(one["newUsers"]) == 1 and len(one["dailyActiveUsers"]) == 1


async def test_counts_follow_new_rows(gql: GraphQLClient, admin: str, rows: Rows) -> None:
    before = await analytics(gql, admin, DAYS, days=7)
    today = utc_today()
    now = datetime.now(UTC) - timedelta(seconds=1)

    # Active today by a watch event and a rating, and three days ago by an interaction.
    both = await rows.user(now)
    await rows.watches(MATRIX, now, user_id=both)
    await rows.add(RatingRow(user_id=both, movie_id=MATRIX, value=4.5, created_at=now, updated_at=now))
    await rows.add(InteractionRow(user_id=both, movie_id=RELOADED, kind="SEEN", created_at=noon(today, 3)))
    # Created four days ago, active only by re-rating two days ago (the rating itself is older).
    rerated = await rows.user(noon(today, 4))
    await rows.add(
        RatingRow(
            user_id=rerated,
            movie_id=RELOADED,
            value=2,
            created_at=noon(today, 45),
            updated_at=noon(today, 2),
        )
    )
    await rows.watches(MATRIX, now, count=2)  # anonymous viewers are not users

    after = await analytics(gql, admin, DAYS, days=7)
    assert after["userCount"] == before["userCount"] + 2

    def delta(series: str) -> dict[date, int]:
        old, new = counts_by_date(before[series]), counts_by_date(after[series])
        return {day: count - old.get(day, 0) for day, count in new.items() if count != old.get(day, 0)}

    # Bucketed by each row's own day (dates, not positions: robust to a midnight between queries).
    created_today = now.date()
    assert delta("newUsers") == {created_today: 1, today - timedelta(days=4): 1}
    assert delta("dailyActiveUsers") == {
        created_today: 1,  # `both`, once for two kinds of activity
        today - timedelta(days=2): 1,  # `rerated`
        today - timedelta(days=3): 1,  # `both` again, another day
    }


async def test_most_watched_and_most_rated(gql: GraphQLClient, admin: str, rows: Rows) -> None:
    before = await analytics(gql, admin, MOVIES, first=100, days=30)
    before_week = await analytics(gql, admin, MOVIES, first=100, days=5)
    today = utc_today()
    viewer = await rows.user(noon(today, 100))
    await rows.watches(REVOLUTIONS, noon(today, 1), count=4)
    await rows.watches(REVOLUTIONS, noon(today, 1), user_id=viewer)
    await rows.watches(INCEPTION, noon(today, 2), count=3)
    await rows.watches(INTERSTELLAR, noon(today, 10), count=6)  # in the 30-day window, not the 5-day one
    await rows.watches(INTERSTELLAR, noon(today, 40), count=50)  # in neither
    unknown = await rows.unknown_movie()
    await rows.watches(unknown, noon(today, 1), count=100)  # the most watched, but no longer in the catalog
    await rows.ratings(RELOADED, 3, noon(today, 200))
    await rows.ratings(unknown, 4, noon(today, 1))

    after = await analytics(gql, admin, MOVIES, first=100, days=30)
    after_week = await analytics(gql, admin, MOVIES, first=100, days=5)

    def gained(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> dict[int, int]:
        was, now = movie_counts(old), movie_counts(new)
        return {
            movie: count - was.get(movie, 0) for movie, count in now.items() if count != was.get(movie, 0)
        }

    assert gained(before["mostWatched"], after["mostWatched"]) == {
        REVOLUTIONS: 5,
        INCEPTION: 3,
        INTERSTELLAR: 6,
    }
    assert gained(before_week["mostWatched"], after_week["mostWatched"]) == {REVOLUTIONS: 5, INCEPTION: 3}
    assert gained(before["mostRated"], after["mostRated"]) == {RELOADED: 3}
    for items in (after["mostWatched"], after_week["mostWatched"], after["mostRated"]):
        assert unknown not in movie_counts(items)
        order = [(-item["count"], item["movie"]["tmdbId"]) for item in items]
        assert order == sorted(order)  # count descending, then TMDb id
        assert all(item["movie"]["title"] for item in items)
    titles = {item["movie"]["tmdbId"]: item["movie"]["title"] for item in after["mostWatched"]}
    assert titles[INCEPTION] == "Inception"

    top = await analytics(gql, admin, MOVIES, first=2, days=5)
    # The unknown movie takes one of the two places, then is dropped: never more than `first`.
    assert len(top["mostWatched"]) <= 2
    assert top["mostWatched"] == [i for i in after_week["mostWatched"] if i in top["mostWatched"]]
    defaults = await analytics(gql, admin, MOVIES)  # first: 10, days: 30
    assert defaults["mostWatched"] == after["mostWatched"][: len(defaults["mostWatched"])]
