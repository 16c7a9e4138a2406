"""Query.jobs; Mutation.runJob (admins only, declared on the fields)."""

from __future__ import annotations

from reelgraph.schema.context import Info
from reelgraph.schema.errors import user_errors
from reelgraph.schema.jobs.types import Job, JobConnection, JobPayload, JobStatus


async def jobs(
    info: Info, first: int | None = 20, after: str | None = None, status: JobStatus | None = None
) -> JobConnection:
    runs = info.context.services.job_runs
    wanted = status.value if status is not None else None
    connection: JobConnection = await JobConnection.from_rows(
        "job",
        first,
        after,
        lambda position, limit: runs.page(wanted, position, limit),
        Job.from_row,
        owner=wanted,
    )
    return connection


@user_errors(JobPayload)
async def run_job(info: Info, name: str) -> JobPayload:
    run = await info.context.services.job_queue.connected().run_now(name)
    return JobPayload(job=Job.from_row(run))
