"""Matching an imported entry to a TMDb movie: its TMDb id, else its IMDb id (TMDb /find), else
its title and year through TMDb search, scored with rapidfuzz.

Title matching accepts a candidate whose normalized title (accents, case and punctuation folded)
or original title scores at least MATCH_THRESHOLD, released within a year of the entry's year
(exports and TMDb disagree by a year around new year's releases). The best is taken unless a
second one comes within AMBIGUITY_MARGIN: then the entry is left unmatched as "ambiguous" rather
than guessed.
"""

from __future__ import annotations

import asyncio
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz

from reelgraph.library_files.entries import LibraryEntry
from reelgraph.loaders.catalog_reader import CatalogReader
from reelgraph.services.catalog import CatalogService, ListSource

MATCH_THRESHOLD = 88.0
AMBIGUITY_MARGIN = 2.0
YEAR_TOLERANCE = 1
YEAR_PENALTY = 3.0  # per year off: the exact year wins over a neighbour of the same title
LANGUAGE = "en-US"
_PUNCTUATION = re.compile(r"[^\w\s]")
_SPACES = re.compile(r"\s+")


def normalized_title(title: str) -> str:
    """ "Amélie" and "amelie", "Crouching Tiger, Hidden Dragon" and "crouching tiger hidden dragon"
    compare equal; "&" reads "and"."""
    folded = unicodedata.normalize("NFKD", title)
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch)).casefold()
    folded = folded.replace("&", " and ")
    return _SPACES.sub(" ", _PUNCTUATION.sub(" ", folded)).strip()


@dataclass(frozen=True)
class Match:
    """A movie (with what mirroring it needs, when the lookup gave it) or why there is none."""

    tmdb_id: int | None
    item: dict[str, Any] | None = None
    reason: str | None = None
    ambiguous: bool = False


def _year_of(item: dict[str, Any]) -> int | None:
    value = str(item.get("release_date") or "")[:4]
    return int(value) if value.isdigit() else None


def best_candidate(title: str, year: int | None, candidates: list[dict[str, Any]]) -> Match:
    """The one candidate a title and year point at, or an unmatched reason."""
    wanted = normalized_title(title)
    scored: list[tuple[float, dict[str, Any]]] = []
    for item in candidates:
        names = {str(item.get(key) or "") for key in ("title", "original_title")} - {""}
        score = max((fuzz.ratio(wanted, normalized_title(name)) for name in names), default=0.0)
        found_year = _year_of(item)
        if year is not None:
            if found_year is None or abs(found_year - year) > YEAR_TOLERANCE:
                continue
            score -= YEAR_PENALTY * abs(found_year - year)
        if score >= MATCH_THRESHOLD:
            scored.append((score, item))
    if not scored:
        return Match(None, reason="no movie with this title and year")
    scored.sort(key=lambda pair: -pair[0])
    if len(scored) > 1 and scored[0][0] - scored[1][0] < AMBIGUITY_MARGIN:
        listing = "; ".join(
            f"{item.get('title')} ({_year_of(item)}, tmdb {item.get('id')})" for _, item in scored[:3]
        )
        return Match(None, reason=f"ambiguous: several movies match ({listing})", ambiguous=True)
    item = scored[0][1]
    return Match(int(item["id"]), item=item)


class MovieMatcher:
    """Matches entries of one import; lookups repeated within it (duplicates, a diary's rewatches)
    are answered once. Upstream failures propagate: the job retries, and imports are idempotent."""

    def __init__(self, reader: CatalogReader, catalog: CatalogService, concurrency: int = 8) -> None:
        self._reader = reader
        self._catalog = catalog
        self._gate = asyncio.Semaphore(concurrency)
        self._known: dict[tuple[Any, ...], Match] = {}

    async def match_all(self, entries: list[LibraryEntry]) -> list[Match]:
        return list(await asyncio.gather(*(self.match(entry) for entry in entries)))

    async def match(self, entry: LibraryEntry) -> Match:
        key = (entry.tmdb_id, entry.imdb_id, normalized_title(entry.title or ""), entry.year)
        known = self._known.get(key)
        if known is None:
            async with self._gate:
                known = self._known.get(key) or await self._lookup(entry)
            self._known[key] = known
        return known

    async def _lookup(self, entry: LibraryEntry) -> Match:
        if entry.tmdb_id is not None:
            details = await self._reader.movie(entry.tmdb_id, LANGUAGE)
            if details is not None:
                return Match(entry.tmdb_id, item=details)
        if entry.imdb_id is not None:
            found = await self._reader.movie_id_for_imdb(entry.imdb_id)
            if found is not None:
                return Match(found)
        if not entry.title:
            return Match(None, reason="no title, and no id TMDb knows")
        if entry.year is not None:
            match = best_candidate(entry.title, entry.year, await self._search(entry.title, entry.year))
            if match.tmdb_id is not None or match.ambiguous:
                return match
        # Without the year filter: a year off by one, or no year at all.
        return best_candidate(entry.title, entry.year, await self._search(entry.title, None))

    async def _search(self, title: str, year: int | None) -> list[dict[str, Any]]:
        page = await self._catalog.page_fetcher(ListSource("search_movies", (title, year)), LANGUAGE)(1)
        return list(page.get("results") or [])
