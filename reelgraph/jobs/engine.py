"""The task engine: taskiq, over Redis streams when a broker is configured, in-process otherwise.

With `REELGRAPH_BROKER_URL` (redis://...) a run is a row in job_runs plus a message carrying its
id on a Redis stream (taskiq-redis's RedisStreamBroker: consumer groups, acknowledged once the
run ended, so a message whose worker died stays pending and is claimed again). Without one,
taskiq's InMemoryBroker runs the same task in this process, and this process fires the schedules
too. Either way the run itself is `runner.execute_run`.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from taskiq import AsyncBroker, InMemoryBroker
from taskiq_redis import RedisStreamBroker

from reelgraph.config import Settings
from reelgraph.errors import UserErrorCode, UserErrors
from reelgraph.jobs.metrics import JobStats
from reelgraph.jobs.registry import JobSpec, registered_jobs
from reelgraph.jobs.runner import execute_run
from reelgraph.jobs.scheduling import run_schedules
from reelgraph.persistence import jobs as repo
from reelgraph.persistence.models import JobRunRow, utcnow
from reelgraph.services.container import Services

log = logging.getLogger("reelgraph.jobs")

RUN_TASK = "reelgraph.run_job"
# A run still QUEUED this long after it was queued lost its message (say, Redis restarted
# without persistence): the sweep sends it again. Duplicates are harmless (the claim decides).
STALE_QUEUED = timedelta(minutes=10)


def load_jobs(settings: Settings) -> Mapping[str, JobSpec]:
    """The shipped jobs plus those of REELGRAPH_JOB_MODULES (tests, plugins)."""
    for module in settings.job_modules:
        importlib.import_module(module)
    return registered_jobs()


def create_broker(settings: Settings) -> AsyncBroker:
    if settings.broker_url is None:
        # await_inplace (tests only): enqueue returns once the run ended.
        return InMemoryBroker(
            max_async_tasks=settings.job_worker_concurrency, await_inplace=settings.job_eager
        )
    if not settings.broker_url.startswith(("redis://", "rediss://", "unix://")):
        raise ValueError("REELGRAPH_BROKER_URL must be a Redis URL (redis://, rediss://)")
    lease_ms = settings.job_lease_seconds * 1000
    return RedisStreamBroker(
        settings.broker_url,
        queue_name=settings.job_queue_name,
        consumer_group_name=f"{settings.job_queue_name}-workers",
        # A delivered message unacknowledged this long belongs to a dead worker: claim it again.
        idle_timeout=2 * lease_ms,
        unacknowledged_lock_timeout=settings.job_lease_seconds,
        xread_block=1000,
    )


class JobEngine:
    """Enqueues runs (the services' JobQueue), runs them when this process is a worker or the
    embedded default, and fires schedules when it is the scheduler or the embedded default."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.settings = services.settings
        self.specs = load_jobs(self.settings)
        self.stats = JobStats()
        self.broker = create_broker(self.settings)
        self.worker_name = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._background: list[asyncio.Task[Any]] = []

        self.in_flight: set[asyncio.Task[Any]] = set()  # the runs going in this process

        async def run_job(run_id: int) -> str | None:
            task = asyncio.current_task()
            assert task is not None
            self.in_flight.add(task)
            try:
                return await execute_run(self.services, self.specs, run_id, self.worker_name, self.stats)
            finally:
                self.in_flight.discard(task)

        self._task = self.broker.register_task(run_job, task_name=RUN_TASK)

    @property
    def embedded(self) -> bool:
        return self.settings.broker_url is None

    async def start(self, *, schedules: bool) -> None:
        """Connects the broker; `schedules`: this process fires the schedules (and sweeps)."""
        await self.broker.startup()
        self.services.job_queue.connect(self)
        if schedules:
            self._background.append(asyncio.create_task(run_schedules(self), name="job-schedules"))
        self._background.append(asyncio.create_task(self._sweep(), name="job-sweep"))

    async def _resend_handed_back(self) -> None:
        # Embedded, nobody else runs this database's jobs: what the last shutdown handed back (or
        # a crash left behind) starts again now rather than once it looks stale to the sweep.
        for run_id in await repo.orphaned_runs(self.services.sessions, utcnow()):
            await self.send(run_id)

    async def close(self) -> None:
        self.services.job_queue.connect(None)
        for task in self._background:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if isinstance(self.broker, InMemoryBroker):
            # In-flight runs get the shutdown wait; what is still running then is left RUNNING,
            # and its lease lapses, so the next start's sweep runs it again.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.broker.wait_all(), self.settings.job_shutdown_wait_seconds)
            await repo.release_runs_of(self.services.sessions, self.worker_name)
        await self.broker.shutdown()

    async def enqueue(self, name: str, params: Mapping[str, Any] | None = None) -> int:
        run = await self._create(name, params or {})
        assert run is not None and run.id is not None  # no period key: always created
        await self.send(run.id)
        return run.id

    async def fire_period(self, name: str, now: float | None = None) -> int | None:
        """The scheduled run of `name` for the current period, unless some scheduler fired it."""
        interval = self.specs[name].interval(self.settings)
        if interval is None:
            return None
        period = int((time.time() if now is None else now) // interval.total_seconds())
        run = await self._create(name, {}, period_key=f"{name}@{period}")
        if run is None or run.id is None:
            log.info("schedule already fired for this period", extra={"job": name, "period": period})
            return None
        await self.send(run.id)
        return run.id

    async def run_now(self, name: str) -> JobRunRow:
        """runJob: a run of `name` now; embedded, its state after at most job_run_wait_seconds."""
        if name not in self.specs:
            raise UserErrors.one(UserErrorCode.JOB_NOT_FOUND, f"There is no job named {name!r}.", "name")
        already = UserErrors.one(
            UserErrorCode.JOB_ALREADY_RUNNING, f"The job {name!r} is already queued or running.", "name"
        )
        if await repo.active_run_of(self.services.sessions, name) is not None:  # a scheduled one
            raise already
        run = await self._create(name, {}, period_key=repo.manual_key(name))
        if run is None or run.id is None:  # another runJob won the key at the same moment
            raise already
        run_id = run.id
        await self.send(run_id)
        deadline = time.monotonic() + (self.settings.job_run_wait_seconds if self.embedded else 0)
        while True:
            run = await repo.get_run(self.services.sessions, run_id)
            assert run is not None
            if run.status not in repo.ACTIVE or time.monotonic() >= deadline:
                return run
            await asyncio.sleep(0.05)

    async def send(self, run_id: int) -> None:
        await self._task.kiq(run_id)

    async def _create(
        self, name: str, params: Mapping[str, Any], period_key: str | None = None
    ) -> JobRunRow | None:
        spec = self.specs.get(name)
        if spec is None:
            raise KeyError(f"no job named {name!r}")
        return await repo.create_run(self.services.sessions, name, params, spec.max_attempts, period_key)

    async def _sweep(self) -> None:
        """Every third of a lease: sends again the runs nobody runs (a dead worker's, a lost
        message's) and reads the queue depth for /metrics."""
        period = max(self.settings.job_lease_seconds / 3, 0.5)
        if self.embedded:
            try:
                await self._resend_handed_back()
            except Exception:  # the database is away: the sweep below tries again
                log.warning("could not resend the runs handed back", exc_info=True)
        while True:
            await asyncio.sleep(period)
            try:
                orphans = await repo.orphaned_runs(self.services.sessions, utcnow() - STALE_QUEUED)
                for run_id in orphans:
                    log.warning("job run orphaned, sending it again", extra={"job_id": run_id})
                    await self.send(run_id)
                self.stats.queue_depth = await repo.count_queued(self.services.sessions)
            except Exception:  # the database or broker is away: the next sweep tries again
                log.warning("job sweep failed", exc_info=True)
