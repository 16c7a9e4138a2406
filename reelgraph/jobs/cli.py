"""`reelgraph worker` and `reelgraph scheduler` (the broker setup; apply migrations first)."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from reelgraph.config import get_settings


def _worker(args: argparse.Namespace) -> int:
    from reelgraph.jobs.worker import run_worker  # lazy: a command loads only what it runs

    asyncio.run(run_worker(get_settings(), port=args.port))
    return 0


def _scheduler(args: argparse.Namespace) -> int:
    from reelgraph.jobs.worker import run_scheduler  # lazy: a command loads only what it runs

    asyncio.run(run_scheduler(get_settings()))
    return 0


def add_job_commands(commands: Any) -> None:
    worker = commands.add_parser(
        "worker", help="run background jobs from REELGRAPH_BROKER_URL (as many workers as you like)"
    )
    worker.add_argument(
        "--port",
        type=int,
        default=None,
        help="/health/ready and /metrics (default REELGRAPH_JOB_WORKER_PORT)",
    )
    worker.set_defaults(func=_worker)
    scheduler = commands.add_parser(
        "scheduler", help="fire the job schedules onto REELGRAPH_BROKER_URL (run exactly one)"
    )
    scheduler.set_defaults(func=_scheduler)
