"""Letterboxd's export: the ZIP (ratings, watched, watchlist, diary, reviews) or one of its CSVs.

Columns: Date, Name, Year, Letterboxd URI, Rating (0.5-5), Rewatch, Tags, Watched Date, Review.
Letterboxd's own exports carry no TMDb or IMDb ids, so their rows are matched by title and year;
files in its importer's format (reelgraph's export among them) may add tmdbID and imdbID columns.
The diary's rows are dated watches; watched.csv only says a film was seen (its Date is when it was
marked), so it gives SEEN and no watch-history event.
"""

from __future__ import annotations

import posixpath
from typing import Any

from reelgraph.library_files.archive import is_zip, read_members
from reelgraph.library_files.csv_rows import RowBudget, csv_rows, header_of
from reelgraph.library_files.csv_safety import unescape_cell
from reelgraph.library_files.entries import EntryKind, LibraryEntry, ParsedLibrary
from reelgraph.library_files.errors import FileProblem, LibraryFileError
from reelgraph.library_files.fields import Cells, imdb_id
from reelgraph.library_files.limits import FileLimits
from reelgraph.library_files.text import decode_text

# Read in this order, so a movie's watches come before its place on the watchlist.
MEMBERS = ("ratings.csv", "diary.csv", "watched.csv", "reviews.csv", "watchlist.csv")
# Folders of the export whose CSVs are not the library (deleted and orphaned diary entries, lists).
_IGNORED_DIRS = {"deleted", "orphaned", "lists", "likes"}


def _known_member(name: str) -> bool:
    parts = [part for part in name.split("/") if part]
    if not parts or posixpath.basename(name) not in MEMBERS or len(parts) > 2:
        return False
    return not (len(parts) == 2 and parts[0].lower() in _IGNORED_DIRS)


def parse_letterboxd(data: bytes, filename: str | None, limits: FileLimits) -> ParsedLibrary:
    budget = RowBudget(limits.max_rows, limits.max_rows)
    parsed = ParsedLibrary()
    if is_zip(data):
        members = read_members(data, _known_member, limits)
        if not members:
            raise LibraryFileError(
                FileProblem.UNKNOWN_FORMAT,
                f"The archive holds none of Letterboxd's {', '.join(MEMBERS)}.",
            )
        by_kind = sorted(members.items(), key=lambda item: MEMBERS.index(posixpath.basename(item[0])))
        for name, content in by_kind:
            base = posixpath.basename(name)
            parsed.entries.extend(_parse_csv(decode_text(content, base), base, base, budget))
        return parsed
    text = decode_text(data)
    kind = _kind_of(filename, header_of(text))
    parsed.entries.extend(_parse_csv(text, kind, None, budget))
    return parsed


def _kind_of(filename: str | None, header: list[str]) -> str:
    """Which export file this is: by its name when it has a known one, else by its columns
    (watched.csv and watchlist.csv have the same ones; without a name, a list is watched)."""
    base = posixpath.basename((filename or "").replace("\\", "/")).lower()
    for member in MEMBERS:
        if base == member or base.startswith(member.removesuffix(".csv")):
            return member
    if "Review" in header:
        return "reviews.csv"
    if "Watched Date" in header:
        return "diary.csv"
    if "Rating" in header:
        return "ratings.csv"
    if "Name" in header:
        return "watched.csv"
    raise LibraryFileError(
        FileProblem.MISSING_COLUMNS,
        "Not a Letterboxd export: no Name column (expected Date, Name, Year, Letterboxd URI).",
        line=1,
    )


def _parse_csv(text: str, kind: str, member: str | None, budget: RowBudget) -> list[LibraryEntry]:
    required: tuple[str, ...] = ("Name", "Year")
    if kind in ("ratings.csv",):
        required += ("Rating",)
    if kind == "reviews.csv":
        required += ("Review",)
    entries: list[LibraryEntry] = []
    for line, row in csv_rows(text, required, budget, member):
        cells = Cells(row, line, member)
        title, year = cells.title("Name"), cells.year("Year")
        if title is None:
            raise cells.fail("Name is empty.")
        logged = cells.day("Date")
        common: dict[str, Any] = {
            "line": line,
            # Text as written: a leading quote that only guards a formula-looking value (reelgraph's
            # own export, OWASP's escape) is taken off; nothing in a cell is ever evaluated.
            "title": unescape_cell(title),
            "year": year,
            "member": member,
            # Letterboxd's importer format (and reelgraph's export) may carry the ids.
            "tmdb_id": cells.positive_int("tmdbID"),
            "imdb_id": imdb_id(cells.text("imdbID")),
        }
        if kind == "ratings.csv":
            rating = cells.stars("Rating")
            if rating is not None:
                entries.append(LibraryEntry(kind=EntryKind.RATING, rating=rating, date=logged, **common))
        elif kind == "diary.csv":
            watched = cells.day("Watched Date")
            entries.append(
                LibraryEntry(
                    kind=EntryKind.WATCHED,
                    rating=cells.stars("Rating"),
                    date=watched or logged,
                    date_is_logged=watched is None,
                    rewatch=cells.flag("Rewatch"),
                    **common,
                )
            )
        elif kind == "watched.csv":
            entries.append(LibraryEntry(kind=EntryKind.WATCHED, date=logged, date_is_logged=True, **common))
        elif kind == "reviews.csv":
            entries.append(
                LibraryEntry(
                    kind=EntryKind.REVIEW,
                    rating=cells.stars("Rating"),
                    date=cells.day("Watched Date") or logged,
                    review=unescape_cell(cells.text("Review") or "") or None,
                    rewatch=cells.flag("Rewatch"),
                    **common,
                )
            )
        else:
            entries.append(LibraryEntry(kind=EntryKind.WATCHLIST, date=logged, **common))
    return entries
