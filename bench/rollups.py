"""Analytics from rollups vs the raw aggregates they replace, on PostgreSQL, in the same run.

    python -m bench.rollups [--url postgresql+asyncpg://postgres@127.0.0.1:5432/test_rollups]
                            [--users 50000] [--interactions 2000000] [--ratings 600000]
                            [--watch-events 1000000] [--reviews 40000] [--repeat 5]

Resets the database's public schema (use a database of your own), migrates it, fills the raw
tables server-side (generate_series; power-law movies, 3 years of sign-ups and activity, watch
events over 90 days), then times the rebuild (`reelgraph analytics backfill`), and, as medians:
- the admin `analytics` figures (userCount, newUsers, dailyActiveUsers, mostWatched, mostRated)
  over 30 and 366 days: the raw queries analytics ran before (tests.test_analytics_rollups) vs
  the rollups (AnalyticsService);
- averageUserRating for the 50 most rated movies: avg over ratings vs movie_aggregates;
- a new rating's transaction (one INSERT) with and without its rollup work (Tally.apply: the
  user-day pair, the day's ACTIVE_USERS when new, the movie's aggregate row).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from reelgraph.persistence import movie_aggregates, rollups
from reelgraph.persistence.engine import create_session_factory
from reelgraph.persistence.migrate import upgrade_to_head
from reelgraph.persistence.models import RatingRow
from reelgraph.services.analytics import AnalyticsService
from tests.test_analytics_rollups import reference

MOVIES = 11_000

FILL = [
    "INSERT INTO movies (tmdb_id, title, updated_at) SELECT g, 'Movie ' || g, now() FROM generate_series(1, {movies}) g",
    # Sign-ups over 3 years, more recent ones more often.
    "INSERT INTO users (email, name, password_hash, locale, created_at, updated_at)"
    " SELECT 'u' || g || '@bench.example', 'U', 'x', 'en-US', t, t FROM ("
    "  SELECT g, now() - (1095 * power(random(), 1.5)) * interval '1 day' AS t"
    "  FROM generate_series(1, {users}) g) s",
    # Power-law users (user 1 the heaviest) and movies; duplicates of a unique key are skipped.
    "INSERT INTO interactions (user_id, movie_id, kind, created_at)"
    " SELECT 1 + floor({users} * power(random(), 2))::int, 1 + floor({movies} * power(random(), 3))::int,"
    "  (ARRAY['SEEN','WATCH_LATER','NOT_INTERESTED','LIKED','FAVORITE'])[1 + floor(random() * 5)::int],"
    "  now() - random() * interval '1095 days' FROM generate_series(1, {interactions}) ON CONFLICT DO NOTHING",
    "INSERT INTO ratings (user_id, movie_id, value, created_at, updated_at)"
    " SELECT u, m, v, t, t + (random() * 30) * interval '1 day' * (random() < 0.2)::int FROM ("
    "  SELECT 1 + floor({users} * power(random(), 2))::int AS u, 1 + floor({movies} * power(random(), 3))::int AS m,"
    "   (1 + floor(random() * 10)) / 2.0 AS v, now() - (31 + random() * 1064) * interval '1 day' AS t"
    "  FROM generate_series(1, {ratings})) s ON CONFLICT DO NOTHING",
    "INSERT INTO watch_events (user_id, anonymous_key, movie_id, watched_at)"
    " SELECT CASE WHEN random() < 0.8 THEN 1 + floor({users} * power(random(), 2))::int END, NULL,"
    "  1 + floor({movies} * power(random(), 3))::int, now() - random() * interval '90 days'"
    " FROM generate_series(1, {watch_events})",
    "UPDATE watch_events SET anonymous_key = md5(id::text) WHERE user_id IS NULL",
    "INSERT INTO reviews (user_id, movie_id, body, created_at, updated_at)"
    " SELECT 1 + floor({users} * random())::int, 1 + floor({movies} * power(random(), 3))::int, 'Fine.', t, t"
    " FROM (SELECT now() - random() * interval '1095 days' AS t FROM generate_series(1, {reviews})) s"
    " ON CONFLICT DO NOTHING",
]


async def median_ms(call: Callable[[], Awaitable[Any]], repeat: int) -> float:
    await call()  # warm: plans, caches
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        await call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


async def main(args: argparse.Namespace) -> None:
    engine = create_async_engine(args.url)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await asyncio.to_thread(upgrade_to_head, args.url)
    sizes = {
        "movies": MOVIES,
        "users": args.users,
        "interactions": args.interactions,
        "ratings": args.ratings,
        "watch_events": args.watch_events,
        "reviews": args.reviews,
    }
    started = time.perf_counter()
    async with engine.begin() as connection:
        for statement in FILL:
            await connection.execute(text(statement.format(**sizes)))
    sessions = create_session_factory(engine)
    async with sessions() as session:
        counts = {
            table: (await session.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()
            for table in ("users", "interactions", "ratings", "watch_events", "reviews")
        }
    print(f"filled in {time.perf_counter() - started:.1f} s: {counts}")
    started = time.perf_counter()
    service = AnalyticsService(sessions)
    await service.rebuild_rollups()
    print(f"rebuild (reelgraph analytics backfill): {time.perf_counter() - started:.1f} s")
    async with engine.connect() as connection:
        await connection.execute(text("ANALYZE"))
        sizes_of = await connection.execute(
            text(
                "SELECT relname, n_live_tup FROM pg_stat_user_tables WHERE relname IN"
                " ('daily_counts', 'active_user_days', 'movie_daily_views', 'movie_aggregates') ORDER BY relname"
            )
        )
        print("rollup rows:", dict(sizes_of.all()))

    print(f"{'operation':<44} {'raw ms':>9} {'rollups ms':>11} {'ratio':>7}")
    for days in (30, 366):

        async def raw(days: int = days) -> Any:
            async with sessions() as session:
                return await reference(session, days, 10)

        async def rolled(days: int = days) -> Any:
            return (
                await service.user_count(),
                await service.new_users(days),
                await service.daily_active_users(days),
                await service.most_watched(10, days),
                await service.most_rated(10),
            )

        expected = await raw()
        got = await rolled()
        assert expected["userCount"] == got[0]
        assert expected["dailyActiveUsers"] == [(d.day, d.count) for d in got[2]]
        assert expected["mostWatched"] == [(t.tmdb_id, t.count) for t in got[3]]
        raw_ms, rolled_ms = await median_ms(raw, args.repeat), await median_ms(rolled, args.repeat)
        print(
            f"{f'analytics, all five figures, days={days}':<44} {raw_ms:>9.1f} {rolled_ms:>11.2f} {raw_ms / rolled_ms:>6.0f}x"
        )

    async with sessions() as session:
        top = [m for m, _ in await movie_aggregates.most_rated(session, 50)]

    async def raw_average() -> Any:
        async with sessions() as session:
            rows = await session.execute(
                select(RatingRow.movie_id, func.avg(RatingRow.value))
                .where(RatingRow.movie_id.in_(top))
                .group_by(RatingRow.movie_id)
            )
            return {m: float(a) for m, a in rows}

    async def stored_average() -> Any:
        async with sessions() as session:
            return await movie_aggregates.average_ratings(session, top)

    assert {m: round(a, 9) for m, a in (await raw_average()).items()} == {
        m: round(a, 9) for m, a in (await stored_average()).items()
    }
    raw_ms, stored_ms = (
        await median_ms(raw_average, args.repeat),
        await median_ms(stored_average, args.repeat),
    )
    print(
        f"{'averageUserRating, 50 most rated movies':<44} {raw_ms:>9.1f} {stored_ms:>11.2f} {raw_ms / stored_ms:>6.0f}x"
    )

    users = iter(range(1, args.users + 1))
    movie = top[0]  # the most rated movie: its aggregate row is the hottest

    async def rating_only() -> None:
        async with sessions.begin() as session:
            session.add(RatingRow(user_id=next(users), movie_id=movie, value=4.0))

    async def rating_and_tally() -> None:
        async with sessions.begin() as session:
            now = datetime.now(UTC)
            user = next(users)
            session.add(RatingRow(user_id=user, movie_id=movie, value=4.0, created_at=now, updated_at=now))
            tally = rollups.Tally()
            tally.rating(user, movie, 4.0, now, now)
            await tally.apply(session)

    async with sessions.begin() as session:  # users who have not rated it: no unique conflicts
        await session.execute(text(f"DELETE FROM ratings WHERE movie_id = {movie}"))
    bare_ms = await median_ms(rating_only, args.repeat * 20)
    tally_ms = await median_ms(rating_and_tally, args.repeat * 20)
    label = "a new rating's transaction: alone / + rollups"
    print(f"{label:<44} {bare_ms:>9.2f} {tally_ms:>11.2f} {tally_ms / bare_ms:>6.2f}x (cost)")
    await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/test_rollups")
    parser.add_argument("--users", type=int, default=50_000)
    parser.add_argument("--interactions", type=int, default=2_000_000)
    parser.add_argument("--ratings", type=int, default=600_000)
    parser.add_argument("--watch-events", type=int, default=1_000_000)
    parser.add_argument("--reviews", type=int, default=40_000)
    parser.add_argument("--repeat", type=int, default=5)
    asyncio.run(main(parser.parse_args()))
