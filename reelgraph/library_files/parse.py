"""One entry point: an uploaded file of a source to its entries, or a LibraryFileError."""

from __future__ import annotations

from enum import StrEnum

from reelgraph.library_files.entries import ParsedLibrary
from reelgraph.library_files.errors import FileProblem, LibraryFileError
from reelgraph.library_files.imdb import parse_imdb
from reelgraph.library_files.letterboxd import parse_letterboxd
from reelgraph.library_files.limits import DEFAULT_LIMITS, FileLimits
from reelgraph.library_files.trakt import parse_trakt


class Source(StrEnum):
    LETTERBOXD = "LETTERBOXD"
    IMDB = "IMDB"
    TRAKT = "TRAKT"


def parse_library(
    source: Source, data: bytes, filename: str | None = None, limits: FileLimits = DEFAULT_LIMITS
) -> ParsedLibrary:
    """CPU-bound (run it in a thread): the whole file is in `data`, already size-checked by the
    caller that read it; checked again here, so that nothing bigger is ever parsed."""
    if len(data) > limits.max_bytes:
        raise LibraryFileError(
            FileProblem.FILE_TOO_LARGE, f"The file is over {limits.max_bytes // (1024 * 1024)} MB."
        )
    if not data.strip():
        raise LibraryFileError(FileProblem.EMPTY_FILE, "The file is empty.")
    if source is Source.LETTERBOXD:
        return parse_letterboxd(data, filename, limits)
    if source is Source.IMDB:
        return parse_imdb(data, limits)
    return parse_trakt(data, limits)
