"""Catalog resolvers: thin adapters from GraphQL arguments to the catalog, lists and discovery."""

from __future__ import annotations

import asyncio
from typing import Any

from strawberry import relay
from strawberry.types import Info

from reelgraph.errors import BadUserInput, UserErrors
from reelgraph.schema.errors import UserError
from reelgraph.schema.pagination import check_first
from reelgraph.schema.types.catalog import (
    GenreType,
    MovieConnection,
    MovieEdge,
    MovieType,
    PersonType,
    SearchResultConnection,
    SearchResultEdge,
)
from reelgraph.schema.types.payloads import OkPayload
from reelgraph.services import discovery
from reelgraph.services.catalog import ListSource
from reelgraph.services.movie_lists import Item, KeepFilter, ListPage, PageFetcher

MAX_SEARCH_LENGTH = 200


def _page_info(page: ListPage) -> relay.PageInfo:
    return relay.PageInfo(
        has_next_page=page.has_next_page,
        has_previous_page=page.has_previous_page,
        start_cursor=page.cursors[0] if page.cursors else None,
        end_cursor=page.end_cursor,
    )


def _movie_connection(page: ListPage, language: str) -> MovieConnection:
    edges = [
        MovieEdge(cursor=cursor, node=MovieType.from_tmdb(item, language))
        for item, cursor in zip(page.items, page.cursors, strict=True)
    ]
    return MovieConnection(
        edges=edges,
        nodes=[edge.node for edge in edges],
        page_info=_page_info(page),
        total_count=page.total_count,
    )


async def _list(
    info: Info,
    source: ListSource | None,
    first: int,
    after: str | None,
    language: str,
    keep: KeepFilter | None = None,
    fetch: PageFetcher | None = None,
    max_upstream_pages: int | None = None,
    include_hidden: bool = False,
) -> MovieConnection:
    check_first(first)
    services = info.context.services
    keep = discovery.combine(keep, await hidden_filter(info, include_hidden))
    if source is None and fetch is None:  # a filter that can match nothing
        return _movie_connection(ListPage([], [], None, False, after is not None, 0), language)
    fetch = fetch or services.catalog.page_fetcher(source, language)  # type: ignore[arg-type]
    kwargs: dict[str, Any] = {"max_upstream_pages": max_upstream_pages} if max_upstream_pages else {}
    page = await services.lists.page(fetch, first, after, keep=keep, **kwargs)
    return _movie_connection(page, language)


async def hidden_filter(info: Info, include_hidden: bool) -> KeepFilter | None:
    """Drops what the signed-in viewer marked SEEN or NOT_INTERESTED (people always stay)."""
    if include_hidden:
        return None
    hidden = await info.context.loaders.library.hidden_movie_ids()
    if not hidden:
        return None

    async def keep(items: list[Item]) -> list[bool]:
        return [item.get("media_type", "movie") != "movie" or int(item["id"]) not in hidden for item in items]

    return keep


async def _scores_of(info: Info, language: str, items: list[Item]) -> list[dict[str, Any]]:
    loaders = info.context.loaders.catalog
    details = await loaders.movie.load_many([(int(item["id"]), language) for item in items])
    keys = [
        (int(item["id"]), (d or {}).get("imdb_id") or ((d or {}).get("external_ids") or {}).get("imdb_id"))
        for item, d in zip(items, details, strict=True)
    ]
    return [s or {} for s in await loaders.omdb.load_many(keys)]


async def genres(info: Info, language: str | None = None) -> list[GenreType]:
    lang = await info.context.language(language)
    return [
        GenreType(tmdb_id=int(g["id"]), name=str(g["name"]), _language=lang)
        for g in await info.context.services.catalog.genres(lang)
    ]


async def movie(info: Info, tmdb_id: int, language: str | None = None) -> MovieType | None:
    lang = await info.context.language(language)
    details = await info.context.loaders.catalog.movie.load((tmdb_id, lang))
    return MovieType.from_tmdb(details, lang) if details else None


async def person(info: Info, tmdb_id: int, language: str | None = None) -> PersonType | None:
    lang = await info.context.language(language)
    details = await info.context.loaders.catalog.person.load((tmdb_id, lang))
    return PersonType.from_tmdb(details, lang, details=True) if details else None


async def trending(
    info: Info, window: str, first: int, after: str | None, include_hidden: bool, language: str | None
) -> MovieConnection:
    lang = await info.context.language(language)
    return await _list(
        info, ListSource("trending", (window,)), first, after, lang, include_hidden=include_hidden
    )


async def movie_list(
    info: Info,
    kind: str,
    first: int,
    after: str | None,
    region: str | None,
    include_hidden: bool,
    language: str | None,
) -> MovieConnection:
    if region is not None and not discovery.REGION_RE.match(region):
        raise BadUserInput("region must be an ISO 3166-1 code such as 'US'.", field="region")
    lang = await info.context.language(language)
    source = ListSource("list", (kind, region.upper() if region else None))
    return await _list(info, source, first, after, lang, include_hidden=include_hidden)


async def discover(
    info: Info,
    spec: discovery.MovieFilterSpec,
    sort: str,
    first: int,
    after: str | None,
    include_hidden: bool,
    language: str | None,
) -> MovieConnection:
    check_first(first)
    discovery.validate(spec)
    lang = await info.context.language(language)
    catalog = info.context.services.catalog
    source = await discovery.discover_source(catalog, spec, sort)
    if source is None:
        return await _list(info, None, first, after, lang)

    async def scores_of(items: list[Item]) -> list[dict[str, Any]]:
        return await _scores_of(info, lang, items)

    keep = discovery.combine(
        discovery.primary_genre_filter(spec.genres)
        if spec.genre_match == "PRIMARY" and spec.genres
        else None,
        discovery.imdb_filter(spec, scores_of) if spec.needs_imdb else None,
    )
    fetch = catalog.page_fetcher(source, lang)
    if sort == "IMDB_RATING_DESC":
        fetch = discovery.imdb_sorted(fetch, scores_of)
    bound = discovery.IMDB_FILTER_MAX_UPSTREAM_PAGES if spec.needs_imdb else None
    return await _list(
        info,
        source,
        first,
        after,
        lang,
        keep=keep,
        fetch=fetch,
        max_upstream_pages=bound,
        include_hidden=include_hidden,
    )


async def genre_movies(
    info: Info, genre_id: int, first: int | None, after: str | None, include_hidden: bool, language: str
) -> MovieConnection:
    source = await discovery.discover_source(
        info.context.services.catalog, discovery.MovieFilterSpec(genres=[genre_id]), "POPULARITY_DESC"
    )
    return await _list(
        info, source, 20 if first is None else first, after, language, include_hidden=include_hidden
    )


async def related_movies(
    info: Info, movie: MovieType, kind: str, first: int, include_hidden: bool
) -> list[MovieType]:
    check_first(first)
    catalog = info.context.services.catalog
    details = await movie.details(info)
    upstream = catalog.page_fetcher(ListSource(kind, (movie.tmdb_id,)), movie._language)
    embedded = details.get(kind)

    async def fetch(page: int) -> dict[str, Any]:
        # Page 1 came with the details (append_to_response): no extra call.
        if page == 1 and embedded is not None:
            names = await info.context.loaders.catalog.genre_names.load(movie._language)
            return {
                **embedded,
                "results": [_with_genre_names(item, names) for item in embedded.get("results", [])],
            }
        return await upstream(page)

    page = await info.context.services.lists.page(
        fetch, first, None, keep=await hidden_filter(info, include_hidden)
    )
    return [MovieType.from_tmdb(item, movie._language) for item in page.items]


async def person_movies(info: Info, person: PersonType, first: int, include_hidden: bool) -> list[MovieType]:
    check_first(first)
    details = await person.details(info)
    credits = details.get("movie_credits") or {}
    unique: dict[int, Item] = {}
    for item in [*credits.get("cast", []), *credits.get("crew", [])]:
        unique.setdefault(int(item["id"]), item)
    ranked = sorted(unique.values(), key=lambda item: -(item.get("popularity") or 0))
    keep = await hidden_filter(info, include_hidden)
    if keep is not None:
        ranked = [item for item, wanted in zip(ranked, await keep(ranked), strict=True) if wanted]
    names = await info.context.loaders.catalog.genre_names.load(person._language)
    return [MovieType.from_tmdb(_with_genre_names(item, names), person._language) for item in ranked[:first]]


def _with_genre_names(item: Item, names: dict[int, str]) -> Item:
    if "genres" in item:
        return item
    return {**item, "genres": [{"id": g, "name": names.get(g, str(g))} for g in item.get("genre_ids", [])]}


async def search(
    info: Info, query: str, first: int, after: str | None, language: str | None
) -> SearchResultConnection:
    check_first(first)
    text = query.strip()
    if not text:
        raise BadUserInput("query must not be empty.", field="query")
    if len(text) > MAX_SEARCH_LENGTH:
        raise BadUserInput(f"query must be at most {MAX_SEARCH_LENGTH} characters.", field="query")
    lang = await info.context.language(language)
    catalog = info.context.services.catalog
    movies = catalog.page_fetcher(ListSource("search_movies", (text, None)), lang)
    people = catalog.page_fetcher(ListSource("search_people", (text,)), lang)

    async def merged(page: int) -> dict[str, Any]:
        # One merged page = a page of movies and a page of people, most popular first.
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

    page = await info.context.services.lists.page(
        merged, first, after, keep=await hidden_filter(info, False), page_size=40
    )
    nodes: list[MovieType | PersonType] = [
        MovieType.from_tmdb(item, lang) if item["media_type"] == "movie" else PersonType.from_tmdb(item, lang)
        for item in page.items
    ]
    edges = [SearchResultEdge(cursor=c, node=n) for c, n in zip(page.cursors, nodes, strict=True)]
    return SearchResultConnection(
        edges=edges, nodes=nodes, page_info=_page_info(page), total_count=page.total_count
    )


async def refresh_cache(info: Info, movie_id: int | None = None) -> OkPayload:
    try:
        if movie_id is not None and movie_id < 1:
            raise UserErrors.one("MOVIE_NOT_FOUND", "No movie has this id.", "movieId")
        await info.context.services.catalog.refresh(movie_id)
        info.context.services.response_cache.clear()
    except UserErrors as errors:
        return OkPayload(ok=False, errors=UserError.from_errors(errors))
    return OkPayload(ok=True)
