"""Browsing the catalog page by page: lists, discover, search, a genre's, a person's and a movie's
related movies, with what the viewer hid left out.

Returns plain TMDb-shaped items; the schema wraps them. Per-request state (the viewer's hidden
movies, batched details and scores) comes in as the request's loaders.
"""

from __future__ import annotations

import asyncio
from typing import Any

from reelgraph.loaders import RequestLoaders
from reelgraph.movie_filter import MovieFilterSpec
from reelgraph.services import age_gate, discovery
from reelgraph.services.catalog import CatalogService, ListSource
from reelgraph.services.community_trending import CommunityTrending
from reelgraph.services.movie_lists import (
    Item,
    KeepFilter,
    ListCursor,
    ListPage,
    MovieLists,
    PageFetcher,
    list_identity,
)
from reelgraph.services.recommendations import RecommendationService
from reelgraph.tmdb_payloads import genre_dicts, imdb_id_of


async def hidden_filter(
    loaders: RequestLoaders, include_hidden: bool, age_gated: bool = True
) -> KeepFilter | None:
    """Drops what the signed-in viewer marked SEEN or NOT_INTERESTED (people always stay), and for
    a minor what their age does not admit (services.age_gate; includeHidden does not lift that).
    `age_gated=False` where the upstream already applied the age gate (discover)."""
    gate = await age_gate.gate_of(loaders) if age_gated else None
    hidden = set() if include_hidden else await loaders.hidden_movies.load()
    if not hidden and gate is None:
        return None

    async def keep(items: list[Item]) -> list[bool]:
        shown = [
            item.get("media_type", "movie") != "movie" or int(item["id"]) not in hidden for item in items
        ]
        if gate is None:
            return shown
        # Release dates only for what the hidden set left: hidden movies cost no upstream call.
        admitted = iter(await gate.keep(loaders, [item for item, ok in zip(items, shown, strict=True) if ok]))
        return [ok and next(admitted) for ok in shown]

    return keep


async def not_adult(items: list[Item]) -> list[bool]:
    """TMDb's own default: adult titles (and people) stay out unless asked for. TMDb is told so
    (include_adult=false); this drops any that come through anyway."""
    return [item.get("adult") is not True for item in items]


def _empty_page(after: str | None) -> ListPage:
    return ListPage([], [], None, False, after is not None, 0)


class BrowseService:
    def __init__(
        self,
        catalog: CatalogService,
        lists: MovieLists,
        recommendations: RecommendationService,
        community: CommunityTrending,
    ) -> None:
        self._catalog = catalog
        self._lists = lists
        self._recommendations = recommendations
        self._community = community

    async def _page(
        self,
        loaders: RequestLoaders,
        list_id: str,
        fetch: PageFetcher,
        first: int,
        after: str | None,
        include_hidden: bool,
        keep: KeepFilter | None = None,
        max_upstream_pages: int | None = None,
        include_adult: bool = False,
        age_gated: bool = True,
    ) -> ListPage:
        hide = await hidden_filter(loaders, include_hidden, age_gated)
        kwargs: dict[str, Any] = {"max_upstream_pages": max_upstream_pages} if max_upstream_pages else {}
        exclude = None if include_adult else not_adult
        return await self._lists.page(
            fetch, first, after, keep=keep, list_id=list_id, exclude=exclude, hide=hide, **kwargs
        )

    async def trending(
        self,
        loaders: RequestLoaders,
        window: str,
        first: int,
        after: str | None,
        include_hidden: bool,
        language: str,
    ) -> ListPage:
        """A page of TMDb's trending list."""
        source = ListSource("trending", (window,))
        fetch = self._catalog.page_fetcher(source, language)
        return await self._page(loaders, list_identity(source), fetch, first, after, include_hidden)

    async def community_trending(
        self,
        loaders: RequestLoaders,
        window: str,
        first: int,
        after: str | None,
        include_hidden: bool,
        language: str,
    ) -> ListPage | None:
        """A page of this server's own trending list; None when there is too little activity for
        one (or `after` is a position in TMDb's list): then TMDb's list answers.
        A cursor keeps the list it came from, even if the community list appeared meanwhile."""
        ranked = await self._community.ranking(window)
        community_id = list_identity(ListSource("community", (window,)))
        if ranked is None or (after is not None and not ListCursor.belongs_to(after, community_id)):
            return None
        fetch = self._community.page_fetcher(ranked, language)
        return await self._page(loaders, community_id, fetch, first, after, include_hidden)

    async def movie_list(
        self,
        loaders: RequestLoaders,
        kind: str,
        region: str | None,
        first: int,
        after: str | None,
        include_hidden: bool,
        language: str,
    ) -> ListPage:
        source = ListSource("list", (kind, region))
        fetch = self._catalog.page_fetcher(source, language)
        return await self._page(loaders, list_identity(source), fetch, first, after, include_hidden)

    async def discover(
        self,
        loaders: RequestLoaders,
        spec: MovieFilterSpec,
        sort: str,
        first: int,
        after: str | None,
        include_hidden: bool,
        language: str,
    ) -> ListPage:
        """TMDb's discover, plus what TMDb cannot do: primary genres, IMDb filters and ordering."""
        source = await discovery.discover_source(self._catalog, spec, sort)
        if source is None:  # a filter that can match nothing
            return _empty_page(after)
        gate = await age_gate.gate_of(loaders)
        age_gate.refuse_adult(gate, spec.include_adult)
        bounds = await gate.discover_bounds(self._catalog.reader) if gate is not None else None
        if gate is not None and bounds is not None:  # TMDb filters: no release dates read per movie
            source = gate.restrict(source, bounds)

        async def scores_of(items: list[Item]) -> list[dict[str, Any]]:
            details = await loaders.movie.load_many([(int(item["id"]), language) for item in items])
            keys = [(int(item["id"]), imdb_id_of(d)) for item, d in zip(items, details, strict=True)]
            return [s or {} for s in await loaders.scores.load_many(keys)]

        keep = discovery.combine(
            discovery.primary_genre_filter(spec.genres)
            if spec.genre_match == "PRIMARY" and spec.genres
            else None,
            discovery.imdb_filter(spec, scores_of) if spec.needs_imdb else None,
        )
        fetch = self._catalog.page_fetcher(source, language)
        if sort == "IMDB_RATING_DESC":
            fetch = discovery.imdb_sorted(fetch, scores_of)
        bound = discovery.IMDB_FILTER_MAX_UPSTREAM_PAGES if spec.needs_imdb else None
        # The filter and the sort choose what is kept and in which order: part of the list's identity.
        list_id = list_identity(source, sort, spec)
        return await self._page(
            loaders,
            list_id,
            fetch,
            first,
            after,
            include_hidden,
            keep,
            bound,
            spec.include_adult,
            bounds is None,
        )

    async def genre_movies(
        self,
        loaders: RequestLoaders,
        genre_id: int,
        first: int,
        after: str | None,
        include_hidden: bool,
        language: str,
    ) -> ListPage:
        spec = MovieFilterSpec(genres=[genre_id])
        return await self.discover(loaders, spec, "POPULARITY_DESC", first, after, include_hidden, language)

    async def related(
        self,
        loaders: RequestLoaders,
        movie_id: int,
        kind: str,
        first: int,
        include_hidden: bool,
        language: str,
        details: dict[str, Any],
    ) -> list[Item]:
        """TMDb's similar or recommended movies; page 1 came with the details (no extra call)."""
        source = ListSource(kind, (movie_id,))
        upstream = self._catalog.page_fetcher(source, language)
        embedded = details.get(kind)

        async def fetch(page: int) -> dict[str, Any]:
            if page == 1 and embedded is not None:
                names = await loaders.genre_names.load(language)
                return {
                    **embedded,
                    "results": [_with_genre_names(i, names) for i in embedded.get("results", [])],
                }
            return await upstream(page)

        page = await self._page(loaders, list_identity(source), fetch, first, None, include_hidden)
        return page.items

    async def recommended(
        self,
        loaders: RequestLoaders,
        movie_id: int,
        first: int,
        include_hidden: bool,
        language: str,
        details: dict[str, Any],
    ) -> list[Item]:
        """TMDb's recommendations interleaved with this server's item-item neighbours, no repeats.

        Hidden movies are dropped after interleaving, so the visible list is the full list minus the
        hidden ones, in the same order (prefix-stable as `first` grows).
        """
        keep = await hidden_filter(loaders, include_hidden)
        hidden_count = len(await loaders.hidden_movies.load()) if keep else 0
        # A minor's gate drops more than the hidden set: read further ahead for them.
        gated = keep is not None and await age_gate.gate_of(loaders) is not None
        wanted = min(first * (3 if gated else 1) + hidden_count, 100)
        upstream = await self.related(loaders, movie_id, "recommendations", wanted, True, language, details)
        neighbour_ids = await self._recommendations.similar_items(movie_id, wanted + 1)
        found = await loaders.movie.load_many([(i, language) for i in neighbour_ids])
        local = [d for d in found if d and int(d["id"]) != movie_id and d.get("adult") is not True]
        merged: dict[int, Item] = {}
        for pair in zip(upstream, local, strict=False):
            for candidate in pair:
                merged.setdefault(int(candidate["id"]), candidate)
        for candidate in [*upstream[len(local) :], *local[len(upstream) :]]:
            merged.setdefault(int(candidate["id"]), candidate)
        merged.pop(movie_id, None)
        items = list(merged.values())
        if keep is not None:
            items = [item for item, visible in zip(items, await keep(items), strict=True) if visible]
        return items[:first]

    async def person_movies(
        self,
        loaders: RequestLoaders,
        first: int,
        include_hidden: bool,
        language: str,
        details: dict[str, Any],
    ) -> list[Item]:
        """A person's movies (cast and crew, once each), most popular first."""
        credits = details.get("movie_credits") or {}
        unique: dict[int, Item] = {}
        for item in [*credits.get("cast", []), *credits.get("crew", [])]:
            unique.setdefault(int(item["id"]), item)
        ranked = sorted(unique.values(), key=lambda item: -(item.get("popularity") or 0))
        ranked = [item for item, allowed in zip(ranked, await not_adult(ranked), strict=True) if allowed]
        keep = await hidden_filter(loaders, include_hidden)
        if keep is not None:
            ranked = [item for item, wanted in zip(ranked, await keep(ranked), strict=True) if wanted]
        names = await loaders.genre_names.load(language)
        return [_with_genre_names(item, names) for item in ranked[:first]]

    async def search(
        self, loaders: RequestLoaders, text: str, first: int, after: str | None, language: str
    ) -> ListPage:
        """Movies and people in one list, most popular first; each item has its media_type."""
        movie_source, people_source = (
            ListSource("search_movies", (text, None)),
            ListSource("search_people", (text,)),
        )
        movies = self._catalog.page_fetcher(movie_source, language)
        people = self._catalog.page_fetcher(people_source, language)

        async def merged(page: int) -> dict[str, Any]:
            found_movies, found_people = await asyncio.gather(movies(page), people(page))
            items = [{**m, "media_type": "movie"} for m in found_movies.get("results", [])] + [
                {**p, "media_type": "person"} for p in found_people.get("results", [])
            ]
            items.sort(key=lambda item: -(item.get("popularity") or 0))
            return {
                "page": page,
                "results": items,
                "total_pages": max(found_movies.get("total_pages", 0), found_people.get("total_pages", 0)),
                "total_results": found_movies.get("total_results", 0) + found_people.get("total_results", 0),
            }

        hide = await hidden_filter(loaders, False)
        list_id = list_identity(movie_source, people_source)
        return await self._lists.page(merged, first, after, list_id=list_id, exclude=not_adult, hide=hide)


def _with_genre_names(item: Item, names: dict[int, str]) -> Item:
    if "genres" in item:
        return item
    return {**item, "genres": genre_dicts(item.get("genre_ids", []), names)}
