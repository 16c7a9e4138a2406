"""The analytics rollups answer exactly what aggregating the raw rows answers.

A database is seeded behind the API's back (as a bulk load would), rebuilt with
runJob(name: "rebuild-analytics"), then changed through /graphql by every kind of write that
moves a figure: registrations, ratings made, changed and removed, interactions set and removed
(and removed by the library's rules), views signed-in and anonymous, reviews, a library import
with dated rows, and an account deletion. Query.analytics, as an admin, must then equal the
queries analytics ran on the raw tables before the rollups (kept below as the reference), and a
second rebuild must change nothing. Then the migration's own backfill, and its downgrade.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import func, select, union
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.sql.elements import ColumnElement

from reelgraph.persistence import analytics as persistence_analytics
from reelgraph.persistence.migrate import alembic_config
from reelgraph.persistence.models import (
    InteractionRow,
    MovieRow,
    RatingRow,
    ReviewRow,
    UserRow,
    WatchEventRow,
)
from reelgraph.persistence.rollups import utc_date
from reelgraph.services.analytics import AnalyticsService
from tests import library_import_files as files
from tests.helpers import PASSWORD, GraphQLClient, unique_email
from tests.library_fixtures import Member, member, promoted

DAYS = 366
AMELIE, DAS_BOOT = 194, 387  # in the Letterboxd export of tests.library_import_files
ANALYTICS = """
query($days: Int, $first: Int) {
  analytics {
    userCount
    newUsers(days: $days) { date count }
    dailyActiveUsers(days: $days) { date count }
    mostWatched(first: $first, days: $days) { count movie { tmdbId } }
    mostRated(first: $first) { count movie { tmdbId } }
  }
}
"""
RUN = 'mutation { runJob(name: "rebuild-analytics") { job { status error } errors { code } } }'
PREFLIGHT = {"apollo-require-preflight": "true"}
IMPORT = """
mutation Import($file: Upload!, $source: LibrarySource!) {
  importLibrary(file: $file, source: $source) { job { status matched } errors { code } }
}
"""


# --- the reference: analytics' queries over the raw rows, as they were before the rollups -------


def _within(column: Any, since: datetime, until: datetime) -> ColumnElement[bool]:
    return sa.and_(column >= since, column < until)


async def reference(session: AsyncSession, days: int, first: int) -> dict[str, Any]:
    today = datetime.now(UTC).date()
    first_day = today - timedelta(days=days - 1)
    since = datetime.combine(first_day, time.min, tzinfo=UTC)
    until = datetime.combine(today + timedelta(days=1), time.min, tzinfo=UTC)
    dates = [first_day + timedelta(days=i) for i in range(days)]

    joined = utc_date(UserRow.created_at).label("day")
    new = dict(
        (
            await session.execute(
                select(joined, func.count()).where(_within(UserRow.created_at, since, until)).group_by(joined)
            )
        ).all()
    )
    sources: list[tuple[Any, Any]] = [
        (WatchEventRow.user_id, WatchEventRow.watched_at),
        (RatingRow.user_id, RatingRow.created_at),
        (RatingRow.user_id, RatingRow.updated_at),
        (InteractionRow.user_id, InteractionRow.created_at),
    ]
    pairs = union(
        *(
            select(user_id.label("user_id"), utc_date(at).label("day")).where(
                user_id.is_not(None), _within(at, since, until)
            )
            for user_id, at in sources
        )
    ).subquery("activity")
    active = dict(
        (
            await session.execute(
                select(pairs.c.day, func.count(func.distinct(pairs.c.user_id))).group_by(pairs.c.day)
            )
        ).all()
    )
    views = func.count(WatchEventRow.id)
    watched = await session.execute(
        select(WatchEventRow.movie_id, views)
        .where(_within(WatchEventRow.watched_at, since, until))
        .group_by(WatchEventRow.movie_id)
        .order_by(views.desc(), WatchEventRow.movie_id)
        .limit(first)
    )
    ratings = func.count(RatingRow.id)
    rated = await session.execute(
        select(RatingRow.movie_id, ratings)
        .group_by(RatingRow.movie_id)
        .order_by(ratings.desc(), RatingRow.movie_id)
        .limit(first)
    )
    return {
        "userCount": (await session.execute(select(func.count()).select_from(UserRow))).scalar_one(),
        "newUsers": [(day, new.get(day, 0)) for day in dates],
        "dailyActiveUsers": [(day, active.get(day, 0)) for day in dates],
        "mostWatched": [(m, c) for m, c in watched],
        "mostRated": [(m, c) for m, c in rated],
    }


# --- helpers ------------------------------------------------------------------------------------


def as_pairs(data: dict[str, Any]) -> dict[str, Any]:
    def days(series: list[dict[str, Any]]) -> list[tuple[date, int]]:
        return [(date.fromisoformat(d["date"]), d["count"]) for d in series]

    def movies(items: list[dict[str, Any]]) -> list[tuple[int, int]]:
        return [(item["movie"]["tmdbId"], item["count"]) for item in items]

    return {
        "userCount": data["userCount"],
        "newUsers": days(data["newUsers"]),
        "dailyActiveUsers": days(data["dailyActiveUsers"]),
        "mostWatched": movies(data["mostWatched"]),
        "mostRated": movies(data["mostRated"]),
    }


async def answers(gql: GraphQLClient, admin: Member) -> dict[str, Any]:
    body = await gql(ANALYTICS, {"days": DAYS, "first": 100}, token=admin.token)
    assert "errors" not in body, body
    return as_pairs(body["data"]["analytics"])


def matches(api: dict[str, Any], expected: dict[str, Any]) -> None:
    """Equal; the API's movie lists drop movies the catalog no longer knows, nothing else."""
    for key in ("userCount", "newUsers", "dailyActiveUsers"):
        assert api[key] == expected[key], key
    for key in ("mostWatched", "mostRated"):
        shown = {movie for movie, _ in api[key]}
        assert api[key] == [pair for pair in expected[key] if pair[0] in shown], key
        assert len(api[key]) >= len(expected[key]) - 3, key  # only a few test-made unknown movies


async def rebuild(gql: GraphQLClient, admin: Member) -> None:
    body = await gql(RUN, token=admin.token)
    assert body["data"]["runJob"]["job"]["status"] == "SUCCEEDED", body


async def ok(gql: GraphQLClient, query: str, variables: dict[str, Any], user: Member) -> dict[str, Any]:
    body = await gql(query, variables, token=user.token)
    assert "errors" not in body, body
    payload: dict[str, Any] = next(iter(body["data"].values()))
    assert not payload.get("errors"), payload
    return payload


async def seed(app: Any, movies: Sequence[int], rng: random.Random) -> None:
    """Rows written straight to the tables over the last 400 days, as a bulk load would."""
    now = datetime.now(UTC)

    def past(max_days: int) -> datetime:
        return now - timedelta(seconds=rng.randrange(max_days * 86_400))

    async with app.state.services.sessions.begin() as session:
        dialect = session.bind.dialect.name
        insert = sa.dialects.postgresql.insert if dialect == "postgresql" else sa.dialects.sqlite.insert
        await session.execute(
            insert(MovieRow)
            .values([{"tmdb_id": m, "title": f"Movie {m}", "updated_at": now} for m in movies])
            .on_conflict_do_nothing(index_elements=["tmdb_id"])
        )
        users = []
        for _ in range(15):
            joined = past(400)
            user = UserRow(
                email=unique_email("seed"),
                name="Seed",
                password_hash="x",
                created_at=joined,
                updated_at=joined,
            )
            session.add(user)
            users.append(user)
        await session.flush()
        for user in users:
            assert user.id is not None
            for movie in rng.sample(list(movies), 6):
                created = past(300)
                updated = created + timedelta(days=rng.choice([0, 0, 3, 40]))
                session.add(
                    RatingRow(
                        user_id=user.id,
                        movie_id=movie,
                        value=rng.randint(1, 10) / 2,
                        created_at=created,
                        updated_at=min(updated, now),
                    )
                )
                session.add(InteractionRow(user_id=user.id, movie_id=movie, kind="SEEN", created_at=created))
            for movie in rng.sample(list(movies), 3):
                session.add(
                    InteractionRow(user_id=user.id, movie_id=movie, kind="LIKED", created_at=past(60))
                )
            for _ in range(8):
                session.add(WatchEventRow(user_id=user.id, movie_id=rng.choice(movies), watched_at=past(90)))
            session.add(
                ReviewRow(
                    user_id=user.id,
                    movie_id=rng.choice(movies),
                    body="Seeded.",
                    created_at=past(90),
                    updated_at=now,
                )
            )
        for _ in range(40):
            session.add(
                WatchEventRow(
                    anonymous_key="seed-anonymous", movie_id=rng.choice(movies), watched_at=past(30)
                )
            )


async def rollup_rows(app: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the rollup tables (zero counts aside: a rebuild does not write them)."""
    queries = {
        "active_user_days": "SELECT day, user_id, refs FROM active_user_days ORDER BY day, user_id",
        "daily_counts": "SELECT metric, day, count FROM daily_counts WHERE count <> 0 ORDER BY metric, day",
        "movie_daily_views": "SELECT day, movie_id, count FROM movie_daily_views WHERE count <> 0 ORDER BY day, movie_id",
        "movie_aggregates": "SELECT movie_id, rating_count, rating_sum, review_count, view_count"
        " FROM movie_aggregates WHERE rating_count <> 0 OR review_count <> 0 OR view_count <> 0 ORDER BY movie_id",
    }
    async with app.state.services.sessions() as session:
        return {
            name: [tuple(row) for row in await session.execute(sa.text(query))]
            for name, query in queries.items()
        }


async def import_letterboxd(gql: GraphQLClient, user: Member) -> None:
    operations = {"query": IMPORT, "variables": {"file": None, "source": "LETTERBOXD"}}
    response = await gql.http.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
        files={"0": ("export.zip", files.letterboxd_export(), "application/octet-stream")},
        headers={**PREFLIGHT, "authorization": f"Bearer {user.token}"},
    )
    body = response.json()
    assert "errors" not in body, body
    job = body["data"]["importLibrary"]["job"]
    assert job["status"] == "SUCCEEDED" and job["matched"] > 0, body


# --- the tests ----------------------------------------------------------------------------------


async def test_rollups_equal_the_raw_aggregates_after_every_kind_of_write(
    gql: GraphQLClient, app: Any
) -> None:
    admin = await promoted(gql, app, "ADMIN", name="Rollups admin")
    movies = [tmdb for _, _, tmdb in files.catalog_sample(30)]
    await seed(app, movies, random.Random(20))
    await rebuild(gql, admin)
    sessions = app.state.services.sessions
    async with sessions() as session:
        matches(await answers(gql, admin), await reference(session, DAYS, 100))

    a, b, c, d = movies[:4]
    ann, bob, cat = [await member(gql, name) for name in ("Ann", "Bob", "Cat")]
    rate = "mutation($m: Int!, $v: Float!) { rateMovie(movieId: $m, value: $v) { errors { code } } }"
    unrate = "mutation($m: Int!) { removeRating(movieId: $m) { ok errors { code } } }"
    kind = "mutation($m: Int!, $k: InteractionKind!) { setInteraction(movieId: $m, kind: $k) { errors { code } } }"
    unkind = "mutation($m: Int!, $k: InteractionKind!) { removeInteraction(movieId: $m, kind: $k) { errors { code } } }"
    view = "mutation($m: Int!) { trackView(movieId: $m) { ok errors { code } } }"
    review = (
        'mutation($m: Int!) { createReview(movieId: $m, body: "Fine.") { review { id } errors { code } } }'
    )
    unreview = "mutation($id: ID!) { deleteReview(id: $id) { ok errors { code } } }"
    for user, value in ((ann, 4.0), (bob, 2.5), (cat, 5.0)):
        await ok(gql, rate, {"m": a, "v": value}, user)
    await ok(gql, rate, {"m": a, "v": 1.5}, ann)  # re-rated
    await ok(gql, rate, {"m": b, "v": 3.0}, ann)
    await ok(gql, unrate, {"m": b}, ann)  # its SEEN stays, the rating goes
    await ok(gql, kind, {"m": c, "k": "WATCH_LATER"}, bob)
    await ok(gql, kind, {"m": c, "k": "SEEN"}, bob)  # removes WATCH_LATER
    await ok(gql, kind, {"m": d, "k": "LIKED"}, bob)
    await ok(gql, unkind, {"m": d, "k": "LIKED"}, bob)
    for user in (ann, bob, cat):
        await ok(gql, view, {"m": d}, user)
    body = await gql(view, {"m": c})  # anonymous
    assert body["data"]["trackView"]["ok"] is True, body
    made = await ok(gql, review, {"m": a}, bob)
    await ok(gql, review, {"m": b}, ann)
    await ok(gql, unreview, {"id": made["review"]["id"]}, bob)
    # The import changes this rating, and its SEEN of Das Boot takes it off the watchlist.
    await ok(gql, rate, {"m": AMELIE, "v": 2.0}, cat)
    await ok(gql, kind, {"m": DAS_BOOT, "k": "WATCH_LATER"}, cat)
    await import_letterboxd(gql, cat)  # ratings, watches and a watchlist dated years back
    await import_letterboxd(gql, ann)
    await ok(
        gql,
        "mutation($p: String!) { deleteAccount(password: $p) { ok errors { code } } }",
        {"p": PASSWORD},
        ann,
    )

    api = await answers(gql, admin)
    async with sessions() as session:
        expected = await reference(session, DAYS, 100)
    matches(api, expected)
    assert sum(count for _, count in api["dailyActiveUsers"]) > 15  # the data reached the figures
    kept = await rollup_rows(app)
    await rebuild(gql, admin)  # the rebuild agrees with what the writes kept, to the last row
    assert await rollup_rows(app) == kept
    assert await answers(gql, admin) == api


def _alembic(url: str, action: str, revision: str) -> None:
    getattr(command, action)(alembic_config(url), revision)


async def test_the_migration_backfills_existing_rows_and_downgrades(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'migrated.db'}"
    await asyncio.to_thread(_alembic, url, "upgrade", "0007")
    engine = create_async_engine(url)
    day = datetime(2026, 1, 5, 23, 30, tzinfo=UTC)
    async with engine.begin() as connection:
        await connection.execute(
            sa.text(
                "INSERT INTO movies (tmdb_id, title, updated_at) VALUES (603, 'M', :at), (604, 'R', :at)"
            ),
            {"at": day},
        )
        for n in (1, 2):
            await connection.execute(
                sa.text(
                    "INSERT INTO users (id, email, name, password_hash, locale, created_at, updated_at) VALUES (:n, :e, 'U', 'x', 'en-US', :at, :at)"
                ),
                {"n": n, "e": f"u{n}@example.com", "at": day},
            )
        await connection.execute(
            sa.text(
                "INSERT INTO ratings (user_id, movie_id, value, created_at, updated_at) VALUES (1, 603, 4.5, :at, :at), (2, 603, 2.0, :at, :later)"
            ),
            {"at": day, "later": day + timedelta(days=2)},
        )
        await connection.execute(
            sa.text(
                "INSERT INTO watch_events (user_id, movie_id, watched_at) VALUES (1, 604, :at), (NULL, 604, :at)"
            ),
            {"at": day},
        )
        await connection.execute(
            sa.text(
                "INSERT INTO reviews (user_id, movie_id, body, created_at, updated_at) VALUES (1, 604, 'b', :at, :at)"
            ),
            {"at": day},
        )
    await asyncio.to_thread(_alembic, url, "upgrade", "head")

    async def rows(query: str) -> list[tuple[Any, ...]]:
        async with engine.connect() as connection:
            return [tuple(row) for row in await connection.execute(sa.text(query))]

    assert await rows(
        "SELECT movie_id, rating_count, rating_sum, review_count FROM movie_aggregates ORDER BY movie_id"
    ) == [
        (603, 2, 6.5, 0),
        (604, 0, 0.0, 1),
    ]
    assert await rows("SELECT metric, day, count FROM daily_counts ORDER BY metric, day") == [
        ("ACTIVE_USERS", "2026-01-05", 2),
        ("ACTIVE_USERS", "2026-01-07", 1),
        ("NEW_USERS", "2026-01-05", 2),
    ]
    assert await rows("SELECT day, user_id, refs FROM active_user_days ORDER BY day, user_id") == [
        ("2026-01-05", 1, 3),  # rating created, rating updated, watch
        ("2026-01-05", 2, 1),
        ("2026-01-07", 2, 1),
    ]
    assert await rows("SELECT day, movie_id, count FROM movie_daily_views") == [("2026-01-05", 604, 2)]
    assert await rows("SELECT movie_id, view_count FROM movie_aggregates ORDER BY movie_id") == [
        (603, 0),
        (604, 2),
    ]
    await asyncio.to_thread(_alembic, url, "downgrade", "0008")
    await asyncio.to_thread(_alembic, url, "upgrade", "head")
    assert await rows("SELECT movie_id, view_count FROM movie_aggregates ORDER BY movie_id") == [
        (603, 0),
        (604, 2),
    ]

    await asyncio.to_thread(_alembic, url, "downgrade", "0007")
    tables = await rows("SELECT name FROM sqlite_master WHERE type = 'table'")
    assert not {
        ("movie_aggregates",),
        ("daily_counts",),
        ("active_user_days",),
        ("movie_daily_views",),
    } & set(tables)
    assert await rows("SELECT count(*) FROM ratings") == [(2,)]
    await asyncio.to_thread(_alembic, url, "upgrade", "head")
    assert await rows("SELECT count(*) FROM active_user_days") == [(3,)]
    await engine.dispose()


async def test_most_watched_from_the_most_viewed_candidates_is_exact(
    app: Any, gql: GraphQLClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Few candidates: the answer comes from them when their top beats every other movie's total,
    and from every movie's window sum when it does not; either way the raw aggregate's answer."""
    admin = await promoted(gql, app, "ADMIN", name="Pruning admin")
    movies = [tmdb for _, _, tmdb in files.catalog_sample(60)[30:]]
    await seed(app, movies, random.Random(21))
    await rebuild(gql, admin)
    service = AnalyticsService(app.state.services.sessions)
    outcomes: list[bool] = []  # True: answered from the candidates
    pruned = persistence_analytics._most_watched_of_candidates

    async def recording(*args: Any) -> Any:
        found = await pruned(*args)
        outcomes.append(found is not None)
        return found

    monkeypatch.setattr(persistence_analytics, "_most_watched_of_candidates", recording)
    for floor in (1, 3, 8, 40):
        monkeypatch.setattr(persistence_analytics, "CANDIDATE_FLOOR", floor)
        for first, days in ((1, 366), (2, 30), (5, 90), (10, 8), (3, 1)):
            async with app.state.services.sessions() as session:
                expected = (await reference(session, days, first))["mostWatched"]
            found = [(t.tmdb_id, t.count) for t in await service.most_watched(first, days)]
            assert found == expected, (floor, first, days)
    assert True in outcomes and False in outcomes  # both ways were taken


@pytest.mark.parametrize("days", [1, 30])
async def test_an_empty_window_is_zero_filled(gql: GraphQLClient, app: Any, days: int) -> None:
    admin = await promoted(gql, app, "ADMIN", name="Window admin")
    body = await gql(ANALYTICS, {"days": days, "first": 5}, token=admin.token)
    data = body["data"]["analytics"]
    assert len(data["newUsers"]) == len(data["dailyActiveUsers"]) == days
    assert data["newUsers"][-1]["count"] >= 1  # this admin registered today
