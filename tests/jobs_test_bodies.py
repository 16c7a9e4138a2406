"""Job bodies only the tests load (REELGRAPH_JOB_MODULES=tests.jobs_test_bodies), never shipped.

They leave files in REELGRAPH_TEST_JOB_DIR so a test sees which process ran which attempt.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from reelgraph.jobs.registry import JobContext, JobSummary, job


def _dir() -> Path:
    return Path(os.environ["REELGRAPH_TEST_JOB_DIR"])


@job("test-record", max_attempts=1)
async def record(ctx: JobContext) -> JobSummary:
    """Leaves ran-<run id>-<pid>."""
    (_dir() / f"ran-{ctx.job_id}-{os.getpid()}").touch()
    return {"pid": os.getpid()}


@job("test-fail", max_attempts=2)
async def fail(ctx: JobContext) -> JobSummary:
    """Fails every attempt, leaving failed-<run id>-<attempt>."""
    (_dir() / f"failed-{ctx.job_id}-{ctx.attempt}").touch()
    raise RuntimeError("the upstream said no")


@job("test-hold", max_attempts=3)
async def hold(ctx: JobContext) -> JobSummary:
    """Leaves started-<pid>-<attempt>, runs until the test creates `release`, leaves done-<pid>."""
    (_dir() / f"started-{os.getpid()}-{ctx.attempt}").touch()
    while not (_dir() / "release").exists():  # noqa: ASYNC110  # the release comes from another process
        await asyncio.sleep(0.05)
    (_dir() / f"done-{os.getpid()}").touch()
    return {"pid": os.getpid()}
