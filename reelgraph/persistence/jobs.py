"""Job runs: one row per enqueued run of a background job, and the SQL that moves it along.

The row is the truth every process shares; the broker only carries run ids. A worker claims a
run by moving it to RUNNING with a lease (a conditional UPDATE, so two workers never run it at
once) and renews the lease while the body runs; a worker that dies stops renewing it, and the
run becomes claimable again for the broker's redelivery (or the lease sweep).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from reelgraph.persistence.models import JobRunRow, utcnow

QUEUED = "QUEUED"
RUNNING = "RUNNING"
SUCCEEDED = "SUCCEEDED"
FAILED = "FAILED"
ACTIVE = (QUEUED, RUNNING)
MAX_ERROR_LENGTH = 4000
# The key a runJob run holds while it is queued or running: the unique index refuses a second
# one at once, however many API processes ask at the same moment; a finished run gives it up.
MANUAL_KEY_SUFFIX = "@manual"


def manual_key(name: str) -> str:
    return f"{name}{MANUAL_KEY_SUFFIX}"


Sessions = async_sessionmaker[AsyncSession]


async def create_run(
    sessions: Sessions,
    name: str,
    params: Mapping[str, Any],
    max_attempts: int,
    period_key: str | None = None,
) -> JobRunRow | None:
    """A QUEUED run; None when `period_key` was already taken (another scheduler fired it)."""
    row = JobRunRow(
        name=name, status=QUEUED, params=dict(params), max_attempts=max_attempts, period_key=period_key
    )
    try:
        async with sessions.begin() as session:
            session.add(row)
    except IntegrityError:
        if period_key is None:
            raise
        return None
    return row


async def get_run(sessions: Sessions, run_id: int) -> JobRunRow | None:
    async with sessions() as session:
        return await session.get(JobRunRow, run_id)


async def runs_by_id(sessions: Sessions, run_ids: Sequence[int]) -> list[JobRunRow | None]:
    async with sessions() as session:
        rows = await session.execute(select(JobRunRow).where(col(JobRunRow.id).in_(run_ids)))
        found = {row.id: row for row in rows.scalars()}
    return [found.get(run_id) for run_id in run_ids]


async def active_run_of(sessions: Sessions, name: str) -> JobRunRow | None:
    """A run of `name` queued or running, if any."""
    async with sessions() as session:
        rows = await session.execute(
            select(JobRunRow)
            .where(JobRunRow.name == name, col(JobRunRow.status).in_(ACTIVE))
            .order_by(col(JobRunRow.id).desc())
            .limit(1)
        )
        return rows.scalars().first()


async def page_of_runs(
    sessions: Sessions, status: str | None, before_id: int | None, limit: int
) -> tuple[list[JobRunRow], int]:
    """Runs newest first, past the cursor's id, and how many match in all."""
    where = [JobRunRow.status == status] if status else []
    async with sessions() as session:
        query = select(JobRunRow).where(*where)
        if before_id is not None:
            query = query.where(col(JobRunRow.id) < before_id)
        rows = await session.execute(query.order_by(col(JobRunRow.id).desc()).limit(limit))
        total = await session.scalar(select(func.count()).select_from(JobRunRow).where(*where))
        return list(rows.scalars()), int(total or 0)


async def claim_run(sessions: Sessions, run_id: int, worker: str, lease: timedelta) -> JobRunRow | None:
    """Moves a QUEUED run (or a RUNNING one whose lease passed) to RUNNING for `worker`, counting
    the attempt; None when it is not claimable (finished, or alive in another worker)."""
    now = utcnow()
    async with sessions.begin() as session:
        claimed = await session.execute(
            update(JobRunRow)
            .where(
                JobRunRow.id == run_id,
                or_(
                    JobRunRow.status == QUEUED,
                    (JobRunRow.status == RUNNING) & (col(JobRunRow.lease_until) < now),
                ),
            )
            .values(
                status=RUNNING,
                attempts=JobRunRow.attempts + 1,
                started_at=now,
                finished_at=None,
                lease_until=now + lease,
                worker=worker,
            )
        )
        if claimed.rowcount != 1:
            return None
        return await session.get(JobRunRow, run_id, populate_existing=True)


async def renew_lease(sessions: Sessions, run_id: int, worker: str, lease: timedelta) -> None:
    async with sessions.begin() as session:
        await session.execute(
            update(JobRunRow)
            .where(JobRunRow.id == run_id, JobRunRow.worker == worker, JobRunRow.status == RUNNING)
            .values(lease_until=utcnow() + lease)
        )


async def finish_run(
    sessions: Sessions,
    run_id: int,
    worker: str,
    status: str,
    *,
    summary: Mapping[str, Any] | None = None,
    error: str | None = None,
) -> None:
    """SUCCEEDED / FAILED, or QUEUED again (a retry to come); only by the worker holding it."""
    done = status in (SUCCEEDED, FAILED)
    async with sessions.begin() as session:
        await session.execute(
            update(JobRunRow)
            .where(JobRunRow.id == run_id, JobRunRow.worker == worker, JobRunRow.status == RUNNING)
            .values(
                status=status,
                finished_at=utcnow() if done else None,
                period_key=(
                    case(
                        (col(JobRunRow.period_key).endswith(MANUAL_KEY_SUFFIX), None),
                        else_=JobRunRow.period_key,
                    )
                    if done
                    else JobRunRow.period_key
                ),
                lease_until=None,
                summary=dict(summary) if summary is not None else None,
                error=error[:MAX_ERROR_LENGTH] if error else None,
            )
        )


async def release_runs_of(sessions: Sessions, worker: str) -> list[int]:
    """A worker shutting down hands its unfinished runs back to the queue."""
    async with sessions.begin() as session:
        rows = await session.execute(
            update(JobRunRow)
            .where(JobRunRow.worker == worker, JobRunRow.status == RUNNING)
            .values(status=QUEUED, lease_until=None, worker=None)
            .returning(JobRunRow.id)
        )
        return [run_id for (run_id,) in rows]


async def orphaned_runs(sessions: Sessions, queued_before: datetime) -> list[int]:
    """Runs nobody is running: RUNNING past their lease (a dead worker), or QUEUED for long."""
    now = utcnow()
    async with sessions() as session:
        rows = await session.execute(
            select(JobRunRow.id).where(
                or_(
                    (JobRunRow.status == RUNNING) & (col(JobRunRow.lease_until) < now),
                    (JobRunRow.status == QUEUED) & (col(JobRunRow.queued_at) < queued_before),
                )
            )
        )
        return [run_id for (run_id,) in rows if run_id is not None]


async def count_queued(sessions: Sessions) -> int:
    async with sessions() as session:
        total = await session.scalar(
            select(func.count()).select_from(JobRunRow).where(JobRunRow.status == QUEUED)
        )
        return int(total or 0)


async def record_failed_attempt(sessions: Sessions, run_id: int, worker: str, error: str) -> None:
    """A failed attempt with a retry to come: its error is kept, the next attempt counted."""
    async with sessions.begin() as session:
        await session.execute(
            update(JobRunRow)
            .where(JobRunRow.id == run_id, JobRunRow.worker == worker, JobRunRow.status == RUNNING)
            .values(error=error[:MAX_ERROR_LENGTH], attempts=JobRunRow.attempts + 1)
        )
