"""What every parser produces: one normalized entry per row of an exported file."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


class EntryKind(StrEnum):
    RATING = "RATING"  # a rating (which means the movie was seen)
    WATCHED = "WATCHED"  # a watch, dated when the file says when
    WATCHLIST = "WATCHLIST"  # wants to watch it
    REVIEW = "REVIEW"  # a written review (the movie was seen)


@dataclass(frozen=True, slots=True)
class LibraryEntry:
    """One row of an export. `line` is the 1-based line of a CSV row (where it starts) or the
    1-based position of a JSON entry; `member` names the file inside a ZIP."""

    line: int
    kind: EntryKind
    title: str | None
    year: int | None
    tmdb_id: int | None = None
    imdb_id: str | None = None
    rating: float | None = None  # reelgraph's scale: 0.5 to 5.0 in halves
    date: date | None = None  # watched, rated, listed or reviewed on
    # True when `date` is only when the row was logged (Letterboxd's watched.csv), not a watch date:
    # the movie was seen, and no watch-history event is made of it.
    date_is_logged: bool = False
    review: str | None = None
    rewatch: bool = False
    member: str | None = None


@dataclass
class ParsedLibrary:
    """Everything a file held: the movie entries in file order, and what was left out."""

    entries: list[LibraryEntry] = field(default_factory=list)
    # TV shows, seasons, episodes and other non-movie rows: counted, never matched.
    skipped: int = 0
