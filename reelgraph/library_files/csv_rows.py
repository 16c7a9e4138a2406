"""Reading an exported CSV with the standard library: header checked, rows bounded and numbered."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

from reelgraph.library_files.errors import FileProblem, LibraryFileError


@dataclass
class RowBudget:
    """Rows left over every member of one upload."""

    left: int
    limit: int

    def take(self, line: int, member: str | None) -> None:
        self.left -= 1
        if self.left < 0:
            raise LibraryFileError(
                FileProblem.TOO_MANY_ROWS,
                f"The file has more than {self.limit} rows; split it and import the parts one by one.",
                line=line,
                member=member,
            )


def header_of(text: str) -> list[str]:
    """The first row's column names, stripped (exports differ in spacing and BOMs)."""
    try:
        first = next(csv.reader(io.StringIO(text, newline="")), [])
    except csv.Error:
        return []
    return [name.strip().lstrip("\ufeff") for name in first]


def csv_rows(
    text: str, required: tuple[str, ...], budget: RowBudget, member: str | None = None
) -> Iterator[tuple[int, dict[str, str]]]:
    """(line, row) for every non-blank data row; `line` is where the row starts (a quoted value
    may span lines). Missing columns, ragged rows and CSV syntax errors name their line."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [name.strip().lstrip("\ufeff") for name in next(reader)]
    except StopIteration:
        raise LibraryFileError(FileProblem.EMPTY_FILE, "The file is empty.", member=member) from None
    except csv.Error as exc:
        raise LibraryFileError(FileProblem.MALFORMED_ROW, f"Not CSV: {exc}.", line=1, member=member) from exc
    missing = [name for name in required if name not in header]
    if missing:
        raise LibraryFileError(
            FileProblem.MISSING_COLUMNS,
            f"Missing column(s) {', '.join(missing)}; the header is: {', '.join(header)[:200]}.",
            line=1,
            member=member,
        )
    start = reader.line_num + 1
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise LibraryFileError(
                FileProblem.MALFORMED_ROW, f"Not valid CSV: {exc}.", line=start, member=member
            ) from exc
        line, start = start, reader.line_num + 1
        if not any(value.strip() for value in values):
            continue
        budget.take(line, member)
        if len(values) > len(header):
            raise LibraryFileError(
                FileProblem.MALFORMED_ROW,
                f"{len(values)} values for {len(header)} columns.",
                line=line,
                member=member,
            )
        yield line, dict(zip(header, values, strict=False))
