"""Scale benchmark: a synthetic operator-sized data set in PostgreSQL, and the API's operations timed
over it against an empty database.

    python -m bench.scale [--users 200000] [--interactions 10000000] [--ratings 3000000]
                          [--watch-events 5000000] [--reviews 200000] [--seed 7]
                          [--repeat 15] [--load-seconds 0] [--train] [--keep] [--reuse] [--generate-only]

Deterministic for a seed. Users sign up over 3 years; interactions and ratings are spread over those
years, watch events over the last 90 days; movies are the offline catalog's 11,000 (real TMDb ids),
drawn with power-law popularity, and users' activity is power-law too (user 1 is the heaviest).
Rows go in with COPY (asyncpg), then the database is migrated to head (the migrations' backfills
run), analysed, and served by `reelgraph serve` (production settings, the response cache off so
that every request reaches the database, Redis for shared state).

Each operation is timed `--repeat` times over HTTP, idle, and its median printed beside the same
operation on an empty database (migrated, the same users' accounts only). With `--load-seconds N`
the mixed workload (bench.load, 20 clients) runs against both and prints requests/s and p99. With
`--train` a retrain is then asked for (runJob) while a light query is sent every 50 ms: the slowest
answer, the duration and the peak RSS of the server and its children are printed. Loopback only; the databases are dropped at the end unless --keep.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import numpy as np

from bench.loadgen import free_port
from bench.trending import _wait_ready

PG_HOST = os.environ.get("REELGRAPH_BENCH_POSTGRES_HOST", "postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("REELGRAPH_BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
PASSWORD = "scale bench password 1"
ADMIN_EMAIL = "admin@scale.example"
NOW = datetime(2026, 12, 1, tzinfo=UTC)
KINDS = np.array(["SEEN", "WATCH_LATER", "NOT_INTERESTED", "LIKED", "FAVORITE"])
KIND_WEIGHTS = np.array([0.55, 0.2, 0.1, 0.1, 0.05])
USERS_PER_CHUNK = 20_000

OPERATIONS: dict[str, tuple[str, dict[str, Any], str]] = {
    # name: (document, variables, who: anonymous | heavy | light | admin)
    "trending page": (
        "{ trending(first: 20) { nodes { tmdbId title year genres { name } } } }",
        {},
        "anonymous",
    ),
    "movie details + averageUserRating + reviews": (
        """query($id: Int!) { movie(tmdbId: $id) { title runtime averageUserRating
        reviews(first: 10) { totalCount nodes { body rating } } } }""",
        {"id": 0},  # the most popular movie, filled in
        "anonymous",
    ),
    "discover page, 50 averageUserRating": (
        "{ discover(filter: {genres: [28]}, first: 50) { nodes { tmdbId averageUserRating } } }",
        {},
        "anonymous",
    ),
    "heavy user's library page": (
        """{ viewer { interactions(first: 20) { nodes { kind movie { title } } pageInfo { endCursor } } } }""",
        {},
        "heavy",
    ),
    "heavy user's ratings page": (
        "{ viewer { ratings(first: 20) { nodes { value movie { title } } } } }",
        {},
        "heavy",
    ),
    "heavy user's watch history page": (
        "{ viewer { watchHistory(first: 20) { nodes { watchedAt movie { title } } } } }",
        {},
        "heavy",
    ),
    "heavy user's stats": (
        "{ viewer { stats { seenCount watchLaterCount ratingsCount } } }",
        {},
        "heavy",
    ),
    "trending, signed in (hiding on)": (
        "{ trending(first: 20) { nodes { tmdbId viewerInteractions } } }",
        {},
        "heavy",
    ),
    "setInteraction": (
        """mutation($m: Int!) { setInteraction(movieId: $m, kind: WATCH_LATER) { interaction { id } } }""",
        {"m": 0},
        "light",
    ),
    "rateMovie": (
        "mutation($m: Int!) { rateMovie(movieId: $m, value: 4.5) { rating { value } } }",
        {"m": 0},
        "light",
    ),
    "admin analytics": (
        """{ analytics { userCount newUsers(days: 30) { date count } dailyActiveUsers(days: 30) { date count }
        mostWatched(first: 10, days: 30) { count } mostRated(first: 10) { count } } }""",
        {},
        "admin",
    ),
    "admin users(search:)": (
        '{ users(first: 20, search: "user1234") { nodes { email } } }',
        {},
        "admin",
    ),
}


def power_law(size: int, exponent: float) -> np.ndarray:
    weights = (np.arange(size, dtype=np.float64) + 1.0) ** -exponent
    return np.asarray(weights / weights.sum())


def pairs_by_user(
    rng: np.random.Generator, users: int, rows: int, movies: int, user_exponent: float
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(user index, movie index) pairs, distinct per user, in chunks of users (so memory stays
    bounded): each user's row count is power-law; each row's movie is power-law over popularity."""
    counts = rng.multinomial(rows, power_law(users, user_exponent))
    movie_p = power_law(movies, 0.9)
    for start in range(0, users, USERS_PER_CHUNK):
        chunk = np.minimum(counts[start : start + USERS_PER_CHUNK], movies)
        user_index = np.repeat(np.arange(start, start + len(chunk)), chunk)
        movie_index = rng.choice(movies, size=len(user_index), p=movie_p)
        keys = np.unique(user_index.astype(np.int64) * movies + movie_index)  # one row per pair
        yield keys // movies, keys % movies


def timestamps(rng: np.random.Generator, count: int, days: int) -> list[datetime]:
    seconds = rng.integers(0, days * 86_400, size=count)
    return [NOW - timedelta(seconds=int(s)) for s in seconds]


async def copy(
    connection: asyncpg.Connection, table: str, columns: list[str], records: list[tuple[Any, ...]]
) -> int:
    await connection.copy_records_to_table(table, records=records, columns=columns)
    return len(records)


PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
COPY_TRAILER = (-1).to_bytes(2, "big", signed=True)


def moments(rng: np.random.Generator, count: int, days: int) -> np.ndarray:
    """Random instants over the last `days` days, as PostgreSQL's binary timestamptz (microseconds
    since 2000-01-01 UTC)."""
    now = int((NOW - PG_EPOCH).total_seconds()) * 1_000_000
    return now - rng.integers(0, days * 86_400, size=count, dtype=np.int64) * 1_000_000


def binary_rows(columns: list[np.ndarray | bytes], count: int) -> bytes:
    """`count` rows in PostgreSQL's binary COPY format, built by numpy (no Python object per row):
    each column an int32 / int64 / float64 array (big-endian on the wire) or one constant text."""
    fields: list[tuple[str, str]] = [("n", ">i2")]
    for index, column in enumerate(columns):
        width = len(column) if isinstance(column, bytes) else np.dtype(column.dtype).itemsize
        kind = f"S{width}" if isinstance(column, bytes) else column.dtype.newbyteorder(">").str
        fields += [(f"l{index}", ">i4"), (f"v{index}", kind)]
    rows = np.empty(count, dtype=fields)
    rows["n"] = len(columns)
    for index, column in enumerate(columns):
        rows[f"l{index}"] = len(column) if isinstance(column, bytes) else np.dtype(column.dtype).itemsize
        rows[f"v{index}"] = column
    return rows.tobytes()


async def copy_binary(connection: asyncpg.Connection, table: str, names: list[str], body: bytes) -> None:
    await connection.copy_to_table(
        table, source=io.BytesIO(COPY_HEADER + body + COPY_TRAILER), columns=names, format="binary"
    )


async def generate(
    url: str, arguments: argparse.Namespace, movie_ids: list[int], password_hash: str
) -> dict[str, int]:
    rng = np.random.default_rng(arguments.seed)
    counts: dict[str, int] = {}
    connection = await asyncpg.connect(url)
    try:
        await connection.execute("SET synchronous_commit = off")
        await _users(connection, arguments.users, password_hash, rng)
        counts["users"] = arguments.users + 1
        ids = np.array(movie_ids, dtype=np.int32)
        counts["interactions"] = 0
        for users, movies in pairs_by_user(rng, arguments.users, arguments.interactions, len(ids), 0.6):
            kinds = rng.choice(len(KINDS), size=len(users), p=KIND_WEIGHTS)
            when = moments(rng, len(users), 3 * 365)
            for kind in range(len(KINDS)):  # one constant text per COPY: rows of a fixed width
                mine = kinds == kind
                columns = [
                    (users[mine] + 1).astype(np.int32),
                    ids[movies[mine]],
                    str(KINDS[kind]).encode(),
                    when[mine],
                ]
                body = binary_rows(columns, int(mine.sum()))
                await copy_binary(
                    connection, "interactions", ["user_id", "movie_id", "kind", "created_at"], body
                )
            counts["interactions"] += len(users)
        counts["ratings"] = 0
        for users, movies in pairs_by_user(rng, arguments.users, arguments.ratings, len(ids), 0.6):
            values = rng.integers(1, 11, size=len(users)).astype(np.float64) / 2.0
            when = moments(rng, len(users), 3 * 365)
            columns = [(users + 1).astype(np.int32), ids[movies], values, when, when]
            names = ["user_id", "movie_id", "value", "created_at", "updated_at"]
            await copy_binary(connection, "ratings", names, binary_rows(columns, len(users)))
            counts["ratings"] += len(users)
        counts["reviews"] = 0
        for users, movies in pairs_by_user(rng, arguments.users, arguments.reviews, len(ids), 0.6):
            when = moments(rng, len(users), 3 * 365)
            ratings = np.full(len(users), 4.0)
            columns = [(users + 1).astype(np.int32), ids[movies], b"A synthetic review.", ratings, when, when]
            names = ["user_id", "movie_id", "body", "rating", "created_at", "updated_at"]
            await copy_binary(connection, "reviews", names, binary_rows(columns, len(users)))
            counts["reviews"] += len(users)
        counts["watch_events"] = 0
        movie_p = power_law(len(ids), 0.9)
        user_p = power_law(arguments.users, 0.6)
        for start in range(0, arguments.watch_events, 500_000):
            size = min(500_000, arguments.watch_events - start)
            users = rng.choice(arguments.users, size=size, p=user_p)
            movies = rng.choice(len(ids), size=size, p=movie_p)
            columns = [(users + 1).astype(np.int32), ids[movies], moments(rng, size, 90)]
            await copy_binary(
                connection, "watch_events", ["user_id", "movie_id", "watched_at"], binary_rows(columns, size)
            )
            counts["watch_events"] += size
    finally:
        await connection.close()
    return counts


async def _users(
    connection: asyncpg.Connection, users: int, password_hash: str, rng: np.random.Generator
) -> None:
    joined = timestamps(rng, users, 3 * 365)
    records = [
        (i + 1, f"user{i + 1}@scale.example", f"User {i + 1}", password_hash, "en-US", joined[i], joined[i])
        for i in range(users)
    ]
    records.append((users + 1, ADMIN_EMAIL, "Admin", password_hash, "en-US", NOW, NOW))
    columns = ["id", "email", "name", "password_hash", "locale", "created_at", "updated_at"]
    await copy(connection, "users", columns, records)
    await connection.execute("SELECT setval(pg_get_serial_sequence('users', 'id'), $1)", users + 1)
    roles = [(i + 1, 1, NOW) for i in range(users + 1)] + [(users + 1, 3, NOW)]  # USER for all, ADMIN
    await copy(connection, "user_roles", ["user_id", "role_id", "granted_at"], roles)


async def movies(connection: asyncpg.Connection, movie_ids: list[int], catalog: Any) -> None:
    records = []
    for movie_id in movie_ids:
        movie = catalog.movie(movie_id)
        records.append((movie_id, str(movie.title)[:500], NOW))
    await copy(connection, "movies", ["tmdb_id", "title", "updated_at"], records)


def _migrate(database_url: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "reelgraph.cli", "migrate"],
        env={**os.environ, "REELGRAPH_DATABASE_URL": database_url, "REELGRAPH_ENV": "development"},
        check=True,
    )
    return time.perf_counter() - started


async def _admin(statement: str) -> None:
    connection = await asyncpg.connect(f"postgresql://{PG_HOST}/postgres")
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@asynccontextmanager
async def server(database: str, workdir: Path, redis_db: str) -> AsyncIterator[tuple[str, int]]:
    port = free_port()
    env = {
        **os.environ,
        "REELGRAPH_ENV": "production",
        "REELGRAPH_JWT_SECRET": secrets.token_hex(32),  # production refuses low-entropy secrets
        "REELGRAPH_CORS_ORIGINS": "http://127.0.0.1:3000",
        "REELGRAPH_DATABASE_URL": f"postgresql+asyncpg://{PG_HOST}/{database}",
        "REELGRAPH_CACHE_URL": redis_db,
        "REELGRAPH_RESPONSE_CACHE_SECONDS": "0",
        "REELGRAPH_LOG_LEVEL": "warning",
        # Operations are timed idle: training runs only when the training phase asks for it.
        "REELGRAPH_RECS_TRAIN_ON_START": "false",
        "REELGRAPH_JOB_SCHEDULES": "false",
        # Probes and timings come from one address and one admin: measure the server, not its limits.
        "REELGRAPH_RATE_LIMIT": "1000000/minute",
    }
    for key in ("TMDB_API_KEY", "TMDB_READ_TOKEN", "OMDB_API_KEY", "OPENAI_API_KEY"):
        env.pop(key, None)
    log_path = Path(tempfile.gettempdir()) / f"{database}.log"  # kept: read it when a server fails
    log = log_path.open("wb")
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "reelgraph.cli", "serve", "--port", str(port)),
        env=env,
        stdout=log,
        stderr=log,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        await _wait_ready(url, "/health/ready", wait_seconds=600)
        yield url, process.pid
    finally:
        if process.returncode is not None:
            raise RuntimeError(f"the server exited with {process.returncode}: see {log_path}")
        process.terminate()
        await asyncio.wait_for(process.wait(), 60)
        log.close()


async def sign_in(http: httpx.AsyncClient, email: str) -> str:
    query = "mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { accessToken } }"
    response = await http.post("/graphql", json={"query": query, "variables": {"e": email, "p": PASSWORD}})
    token = response.json()["data"]["login"]["accessToken"]
    assert token, response.text
    return str(token)


async def time_operations(url: str, repeat: int, movie_ids: list[int], users: int) -> dict[str, float]:
    medians: dict[str, float] = {}
    async with httpx.AsyncClient(base_url=url, timeout=120) as http:
        tokens = {
            "anonymous": None,
            "heavy": await sign_in(http, "user1@scale.example"),
            "light": await sign_in(http, f"user{users * 3 // 4}@scale.example"),
            "admin": await sign_in(http, ADMIN_EMAIL),
        }
        for name, (document, variables, who) in OPERATIONS.items():
            headers = {"authorization": f"Bearer {tokens[who]}"} if tokens[who] else {}
            samples = []
            for attempt in range(repeat + 1):
                filled = {key: movie_ids[attempt % 50] if key == "m" else movie_ids[0] for key in variables}
                started = time.perf_counter()
                response = await http.post(
                    "/graphql", json={"query": document, "variables": filled}, headers=headers
                )
                elapsed = time.perf_counter() - started
                body = response.json()
                assert "errors" not in body, (name, body)
                if attempt:  # the first warms caches
                    samples.append(elapsed * 1000)
            medians[name] = statistics.median(samples)
    return medians


async def build(
    database: str, shape: argparse.Namespace, catalog: Any, movie_ids: list[int], password_hash: str
) -> None:
    from alembic import command

    from reelgraph.persistence.migrate import alembic_config

    await _admin(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    await _admin(f"CREATE DATABASE {database}")
    url = f"postgresql://{PG_HOST}/{database}"
    # The initial schema first, the data, then the rest of the migrations (their backfills run
    # over the data, as they would on an operator's database).
    await asyncio.to_thread(
        command.upgrade, alembic_config(f"postgresql+asyncpg://{PG_HOST}/{database}"), "0001"
    )
    connection = await asyncpg.connect(url)
    try:
        await movies(connection, movie_ids, catalog)
    finally:
        await connection.close()
    started = time.perf_counter()
    counts = await generate(url, shape, movie_ids, password_hash)
    loaded = time.perf_counter() - started
    migrated = _migrate(f"postgresql+asyncpg://{PG_HOST}/{database}")
    connection = await asyncpg.connect(url)
    try:
        await connection.execute("ANALYZE")
        size = await connection.fetchval("SELECT pg_size_pretty(pg_database_size(current_database()))")
    finally:
        await connection.close()
    print(f"{database}: {counts} loaded in {loaded:.0f} s, migrations {migrated:.1f} s, {size}", flush=True)


async def _exists(database: str) -> bool:
    connection = await asyncpg.connect(f"postgresql://{PG_HOST}/postgres")
    try:
        return bool(await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database))
    finally:
        await connection.close()


async def _flush_redis() -> None:
    import redis.asyncio as redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        await client.flushdb()
    finally:
        await client.aclose()


def tree_rss_mib(pid: int) -> float:
    """RSS of a process and its descendants (a training subprocess counts)."""
    total, pending = 0.0, [pid]
    while pending:
        current = pending.pop()
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


async def training_phase(url: str, pid: int) -> dict[str, Any]:
    """Asks for a retrain as admin and, until it ends, sends a light query every 50 ms: the
    slowest answer, the duration and the peak RSS of the serving process and its children."""
    async with httpx.AsyncClient(base_url=url, timeout=120) as http:
        admin = {"authorization": f"Bearer {await sign_in(http, ADMIN_EMAIL)}"}
        started = time.perf_counter()
        response = await http.post(
            "/graphql",
            json={"query": 'mutation { runJob(name: "retrain-recommender") { job { id } errors { code } } }'},
            headers=admin,
        )
        job_id = response.json()["data"]["runJob"]["job"]["id"]
        status_query = "query($id: ID!) { node(id: $id) { ... on Job { status durationMs error } } }"
        latencies: list[float] = []
        peak = tree_rss_mib(pid)
        before = peak
        job: dict[str, Any] = {}
        while time.perf_counter() - started < 1800:
            sent = time.perf_counter()
            probe = await http.post(
                "/graphql", json={"query": "{ trending(first: 20) { nodes { tmdbId } } }"}
            )
            latencies.append(time.perf_counter() - sent)
            assert probe.status_code == 200, probe.text
            peak = max(peak, tree_rss_mib(pid))
            answer = await http.post(
                "/graphql", json={"query": status_query, "variables": {"id": job_id}}, headers=admin
            )
            assert answer.json().get("data"), answer.text
            job = answer.json()["data"]["node"]
            if job["status"] in ("SUCCEEDED", "FAILED"):
                break
            await asyncio.sleep(0.05)
    return {
        "job": job,
        "seconds": round(time.perf_counter() - started, 1),
        "probes": len(latencies),
        "slowest_probe_ms": round(max(latencies) * 1000, 1),
        "p99_probe_ms": round(sorted(latencies)[int(len(latencies) * 0.99)] * 1000, 1),
        "rss_before_mib": round(before),
        "peak_rss_mib": round(peak),
    }


async def main(arguments: argparse.Namespace) -> None:
    from argon2 import PasswordHasher

    from reelgraph.integrations.offline_catalog import OfflineCatalog

    catalog = OfflineCatalog.load()
    movie_ids = [int(m) for m in catalog.popular()]  # every catalog movie, most popular first
    password_hash = PasswordHasher().hash(PASSWORD)
    full, empty = arguments.database, f"{arguments.database}_empty"
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for database, sized in ((empty, False), (full, True)):
            shape = arguments if sized else argparse.Namespace(**{**vars(arguments), **_EMPTY})
            if arguments.reuse and await _exists(database):
                _migrate(f"postgresql+asyncpg://{PG_HOST}/{database}")  # the code's newer migrations
                print(f"{database}: reused", flush=True)
            else:
                await build(database, shape, catalog, movie_ids, password_hash)
            if arguments.generate_only:
                continue
            await _flush_redis()  # no rate-limit counters or cached answers from the other run
            async with server(database, workdir, REDIS_URL) as (served, pid):
                results[database] = await time_operations(
                    served, arguments.repeat, movie_ids, arguments.users
                )
                if arguments.train:
                    print(
                        f"{database}: training while serving: {await training_phase(served, pid)}", flush=True
                    )
                if arguments.load_seconds:
                    await asyncio.to_thread(_mixed, served, arguments.load_seconds)
            if not arguments.keep:
                await _admin(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    if arguments.generate_only:
        return
    print(f"\n| operation (median of {arguments.repeat}, ms) | empty | {arguments.users:,} users | ratio |")
    print("|---|---|---|---|")
    for name in OPERATIONS:
        a, b = results[empty][name], results[full][name]
        print(f"| {name} | {a:.1f} | {b:.1f} | {b / a:.2f}x |")


_EMPTY = {"interactions": 0, "ratings": 0, "reviews": 0, "watch_events": 0}


def _mixed(url: str, seconds: float) -> None:
    subprocess.run(
        [sys.executable, "-m", "bench.load", "--url", url, "--clients", "20", "--seconds", str(seconds)],
        check=False,
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=200_000)
    parser.add_argument("--interactions", type=int, default=10_000_000)
    parser.add_argument("--ratings", type=int, default=3_000_000)
    parser.add_argument("--watch-events", type=int, default=5_000_000)
    parser.add_argument("--reviews", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--load-seconds", type=float, default=0)
    parser.add_argument(
        "--database", default="reelgraph_scale", help="name (and NAME_empty) of the databases"
    )
    parser.add_argument(
        "--train", action="store_true", help="then retrain while serving: slowest probe, peak RSS"
    )
    parser.add_argument("--keep", action="store_true", help="keep both databases for a later --reuse")
    parser.add_argument("--reuse", action="store_true", help="measure databases kept by an earlier run")
    parser.add_argument("--generate-only", action="store_true", help="build the databases, measure nothing")
    asyncio.run(main(parser.parse_args()))
