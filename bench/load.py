"""Mixed-workload load test: N concurrent clients for T seconds, each a signed-in user of its own
address, over trending pages followed by cursor, movie details, discover, search, sign-up and
sign-in, setInteraction, rateMovie, recommendations, the viewer's library and chat.

    python -m bench.load [--clients 200] [--seconds 60] [--backend sqlite|postgres] [--workers N]
                         [--url URL] [--profile flame.svg]

Without --url it starts its own `reelgraph serve [--workers N]` (production settings, default rate
limits, JSON access log to a file) on a free loopback port; `--backend postgres` uses PostgreSQL
and Redis on 127.0.0.1 (a database and a Redis db made for the run and dropped after:
REELGRAPH_BENCH_DATABASE, default reelgraph_bench, created through REELGRAPH_BENCH_POSTGRES_URL;
REELGRAPH_BENCH_REDIS_URL). With --url it loads a running server, which must be on loopback.
Bounded: at most --max-requests requests, a 30 s timeout per request. `--profile` records the
server (all its workers) with py-spy during the measured phase (after sign-up).

Clients send X-Forwarded-For with an address of their own (uvicorn trusts it from 127.0.0.1), so
per-address limits apply per client as they would for real users. A few sign-ins per client use a
wrong password on one shared account: that account's failure limit is meant to trigger, so those
RATE_LIMITED answers are expected and reported apart from everything else, as are the server's
503 RATE_LIMITED answers when its queue is full (reelgraph.admission).

Prints p50, p99, requests/s, errors by code (and per operation), the server's cache figures, the
CPU the server and this load generator used (a generator near 100% of a core measures itself) and
the server's resident memory.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.loadgen import _check_loopback, free_port
from bench.trending import _wait_ready

PASSWORD = "load test password 1"
VICTIM_EMAIL = "load-victim@example.com"
SEARCH_WORDS = ["matrix", "star", "love", "war", "man", "keanu", "night", "dead", "king", "girl"]
CHAT_MESSAGES = [
    "90s sci-fi, nothing too long",
    "feel-good comedies from the 2000s",
    "something like Heat",
    "films policiers des années 70",
    "trending thrillers",
]
PG_ADMIN_URL = os.environ.get("REELGRAPH_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
BENCH_DATABASE = os.environ.get("REELGRAPH_BENCH_DATABASE", "reelgraph_bench")
BENCH_REDIS = os.environ.get("REELGRAPH_BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")

TRENDING = """query TrendingPage($after: String) { trending(first: 20, after: $after) {
  edges { cursor node { id tmdbId title year posterUrl genres { name } } } pageInfo { endCursor hasNextPage } } }"""
MOVIE = """query MovieDetail($id: Int!) { movie(tmdbId: $id) { id title tagline runtime year imdbRating
  genres { name } cast(first: 5) { character person { name } } directors { name }
  similar(first: 5) { tmdbId title } viewerInteractions viewerRating averageUserRating } }"""
DISCOVER = """query Discover($filter: MovieFilter!) { discover(filter: $filter, first: 20) {
  nodes { tmdbId title year } pageInfo { endCursor hasNextPage } } }"""
SEARCH = """query Search($q: String!) { search(query: $q, first: 10) {
  nodes { __typename ... on Movie { tmdbId title } ... on Person { name } } } }"""
REGISTER = """mutation Register($i: RegisterInput!) { register(input: $i) { accessToken errors { code } } }"""
LOGIN = """mutation Login($e: String!, $p: String!) { login(input: {email: $e, password: $p}) {
  accessToken errors { code } } }"""
SET_INTERACTION = """mutation SetInteraction($m: Int!, $k: InteractionKind!) { setInteraction(movieId: $m, kind: $k) {
  interaction { id kind } movie { id viewerInteractions } errors { code } } }"""
RATE = """mutation RateMovie($m: Int!, $v: Float!) { rateMovie(movieId: $m, value: $v) { rating { value } errors { code } } }"""
RECOMMENDATIONS = """query Recommendations { recommendations(first: 10) { score movie { tmdbId title } } }"""
LIBRARY = """query WatchLater { viewer { stats { seenCount watchLaterCount ratingsCount }
  interactions(kind: WATCH_LATER, first: 20) { totalCount nodes { movie { title } } } } }"""
CHAT = """mutation ChatTurn($m: String!) { chat(message: $m) { reply movies { tmdbId title } errors { code } } }"""
GENRES = "query Genres { genres { tmdbId name } }"

# Relative weights of the operations in the mix.
MIX: dict[str, int] = {
    "TrendingPage": 20,
    "MovieDetail": 20,
    "Discover": 10,
    "Search": 10,
    "WatchLater": 6,
    "SetInteraction": 8,
    "RateMovie": 6,
    "Recommendations": 6,
    "Login": 2,
    "Register": 1,
    "ChatTurn": 2,
    "FailedLogin": 1,
}


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    codes: Counter[tuple[str, str]] = field(default_factory=Counter)  # (operation, code)
    user_errors: Counter[tuple[str, str]] = field(default_factory=Counter)  # payload errors (data)
    writes_acknowledged: Counter[str] = field(default_factory=Counter)
    requests: int = 0
    elapsed: float = 0.0

    def all_latencies(self) -> list[float]:
        return [value for values in self.latencies.values() for value in values]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Client:
    def __init__(
        self, index: int, http: httpx.AsyncClient, stats: Stats, movie_ids: list[int], genres: list[int]
    ) -> None:
        self.index = index
        self.http = http
        self.stats = stats
        self.movie_ids = movie_ids
        self.genres = genres
        self.random = random.Random(index)
        self.address = f"10.{index // 250 % 250}.{index % 250}.{1 + index // 62500}"
        self.email = f"load-{os.getpid()}-{index}@example.com"
        self.token: str | None = None
        self.after: str | None = None
        self.pages = 0

    async def call(
        self, operation: str, query: str, variables: dict[str, Any] | None = None, *, signed_in: bool = True
    ) -> dict[str, Any] | None:
        headers = {"x-forwarded-for": self.address}
        if signed_in and self.token:
            headers["authorization"] = f"Bearer {self.token}"
        started = time.perf_counter()
        try:
            response = await self.http.post(
                "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
            )
        except httpx.TimeoutException:
            self.stats.codes[(operation, "TIMEOUT")] += 1
            return None
        except httpx.HTTPError as exc:
            self.stats.codes[(operation, f"TRANSPORT:{type(exc).__name__}")] += 1
            return None
        finally:
            self.stats.requests += 1
        elapsed = (time.perf_counter() - started) * 1000
        self.stats.latencies[operation].append(elapsed)
        if response.status_code == 503 and _code(response) == "RATE_LIMITED":
            self.stats.codes[(operation, "RATE_LIMITED (server busy)")] += 1  # admission control
            return None
        if response.status_code != 200:
            self.stats.codes[(operation, f"HTTP_{response.status_code}")] += 1
            return None
        body = response.json()
        for error in body.get("errors") or []:
            self.stats.codes[(operation, (error.get("extensions") or {}).get("code", "MISSING"))] += 1
        data = body.get("data") or {}
        for payload in data.values():
            if isinstance(payload, dict) and isinstance(payload.get("errors"), list):
                for error in payload["errors"]:
                    self.stats.user_errors[(operation, error["code"])] += 1
        return body

    async def sign_up(self) -> None:
        body = await self.call(
            "Register",
            REGISTER,
            {"i": {"email": self.email, "password": PASSWORD, "name": f"Load {self.index}"}},
            signed_in=False,
        )
        payload = ((body or {}).get("data") or {}).get("register")
        if payload and payload["accessToken"]:
            self.token = payload["accessToken"]

    async def step(self) -> None:
        operation = self.random.choices(list(MIX), weights=list(MIX.values()))[0]
        movie = self.random.choice(self.movie_ids)
        anonymous = self.random.random() < 0.5  # half the reads come from signed-out visitors
        if operation == "TrendingPage":
            body = await self.call(operation, TRENDING, {"after": self.after}, signed_in=not anonymous)
            page = (((body or {}).get("data") or {}).get("trending") or {}).get("pageInfo") or {}
            self.pages += 1
            self.after = page.get("endCursor") if page.get("hasNextPage") and self.pages % 5 else None
        elif operation == "MovieDetail":
            await self.call(operation, MOVIE, {"id": movie}, signed_in=not anonymous)
        elif operation == "Discover":
            year = self.random.randrange(1950, 2015, 5)
            genre_filter = {"genres": [self.random.choice(self.genres)], "yearFrom": year, "yearTo": year + 9}
            await self.call(operation, DISCOVER, {"filter": genre_filter}, signed_in=not anonymous)
        elif operation == "Search":
            await self.call(
                operation, SEARCH, {"q": self.random.choice(SEARCH_WORDS)}, signed_in=not anonymous
            )
        elif operation == "WatchLater":
            await self.call(operation, LIBRARY)
        elif operation == "SetInteraction":
            kind = self.random.choice(["WATCH_LATER", "LIKED", "FAVORITE", "SEEN", "NOT_INTERESTED"])
            body = await self.call(operation, SET_INTERACTION, {"m": movie, "k": kind})
            self._acknowledge(body, "setInteraction")
        elif operation == "RateMovie":
            body = await self.call(
                operation, RATE, {"m": movie, "v": self.random.choice([1.0, 2.5, 3.5, 4.5, 5.0])}
            )
            self._acknowledge(body, "rateMovie")
        elif operation == "Recommendations":
            await self.call(operation, RECOMMENDATIONS)
        elif operation == "Login":
            body = await self.call(operation, LOGIN, {"e": self.email, "p": PASSWORD}, signed_in=False)
            payload = ((body or {}).get("data") or {}).get("login")
            if payload and payload["accessToken"]:
                self.token = payload["accessToken"]
        elif operation == "Register":
            email = f"load-{os.getpid()}-{self.index}-{self.random.getrandbits(40):x}@example.com"
            await self.call(
                operation,
                REGISTER,
                {"i": {"email": email, "password": PASSWORD, "name": "Extra"}},
                signed_in=False,
            )
        elif operation == "ChatTurn":
            await self.call(operation, CHAT, {"m": self.random.choice(CHAT_MESSAGES)})
        elif operation == "FailedLogin":
            await self.call(operation, LOGIN, {"e": VICTIM_EMAIL, "p": "not the password"}, signed_in=False)

    def _acknowledge(self, body: dict[str, Any] | None, field_name: str) -> None:
        payload = ((body or {}).get("data") or {}).get(field_name)
        if payload is not None and not (body or {}).get("errors") and payload["errors"] == []:
            self.stats.writes_acknowledged[field_name] += 1


async def catalog_sample(http: httpx.AsyncClient) -> tuple[list[int], list[int]]:
    """Movie ids (the first 300 trending) and genre ids to draw requests from."""
    ids: list[int] = []
    after = None
    headers = {"x-forwarded-for": "10.250.0.1"}
    while len(ids) < 300:
        response = await http.post(
            "/graphql",
            json={
                "query": "query($a: String) { trending(first: 100, after: $a) { nodes { tmdbId } pageInfo { endCursor } } }",
                "variables": {"a": after},
            },
            headers=headers,
        )
        trending = response.json()["data"]["trending"]
        ids += [node["tmdbId"] for node in trending["nodes"]]
        after = trending["pageInfo"]["endCursor"]
    genres = (await http.post("/graphql", json={"query": GENRES}, headers=headers)).json()["data"]["genres"]
    return ids, [genre["tmdbId"] for genre in genres]


async def run(
    url: str,
    clients: int,
    seconds: float,
    max_requests: int,
    measured: contextlib.AbstractAsyncContextManager[object] | None = None,
) -> Stats:
    """`measured` is entered around the measured phase (after every client signed up)."""
    _check_loopback(url)
    stats = Stats()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as http:
        movie_ids, genres = await catalog_sample(http)
        workers = [Client(index, http, stats, movie_ids, genres) for index in range(clients)]
        victim = Client(clients, http, Stats(), movie_ids, genres)
        victim.email = VICTIM_EMAIL
        await victim.sign_up()
        setup_started = time.perf_counter()
        for batch in range(0, clients, 20):  # sign every client up (argon2 is the cost here)
            await asyncio.gather(*(worker.sign_up() for worker in workers[batch : batch + 20]))
        print(
            f"signed up {sum(1 for w in workers if w.token)} clients in {time.perf_counter() - setup_started:.1f} s"
        )
        stats.latencies.clear()
        stats.codes.clear()
        stats.user_errors.clear()
        stats.requests = 0
        deadline = time.perf_counter() + seconds

        async def loop(worker: Client) -> None:
            while time.perf_counter() < deadline and stats.requests < max_requests:
                await worker.step()

        async with measured or contextlib.nullcontext():
            started = time.perf_counter()
            await asyncio.gather(*(loop(worker) for worker in workers))
            stats.elapsed = time.perf_counter() - started
    return stats


def _process_tree(pid: int) -> list[int]:
    """`pid` and its descendants (the workers of `reelgraph serve --workers N`), from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
    tree, frontier = [pid], [pid]
    while frontier:
        frontier = [child for child, parent in parents.items() if parent in frontier]
        tree += frontier
    return tree


def _cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks
    return total / os.sysconf("SC_CLK_TCK")


def _rss_mib(pid: int) -> float:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


@contextlib.asynccontextmanager
async def server_usage(pid: int, profile: Path | None) -> AsyncIterator[None]:
    """Prints the CPU the server's processes and this generator used while inside, and records
    the server with py-spy into `profile` (.svg flame graph, .txt collapsed stacks, .json speedscope)."""
    spy = None
    if profile is not None:
        spy_format = {".svg": "flamegraph", ".txt": "raw", ".json": "speedscope"}.get(
            profile.suffix, "flamegraph"
        )
        spy = await asyncio.create_subprocess_exec(
            *(str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(pid), "--subprocesses"),
            *("--rate", "50", "--format", spy_format, "--output", str(profile)),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    tree = _process_tree(pid)
    server_before, own_before, started = _cpu_seconds(tree), time.process_time(), time.perf_counter()
    try:
        yield
    finally:
        elapsed = time.perf_counter() - started
        server = _cpu_seconds(tree) - server_before
        own = time.process_time() - own_before
        print(
            f"CPU while measured: server {server / elapsed:.2f} cores over {len(tree)} processes, "
            f"load generator {own / elapsed:.2f} cores (it measures itself near 1.00); "
            f"machine has {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}"
        )
        print("server RSS MiB: " + ", ".join(f"{p}: {_rss_mib(p):.0f}" for p in tree))
        if spy is not None:
            spy.send_signal(signal.SIGINT)  # py-spy writes the profile and exits
            await asyncio.wait_for(spy.wait(), 120)
            print(f"server profile written to {profile}")


def _code(response: httpx.Response) -> str | None:
    try:
        return response.json()["errors"][0]["extensions"]["code"]
    except (ValueError, LookupError, TypeError):
        return None


def report(stats: Stats, clients: int, seconds: float) -> dict[str, Any]:
    elapsed = stats.elapsed or seconds
    latencies = stats.all_latencies()
    errors: Counter[str] = Counter()
    for (operation, code), count in stats.codes.items():
        errors[
            "RATE_LIMITED (expected: FailedLogin)"
            if operation == "FailedLogin" and code == "RATE_LIMITED"
            else code
        ] += count
    # Limits configured to trigger: the shared account's sign-in failures, and the server's queue
    # refusing what would wait longer than REELGRAPH_MAX_QUEUE_SECONDS.
    unexpected = {code: n for code, n in errors.items() if not code.startswith("RATE_LIMITED (")}
    print(
        f"\n{clients} clients, {elapsed:.1f} s: {stats.requests} requests, {stats.requests / elapsed:.0f} requests/s"
    )
    print(
        f"latency p50 {statistics.median(latencies):.1f} ms, p90 {percentile(latencies, 0.90):.1f} ms, p99 {percentile(latencies, 0.99):.1f} ms, max {max(latencies):.0f} ms"
    )
    print("top-level errors by code:", dict(errors) or "none")
    print("unexpected errors:", unexpected or "none")
    print("per operation:          count    p50 ms    p99 ms   errors")
    for operation in MIX:
        values = stats.latencies.get(operation, [])
        codes = {code: n for (op, code), n in stats.codes.items() if op == operation}
        if values:
            print(
                f"  {operation:<18} {len(values):>8} {statistics.median(values):>9.1f} {percentile(values, 0.99):>9.1f}   {codes or ''}"
            )
    print(
        "user errors in payloads (data, expected):",
        dict(Counter({f"{op}:{code}": n for (op, code), n in stats.user_errors.items()})) or "none",
    )
    print("writes acknowledged:", dict(stats.writes_acknowledged))
    return {
        "clients": clients,
        "seconds": round(elapsed, 1),
        "requests": stats.requests,
        "rps": round(stats.requests / elapsed),
        "p50_ms": round(statistics.median(latencies), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1),
        "errors": dict(errors),
        "unexpected_errors": unexpected,
    }


async def server_figures(url: str) -> None:
    """A few figures from the server's /metrics: caches, upstream calls and the breakers."""
    from prometheus_client.parser import text_string_to_metric_families

    async with httpx.AsyncClient(base_url=url, timeout=10) as http:
        response = await http.get("/metrics")
    if response.status_code != 200:
        return
    lines: list[str] = []
    attempts: Counter[str] = Counter()
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            labels = sample.labels
            if sample.name == "reelgraph_cache_hit_ratio":
                lines.append(f"cache hit ratio {labels['cache']}: {sample.value:.3f}")
            elif sample.name == "reelgraph_cache_stale_served_total":
                lines.append(f"stale cache entries served: {sample.value:g}")
            elif (
                sample.name.startswith("reelgraph_upstream_")
                and sample.name.endswith("_total")
                and "http" not in sample.name
            ):
                lines.append(f"{sample.name[19:-6]} {labels['upstream']}: {sample.value:g}")
            elif sample.name == "reelgraph_upstream_breaker_state" and sample.value == 1:
                lines.append(f"breaker {labels['upstream']}: {labels['state']}")
            elif sample.name == "reelgraph_upstream_http_requests_total":
                attempts[f"{labels['upstream']} {labels['outcome']}"] += int(sample.value)
    if attempts:
        lines.append("upstream HTTP attempts: " + ", ".join(f"{k} {v}" for k, v in sorted(attempts.items())))
    print("server /metrics: " + "; ".join(lines))


@dataclass
class OwnServer:
    url: str
    pid: int


@contextlib.asynccontextmanager
async def own_server(
    backend: str, workdir: Path, extra_env: dict[str, str], workers: int = 1
) -> AsyncIterator[OwnServer]:
    port = free_port()
    env = {
        **os.environ,
        "REELGRAPH_ENV": "production",
        "REELGRAPH_JWT_SECRET": secrets.token_hex(32),  # production refuses a guessable one
        "REELGRAPH_CORS_ORIGINS": "http://127.0.0.1:3000",
        "REELGRAPH_LOG_FORMAT": "json",
        "REELGRAPH_CACHE_URL": "memory://",
        "REELGRAPH_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'load.db'}",
        **extra_env,
    }
    for key in ("TMDB_API_KEY", "TMDB_READ_TOKEN", "OMDB_API_KEY", "OPENAI_API_KEY"):
        env.pop(key, None)  # the offline catalog and the rule-based assistant: loopback only
    if backend == "postgres":
        await _postgres(
            f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)", f"CREATE DATABASE {BENCH_DATABASE}"
        )
        await _flush_redis()
        host = PG_ADMIN_URL.split("://", 1)[1].rsplit("/", 1)[0]
        env["REELGRAPH_DATABASE_URL"] = f"postgresql+asyncpg://{host}/{BENCH_DATABASE}"
        env["REELGRAPH_CACHE_URL"] = BENCH_REDIS
    log = (workdir / "server.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "reelgraph.cli", "serve", "--port", str(port), "--migrate"),
        *(("--workers", str(workers)) if workers > 1 else ()),
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        await _wait_ready(url, "/health/ready", wait_seconds=120)
        yield OwnServer(url, process.pid)
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 30)
        log.close()
        if backend == "postgres":
            await _postgres(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")
            await _flush_redis()


async def _postgres(*statements: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(PG_ADMIN_URL)
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


async def _flush_redis() -> None:
    import redis.asyncio as redis

    client = redis.from_url(BENCH_REDIS)
    await client.flushdb()
    await client.aclose()


async def main(arguments: argparse.Namespace) -> int:
    for operation in arguments.without:
        MIX.pop(operation)
    if arguments.url:
        _check_loopback(arguments.url)
        stats = await run(arguments.url, arguments.clients, arguments.seconds, arguments.max_requests)
        summary = report(stats, arguments.clients, arguments.seconds)
        await server_figures(arguments.url)
    else:
        extra = dict(item.split("=", 1) for item in arguments.env)
        with tempfile.TemporaryDirectory() as tmp:
            async with own_server(arguments.backend, Path(tmp), extra, arguments.workers) as server:
                url = server.url
                print(f"server: reelgraph serve --workers {arguments.workers}, {arguments.backend}")
                measured = server_usage(server.pid, arguments.profile)
                stats = await run(url, arguments.clients, arguments.seconds, arguments.max_requests, measured)
                summary = report(stats, arguments.clients, arguments.seconds)
                await server_figures(url)
                log_lines = (Path(tmp) / "server.log").read_text().splitlines()
                problems = [
                    line for line in log_lines if '"level": "ERROR"' in line or '"level": "CRITICAL"' in line
                ]
                print(f"server log: {len(log_lines)} lines, {len(problems)} at ERROR or above")
                for line in problems[:5]:
                    print("  " + line[:400])
    print(json.dumps(summary))
    return 1 if summary["unexpected_errors"] else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--max-requests", type=int, default=500_000)
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--workers", type=int, default=1, help="`reelgraph serve --workers N` (postgres)")
    parser.add_argument(
        "--profile", type=Path, default=None, help="py-spy the server into this file (.svg, .txt, .json)"
    )
    parser.add_argument("--url", default=None, help="a running server on loopback (default: start one)")
    parser.add_argument("--env", action="append", default=[], help="KEY=VALUE for the server started here")
    parser.add_argument(
        "--without", action="append", default=[], choices=list(MIX), help="leave an operation out"
    )
    raise SystemExit(asyncio.run(main(parser.parse_args())))
