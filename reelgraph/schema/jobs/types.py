"""Job, JobStatus, JobConnection, JobPayload: runs of background jobs, as admins see them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry import relay

from reelgraph.persistence.models import JobRunRow
from reelgraph.schema import ids
from reelgraph.schema.context import Info
from reelgraph.schema.errors import UserError
from reelgraph.schema.pagination import Connection


@strawberry.enum
class JobStatus(Enum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


@strawberry.type
class Job(relay.Node):
    run_id: relay.NodeID[int]
    name: str
    status: JobStatus
    queued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    duration_ms: int | None = strawberry.field(
        description="From the last start to the end; null until it ended."
    )
    attempts: int
    error: str | None = strawberry.field(description="The last failed attempt's error.")

    @classmethod
    def from_row(cls, row: JobRunRow) -> Job:
        assert row.id is not None
        return cls(
            run_id=row.id,
            name=row.name,
            status=JobStatus(row.status),
            queued_at=row.queued_at,
            started_at=row.started_at,
            finished_at=row.finished_at,
            duration_ms=row.duration_ms,
            attempts=row.attempts,
            error=row.error,
        )

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Any]:
        # Only admins see job runs; to anyone else a Job id names nothing, as the jobs list is ADMIN only.
        viewer = await info.context.viewer()
        if viewer is None or not viewer.has_role("ADMIN"):
            return [None for _ in node_ids]
        rows = await ids.load_by_keys(node_ids, ids.row_key, info.context.services.job_runs.find_many)
        return [cls.from_row(row) if row else None for row in rows]


@strawberry.type
class JobConnection(Connection[Job]):
    # Nullable, as the contract declares it.
    total_count: int | None  # type: ignore[assignment]


@strawberry.type
class JobPayload:
    job: Job | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
