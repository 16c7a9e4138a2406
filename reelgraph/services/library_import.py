"""Importing a viewer's library from Letterboxd, IMDb or Trakt exports, as a background job.

`start` reads the upload within its limit, parses it (in a thread) so that a bad file is refused
at once with BAD_USER_INPUT naming the line, stores it with a QUEUED import row and enqueues the
`import-library` job, whose body calls `run`: it parses the stored file again, matches entries in
chunks (TMDb id, else IMDb id, else title and year; reelgraph.services.library_import_matching)
and writes each chunk in one transaction under the user's lock
(reelgraph.services.library_import_writes), recording progress after each. A dry run matches and
counts, and writes nothing. Importing the same file again changes nothing.

Ratings come from rating rows (Letterboxd's ratings.csv, IMDb, Trakt ratings); when a file has none
(a diary.csv alone), each movie's latest diary or review rating is kept.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reelgraph.errors import BadUserInput, Unauthenticated, UserErrorCode, UserErrors
from reelgraph.integrations.call_budget import upstream_budget
from reelgraph.library_files.entries import EntryKind, LibraryEntry, ParsedLibrary
from reelgraph.library_files.errors import FileProblem, LibraryFileError
from reelgraph.library_files.limits import DEFAULT_LIMITS, FileLimits
from reelgraph.library_files.parse import Source, parse_library
from reelgraph.loaders.catalog_reader import CatalogReader
from reelgraph.persistence import imports as repo
from reelgraph.persistence import library as library_repo
from reelgraph.persistence.engine import write_transaction
from reelgraph.persistence.models import LibraryImportRow
from reelgraph.services.catalog import CatalogService
from reelgraph.services.jobs import QueueSlot
from reelgraph.services.library_import_matching import LANGUAGE, Match, MovieMatcher, normalized_title
from reelgraph.services.library_import_writes import BatchChanges, MatchedEntry, apply_batch

log = logging.getLogger(__name__)

IMPORT_JOB = "import-library"
BATCH_ENTRIES = 250
MAX_ACTIVE_IMPORTS = 3  # entries matched, then written in one transaction, per progress step

# Reads up to `limit` bytes of the upload; more than `limit` means too large.
ReadUpload = Callable[[int], Awaitable[bytes]]


def file_error(error: LibraryFileError) -> BadUserInput:
    """A parsing failure as the API reports it: BAD_USER_INPUT on `file`, with its line and reason."""
    extensions: dict[str, Any] = {"reason": str(error.problem)}
    if error.line is not None:
        extensions["line"] = error.line
    if error.member is not None:
        extensions["member"] = error.member
    return BadUserInput(error.message, field="file", **extensions)


@dataclass
class _Progress:
    total: int
    processed: int
    matched: int = 0
    skipped: int = 0
    unmatched_count: int = 0
    unmatched: list[dict[str, Any]] = field(default_factory=list)


class LibraryImportService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        reader: CatalogReader,
        catalog: CatalogService,
        queue: QueueSlot,
        limits: FileLimits = DEFAULT_LIMITS,
    ) -> None:
        self._sessions = sessions
        self._reader = reader
        self._catalog = catalog
        self._queue = queue
        self.limits = limits

    async def start(
        self, user_id: int, source: Source, read: ReadUpload, filename: str | None, dry_run: bool
    ) -> LibraryImportRow:
        """Checks and stores the upload and queues its import; BadUserInput for a bad file."""
        content = await read(self.limits.max_bytes)
        if len(content) > self.limits.max_bytes:
            raise file_error(
                LibraryFileError(
                    FileProblem.FILE_TOO_LARGE,
                    f"The file is over {self.limits.max_bytes // (1024 * 1024)} MB.",
                )
            )
        parsed = await self._parse(source, content, filename)
        row = LibraryImportRow(
            owner_id=user_id,
            source=source.value,
            status=repo.QUEUED,
            dry_run=dry_run,
            filename=(filename or "")[:255] or None,
            content=content,
            total=len(parsed.entries) + parsed.skipped,
        )
        async with write_transaction(self._sessions) as session:
            if await library_repo.lock_user(session, user_id) is None:
                raise Unauthenticated("Your account no longer exists.")
            # Each waiting import holds its file (up to 20 MB): a few at a time per viewer.
            if await repo.active_count(session, user_id) >= MAX_ACTIVE_IMPORTS:
                raise UserErrors.one(
                    UserErrorCode.TOO_MANY,
                    f"You have {MAX_ACTIVE_IMPORTS} imports under way; import more once one has ended.",
                    "file",
                )
            session.add(row)
        row.content = None
        assert row.id is not None
        try:
            await self._queue.connected().enqueue(IMPORT_JOB, {"import_id": row.id})
        except Exception:  # never queued: nothing would ever read or drop the stored file
            await repo.finish(self._sessions, row.id, repo.FAILED, "could not be queued")
            raise
        found = (await repo.get_many(self._sessions, [row.id]))[0]
        return found or row

    async def get_many(self, import_ids: list[int]) -> list[LibraryImportRow | None]:
        return await repo.get_many(self._sessions, import_ids)

    async def _parse(self, source: Source, content: bytes, filename: str | None) -> ParsedLibrary:
        try:
            return await asyncio.to_thread(parse_library, source, content, filename, self.limits)
        except LibraryFileError as exc:
            raise file_error(exc) from exc

    async def run(self, import_id: int) -> dict[str, Any]:
        """The job's work: the whole import, progress recorded per batch; its summary."""
        row = await repo.start(self._sessions, import_id)
        if row is None or row.content is None:
            return {"import": import_id, "skipped": "already ended or gone"}
        try:
            parsed = await asyncio.to_thread(
                parse_library, Source(row.source), row.content, row.filename, self.limits
            )
        except LibraryFileError as exc:  # checked at upload: only a changed limit gets here
            await repo.finish(self._sessions, import_id, repo.FAILED, exc.message)
            return {"import": import_id, "failed": exc.message}
        progress = _Progress(total=len(parsed.entries) + parsed.skipped, processed=parsed.skipped)
        progress.skipped = parsed.skipped
        # A job is no GraphQL operation, even when it runs inside the request that queued it:
        # its lookups are paced by the upstream rate limiter, not by an operation's budget.
        with upstream_budget(sys.maxsize):
            changes = await self._import(row, parsed, progress)
        await repo.finish(self._sessions, import_id, repo.SUCCEEDED)
        return {
            "import": import_id,
            "processed": progress.processed,
            "matched": progress.matched,
            "skipped": progress.skipped,
            "unmatched": progress.unmatched_count,
            **vars(changes),
        }

    async def fail(self, import_id: int, error: str) -> None:
        await repo.finish(self._sessions, import_id, repo.FAILED, error[:2000])

    async def _import(
        self, row: LibraryImportRow, parsed: ParsedLibrary, progress: _Progress
    ) -> BatchChanges:
        assert row.id is not None
        matcher = MovieMatcher(self._reader, self._catalog)
        rating_keepers = _diary_ratings_kept(parsed.entries)
        changes = BatchChanges()
        for start in range(0, len(parsed.entries), BATCH_ENTRIES):
            chunk = parsed.entries[start : start + BATCH_ENTRIES]
            matches = await matcher.match_all(chunk)
            batch: list[MatchedEntry] = []
            items: dict[int, dict[str, Any]] = {}
            for index, (entry, match) in enumerate(zip(chunk, matches, strict=True), start=start):
                if match.tmdb_id is None:
                    progress.unmatched_count += 1
                    progress.unmatched.append(_unmatched(entry, match))
                    continue
                progress.matched += 1
                batch.append(MatchedEntry(entry, match.tmdb_id, index in rating_keepers))
                if match.item is not None:
                    items[match.tmdb_id] = match.item
            if batch and not row.dry_run:
                changes.add(await self._write(row.owner_id, batch, items))
            progress.processed += len(chunk)
            await repo.record_progress(
                self._sessions,
                row.id,
                total=progress.total,
                processed=progress.processed,
                matched=progress.matched,
                skipped=progress.skipped,
                unmatched_count=progress.unmatched_count,
                unmatched=progress.unmatched,
            )
        return changes

    async def _write(
        self, user_id: int, batch: list[MatchedEntry], items: dict[int, dict[str, Any]]
    ) -> BatchChanges:
        # Details for movies matched by id alone (IMDb), fetched before the lock is taken: an
        # upstream call never holds the user's lock. Movies the mirror has already need none.
        async with self._sessions() as session:
            present = await repo.mirrored_movie_ids(session, [m.tmdb_id for m in batch])
        wanted = sorted({m.tmdb_id for m in batch} - present - set(items))
        for tmdb_id, details in zip(
            wanted, await asyncio.gather(*(self._reader.movie(i, LANGUAGE) for i in wanted)), strict=True
        ):
            if details is not None:
                items[tmdb_id] = details
        async with write_transaction(self._sessions) as session:
            if await library_repo.lock_user(session, user_id) is None:
                raise Unauthenticated("The account was deleted during its import.")
            return await apply_batch(session, user_id, batch, items)


def _unmatched(entry: LibraryEntry, match: Match) -> dict[str, Any]:
    reason = match.reason or "no match"
    return {
        "row": entry.line,
        "title": entry.title,
        "year": entry.year,
        "reason": f"{entry.member}: {reason}" if entry.member else reason,
    }


def _diary_ratings_kept(entries: list[LibraryEntry]) -> set[int]:
    """Indexes of the diary / review entries whose rating is kept: none when the file has rating
    rows (they are the current ratings), else each movie's latest-dated one."""
    if any(entry.kind is EntryKind.RATING for entry in entries):
        return set()
    latest: dict[tuple[Any, ...], tuple[Any, int]] = {}
    for index, entry in enumerate(entries):
        if entry.rating is None or entry.kind not in (EntryKind.WATCHED, EntryKind.REVIEW):
            continue
        key = (entry.tmdb_id, entry.imdb_id, normalized_title(entry.title or ""), entry.year)
        order = (entry.date.toordinal() if entry.date else 0, index)
        if key not in latest or order >= latest[key][0]:
            latest[key] = (order, index)
    return {index for _, index in latest.values()}
