"""Library imports on the wire: LibrarySource, ImportJob (a Node), UnmatchedRow, ImportPayload."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry import relay

from reelgraph.errors import BadUserInput
from reelgraph.persistence.models import LibraryImportRow
from reelgraph.schema import ids
from reelgraph.schema.context import Info
from reelgraph.schema.errors import UserError
from reelgraph.schema.jobs.types import JobStatus

MAX_UNMATCHED_PAGE = 1_000  # as many as an import keeps


@strawberry.enum
class LibrarySource(Enum):
    LETTERBOXD = "LETTERBOXD"
    IMDB = "IMDB"
    TRAKT = "TRAKT"


@strawberry.type
class UnmatchedRow:
    row: int = strawberry.field(description="1-based line or entry number in the uploaded file.")
    title: str | None
    year: int | None
    reason: str


@strawberry.type
class ImportJob(relay.Node):
    import_id: relay.NodeID[int]
    source: LibrarySource
    status: JobStatus
    dry_run: bool
    processed: int
    matched: int
    skipped: int
    created_at: datetime
    finished_at: datetime | None
    _unmatched: strawberry.Private[list[dict[str, Any]]]

    @classmethod
    def from_row(cls, row: LibraryImportRow) -> ImportJob:
        assert row.id is not None
        return cls(
            import_id=row.id,
            source=LibrarySource(row.source),
            status=JobStatus(row.status),
            dry_run=row.dry_run,
            processed=row.processed,
            matched=row.matched,
            skipped=row.skipped,
            created_at=row.created_at,
            finished_at=row.finished_at,
            _unmatched=list(row.unmatched or []),
        )

    @strawberry.field
    def unmatched(self, first: int | None = 50) -> list[UnmatchedRow]:
        if first is not None and not 0 <= first <= MAX_UNMATCHED_PAGE:
            raise BadUserInput(f"'first' must be between 0 and {MAX_UNMATCHED_PAGE}.", field="first")
        rows = self._unmatched[: MAX_UNMATCHED_PAGE if first is None else first]
        return [
            UnmatchedRow(row=int(r["row"]), title=r.get("title"), year=r.get("year"), reason=str(r["reason"]))
            for r in rows
        ]

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Any]:
        # An import is its owner's (and admins'): to anyone else its id names nothing.
        viewer = await info.context.viewer()
        rows = await ids.load_by_keys(node_ids, ids.row_key, info.context.services.library_import.get_many)
        return [
            cls.from_row(row) if row and viewer and viewer.is_owner_or_admin(row.owner_id) else None
            for row in rows
        ]


@strawberry.type
class ImportPayload:
    job: ImportJob | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
