"""Discover: validates a movie filter, maps it to TMDb, and adds what TMDb cannot do
(primary-genre matching, IMDb rating filters and ordering) on top of the paginated list."""

from __future__ import annotations

import math
import re
from collections.abc import Awaitable, Callable
from typing import Any

from reelgraph.errors import BadUserInput
from reelgraph.integrations.tmdb import DiscoverQuery
from reelgraph.movie_filter import MovieFilterSpec
from reelgraph.services.catalog import CatalogService, ListSource
from reelgraph.services.movie_lists import Item, KeepFilter, PageFetcher

# How far IMDb-based filtering and ordering look: OMDb scores need one details + one OMDb
# lookup per movie, so these bound the upstream work of one request.
IMDB_FILTER_MAX_UPSTREAM_PAGES = 3
IMDB_SORT_WINDOW_PAGES = 5
LANGUAGE_RE = re.compile(r"^[a-z]{2}$")
REGION_RE = re.compile(r"^[A-Za-z]{2}$")

ScoresOf = Callable[[list[Item]], Awaitable[list[dict[str, Any]]]]


def validate(spec: MovieFilterSpec) -> None:
    """BAD_USER_INPUT naming the field at fault."""

    def bad(name: str, message: str) -> BadUserInput:
        return BadUserInput(f"filter.{name}: {message}", field=f"filter.{name}")

    for name in ("year_from", "year_to"):
        value = getattr(spec, name)
        if value is not None and not 1870 <= value <= 2100:
            raise bad(_camel(name), "must be a year between 1870 and 2100")
    if spec.year_from is not None and spec.year_to is not None and spec.year_from > spec.year_to:
        raise bad("yearFrom", "must not be after yearTo")
    for name in ("runtime_min", "runtime_max", "min_vote_count", "min_imdb_votes"):
        value = getattr(spec, name)
        if value is not None and value < 0:
            raise bad(_camel(name), "must not be negative")
    if spec.runtime_min is not None and spec.runtime_max is not None and spec.runtime_min > spec.runtime_max:
        raise bad("runtimeMin", "must not be greater than runtimeMax")
    for name in ("min_vote_average", "min_imdb_rating"):
        value = getattr(spec, name)
        if value is not None and not (0 <= value <= 10 and math.isfinite(value)):
            raise bad(_camel(name), "must be between 0 and 10")
    if spec.original_language is not None and not LANGUAGE_RE.match(spec.original_language):
        raise bad("originalLanguage", "must be an ISO 639-1 code such as 'fr'")
    if spec.watch_region is not None and not REGION_RE.match(spec.watch_region):
        raise bad("watchRegion", "must be an ISO 3166-1 code such as 'US'")
    for name in ("genres", "exclude_genres", "with_people", "watch_providers"):
        if any(value < 1 for value in getattr(spec, name)):
            raise bad(_camel(name), "ids must be positive")
    if len(spec.keywords) > 20 or any(len(k) > 100 for k in spec.keywords):
        raise bad("keywords", "at most 20 keywords of at most 100 characters")


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


async def discover_source(catalog: CatalogService, spec: MovieFilterSpec, sort: str) -> ListSource | None:
    """The TMDb discover source for a filter; None when it can match nothing (unknown keywords)."""
    keyword_ids: list[int] = []
    if spec.keywords:
        keyword_ids = await catalog.keyword_ids(spec.keywords)
        if not keyword_ids:
            return None
    query = DiscoverQuery(
        genres=spec.genres,
        genre_match=spec.genre_match,  # type: ignore[arg-type]  # validated: one of the Literal values
        exclude_genres=spec.exclude_genres,
        year_from=spec.year_from,
        year_to=spec.year_to,
        min_vote_average=spec.min_vote_average,
        min_vote_count=spec.min_vote_count,
        runtime_min=spec.runtime_min,
        runtime_max=spec.runtime_max,
        original_language=spec.original_language,
        with_people=spec.with_people,
        keyword_ids=keyword_ids,
        watch_providers=spec.watch_providers,
        watch_region=spec.watch_region,
        sort=sort,  # type: ignore[arg-type]  # a MovieSort value, one of the Literal values
    )
    return catalog.discover_source(query, spec.include_adult)


def primary_genre_filter(genres: list[int]) -> KeepFilter:
    wanted = set(genres)

    async def keep(items: list[Item]) -> list[bool]:
        return [bool(wanted.intersection(item.get("genre_ids", [])[:2])) for item in items]

    return keep


def imdb_filter(spec: MovieFilterSpec, scores_of: ScoresOf) -> KeepFilter:
    async def keep(items: list[Item]) -> list[bool]:
        scores = await scores_of(items)
        return [
            (spec.min_imdb_rating is None or (s.get("imdb_rating") or 0) >= spec.min_imdb_rating)
            and (spec.min_imdb_votes is None or (s.get("imdb_votes") or 0) >= spec.min_imdb_votes)
            for s in scores
        ]

    return keep


def imdb_sorted(fetch: PageFetcher, scores_of: ScoresOf, page_size: int = 20) -> PageFetcher:
    """Re-orders the first IMDB_SORT_WINDOW_PAGES upstream pages by IMDb rating (unrated last)."""
    window: list[Item] | None = None

    async def sorted_fetch(page: int) -> dict[str, Any]:
        nonlocal window
        if window is None:
            items: list[Item] = []
            for number in range(1, IMDB_SORT_WINDOW_PAGES + 1):
                envelope = await fetch(number)
                items.extend(envelope.get("results", []))
                if number >= int(envelope.get("total_pages") or 0):
                    break
            scores = await scores_of(items)
            ranked = sorted(
                zip(items, scores, strict=True),
                key=lambda pair: (pair[1].get("imdb_rating") is None, -(pair[1].get("imdb_rating") or 0)),
            )
            window = [item for item, _ in ranked]
        start = (page - 1) * page_size
        return {
            "page": page,
            "results": window[start : start + page_size],
            "total_pages": max(1, math.ceil(len(window) / page_size)),
            "total_results": len(window),
        }

    return sorted_fetch


def combine(*filters: KeepFilter | None) -> KeepFilter | None:
    active = [f for f in filters if f is not None]
    if not active:
        return None
    if len(active) == 1:
        return active[0]

    async def keep(items: list[Item]) -> list[bool]:
        flags = [True] * len(items)
        for f in active:
            flags = [a and b for a, b in zip(flags, await f(items), strict=True)]
        return flags

    return keep
