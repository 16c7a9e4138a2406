"""``/discover/movie`` over the catalog: the query, id-list filters, per-movie checks, sort orders."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from reelgraph.integrations.offline_catalog.records import Movie

SORT_FIELDS = (
    "popularity",
    "primary_release_date",
    "release_date",
    "vote_average",
    "vote_count",
    "original_title",
    "title",
    "revenue",
)
SortBy = str  # "<field>.<asc|desc>", field from SORT_FIELDS
DEFAULT_SORT: SortBy = "popularity.desc"

MovieCheck = Callable[[Movie], bool]
_Value = TypeVar("_Value", int, float, str)


@dataclass(frozen=True, slots=True)
class IdFilter:
    """TMDb id-list filter: "28,12" means all of them, "28|12" any of them."""

    ids: tuple[int, ...]
    match_all: bool = True

    @classmethod
    def parse(cls, raw: str | None) -> IdFilter | None:
        """Parse TMDb syntax; any "|" makes the whole list an OR (TMDb does not mix the two)."""
        if not raw:
            return None
        match_all = "|" not in raw
        ids = tuple(int(p) for p in re.split(r"[,|]", raw) if p.strip().lstrip("-").isdigit())
        return cls(ids, match_all) if ids else None

    @classmethod
    def all_of(cls, *ids: int) -> IdFilter:
        return cls(tuple(ids), True)

    def select(self, index: Mapping[int, Collection[int]]) -> set[int]:
        """Movie ids that satisfy the filter, given an inverted index value id -> movie ids."""
        sets: list[Collection[int]] = [index.get(i, ()) for i in self.ids]
        if not sets:
            return set()
        if self.match_all:
            return set.intersection(*map(set, sorted(sets, key=len)))
        return set().union(*sets)


@dataclass(frozen=True, slots=True)
class OfflineDiscoverQuery:
    """The offline catalog's ``/discover/movie`` filters and order, parsed from TMDb parameters.

    Not ``reelgraph.integrations.tmdb.DiscoverQuery`` (the client's query, which builds those
    parameters). Dates are "YYYY-MM-DD" strings (they compare as text).
    """

    with_genres: IdFilter | None = None
    without_genres: tuple[int, ...] = ()
    release_date_gte: str | None = None
    release_date_lte: str | None = None
    year: int | None = None
    vote_average_gte: float | None = None
    vote_average_lte: float | None = None
    vote_count_gte: int | None = None
    vote_count_lte: int | None = None
    runtime_gte: int | None = None
    runtime_lte: int | None = None
    original_languages: tuple[str, ...] = ()
    with_people: IdFilter | None = None
    with_cast: IdFilter | None = None
    with_crew: IdFilter | None = None
    with_keywords: IdFilter | None = None
    without_keywords: tuple[int, ...] = ()
    # The catalog has no watch-provider data: asking for any provider matches nothing.
    with_watch_providers: bool = False
    sort_by: SortBy = DEFAULT_SORT


def _range_checks(
    value_of: Callable[[Movie], _Value | None], low: _Value | None, high: _Value | None
) -> list[MovieCheck]:
    """Checks for ``low <= value <= high`` (a bound may be None); a movie without the value fails."""
    checks: list[MovieCheck] = []
    if low is not None:
        checks.append(lambda m: (v := value_of(m)) is not None and v >= low)
    if high is not None:
        checks.append(lambda m: (v := value_of(m)) is not None and v <= high)
    return checks


def movie_checks(q: OfflineDiscoverQuery) -> list[MovieCheck]:
    """The per-movie filters of ``q`` (the id-list filters are answered by the indexes instead)."""
    checks: list[MovieCheck] = []
    if q.without_genres:
        excluded = frozenset(q.without_genres)
        checks.append(lambda m: excluded.isdisjoint(m.genre_ids))
    if q.without_keywords:
        excluded_kw = frozenset(q.without_keywords)
        checks.append(lambda m: excluded_kw.isdisjoint(m.keyword_ids))
    # An empty date bound is no bound; a movie without a release date fails any date bound.
    checks += _range_checks(
        lambda m: m.release_date or None, q.release_date_gte or None, q.release_date_lte or None
    )
    if q.year is not None:
        year = q.year
        checks.append(lambda m: m.year == year)
    checks += _range_checks(lambda m: m.vote_average, q.vote_average_gte, q.vote_average_lte)
    checks += _range_checks(lambda m: m.vote_count, q.vote_count_gte, q.vote_count_lte)
    checks += _range_checks(lambda m: m.runtime, q.runtime_gte, q.runtime_lte)
    if q.original_languages:
        languages = frozenset(q.original_languages)
        checks.append(lambda m: m.original_language in languages)
    return checks


def sort_order(
    base: Sequence[Movie], name: str, descending: bool, fold_fn: Callable[[str], str]
) -> tuple[int, ...]:
    """Stable sort over the popularity-ordered base; movies without a release date go last."""
    keys: dict[str, Callable[[Movie], Any]] = {
        "popularity": lambda m: m.popularity,
        "primary_release_date": lambda m: m.release_date,
        "release_date": lambda m: m.release_date,
        "vote_average": lambda m: m.vote_average,
        "vote_count": lambda m: m.vote_count,
        "original_title": lambda m: fold_fn(m.original_title),
        "title": lambda m: fold_fn(m.title),
        "revenue": lambda m: m.revenue,
    }
    dated = name.endswith("release_date")
    present = [m for m in base if m.release_date or not dated]
    missing = [m for m in base if dated and not m.release_date]
    present.sort(key=keys[name], reverse=descending)
    return tuple(m.id for m in (*present, *missing))
