"""Applying matched import entries to a viewer's library, one transaction per batch, idempotently.

Each entry is compared with what the library already holds, so importing a file again changes
nothing: a rating of the same value is left alone, a watch event is added only for a watch date
not recorded yet (never for a date that only says when a row was logged), a review only when
the movie has none, SEEN and WATCH_LATER only when absent. The library's rules hold as for single
mutations: SEEN removes WATCH_LATER, a seen movie does not go on the watchlist, WATCH_LATER removes
NOT_INTERESTED.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from reelgraph.library_files.entries import EntryKind, LibraryEntry
from reelgraph.persistence import catalog_mirror as mirror
from reelgraph.persistence import imports as imports_repo
from reelgraph.persistence import library as repo
from reelgraph.persistence.imports import LibraryState
from reelgraph.persistence.models import InteractionRow, RatingRow, ReviewRow, WatchEventRow
from reelgraph.persistence.rollups import Tally
from reelgraph.services.library import MAX_REVIEW_LENGTH, REMOVES

# Within a batch: a movie's watches and ratings first, its watchlist place last.
_ORDER = {EntryKind.RATING: 0, EntryKind.WATCHED: 1, EntryKind.REVIEW: 2, EntryKind.WATCHLIST: 3}


@dataclass(frozen=True)
class MatchedEntry:
    entry: LibraryEntry
    tmdb_id: int
    # Whether this entry's rating is the one to keep (see LibraryImportService: a diary's latest).
    sets_rating: bool


@dataclass
class BatchChanges:
    ratings: int = 0
    watches: int = 0
    seen: int = 0
    watchlist: int = 0
    reviews: int = 0

    def add(self, other: BatchChanges) -> None:
        for name in ("ratings", "watches", "seen", "watchlist", "reviews"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def day_start(day: date) -> datetime:
    """A file's date as the moment stored: midnight UTC (exports keep only the day)."""
    return datetime.combine(day, time(0), tzinfo=UTC)


async def apply_batch(
    session: AsyncSession,
    user_id: int,
    batch: Sequence[MatchedEntry],
    items: dict[int, dict[str, Any]],
) -> BatchChanges:
    """Writes `batch` inside the caller's transaction (which holds the user's lock). `items` are
    TMDb details or search items of the batch's movies that the mirror may not have yet."""
    movie_ids = sorted({m.tmdb_id for m in batch})
    present = await imports_repo.mirrored_movie_ids(session, movie_ids)
    missing = [(items[m], "en-US") for m in movie_ids if m not in present and m in items]
    if missing:
        await mirror.mirror_movies(session, missing)
        present |= {int(item["id"]) for item, _ in missing}
    library = await imports_repo.library_state(session, user_id, movie_ids)
    changes = BatchChanges()
    pending = _Pending()
    now = datetime.now(UTC)
    for matched in sorted(batch, key=lambda m: _ORDER[m.entry.kind]):
        if matched.tmdb_id not in present:
            continue  # no details to mirror it from (counted as matched; never half-written)
        await _apply(session, user_id, matched, library, changes, pending, now)
    # A few multi-row INSERTs per batch, not one per row.
    await imports_repo.insert_rows(session, InteractionRow, pending.interactions)
    await imports_repo.insert_rows(session, RatingRow, list(pending.ratings.values()))
    await imports_repo.insert_rows(session, WatchEventRow, pending.watches)
    await imports_repo.insert_rows(session, ReviewRow, pending.reviews)
    await session.flush()
    await _tally_inserts(pending).apply(session)
    return changes


def _tally_inserts(pending: _Pending) -> Tally:
    """The rollups' share of the batch: removals and changes were tallied as they happened."""
    tally = pending.tally
    for row in pending.interactions:
        tally.interaction(row["user_id"], row["created_at"])
    for row in pending.ratings.values():
        tally.rating(row["user_id"], row["movie_id"], row["value"], row["created_at"], row["updated_at"])
    for row in pending.watches:
        tally.watch(row["user_id"], row["movie_id"], row["watched_at"])
    for row in pending.reviews:
        tally.review(row["movie_id"])
    return tally


@dataclass
class _Pending:
    """Rows a batch adds, inserted together at its end."""

    interactions: list[dict[str, Any]] = field(default_factory=list)
    ratings: dict[int, dict[str, Any]] = field(default_factory=dict)  # by movie
    watches: list[dict[str, Any]] = field(default_factory=list)
    reviews: list[dict[str, Any]] = field(default_factory=list)
    tally: Tally = field(default_factory=Tally)  # what the batch removed or changed in place


async def _apply(
    session: AsyncSession,
    user_id: int,
    matched: MatchedEntry,
    library: LibraryState,
    changes: BatchChanges,
    pending: _Pending,
    now: datetime,
) -> None:
    entry, movie_id = matched.entry, matched.tmdb_id
    when = day_start(entry.date) if entry.date else now
    kinds = library.kinds.setdefault(movie_id, set())

    async def set_kind(kind: str) -> None:
        removed = [k for k in REMOVES[kind] if k in kinds]
        if removed:
            for at in await repo.remove_kinds(session, user_id, movie_id, removed):
                pending.tally.interaction(user_id, at, -1)
            kinds.difference_update(removed)
            pending.interactions = [
                row
                for row in pending.interactions
                if (row["movie_id"], row["kind"]) not in {(movie_id, k) for k in removed}
            ]
        pending.interactions.append(
            {"user_id": user_id, "movie_id": movie_id, "kind": kind, "created_at": when}
        )
        kinds.add(kind)

    if entry.kind is EntryKind.WATCHLIST:
        if kinds & {"SEEN", "WATCH_LATER"}:
            return
        await set_kind("WATCH_LATER")
        changes.watchlist += 1
        return
    if "SEEN" not in kinds:
        await set_kind("SEEN")
        changes.seen += 1
    if entry.rating is not None and (entry.kind is EntryKind.RATING or matched.sets_rating):
        rating = library.ratings.get(movie_id)
        added = pending.ratings.get(movie_id)
        if added is not None:
            added["value"] = entry.rating  # a later row of the same movie wins
        elif rating is None:
            pending.ratings[movie_id] = {
                "user_id": user_id,
                "movie_id": movie_id,
                "value": entry.rating,
                "created_at": when,
                "updated_at": when,
            }
            changes.ratings += 1
        elif rating.value != entry.rating:
            pending.tally.rating_changed(
                user_id, movie_id, rating.value, rating.updated_at, entry.rating, now
            )
            rating.value = entry.rating
            rating.updated_at = now
            changes.ratings += 1
    if entry.kind is EntryKind.WATCHED and entry.date is not None and not entry.date_is_logged:
        watched = library.watches.setdefault(movie_id, set())
        if when not in watched:
            pending.watches.append({"user_id": user_id, "movie_id": movie_id, "watched_at": when})
            watched.add(when)
            changes.watches += 1
    if entry.kind is EntryKind.REVIEW and entry.review and movie_id not in library.reviewed:
        pending.reviews.append(
            {
                "user_id": user_id,
                "movie_id": movie_id,
                "body": entry.review[:MAX_REVIEW_LENGTH],
                "rating": entry.rating,
                "created_at": when,
                "updated_at": when,
            }
        )
        library.reviewed.add(movie_id)
        changes.reviews += 1
