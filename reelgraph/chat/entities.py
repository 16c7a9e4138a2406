"""Entity resolution for the chat: names to person ids, titles to movie ids (catalog entities).

The parser never talks to TMDb itself; it asks an ``EntityResolver``. The server implements one
over its catalog service (TMDb search, cached); ``CatalogEntityResolver`` is the same thing over
the bundled offline catalog, for tests and benchmarks.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from rapidfuzz import fuzz, process

from reelgraph.integrations.offline_catalog import OfflineCatalog
from reelgraph.text import drop_article, fold

# (id, name, popularity)
# (TMDb id, name, popularity, known-for department or None)
PersonHit = tuple[int, str, float, str | None]
# (id, title, year, popularity)
MovieHit = tuple[int, str, int | None, float]


@runtime_checkable
class EntityResolver(Protocol):
    """Search people and movies; best matches first, at most a page (about 20) of them."""

    async def search_people(self, name: str) -> list[PersonHit]: ...

    async def search_movies(self, title: str) -> list[MovieHit]: ...


@runtime_checkable
class CreditCounter(Protocol):
    """A resolver that can also tell how many movies credit each person: a bare surname ("Nolan")
    goes to the bearer with a body of work, not to a briefly popular namesake."""

    async def credit_counts(self, person_ids: list[int]) -> dict[int, int]: ...


# Below this rapidfuzz score a typo fallback candidate is not worth returning at all.
FUZZY_FALLBACK_CUTOFF = 80.0


class CatalogEntityResolver:
    """An EntityResolver over the offline catalog: its substring search first (like TMDb's
    search), then a rapidfuzz typo fallback ("Tom Hanx", "Inceptoin") when that finds nothing."""

    def __init__(self, catalog: OfflineCatalog | None = None, limit: int = 20) -> None:
        self._catalog = catalog or OfflineCatalog.load()
        self._limit = limit
        # The typo fallback scans folded names in popularity order (ties go to the best known).
        movies = self._catalog.movies(self._catalog.popular())
        self._movie_ids = [m.id for m in movies]
        self._movie_titles = [fold(m.title) for m in movies]
        credited = dict.fromkeys(i for m in movies for i in (*m.cast_ids, *m.director_ids))
        people = sorted(self._catalog.people(credited), key=lambda p: (-p.popularity, p.id))
        self._person_ids = [p.id for p in people]
        self._person_names = [fold(p.name) for p in people]

    async def search_people(self, name: str) -> list[PersonHit]:
        found = self._catalog.search_people(name)[: self._limit]
        if not found:
            ids = self._fuzzy(name, self._person_names, self._person_ids)
            found = self._catalog.people(ids)
        return [(p.id, p.name, p.popularity, p.known_for_department) for p in found]

    async def credit_counts(self, person_ids: list[int]) -> dict[int, int]:
        return {i: len(self._catalog.person_movies(i)) for i in person_ids}

    async def search_movies(self, title: str) -> list[MovieHit]:
        found = self._catalog.search_movies(title)[: self._limit]
        if not found:
            ids = self._fuzzy(title, self._movie_titles, self._movie_ids)
            found = self._catalog.movies(ids)
        return [(m.id, m.title, m.year, m.popularity) for m in found]

    def _fuzzy(self, query: str, choices: list[str], ids: list[int]) -> list[int]:
        q = fold(query)
        if len(q) < 4:  # two or three letters match far too much
            return []
        matches = process.extract(q, choices, scorer=fuzz.ratio, score_cutoff=FUZZY_FALLBACK_CUTOFF, limit=5)
        return [ids[index] for _, _, index in matches]


# A name or title from the LLM is accepted when it is this close to a search result.
NAME_MATCH_MIN = 80.0


def best_person(name: str, hits: list[PersonHit]) -> PersonHit | None:
    """The hit that is this name: exact (accent/case-insensitive) first, else the closest, most
    popular one; None when nothing is close (a search always returns *something* on TMDb)."""
    wanted = fold(name)
    if not wanted or not hits:
        return None
    for hit in hits:
        if fold(hit[1]) == wanted:
            return hit
    scored = [(fuzz.token_sort_ratio(wanted, fold(hit[1])), hit[2], hit) for hit in hits]
    score, _, hit = max(scored, key=lambda s: (s[0], s[1]))
    return hit if score >= NAME_MATCH_MIN else None


def best_movie(title: str, hits: list[MovieHit], year: int | None = None) -> MovieHit | None:
    """Same for titles; a leading article and a subtitle after ':' do not count."""
    wanted = drop_article(fold(title))
    if not wanted or not hits:
        return None
    if year is not None:
        hits = sorted(hits, key=lambda h: h[2] != year)  # stable: that year's first
    for hit in hits:
        full = drop_article(fold(hit[1]))
        if wanted in (full, drop_article(fold(hit[1].split(":")[0]))):
            return hit
    scored = [(fuzz.ratio(wanted, drop_article(fold(hit[1]))), hit[3], hit) for hit in hits]
    score, _, hit = max(scored, key=lambda s: (s[0], s[1]))
    return hit if score >= NAME_MATCH_MIN else None
