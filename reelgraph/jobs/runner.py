"""Running one job run: claim it, run its body under a renewed lease, retry with backoff, record.

The same function runs a run in a worker (from the broker) and in the API process (no broker).
The claim is a conditional UPDATE on the run's row, so a run delivered twice (a redelivery, a
sweep) is never run twice at once; a run whose worker died is claimable again once its lease
lapses, and is run again (a kill is not the job's failure, so the attempt limit does not stop it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping
from datetime import timedelta

from reelgraph.jobs.metrics import JobStats
from reelgraph.jobs.registry import JobContext, JobSpec
from reelgraph.observability.context import request_id_var
from reelgraph.persistence import jobs as repo
from reelgraph.services.container import Services

log = logging.getLogger("reelgraph.jobs")


def backoff_seconds(base: float, failed_attempts: int) -> float:
    """base, 2 x base, 4 x base, ... after the 1st, 2nd, 3rd failure."""
    return float(base * 2 ** max(failed_attempts - 1, 0))


async def execute_run(
    services: Services, specs: Mapping[str, JobSpec], run_id: int, worker: str, stats: JobStats
) -> str | None:
    """Runs `run_id` to its end here; returns its final status, or None when it was not ours to run
    (already finished, or alive in another worker)."""
    settings = services.settings
    lease = timedelta(seconds=settings.job_lease_seconds)
    row = await repo.claim_run(services.sessions, run_id, worker, lease)
    if row is None:
        log.debug("job run not claimable", extra={"job_id": run_id})
        return None
    spec = specs.get(row.name)
    if spec is None:
        await repo.finish_run(
            services.sessions, run_id, worker, repo.FAILED, error=f"no job named {row.name!r}"
        )
        return repo.FAILED
    token = request_id_var.set(f"job-{run_id}")  # every line the body logs carries the run id
    heartbeat = asyncio.create_task(_renew_lease(services, run_id, worker, lease))
    stats.running += 1
    started = time.monotonic()
    attempt = row.attempts
    try:
        while True:
            fields = {"job": spec.name, "job_id": run_id, "attempt": attempt, "worker": worker}
            log.info("job started", extra=fields)
            try:
                context = JobContext(services, job_id=str(run_id), attempt=attempt, params=row.params)
                summary = await asyncio.wait_for(spec.body(context), spec.timeout.total_seconds())
            except Exception as exc:  # the body's failure is the run's, recorded with its error
                error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                stats.attempt_failed(spec.name)
                if attempt < spec.max_attempts:
                    delay = backoff_seconds(settings.job_retry_backoff_seconds, attempt)
                    log.warning("job attempt failed, retrying in %.1f s: %s", delay, error, extra=fields)
                    await repo.record_failed_attempt(services.sessions, run_id, worker, error)
                    await asyncio.sleep(delay)
                    attempt += 1
                    continue
                log.error("job failed: %s", error, extra=fields)
                await repo.finish_run(services.sessions, run_id, worker, repo.FAILED, error=error)
                stats.run_ended(spec.name, repo.FAILED, time.monotonic() - started)
                return repo.FAILED
            await repo.finish_run(
                services.sessions, run_id, worker, repo.SUCCEEDED, summary=dict(summary or {})
            )
            seconds = time.monotonic() - started
            stats.run_ended(spec.name, repo.SUCCEEDED, seconds)
            log.info("job succeeded in %.3f s", seconds, extra={**fields, "summary": dict(summary or {})})
            return repo.SUCCEEDED
    finally:
        heartbeat.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await heartbeat
        stats.running -= 1
        request_id_var.reset(token)


async def _renew_lease(services: Services, run_id: int, worker: str, lease: timedelta) -> None:
    while True:
        await asyncio.sleep(lease.total_seconds() / 3)
        try:
            await repo.renew_lease(services.sessions, run_id, worker, lease)
        except Exception:  # a database blip: the next renewal may work, the lease has slack
            log.warning("could not renew the lease of job run %s", run_id, exc_info=True)
