"""The one error parsing raises: a stable code, a message for people, the line at fault."""

from __future__ import annotations

from enum import StrEnum


class FileProblem(StrEnum):
    FILE_TOO_LARGE = "FILE_TOO_LARGE"
    TOO_MANY_ROWS = "TOO_MANY_ROWS"
    EMPTY_FILE = "EMPTY_FILE"
    NOT_A_TEXT_FILE = "NOT_A_TEXT_FILE"
    UNKNOWN_FORMAT = "UNKNOWN_FORMAT"
    MISSING_COLUMNS = "MISSING_COLUMNS"
    MALFORMED_ROW = "MALFORMED_ROW"
    MALFORMED_JSON = "MALFORMED_JSON"
    BAD_ARCHIVE = "BAD_ARCHIVE"
    ARCHIVE_TOO_LARGE = "ARCHIVE_TOO_LARGE"


class LibraryFileError(Exception):
    """A file that cannot be imported; `line` (1-based) when one row is at fault."""

    def __init__(
        self, problem: FileProblem, message: str, *, line: int | None = None, member: str | None = None
    ) -> None:
        where = " ".join(part for part in (member, f"line {line}" if line is not None else None) if part)
        super().__init__(f"{where}: {message}" if where else message)
        self.problem = problem
        self.message = str(self)
        self.line = line
        self.member = member
