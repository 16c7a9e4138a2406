"""IMDb's ratings export (and its list / watchlist export, which has a Position column).

Ratings columns: Const, Your Rating (1-10), Date Rated, Title, Original Title, URL, Title Type,
IMDb Rating, Runtime (mins), Year, Genres, Num Votes, Release Date, Directors. Lists add Position,
Created, Modified, Description. Series, episodes and other non-movie title types are skipped.
"""

from __future__ import annotations

from reelgraph.library_files.csv_rows import RowBudget, csv_rows, header_of
from reelgraph.library_files.entries import EntryKind, LibraryEntry, ParsedLibrary
from reelgraph.library_files.errors import FileProblem, LibraryFileError
from reelgraph.library_files.fields import Cells, imdb_id
from reelgraph.library_files.limits import FileLimits
from reelgraph.library_files.text import decode_text

# Title types TMDb files as movies; anything else (tvSeries, tvEpisode, videoGame...) is skipped.
MOVIE_TYPES = {"movie", "feature", "tvmovie", "short", "video"}


def _title_type(value: str | None) -> str:
    return (value or "movie").replace(" ", "").replace("-", "").lower()


def parse_imdb(data: bytes, limits: FileLimits) -> ParsedLibrary:
    text = decode_text(data)
    header = header_of(text)
    is_list = "Position" in header
    if "Const" not in header:
        raise LibraryFileError(
            FileProblem.MISSING_COLUMNS,
            "Not an IMDb export: no Const column (expected Const, Your Rating, Date Rated, Title, ...).",
            line=1,
        )
    required = ("Const",) if is_list else ("Const", "Your Rating")
    parsed = ParsedLibrary()
    for line, row in csv_rows(text, required, RowBudget(limits.max_rows, limits.max_rows)):
        cells = Cells(row, line, None)
        const = imdb_id(cells.text("Const"))
        if const is None:
            raise cells.fail(f"Const {cells.text('Const')!r} is not an IMDb title id (tt...).")
        if _title_type(cells.text("Title Type")) not in MOVIE_TYPES:
            parsed.skipped += 1
            continue
        title = cells.title("Title") or cells.title("Original Title")
        year = cells.year("Year")
        rating = cells.out_of_ten("Your Rating")
        if is_list:
            kind, when = EntryKind.WATCHLIST, cells.day("Created")
        elif rating is None:
            continue  # an unrated row says nothing
        else:
            kind, when = EntryKind.RATING, cells.day("Date Rated")
        parsed.entries.append(
            LibraryEntry(
                line=line, kind=kind, title=title, year=year, imdb_id=const, rating=rating, date=when
            )
        )
    return parsed
