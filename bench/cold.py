"""Benchmark: the first `discover(first: 30)` with IMDb ratings and cast on a cold server, against
the mock upstream with 30 ms of latency, for this tree and for a previous revision in the same run.

    python -m bench.cold [--runs 5] [--latency-ms 30] [--baseline REV | --no-baseline]

Each run starts `reelgraph mock-upstream --latency-ms 30` and a fresh `reelgraph serve` (a new
SQLite file, the memory cache) on free loopback ports, sends the query once and prints its wall
time and the upstream calls the mock counted. The previous behaviour is the tree of `--baseline`
(a git revision, default the main before the cold-path work), exported with `git archive` into a
temporary directory and run by the same interpreter: measured, not emulated.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

import httpx

from bench.loadgen import free_port

REPO = Path(__file__).resolve().parent.parent
# main before the cold-path work (burst-less limiter, OMDb after every detail, 28 KB details).
DEFAULT_BASELINE = "473fa62"
QUERY = (
    "{ discover(filter: {}, first: 30) { nodes { title imdbRating cast(first: 3) { person { name } } } } }"
)
CALLS = "/__calls"


@dataclass
class Run:
    seconds: float
    tmdb_calls: int
    omdb_calls: int
    movies: int
    rated: int

    def row(self) -> str:
        return (
            f"{self.seconds * 1000:7.1f} ms  TMDb {self.tmdb_calls:2d} calls, OMDb {self.omdb_calls:2d} calls"
            f"  ({self.movies} movies, {self.rated} rated)"
        )


@contextmanager
def _process(args: list[str], cwd: Path, env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(args, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def _wait_ready(url: str, process: subprocess.Popen[bytes], wait_seconds: float = 60) -> None:
    deadline = time.monotonic() + wait_seconds
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                stderr = process.stderr.read().decode() if process.stderr else ""
                raise SystemExit(f"{url}: the server exited ({process.returncode}):\n{stderr[-2000:]}")
            try:
                if (await client.get(url)).status_code < 500:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit(f"{url} did not start")


async def _measure_once(tree: Path, latency_ms: int, workdir: Path) -> Run:
    env = {key: value for key, value in os.environ.items() if key not in ("TMDB_READ_TOKEN", "PYTHONPATH")}
    mock_port, serve_port = free_port(), free_port()
    mock_url = f"http://127.0.0.1:{mock_port}"
    mock = [sys.executable, "-m", "reelgraph.cli", "mock-upstream", "--port", str(mock_port)]
    serve = [
        sys.executable,
        "-m",
        "reelgraph.cli",
        "serve",
        "--port",
        str(serve_port),
        "--log-level",
        "warning",
    ]
    serve_env = {
        **env,
        "PYTHONPATH": str(tree),
        "TMDB_API_KEY": "bench-dummy-key",
        "OMDB_API_KEY": "bench-dummy-key",
        "REELGRAPH_TMDB_BASE_URL": f"{mock_url}/3",
        "REELGRAPH_OMDB_BASE_URL": f"{mock_url}/omdb",
        "REELGRAPH_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'cold.db'}",
        "REELGRAPH_CACHE_URL": "memory://",
        "REELGRAPH_JWT_SECRET": "bench-secret-" + "x" * 40,
        "REELGRAPH_RECS_TRAIN_ON_START": "false",  # training would compete for the CPU being measured
    }
    # One mock for both trees (this one's): it is the measuring instrument, not what is measured.
    with _process([*mock, "--latency-ms", str(latency_ms)], REPO, env) as mock_process:
        await _wait_ready(mock_url + CALLS, mock_process)
        with _process(serve, tree, serve_env) as serve_process:
            base = f"http://127.0.0.1:{serve_port}"
            await _wait_ready(base + "/health/ready", serve_process)
            async with httpx.AsyncClient(timeout=60) as client:
                await client.delete(mock_url + CALLS)  # start-up calls (configuration) are not the query's
                started = time.perf_counter()
                response = await client.post(base + "/graphql", json={"query": QUERY})
                seconds = time.perf_counter() - started
                body = response.json()
                if response.status_code != 200 or "errors" in body:
                    raise SystemExit(f"the query failed: {response.status_code} {body}")
                calls = (await client.get(mock_url + CALLS)).json()["calls"]
    nodes = body["data"]["discover"]["nodes"]
    omdb = sum(n for path, n in calls.items() if path.startswith("/omdb"))
    return Run(
        seconds=seconds,
        tmdb_calls=sum(calls.values()) - omdb,
        omdb_calls=omdb,
        movies=len(nodes),
        rated=sum(node["imdbRating"] is not None for node in nodes),
    )


@contextmanager
def _exported(revision: str) -> Iterator[Path]:
    """The tree of `revision`, exported into a temporary directory (no worktree, no checkout)."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", revision, "reelgraph", "pyproject.toml"],
        check=True,
        capture_output=True,
    ).stdout
    with tempfile.TemporaryDirectory(prefix="reelgraph-baseline-") as tmp:
        with tarfile.open(fileobj=BytesIO(archive)) as tar:
            tar.extractall(tmp, filter="data")
        yield Path(tmp)


async def _series(label: str, tree: Path, runs: int, latency_ms: int) -> list[Run]:
    print(f"{label}:")
    results = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="reelgraph-cold-") as tmp:
            run = await _measure_once(tree, latency_ms, Path(tmp))
        print("  " + run.row())
        results.append(run)
    return results


def _summary(label: str, results: list[Run]) -> str:
    times = [r.seconds * 1000 for r in results]
    return (
        f"{label:<28} median {statistics.median(times):7.1f} ms (min {min(times):.1f}, max {max(times):.1f}),"
        f" TMDb {results[0].tmdb_calls} + OMDb {results[0].omdb_calls} calls"
    )


async def main(runs: int, latency_ms: int, baseline: str | None) -> None:
    print(f"query: {QUERY}\nmock upstream latency {latency_ms} ms, {runs} cold servers each\n")
    current = await _series("this tree", REPO, runs, latency_ms)
    lines = [_summary("this tree", current)]
    if baseline:
        with _exported(baseline) as tree:
            previous = await _series(f"baseline {baseline}", tree, runs, latency_ms)
        lines.append(_summary(f"baseline {baseline}", previous))
    print()
    print("\n".join(lines))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--latency-ms", type=int, default=30)
    parser.add_argument("--baseline", default=DEFAULT_BASELINE, help="a git revision (default %(default)s)")
    parser.add_argument("--no-baseline", action="store_const", const=None, dest="baseline")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.runs, arguments.latency_ms, arguments.baseline))
