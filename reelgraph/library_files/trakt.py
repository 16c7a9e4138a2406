"""Trakt's JSON exports: history, ratings, watchlist (and watched), one file or a ZIP of them.

Every item is an object with `type` (movie, show, season, episode), the item itself under that key
(`movie: {title, year, ids: {trakt, slug, imdb, tmdb}}`) and one of `watched_at` (history),
`rated_at` + `rating` 1-10 (ratings), `listed_at` (watchlist), `last_watched_at` (watched).
Entries are told apart by those fields, so file names do not matter.
"""

from __future__ import annotations

import json
import posixpath
from typing import Any

from reelgraph.library_files.archive import is_zip, read_members
from reelgraph.library_files.csv_rows import RowBudget
from reelgraph.library_files.entries import EntryKind, LibraryEntry, ParsedLibrary
from reelgraph.library_files.errors import FileProblem, LibraryFileError
from reelgraph.library_files.fields import MAX_TITLE, imdb_id, parse_day, ten_to_stars
from reelgraph.library_files.limits import FileLimits
from reelgraph.library_files.text import decode_text

_LIST_KEYS = ("history", "ratings", "watchlist", "watched")


def _known_member(name: str) -> bool:
    base = posixpath.basename(name).lower()
    return base.endswith(".json") and any(key in base for key in _LIST_KEYS)


def parse_trakt(data: bytes, limits: FileLimits) -> ParsedLibrary:
    budget = RowBudget(limits.max_rows, limits.max_rows)
    parsed = ParsedLibrary()
    if is_zip(data):
        members = read_members(data, _known_member, limits)
        if not members:
            raise LibraryFileError(
                FileProblem.UNKNOWN_FORMAT, "The archive holds no Trakt history, ratings or watchlist JSON."
            )
        for name, content in sorted(members.items()):
            _parse_document(decode_text(content, name), posixpath.basename(name), budget, parsed)
        return parsed
    _parse_document(decode_text(data), None, budget, parsed)
    return parsed


# An item is a handful of objects (itself, movie or show/episode, their ids) and some fifteen
# values: a text with many more than the row limit allows is refused before json.loads builds it
# (20 MB of `{},` would be millions of dicts, hundreds of MB).
OBJECTS_PER_ITEM = 8
VALUES_PER_ITEM = 40


def _parse_document(text: str, member: str | None, budget: RowBudget, parsed: ParsedLibrary) -> None:
    if text.count("{") > budget.left * OBJECTS_PER_ITEM or text.count(",") > budget.left * VALUES_PER_ITEM:
        raise LibraryFileError(
            FileProblem.TOO_MANY_ROWS,
            f"The file has more than {budget.limit} entries; split it and import the parts one by one.",
            member=member,
        )
    try:
        document = json.loads(text)
    except RecursionError as exc:
        raise LibraryFileError(FileProblem.MALFORMED_JSON, "The JSON nests too deep.", member=member) from exc
    except json.JSONDecodeError as exc:
        raise LibraryFileError(
            FileProblem.MALFORMED_JSON, f"Not valid JSON: {exc.msg}.", line=exc.lineno, member=member
        ) from exc
    if isinstance(document, dict):  # {"history": [...], "ratings": [...]} in one file
        lists = [document[key] for key in _LIST_KEYS if isinstance(document.get(key), list)]
        if not lists:
            raise LibraryFileError(
                FileProblem.UNKNOWN_FORMAT,
                "Expected a list of Trakt items (history, ratings or watchlist).",
                member=member,
            )
        items = [item for found in lists for item in found]
    elif isinstance(document, list):
        items = document
    else:
        raise LibraryFileError(FileProblem.UNKNOWN_FORMAT, "Expected a list of Trakt items.", member=member)
    for position, item in enumerate(items, start=1):
        budget.take(position, member)
        entry = _entry(item, position, member)
        if entry is None:
            parsed.skipped += 1
        else:
            parsed.entries.append(entry)


def _entry(item: Any, position: int, member: str | None) -> LibraryEntry | None:
    """The entry for one item, or None for shows, seasons and episodes."""

    def fail(message: str) -> LibraryFileError:
        return LibraryFileError(
            FileProblem.MALFORMED_ROW, f"entry {position}: {message}", line=position, member=member
        )

    if not isinstance(item, dict):
        raise fail("not an object.")
    kind_name = item.get("type") or ("movie" if "movie" in item else None)
    if kind_name != "movie":
        if kind_name in ("show", "season", "episode") or any(
            k in item for k in ("show", "episode", "season")
        ):
            return None
        raise fail("no movie in it.")
    movie = item.get("movie")
    if not isinstance(movie, dict):
        raise fail("`movie` is not an object.")
    raw_ids = movie.get("ids")
    ids: dict[str, Any] = raw_ids if isinstance(raw_ids, dict) else {}
    title = movie.get("title") if isinstance(movie.get("title"), str) else None
    year = movie.get("year")
    if year is not None and (not isinstance(year, int) or isinstance(year, bool) or not 1870 <= year <= 2100):
        raise fail(f"year {year!r} is not a year.")
    tmdb = ids.get("tmdb")
    tmdb_id = tmdb if isinstance(tmdb, int) and not isinstance(tmdb, bool) and 0 < tmdb < 2**31 else None
    common: dict[str, Any] = {
        "line": position,
        "title": title.strip()[:MAX_TITLE] if title and title.strip() else None,
        "year": year,
        "tmdb_id": tmdb_id,
        "imdb_id": imdb_id(ids.get("imdb") if isinstance(ids.get("imdb"), str) else None),
        "member": member,
    }

    def day(key: str) -> Any:
        value = item.get(key)
        found = parse_day(value) if isinstance(value, str) else None
        if value is not None and found is None:
            raise fail(f"{key} {str(value)[:30]!r} is not a date.")
        return found

    if "rating" in item or "rated_at" in item:
        rating = item.get("rating")
        if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 10:
            raise fail(f"rating {rating!r} is not from 1 to 10.")
        return LibraryEntry(
            kind=EntryKind.RATING, rating=ten_to_stars(rating), date=day("rated_at"), **common
        )
    if "watched_at" in item:
        return LibraryEntry(kind=EntryKind.WATCHED, date=day("watched_at"), **common)
    if "last_watched_at" in item:
        return LibraryEntry(kind=EntryKind.WATCHED, date=day("last_watched_at"), **common)
    if "listed_at" in item:
        return LibraryEntry(kind=EntryKind.WATCHLIST, date=day("listed_at"), **common)
    raise fail("neither watched_at, rated_at nor listed_at: not history, ratings or watchlist.")
