"""Query.genres, movie (by TMDb or IMDb id), person, trending, movies, discover, search; Mutation.refreshCache.

Each function is the field: its signature is the GraphQL one. It validates, calls one service or
loader, and wraps the plain data it gets back.
"""

from __future__ import annotations

from reelgraph.errors import BadUserInput, UserErrorCode, UserErrors
from reelgraph.integrations.tmdb import normalized_imdb_id
from reelgraph.schema.catalog.certifications import Certification, region_argument
from reelgraph.schema.catalog.inputs import MovieFilter, MovieList, MovieSort, TimeWindow, TrendingSource
from reelgraph.schema.catalog.types import Genre, Movie, MovieConnection, Person, SearchResultConnection
from reelgraph.schema.context import Info
from reelgraph.schema.errors import OkPayload, user_errors
from reelgraph.schema.pagination import page_size
from reelgraph.services import discovery

MAX_SEARCH_LENGTH = 200


async def genres(info: Info, language: str | None = None) -> list[Genre]:
    lang = await info.context.language(language)
    names = await info.context.loaders.genre_names.load(lang)
    return Genre.many(names, names, lang)


async def movie(
    info: Info, tmdb_id: int | None = None, imdb_id: str | None = None, language: str | None = None
) -> Movie | None:
    """Exactly one of the two ids. A well-formed IMDb id TMDb does not know is null, like an
    unknown TMDb id; one that is not an IMDb title id at all (tt and digits) is BAD_USER_INPUT."""
    if (tmdb_id is None) == (imdb_id is None):
        raise BadUserInput("Give exactly one of tmdbId and imdbId.")
    if imdb_id is not None:
        if normalized_imdb_id(imdb_id) is None:
            raise BadUserInput("imdbId must be an IMDb title id such as 'tt0133093'.", field="imdbId")
        tmdb_id = await info.context.services.reader.movie_id_for_imdb(imdb_id)
    if tmdb_id is None:
        return None
    lang = await info.context.language(language)
    details = await info.context.loaders.movie.load((tmdb_id, lang))
    return Movie.from_tmdb(details, lang) if details else None


async def person(info: Info, tmdb_id: int, language: str | None = None) -> Person | None:
    lang = await info.context.language(language)
    details = await info.context.loaders.person.load((tmdb_id, lang))
    return Person.from_tmdb(details, lang, details=True) if details else None


async def trending(
    info: Info,
    window: TimeWindow | None = TimeWindow.WEEK,
    source: TrendingSource | None = TrendingSource.TMDB,
    first: int | None = 20,
    after: str | None = None,
    include_hidden: bool | None = False,
    language: str | None = None,
) -> MovieConnection:
    size = page_size(first)
    lang = await info.context.language(language)
    browse, loaders = info.context.services.browse, info.context.loaders
    days = (window or TimeWindow.WEEK).value
    if source == TrendingSource.COMMUNITY:
        community = await browse.community_trending(loaders, days, size, after, bool(include_hidden), lang)
        if community is not None:
            return MovieConnection.of_page(community, lang, TrendingSource.COMMUNITY)
    page = await browse.trending(loaders, days, size, after, bool(include_hidden), lang)
    return MovieConnection.of_page(page, lang, TrendingSource.TMDB)


async def movies(
    info: Info,
    list: MovieList,
    first: int | None = 20,
    after: str | None = None,
    region: str | None = None,
    include_hidden: bool | None = False,
    language: str | None = None,
) -> MovieConnection:
    if region is not None and not discovery.REGION_RE.match(region):
        raise BadUserInput("region must be an ISO 3166-1 code such as 'US'.", field="region")
    size = page_size(first)
    lang = await info.context.language(language)
    page = await info.context.services.browse.movie_list(
        info.context.loaders,
        list.value,
        region.upper() if region else None,
        size,
        after,
        bool(include_hidden),
        lang,
    )
    return MovieConnection.of_page(page, lang)


async def discover(
    info: Info,
    filter: MovieFilter,
    sort: MovieSort | None = MovieSort.POPULARITY_DESC,
    first: int | None = 20,
    after: str | None = None,
    include_hidden: bool | None = False,
    language: str | None = None,
) -> MovieConnection:
    size = page_size(first)
    spec = filter.to_spec()
    discovery.validate(spec)
    lang = await info.context.language(language)
    page = await info.context.services.browse.discover(
        info.context.loaders,
        spec,
        (sort or MovieSort.POPULARITY_DESC).value,
        size,
        after,
        bool(include_hidden),
        lang,
    )
    return MovieConnection.of_page(page, lang)


async def search(
    info: Info, query: str, first: int | None = 20, after: str | None = None, language: str | None = None
) -> SearchResultConnection:
    size = page_size(first)
    text = query.strip()
    if not text:
        raise BadUserInput("query must not be empty.", field="query")
    if len(text) > MAX_SEARCH_LENGTH:
        raise BadUserInput(f"query must be at most {MAX_SEARCH_LENGTH} characters.", field="query")
    lang = await info.context.language(language)
    page = await info.context.services.browse.search(info.context.loaders, text, size, after, lang)
    return SearchResultConnection.of_page(page, lang)


async def certifications(info: Info, region: str) -> list[Certification]:
    """A region's certification system, youngest audience first; empty for a region without one."""
    code = region_argument(region)
    systems = await info.context.services.reader.certification_systems()
    return Certification.system(systems.get(code, []))


@user_errors(OkPayload)
async def refresh_cache(info: Info, movie_id: int | None = None) -> OkPayload:
    if movie_id is not None and movie_id < 1:
        raise UserErrors.one(UserErrorCode.MOVIE_NOT_FOUND, "No movie has this id.", "movieId")
    await info.context.services.catalog.refresh(movie_id)
    info.context.services.response_cache.clear()
    return OkPayload(ok=True)
