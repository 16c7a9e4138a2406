"""A library as the files of a Letterboxd export, zipped: watched, ratings, watchlist, diary, reviews.

The columns are Letterboxd's own export's (Date, Name, Year, Letterboxd URI, then Rating, Rewatch,
Tags, Watched Date, Review where the file has them), plus ``tmdbID`` and ``imdbID``, which
Letterboxd's importer also reads: a film is then matched by id, never by its title, so the file
imports back exactly (into Letterboxd or reelgraph). Dates are ``YYYY-MM-DD`` (UTC), ratings 0.5-5
as Letterboxd's, Rewatch ``Yes`` or empty. Every cell is quoted and formula-looking text is escaped
(reelgraph.library_files.csv_safety). Text is UTF-8 without a byte-order mark, as Letterboxd writes.

Pure: plain data in, bytes out (the caller runs ``letterboxd_zip`` off the event loop).
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from reelgraph.library_files.csv_safety import escape_cell

WATCHED_COLUMNS = ("Date", "Name", "Year", "Letterboxd URI", "tmdbID", "imdbID")
RATINGS_COLUMNS = ("Date", "Name", "Year", "Letterboxd URI", "Rating", "tmdbID", "imdbID")
WATCHLIST_COLUMNS = WATCHED_COLUMNS
DIARY_COLUMNS = (
    "Date",
    "Name",
    "Year",
    "Letterboxd URI",
    "Rating",
    "Rewatch",
    "Tags",
    "Watched Date",
    "tmdbID",
    "imdbID",
)
REVIEWS_COLUMNS = (
    "Date",
    "Name",
    "Year",
    "Letterboxd URI",
    "Rating",
    "Rewatch",
    "Review",
    "Tags",
    "Watched Date",
    "tmdbID",
    "imdbID",
)


@dataclass(frozen=True)
class Film:
    tmdb_id: int
    name: str
    year: int | None
    imdb_id: str | None
    # reelgraph knows no Letterboxd slugs: empty, and the importer matches tmdbID instead.
    letterboxd_uri: str = ""


@dataclass(frozen=True)
class Logged:
    """A film on the watched list or the watchlist, with the day it was put there."""

    film: Film
    day: date


@dataclass(frozen=True)
class Rated:
    film: Film
    day: date
    rating: float


@dataclass(frozen=True)
class DiaryEntry:
    """One viewing: the day it was logged and the day it happened (the same for reelgraph)."""

    film: Film
    day: date
    watched_on: date
    rating: float | None
    rewatch: bool


@dataclass(frozen=True)
class Reviewed:
    film: Film
    day: date
    review: str
    rating: float | None
    rewatch: bool
    watched_on: date | None


@dataclass(frozen=True)
class LetterboxdLibrary:
    watched: Sequence[Logged]
    ratings: Sequence[Rated]
    watchlist: Sequence[Logged]
    diary: Sequence[DiaryEntry]
    reviews: Sequence[Reviewed]


def _day(value: date | None) -> str:
    return value.isoformat() if value is not None else ""


def _rating(value: float | None) -> str:
    # Letterboxd writes halves as "3.5" and whole stars as "4".
    if value is None:
        return ""
    return f"{value:g}"


def _film(film: Film) -> tuple[str, str, str]:
    return film.name, str(film.year) if film.year is not None else "", film.letterboxd_uri


def _ids(film: Film) -> tuple[str, str]:
    return str(film.tmdb_id), film.imdb_id or ""


def _csv(columns: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    out = io.StringIO()
    # Every cell quoted (OWASP): an injected comma or quote can never open another cell.
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([escape_cell(cell) for cell in row] for row in rows)
    return out.getvalue()


def letterboxd_csvs(library: LetterboxdLibrary) -> dict[str, str]:
    """The five files by name, as text."""
    return {
        "watched.csv": _csv(
            WATCHED_COLUMNS,
            ((_day(item.day), *_film(item.film), *_ids(item.film)) for item in library.watched),
        ),
        "ratings.csv": _csv(
            RATINGS_COLUMNS,
            (
                (_day(item.day), *_film(item.film), _rating(item.rating), *_ids(item.film))
                for item in library.ratings
            ),
        ),
        "watchlist.csv": _csv(
            WATCHLIST_COLUMNS,
            ((_day(item.day), *_film(item.film), *_ids(item.film)) for item in library.watchlist),
        ),
        "diary.csv": _csv(
            DIARY_COLUMNS,
            (
                (
                    _day(item.day),
                    *_film(item.film),
                    _rating(item.rating),
                    "Yes" if item.rewatch else "",
                    "",  # Tags: reelgraph has none
                    _day(item.watched_on),
                    *_ids(item.film),
                )
                for item in library.diary
            ),
        ),
        "reviews.csv": _csv(
            REVIEWS_COLUMNS,
            (
                (
                    _day(item.day),
                    *_film(item.film),
                    _rating(item.rating),
                    "Yes" if item.rewatch else "",
                    item.review,
                    "",
                    _day(item.watched_on),
                    *_ids(item.film),
                )
                for item in library.reviews
            ),
        ),
    }


def letterboxd_zip(library: LetterboxdLibrary) -> bytes:
    """The five CSVs in one ZIP, as Letterboxd's export ships them."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in letterboxd_csvs(library).items():
            archive.writestr(name, text.encode("utf-8"))
    return buffer.getvalue()
