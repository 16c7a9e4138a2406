"""Fault injection: reelgraph against a failing upstream, then against none at all.

    python -m bench.faults [--seconds 30] [--clients 20] [--error-rate 0.2] [--timeout-rate 0.05]
                           [--latency-ms 50] [--rate-limit 30] [--backend sqlite|postgres]

Starts the mock TMDb/OMDb upstream (`reelgraph mock-upstream`'s app, plus the timeout rate, which the
command does not expose: `python -m bench.faults serve-mock ...`) and a `reelgraph serve` that uses it
as its real TMDb and OMDb (TMDB_API_KEY=x, OMDB_API_KEY=x, base URLs on loopback) with short upstream
timeouts and the whole-response cache off. Then:

1. warm: a set of movies and the genre list are fetched until cached;
2. faults: clients mix cached reads, uncached reads (movies never asked before) and writes
   (setInteraction LIKED, rateMovie) on cached movies, while the upstream answers 503 to ~20% of
   calls, hangs on ~5% and rate-limits with 429;
3. outage: the upstream is stopped; cached reads, uncached reads and writes continue.

Checks: cached reads always answer; uncached reads answer or fail with UPSTREAM_UNAVAILABLE within
the bound the timeouts give; no INTERNAL_SERVER_ERROR; every acknowledged write is in the database
(counted there directly). Everything runs on loopback and is bounded by --seconds per phase.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.load import BENCH_DATABASE, PG_ADMIN_URL, _flush_redis, _postgres, server_figures
from bench.loadgen import free_port
from bench.trending import _wait_ready

PASSWORD = "faults password 1"
CACHED_QUERY = "query Cached($id: Int!) { movie(tmdbId: $id) { tmdbId title year runtime genres { name } } }"
UNCACHED_QUERY = "query Uncached($id: Int!) { movie(tmdbId: $id) { tmdbId title year runtime imdbRating } }"
LIKE = "mutation Like($m: Int!) { setInteraction(movieId: $m, kind: LIKED) { errors { code } } }"
RATE = "mutation Rate($m: Int!, $v: Float!) { rateMovie(movieId: $m, value: $v) { errors { code } } }"
REGISTER = "mutation($i: RegisterInput!) { register(input: $i) { accessToken user { id } errors { code } } }"


@dataclass
class Outcomes:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    results: Counter[tuple[str, str]] = field(default_factory=Counter)  # (kind, "ok" or error code)

    def add(self, kind: str, outcome: str, seconds: float) -> None:
        self.results[(kind, outcome)] += 1
        self.latencies[kind].append(seconds)
        self.latencies[f"{kind}:{outcome}"].append(seconds)


@dataclass
class Writes:
    likes: set[tuple[int, int]] = field(default_factory=set)  # (user id, movie id) acknowledged
    ratings: dict[tuple[int, int], float] = field(default_factory=dict)  # last acknowledged value
    acknowledged: int = 0
    refused: Counter[str] = field(default_factory=Counter)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def _codes(body: dict[str, Any], field_name: str | None = None) -> list[str]:
    codes = [(error.get("extensions") or {}).get("code", "MISSING") for error in body.get("errors") or []]
    payload = (body.get("data") or {}).get(field_name) if field_name else None
    if isinstance(payload, dict):
        codes += [error["code"] for error in payload.get("errors") or []]
    return codes


class Driver:
    def __init__(self, url: str, clients: int) -> None:
        self.url = url
        self.http = httpx.AsyncClient(
            base_url=url, timeout=60, limits=httpx.Limits(max_connections=clients + 5)
        )
        self.users: list[tuple[int, str]] = []  # (user id, access token)

    async def gql(
        self, query: str, variables: dict[str, Any], token: str | None = None, address: str = "10.9.0.1"
    ) -> tuple[dict[str, Any], float]:
        headers = {"x-forwarded-for": address}
        if token:
            headers["authorization"] = f"Bearer {token}"
        started = time.perf_counter()
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            return {"errors": [{"extensions": {"code": f"HTTP_{response.status_code}"}}]}, elapsed
        return response.json(), elapsed

    async def sign_up(self, count: int) -> None:
        for index in range(count):
            email = f"faults-{os.getpid()}-{index}@example.com"
            body, _ = await self.gql(
                REGISTER,
                {"i": {"email": email, "password": PASSWORD, "name": "Faults"}},
                address=f"10.8.{index}.1",
            )
            payload = body["data"]["register"]
            user_id = int(base64.b64decode(payload["user"]["id"]).decode().split(":")[1])
            self.users.append((user_id, payload["accessToken"]))

    async def warm(self, movie_ids: list[int], attempts: int = 30) -> list[int]:
        """Fetches each movie (and the genres) until it answers; returns those now cached."""
        warmed = []
        for movie_id in movie_ids:
            for _ in range(attempts):
                body, _ = await self.gql(CACHED_QUERY, {"id": movie_id})
                if not body.get("errors") and body["data"]["movie"]:
                    warmed.append(movie_id)
                    break
                await asyncio.sleep(0.2)
        return warmed

    async def phase(
        self,
        seconds: float,
        clients: int,
        cached_ids: list[int],
        cold_ids: list[int],
        writes: Writes,
        outcomes: Outcomes,
    ) -> None:
        deadline = time.perf_counter() + seconds
        cold = iter(cold_ids)

        async def client(index: int) -> None:
            rng = random.Random(index)
            user_id, token = self.users[index % len(self.users)]
            address = f"10.7.{index}.1"
            while time.perf_counter() < deadline:
                roll = rng.random()
                if roll < 0.4:
                    body, elapsed = await self.gql(
                        CACHED_QUERY, {"id": rng.choice(cached_ids)}, token, address
                    )
                    outcomes.add("cached read", (_codes(body) or ["ok"])[0], elapsed)
                elif roll < 0.7:
                    movie_id = next(cold, None)
                    if movie_id is None:
                        await asyncio.sleep(0.01)  # every cold movie asked: yield, do not spin
                        continue
                    body, elapsed = await self.gql(UNCACHED_QUERY, {"id": movie_id}, token, address)
                    outcomes.add("uncached read", (_codes(body) or ["ok"])[0], elapsed)
                elif roll < 0.85:
                    movie_id = rng.choice(cached_ids)
                    body, elapsed = await self.gql(LIKE, {"m": movie_id}, token, address)
                    codes = _codes(body, "setInteraction")
                    outcomes.add("write", (codes or ["ok"])[0], elapsed)
                    if codes:
                        writes.refused[codes[0]] += 1
                    else:
                        writes.likes.add((user_id, movie_id))
                        writes.acknowledged += 1
                else:
                    movie_id, value = rng.choice(cached_ids), rng.choice([1.0, 2.5, 3.0, 4.5, 5.0])
                    body, elapsed = await self.gql(RATE, {"m": movie_id, "v": value}, token, address)
                    codes = _codes(body, "rateMovie")
                    outcomes.add("write", (codes or ["ok"])[0], elapsed)
                    if codes:
                        writes.refused[codes[0]] += 1
                    else:
                        writes.ratings[(user_id, movie_id)] = value
                        writes.acknowledged += 1

        # One client per user: a user's writes are sequential, so "last acknowledged" is well defined.
        await asyncio.gather(*(client(index) for index in range(min(clients, len(self.users)))))

    async def close(self) -> None:
        await self.http.aclose()


async def count_rows(database_url: str, writes: Writes) -> tuple[int, int, int]:
    """(acknowledged likes found, acknowledged ratings found with their last value, LIKED rows total)."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            likes = set(
                (
                    await connection.execute(
                        text("SELECT user_id, movie_id FROM interactions WHERE kind = 'LIKED'")
                    )
                ).all()
            )
            ratings = {
                (row[0], row[1]): row[2]
                for row in (
                    await connection.execute(text("SELECT user_id, movie_id, value FROM ratings"))
                ).all()
            }
    finally:
        await engine.dispose()
    found_likes = sum(1 for key in writes.likes if key in likes)
    found_ratings = sum(1 for key, value in writes.ratings.items() if ratings.get(key) == value)
    return found_likes, found_ratings, len(likes)


def report(name: str, outcomes: Outcomes, bound: float) -> list[str]:
    problems = []
    print(f"\n== {name}")
    for kind in ("cached read", "uncached read", "write"):
        values = outcomes.latencies.get(kind, [])
        if not values:
            continue
        results = {outcome: n for (k, outcome), n in outcomes.results.items() if k == kind}
        print(
            f"  {kind:<14} {len(values):>6}  p50 {statistics.median(values) * 1000:7.1f} ms  "
            f"p99 {_percentile(values, 0.99) * 1000:7.1f} ms  max {max(values) * 1000:7.1f} ms  {results}"
        )
        unavailable = outcomes.latencies.get(f"{kind}:UPSTREAM_UNAVAILABLE", [])
        if unavailable:
            print(
                f"    UPSTREAM_UNAVAILABLE answered in at most {max(unavailable):.2f} s (bound {bound:.2f} s)"
            )
            if max(unavailable) > bound:
                problems.append(
                    f"{name}: {kind} UPSTREAM_UNAVAILABLE took {max(unavailable):.2f} s > {bound:.2f} s"
                )
        if kind == "cached read" and set(results) != {"ok"}:
            problems.append(f"{name}: cached reads failed: {results}")
        bad = {outcome: n for outcome, n in results.items() if outcome not in ("ok", "UPSTREAM_UNAVAILABLE")}
        if kind != "write" and bad:
            problems.append(f"{name}: {kind} got {bad}")
        if results.get("INTERNAL_SERVER_ERROR"):
            problems.append(f"{name}: {kind} got INTERNAL_SERVER_ERROR")
    return problems


def serve_mock(arguments: argparse.Namespace) -> None:
    from reelgraph.integrations.mock_upstream import run_mock_upstream

    run_mock_upstream(
        "127.0.0.1",
        arguments.port,
        arguments.latency_ms,
        arguments.error_rate,
        arguments.rate_limit,
        timeout_rate=arguments.timeout_rate,
        seed=arguments.seed,
        tmdb_key="x",
        omdb_key="x",
        log_level="warning",
    )


async def start(command: list[str], env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    with log.open("ab") as handle:
        return await asyncio.create_subprocess_exec(
            *command, env=env, stdout=handle, stderr=subprocess.STDOUT
        )


async def stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 20)
        except TimeoutError:
            process.kill()
            await process.wait()


async def main(arguments: argparse.Namespace) -> int:
    from reelgraph.integrations.offline_catalog import OfflineCatalog

    catalog = OfflineCatalog.load()
    rng = random.Random(arguments.seed)
    movie_ids = sorted(catalog.popular())
    rng.shuffle(movie_ids)
    warm_ids, cold_ids = movie_ids[:40], movie_ids[40:]

    connect, read, attempts = 0.5, 1.0, 2
    # Worst case of one upstream call: every attempt times out, with the longest wait between them
    # (backoff is at most 2 s; a 429's Retry-After from the mock is 1 s), plus the limiter's wait.
    # An uncached movie with its IMDb rating makes two calls in a row (TMDb details, then OMDb).
    bound = 2 * (attempts * (connect + read) + (attempts - 1) * 2.0 + 1.0)
    mock_port, server_port = free_port(), free_port()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        database_url = f"sqlite+aiosqlite:///{workdir / 'faults.db'}"
        cache_url = "memory://"
        if arguments.backend == "postgres":
            await _postgres(
                f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)", f"CREATE DATABASE {BENCH_DATABASE}"
            )
            await _flush_redis()
            host = PG_ADMIN_URL.split("://", 1)[1].rsplit("/", 1)[0]
            database_url = f"postgresql+asyncpg://{host}/{BENCH_DATABASE}"
            cache_url = os.environ.get("REELGRAPH_BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
        env = {
            **os.environ,
            "REELGRAPH_ENV": "production",
            "REELGRAPH_JWT_SECRET": "faults-secret-" + "x" * 40,
            "REELGRAPH_CORS_ORIGINS": "http://127.0.0.1:3000",
            "REELGRAPH_LOG_FORMAT": "json",
            "REELGRAPH_DATABASE_URL": database_url,
            "REELGRAPH_CACHE_URL": cache_url,
            "REELGRAPH_RESPONSE_CACHE_SECONDS": "0",  # cached means the shared cache, not whole responses
            "REELGRAPH_RECS_TRAIN_ON_START": "false",
            "TMDB_API_KEY": "x",
            "OMDB_API_KEY": "x",
            "REELGRAPH_TMDB_BASE_URL": f"http://127.0.0.1:{mock_port}/3",
            "REELGRAPH_OMDB_BASE_URL": f"http://127.0.0.1:{mock_port}/omdb",
            "REELGRAPH_UPSTREAM_CONNECT_TIMEOUT_SECONDS": str(connect),
            "REELGRAPH_UPSTREAM_READ_TIMEOUT_SECONDS": str(read),
            "REELGRAPH_UPSTREAM_MAX_ATTEMPTS": str(attempts),
            "REELGRAPH_UPSTREAM_BREAKER_RECOVERY_SECONDS": "5",
        }
        env.pop("TMDB_READ_TOKEN", None)
        env.pop("OPENAI_API_KEY", None)
        mock_command = [
            sys.executable, "-m", "bench.faults", "serve-mock", "--port", str(mock_port),
            "--latency-ms", str(arguments.latency_ms), "--error-rate", str(arguments.error_rate),
            "--timeout-rate", str(arguments.timeout_rate), "--rate-limit", str(arguments.rate_limit),
            "--seed", str(arguments.seed),
        ]  # fmt: skip
        mock = await start(mock_command, env, workdir / "mock.log")
        server = await start(
            [sys.executable, "-m", "reelgraph.cli", "serve", "--port", str(server_port), "--migrate"],
            env,
            workdir / "server.log",
        )
        url = f"http://127.0.0.1:{server_port}"
        problems: list[str] = []
        try:
            await _wait_ready(f"http://127.0.0.1:{mock_port}", "/__calls", wait_seconds=60)
            await _wait_ready(url, "/health/ready", wait_seconds=120)
            driver = Driver(url, arguments.clients)
            await driver.sign_up(arguments.clients)
            started = time.perf_counter()
            cached_ids = await driver.warm(warm_ids)
            print(
                f"upstream: {arguments.error_rate:.0%} 503, {arguments.timeout_rate:.0%} hangs, "
                f"{arguments.latency_ms} ms latency, {arguments.rate_limit}/s then 429; reelgraph timeouts "
                f"connect {connect} s, read {read} s, {attempts} attempts; bound per uncached read {bound:.1f} s"
            )
            print(
                f"warm: {len(cached_ids)}/{len(warm_ids)} movies cached in {time.perf_counter() - started:.1f} s"
            )
            if len(cached_ids) < len(warm_ids) // 2:
                problems.append("warm-up could not cache half the movies")
            writes = Writes()
            faults = Outcomes()
            await driver.phase(
                arguments.seconds,
                arguments.clients,
                cached_ids,
                cold_ids[: len(cold_ids) // 2],
                writes,
                faults,
            )
            problems += report(
                f"upstream failing ({arguments.seconds:.0f} s, {arguments.clients} clients)", faults, bound
            )
            await server_figures(url)

            await stop(mock)  # the upstream is gone: connections are refused from now on
            outage = Outcomes()
            await driver.phase(
                arguments.seconds,
                arguments.clients,
                cached_ids,
                cold_ids[len(cold_ids) // 2 :],
                writes,
                outage,
            )
            problems += report(
                f"upstream down ({arguments.seconds:.0f} s, {arguments.clients} clients)", outage, bound
            )
            await server_figures(url)
            await driver.close()
        finally:
            await stop(mock)
            await stop(server)
        likes, ratings, liked_rows = await count_rows(database_url, writes)
        lost = (len(writes.likes) - likes) + (len(writes.ratings) - ratings)
        print(
            f"\nwrites: {writes.acknowledged} acknowledged ({len(writes.likes)} distinct likes, "
            f"{len(writes.ratings)} distinct ratings); in the database: {likes} of those likes "
            f"({liked_rows} LIKED rows in all), {ratings} ratings with the last acknowledged value; "
            f"lost: {lost}; refused (not acknowledged): {dict(writes.refused) or 'none'}"
        )
        if lost:
            problems.append(f"{lost} acknowledged writes are missing from the database")
        log_lines = (workdir / "server.log").read_text().splitlines()
        internal = [line for line in log_lines if "unexpected error" in line]
        print(f"server log: {len(log_lines)} lines, {len(internal)} unexpected errors")
        for line in internal[:5]:
            print("  " + line[:500])
        if internal:
            problems.append(f"{len(internal)} unexpected errors in the server log")
        if arguments.backend == "postgres":
            await _postgres(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")
            await _flush_redis()
    print("\nRESULT:", "ok" if not problems else "; ".join(problems))
    return 1 if problems else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", nargs="?", choices=["run", "serve-mock"], default="run")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--port", type=int, default=9100, help="serve-mock: the port")
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--error-rate", type=float, default=0.2)
    parser.add_argument("--timeout-rate", type=float, default=0.05)
    parser.add_argument("--rate-limit", type=int, default=30, help="upstream requests per second, then 429")
    parser.add_argument("--seed", type=int, default=7)
    arguments = parser.parse_args()
    if arguments.mode == "serve-mock":
        serve_mock(arguments)
    else:
        raise SystemExit(asyncio.run(main(arguments)))
