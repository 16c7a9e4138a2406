"""Library imports: the job row a viewer polls, and the uploaded file it holds until it is read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import defer

from reelgraph.persistence import library as library_repo
from reelgraph.persistence.models import LibraryImportRow, MovieRow, RatingRow, ReviewRow, WatchEventRow

QUEUED, RUNNING, SUCCEEDED, FAILED = "QUEUED", "RUNNING", "SUCCEEDED", "FAILED"
MAX_UNMATCHED_STORED = 1_000  # the rest are counted (unmatched_count), not kept


async def create(sessions: async_sessionmaker[AsyncSession], row: LibraryImportRow) -> LibraryImportRow:
    async with sessions.begin() as session:
        session.add(row)
    row.content = None  # the caller has no further use for the bytes
    return row


async def active_count(session: AsyncSession, owner_id: int) -> int:
    """The owner's imports not ended yet (QUEUED or RUNNING)."""
    query = select(func.count()).where(
        LibraryImportRow.owner_id == owner_id, LibraryImportRow.status.in_((QUEUED, RUNNING))
    )
    return int((await session.execute(query)).scalar_one())


async def get_many(
    sessions: async_sessionmaker[AsyncSession], import_ids: Sequence[int]
) -> list[LibraryImportRow | None]:
    """The rows without their uploaded content, in the order asked."""
    async with sessions() as session:
        query = (
            select(LibraryImportRow)
            .where(LibraryImportRow.id.in_(list(import_ids)))
            .options(defer(LibraryImportRow.content))
        )
        found = {row.id: row for row in (await session.execute(query)).scalars()}
    return [found.get(import_id) for import_id in import_ids]


async def start(sessions: async_sessionmaker[AsyncSession], import_id: int) -> LibraryImportRow | None:
    """Marks the import RUNNING (progress reset: a retried run starts over, idempotently) and
    returns it with its content; None when it is gone or has ended."""
    async with sessions.begin() as session:
        row = await session.get(LibraryImportRow, import_id)
        if row is None or row.status in (SUCCEEDED, FAILED):
            return None
        row.status = RUNNING
        row.processed = row.matched = row.skipped = row.unmatched_count = 0
        row.unmatched = []
        return row


async def record_progress(
    sessions: async_sessionmaker[AsyncSession],
    import_id: int,
    *,
    total: int,
    processed: int,
    matched: int,
    skipped: int,
    unmatched_count: int,
    unmatched: list[dict[str, Any]],
) -> None:
    async with sessions.begin() as session:
        await session.execute(
            update(LibraryImportRow)
            .where(LibraryImportRow.id == import_id)
            .values(
                total=total,
                processed=processed,
                matched=matched,
                skipped=skipped,
                unmatched_count=unmatched_count,
                unmatched=unmatched[:MAX_UNMATCHED_STORED],
            )
        )


async def finish(
    sessions: async_sessionmaker[AsyncSession], import_id: int, status: str, error: str | None = None
) -> None:
    """Ends the import and drops the uploaded file: nothing reads it again."""
    async with sessions.begin() as session:
        await session.execute(
            update(LibraryImportRow)
            .where(LibraryImportRow.id == import_id)
            .values(status=status, error=error, content=None, finished_at=datetime.now(UTC))
        )


@dataclass
class LibraryState:
    """What a viewer has for some movies, kept current by the import as it writes."""

    kinds: dict[int, set[str]]
    ratings: dict[int, RatingRow]
    reviewed: set[int]
    watches: dict[int, set[datetime]] = field(default_factory=dict)


async def mirrored_movie_ids(session: AsyncSession, movie_ids: Sequence[int]) -> set[int]:
    rows = await session.execute(select(MovieRow.tmdb_id).where(MovieRow.tmdb_id.in_(list(movie_ids))))
    return set(rows.scalars())


async def library_state(session: AsyncSession, user_id: int, movie_ids: Sequence[int]) -> LibraryState:
    ids = list(movie_ids)
    by_movie = await library_repo.interactions_by_movie(session, user_id, ids)
    ratings = await session.execute(
        select(RatingRow).where(RatingRow.user_id == user_id, RatingRow.movie_id.in_(ids))
    )
    reviewed = await session.execute(
        select(ReviewRow.movie_id).where(ReviewRow.user_id == user_id, ReviewRow.movie_id.in_(ids))
    )
    state = LibraryState(
        kinds={movie: set(kinds) for movie, kinds in by_movie.items()},
        ratings={row.movie_id: row for row in ratings.scalars()},
        reviewed=set(reviewed.scalars()),
    )
    watches = await session.execute(
        select(WatchEventRow.movie_id, WatchEventRow.watched_at).where(
            WatchEventRow.user_id == user_id, WatchEventRow.movie_id.in_(ids)
        )
    )
    for movie_id, watched_at in watches:
        moment = watched_at if watched_at.tzinfo else watched_at.replace(tzinfo=UTC)
        state.watches.setdefault(movie_id, set()).add(moment.astimezone(UTC))
    return state


async def insert_rows(session: AsyncSession, model: type[Any], rows: list[dict[str, Any]]) -> None:
    """One executemany INSERT of plain rows (no ORM objects: 5,000 rows in a batch stay cheap)."""
    if rows:
        await session.execute(insert(model), rows)
