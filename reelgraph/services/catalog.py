"""Movie lists from TMDb (trending, lists, discover, similar, recommendations, search) through the
shared cache, with genre names attached; keyword lookups; and the admin's cache refresh.

Single movies, people and scores are read through reelgraph.loaders.catalog_reader."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from reelgraph.caching.upstream_data import CachedFetcher, cache_key
from reelgraph.config import Settings
from reelgraph.errors import BadUserInput, UpstreamUnavailableError
from reelgraph.integrations.call_budget import UpstreamBudgetExceeded
from reelgraph.integrations.errors import UpstreamNotFound
from reelgraph.integrations.tmdb import DiscoverQuery, discover_params
from reelgraph.integrations.upstream import Upstreams
from reelgraph.loaders.catalog_reader import ENGLISH, CatalogReader, untranslated, with_english
from reelgraph.tmdb_payloads import genre_dicts

Envelope = dict[str, Any]
Item = dict[str, Any]


@dataclass(frozen=True)
class ListSource:
    """What a paginated movie list is made of: one TMDb list endpoint and its arguments."""

    kind: str  # trending, list, discover, similar, recommendations, search_movies, search_people
    args: tuple[Any, ...] = ()


LIST_TRANSLATED_FIELDS = ("title", "overview")


def _untranslated_movie(item: Item) -> list[str]:
    is_movie = item.get("media_type", "movie") == "movie"
    return untranslated(item, LIST_TRANSLATED_FIELDS) if is_movie else []


async def _with_english_page(envelope: Envelope, cached: Callable[[str], Awaitable[Envelope]]) -> Envelope:
    """Empty translated titles and overviews filled from the same page in English (one more
    request per page, cached); kept as they are when that page cannot be had."""
    try:
        english = await cached(ENGLISH)
    except (UpstreamUnavailableError, UpstreamBudgetExceeded):
        return envelope
    by_id = {item.get("id"): item for item in english.get("results", [])}
    results = [
        with_english(item, by_id.get(item.get("id")), missing)
        if (missing := _untranslated_movie(item))
        else item
        for item in envelope.get("results", [])
    ]
    return {**envelope, "results": results}


def _empty_envelope(page: int) -> Envelope:
    return {"page": page, "results": [], "total_pages": 0, "total_results": 0}


class CatalogService:
    def __init__(
        self, upstreams: Upstreams, fetcher: CachedFetcher, reader: CatalogReader, settings: Settings
    ) -> None:
        self._tmdb = upstreams.tmdb
        self.upstreams = upstreams
        self.fetcher = fetcher
        self.reader = reader
        self._settings = settings

    async def keyword_ids(self, names: Sequence[str]) -> list[int]:
        """TMDb keyword ids for keyword names (exact, case-insensitive match preferred)."""

        async def one(name: str) -> int | None:
            data = await self.fetcher.get(
                cache_key("keyword", name.lower()),
                self._settings.cache_ttl_details_seconds,
                lambda: self._tmdb.search_keywords(name),
            )
            results = data.get("results", [])
            exact = [r for r in results if str(r.get("name", "")).lower() == name.lower()]
            chosen = exact or results[:1]
            return int(chosen[0]["id"]) if chosen else None

        found = await asyncio.gather(*(one(name.strip()) for name in names if name.strip()))
        return [keyword_id for keyword_id in found if keyword_id is not None]

    # -- lists ----------------------------------------------------------------------------------

    def page_fetcher(self, source: ListSource, language: str) -> Callable[[int], Awaitable[Envelope]]:
        """A function giving upstream page N of `source`, cached, with genre names attached."""

        async def fetch(page: int) -> Envelope:
            if page > 500:  # TMDb's hard page limit
                return _empty_envelope(page)
            ttl = (
                self._settings.cache_ttl_search_seconds
                if source.kind.startswith("search")
                else self._settings.cache_ttl_list_seconds
            )

            def cached(lang: str) -> Awaitable[Envelope]:
                return self.fetcher.get(
                    cache_key("list", source.kind, source.args, page, lang),
                    ttl,
                    lambda: self._fetch_list(source, page, lang),
                )

            envelope = await cached(language)
            if language != ENGLISH and any(_untranslated_movie(i) for i in envelope.get("results", [])):
                envelope = await _with_english_page(envelope, cached)
            return await self._with_genres(envelope, language)

        return fetch

    async def _fetch_list(self, source: ListSource, page: int, language: str) -> Envelope:
        kind, args = source.kind, source.args
        try:
            if kind == "trending":
                return await self._tmdb.trending(args[0], page, language)
            if kind == "list":
                return await self._tmdb.movie_list(args[0], page, language, region=args[1])
            if kind == "discover":
                return await self._tmdb.discover(dict(args[0]), page, language)
            if kind == "similar":
                return await self._tmdb.similar(args[0], page, language)
            if kind == "recommendations":
                return await self._tmdb.recommendations(args[0], page, language)
            if kind == "search_movies":
                return await self._tmdb.search_movies(args[0], page, language, year=args[1])
            if kind == "search_people":
                return await self._tmdb.search_people(args[0], page, language)
        except UpstreamNotFound:
            return _empty_envelope(page)
        raise ValueError(f"unknown list source {kind!r}")

    async def _with_genres(self, envelope: Envelope, language: str) -> Envelope:
        results = envelope.get("results", [])
        if not results or "genre_ids" not in results[0]:
            return envelope
        names = await self.reader.genre_names(language)
        # New dicts: cached envelopes are shared and must stay untouched.
        enriched = [{**item, "genres": genre_dicts(item.get("genre_ids", []), names)} for item in results]
        return {**envelope, "results": enriched}

    def discover_source(self, query: DiscoverQuery, include_adult: bool = False) -> ListSource:
        try:
            params = discover_params(query)
        except ValueError as exc:
            raise BadUserInput(str(exc), field="filter") from exc
        if include_adult:  # TMDb leaves adult titles out unless told otherwise
            params["include_adult"] = "true"
        return ListSource("discover", (tuple(sorted(params.items())),))

    # -- admin ------------------------------------------------------------------------------------

    async def refresh(self, tmdb_id: int | None) -> None:
        """Drops cached upstream data (all, or one movie's details) so it is fetched again lazily."""
        if tmdb_id is None:
            await self.fetcher.clear()
            return
        for language in ("en-US", "fr-FR"):
            await self.fetcher.delete(cache_key("movie", tmdb_id, language))
