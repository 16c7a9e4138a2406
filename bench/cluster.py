"""The broker setup as one service: two API replicas, two workers and one scheduler (or more, to
show a second one does no harm) against Redis and a private PostgreSQL database, with every
schedule shortened to a few seconds.

    python -m bench.cluster [--seconds 40] [--period 5] [--schedulers 1]

Prints, per scheduled job, the periods it fired in and how many runs each period got (must be
one), which worker ran them and how long they took; and the recommender model version each API
replica reports on /health/ready ("n/a" when this tree has no retraining job yet).
Uses Redis db 3 and the database test_jobs, both wiped first.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bench.loadgen import free_port

ROOT = Path(__file__).resolve().parents[1]
DATABASE = "postgresql+asyncpg://postgres@127.0.0.1:5432/test_jobs"
BROKER = "redis://127.0.0.1:6379/3"
SECRET = "bench-cluster-Zq3vT9kLw2XbN8rYp4HcJ6mFd1sGa7Ue0oVi5"


async def reset(database: str, broker: str) -> None:
    import redis.asyncio as redis

    engine = create_async_engine(database)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()
    client = redis.from_url(broker)
    await client.flushdb()
    await client.aclose()


def environment(database: str, broker: str, period: int) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("TMDB", "OMDB", "OPENAI"))}
    seconds = str(period)
    env.update(
        PYTHONPATH=str(ROOT),
        REELGRAPH_DATABASE_URL=database,
        REELGRAPH_BROKER_URL=broker,
        REELGRAPH_JWT_SECRET=SECRET,
        REELGRAPH_LOG_LEVEL="WARNING",
        # Every schedule a few seconds long, so a short run spans several periods.
        REELGRAPH_CLEANUP_SECONDS=seconds,
        REELGRAPH_RECS_CHECK_SECONDS=seconds,
        REELGRAPH_RECS_REFRESH_SECONDS=seconds,
        REELGRAPH_RECS_PRECOMPUTE_SECONDS=seconds,
        REELGRAPH_ANALYTICS_EXPORT_SECONDS=seconds,
        REELGRAPH_COMMUNITY_TRENDING_SECONDS=seconds,
        REELGRAPH_CATALOG_REFRESH_SECONDS=seconds,
        REELGRAPH_RECS_POLL_SECONDS="2",
        REELGRAPH_RECS_RETRAIN_AFTER="1",
    )
    return env


async def wait_ready(url: str, process: subprocess.Popen[bytes], deadline: float) -> dict[str, Any]:
    async with httpx.AsyncClient() as http:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise SystemExit(f"{url}: the process exited ({process.returncode})")
            try:
                response = await http.get(url, timeout=2)
                if response.status_code == 200:
                    return dict(response.json())
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.5)
    raise SystemExit(f"{url}: not ready in time")


async def report(database: str, seconds: float, period: int) -> None:
    engine = create_async_engine(database)
    async with engine.connect() as connection:
        rows = (
            await connection.execute(
                text(
                    "SELECT name, period_key, status, attempts, worker, queued_at, started_at, finished_at "
                    "FROM job_runs WHERE period_key IS NOT NULL ORDER BY id"
                )
            )
        ).all()
    await engine.dispose()
    runs: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        runs[row.name].append(row)
    print(
        f"\nscheduled runs over {seconds:.0f} s, one period = {period} s (about {seconds / period:.0f} periods)"
    )
    print(
        f"{'job':28} {'runs':>4} {'expected':>8} {'periods':>7} {'runs/period':>11} {'min gap s':>9} {'executions':>10} "
        f"{'statuses':26} {'worker pids':18} {'avg ms':>7}"
    )
    for name, found in sorted(runs.items()):
        per_period = Counter(row.period_key for row in found)
        queued = [row.queued_at for row in found]
        gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(queued)]
        executions = sum(row.attempts for row in found)
        statuses = ", ".join(f"{s} {n}" for s, n in sorted(Counter(row.status for row in found).items()))
        pids = Counter(row.worker.split(":")[1] for row in found if row.worker)
        took = [
            (r.finished_at - r.started_at).total_seconds() for r in found if r.started_at and r.finished_at
        ]
        # Periods the window held since this job's first run (the schedulers' start-up comes first).
        since_first = (datetime.now(UTC) - queued[0]).total_seconds()
        print(
            f"{name:28} {len(found):>4} {int(since_first // period) + 1:>8} {len(per_period):>7} "
            f"{max(per_period.values()):>11} "
            f"{min(gaps) if gaps else float('nan'):>9.1f} {executions:>10} {statuses:26} "
            f"{', '.join(f'{p}x{n}' for p, n in sorted(pids.items())):18} "
            f"{sum(took) / len(took) * 1000 if took else float('nan'):>7.0f}"
        )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=40)
    parser.add_argument("--period", type=int, default=5)
    parser.add_argument("--schedulers", type=int, default=1)
    parser.add_argument("--database", default=DATABASE)
    parser.add_argument("--broker", default=BROKER)
    args = parser.parse_args()

    await reset(args.database, args.broker)
    env = environment(args.database, args.broker, args.period)
    python = [sys.executable, "-m", "reelgraph.cli"]
    await asyncio.to_thread(
        subprocess.run, [*python, "migrate"], env=env, cwd=ROOT, check=True, capture_output=True
    )
    logs = Path(tempfile.mkdtemp(prefix="reelgraph-cluster-"))
    processes: list[tuple[str, subprocess.Popen[bytes], str | None]] = []

    def start(label: str, command: list[str], ready_url: str | None) -> None:
        log = (logs / f"{label}.log").open("wb")
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        processes.append((label, process, ready_url))

    apis = []
    for index in range(2):
        port = free_port()
        apis.append(f"http://127.0.0.1:{port}/health/ready")
        start(f"api-{index}", [*python, "serve", "--port", str(port), "--log-level", "warning"], apis[-1])
    for index in range(2):
        port = free_port()
        start(
            f"worker-{index}",
            [*python, "worker", "--port", str(port)],
            f"http://127.0.0.1:{port}/health/ready",
        )
    try:
        deadline = time.monotonic() + 180
        for label, process, url in processes:
            if url is not None:
                await wait_ready(url, process, deadline)
                print(f"{label} ready (pid {process.pid})")
        # The schedulers last, so every run counted falls in the measured window.
        for index in range(args.schedulers):
            start(f"scheduler-{index}", [*python, "scheduler"], None)
        started = time.monotonic()
        print(
            f"running {args.seconds:.0f} s, schedules every {args.period} s, {args.schedulers} scheduler(s)"
        )
        await asyncio.sleep(args.seconds)
        await report(args.database, time.monotonic() - started, args.period)
        print("\nmodel version each API replica reports (/health/ready):")
        async with httpx.AsyncClient() as http:
            for url in apis:
                body = (await http.get(url, timeout=5)).json()
                print(f"  {url}: {body.get('recommender', 'n/a (no recommender version reported)')}")
    finally:
        for _, process, _ in processes:
            process.send_signal(signal.SIGTERM)
        for label, process, _ in processes:
            try:
                process.wait(40)
            except subprocess.TimeoutExpired:
                process.kill()
                print(f"{label} did not stop in 40 s: killed")
        print(f"logs: {logs}")


if __name__ == "__main__":
    asyncio.run(main())
