"""Cell values to typed values; a value that is there but wrong names its line."""

from __future__ import annotations

import re
from datetime import date, datetime

from reelgraph.library_files.errors import FileProblem, LibraryFileError

_IMDB_ID = re.compile(r"tt\d{7,10}")
MAX_TITLE = 500


class Cells:
    """One row's cells, for error messages that name the line and the file."""

    def __init__(self, row: dict[str, str], line: int, member: str | None) -> None:
        self.row = row
        self.line = line
        self.member = member

    def text(self, column: str) -> str | None:
        value = (self.row.get(column) or "").strip()
        return value or None

    def fail(self, message: str) -> LibraryFileError:
        return LibraryFileError(FileProblem.MALFORMED_ROW, message, line=self.line, member=self.member)

    def title(self, column: str) -> str | None:
        value = self.text(column)
        return value[:MAX_TITLE] if value else None

    def year(self, column: str) -> int | None:
        value = self.text(column)
        if value is None:
            return None
        if not value.isascii() or not value.isdigit() or not 1870 <= int(value) <= 2100:
            raise self.fail(f"{column} {value[:20]!r} is not a year.")
        return int(value)

    def day(self, column: str) -> date | None:
        value = self.text(column)
        if value is None:
            return None
        found = parse_day(value)
        if found is None:
            raise self.fail(f"{column} {value[:30]!r} is not a date (YYYY-MM-DD).")
        return found

    def stars(self, column: str) -> float | None:
        """Letterboxd's 0.5-5 stars in halves."""
        value = self.text(column)
        if value is None:
            return None
        number = _number(value)
        if number is None or not 0.5 <= number <= 5 or number * 2 != int(number * 2):
            raise self.fail(f"{column} {value[:20]!r} is not a rating from 0.5 to 5 in halves.")
        return number

    def out_of_ten(self, column: str) -> float | None:
        value = self.text(column)
        if value is None:
            return None
        number = _number(value)
        if number is None or not 1 <= number <= 10 or number != int(number):
            raise self.fail(f"{column} {value[:20]!r} is not a rating from 1 to 10.")
        return ten_to_stars(int(number))

    def positive_int(self, column: str) -> int | None:
        """An id column: absent or empty is None; anything else must be a plain positive integer."""
        value = self.text(column)
        if value is None:
            return None
        if not value.isascii() or not value.isdigit() or not 0 < int(value) < 2**31:
            raise self.fail(f"{column} {value[:20]!r} is not an id.")
        return int(value)

    def flag(self, column: str) -> bool:
        return (self.text(column) or "").lower() in ("yes", "true", "1")


def ten_to_stars(value: int) -> float:
    """IMDb's and Trakt's 1-10 onto reelgraph's 0.5-5: halved (7 -> 3.5)."""
    return value / 2


def _number(value: str) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return number if number == number else None  # NaN


def parse_day(value: str) -> date | None:
    """A date from YYYY-MM-DD or an ISO timestamp (Trakt's "2019-03-31T12:34:56.000Z")."""
    text = value.strip()
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        return None


def imdb_id(value: str | None) -> str | None:
    """ "tt0133093" as IMDb writes it, from a bare id or a URL; None when there is none."""
    if not value:
        return None
    found = _IMDB_ID.search(value.strip().lower())
    return found.group() if found else None
