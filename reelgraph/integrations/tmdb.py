"""TMDb v3 client: thin async methods returning TMDb's raw JSON dicts.

Every request goes through the shared UpstreamPolicy. The httpx client's
base_url already ends in "/3" (real TMDb or the offline mock app), so paths
here start at "/movie", "/search", ... and offline/online differ only in transport.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

from reelgraph.integrations.errors import UpstreamNotFound
from reelgraph.integrations.http_policy import UpstreamPolicy

TrendingWindow = Literal["day", "week"]
MovieListKind = Literal["popular", "top_rated", "upcoming", "now_playing"]
GenreMatch = Literal["ANY", "ALL", "PRIMARY"]
DiscoverSort = Literal[
    "POPULARITY_DESC",
    "RELEASE_DATE_DESC",
    "RELEASE_DATE_ASC",
    "VOTE_AVERAGE_DESC",
    "TITLE_ASC",
    "IMDB_RATING_DESC",
]
ImageKind = Literal["poster", "profile", "backdrop"]

MAX_PAGE = 500  # TMDb rejects page > 500 with a 400
MAX_APPEND_PARTS = 20  # TMDb's limit for append_to_response
DEFAULT_LANGUAGE = "en-US"
# One lean shape for every details read: what Movie's fields read from the details (credits, videos,
# keywords, ids, providers), so a list page costs one small request per movie and any later field of
# the same movie is a cache hit. Not similar and recommendations: two 20-movie pages, three quarters
# of the body, that only Movie.similar/recommendations read; they fetch their own page (cached).
DEFAULT_MOVIE_APPEND: tuple[str, ...] = (
    "credits",
    "videos",
    "keywords",
    "external_ids",
    "watch/providers",
)
PERSON_APPEND: tuple[str, ...] = ("movie_credits", "external_ids")
# Without it, a vote_average sort puts one-vote films at 10.0 on top.
VOTE_AVERAGE_SORT_MIN_VOTES = 50

_WINDOWS = frozenset({"day", "week"})
_LIST_KINDS = frozenset({"popular", "top_rated", "upcoming", "now_playing"})
_SORTS: dict[str, str] = {
    "POPULARITY_DESC": "popularity.desc",
    "RELEASE_DATE_DESC": "primary_release_date.desc",
    "RELEASE_DATE_ASC": "primary_release_date.asc",
    "VOTE_AVERAGE_DESC": "vote_average.desc",
    "TITLE_ASC": "title.asc",
    # TMDb cannot sort by IMDb rating; fetch by popularity and let the caller re-sort.
    "IMDB_RATING_DESC": "popularity.desc",
}
_IMAGE_SIZES: dict[str, dict[str, str]] = {
    "poster": {"SMALL": "w185", "MEDIUM": "w342", "LARGE": "w780", "ORIGINAL": "original"},
    "profile": {"SMALL": "w45", "MEDIUM": "w185", "LARGE": "h632", "ORIGINAL": "original"},
    "backdrop": {"SMALL": "w300", "MEDIUM": "w780", "LARGE": "w1280", "ORIGINAL": "original"},
}
_RAW_TMDB_SIZE = re.compile(r"^(?:[wh]\d{1,4}|original)$")
# IMDb title ids: "tt" and 7 digits (8 for newer titles); anything else cannot be one.
IMDB_TITLE_ID = re.compile(r"^tt[0-9]{7,10}$")  # [0-9]: \d also takes other scripts' digits


def normalized_imdb_id(value: str) -> str | None:
    """``value`` as an IMDb title id ("tt0133093"), or None when it is not one."""
    candidate = value.strip().lower()
    return candidate if IMDB_TITLE_ID.fullmatch(candidate) else None


# -- discover ---------------------------------------------------------------------------------------


@dataclass(slots=True)
class DiscoverQuery:
    """Our discover filters, independent of TMDb's parameter names."""

    genres: list[int] = field(default_factory=list)
    genre_match: GenreMatch = "ANY"
    exclude_genres: list[int] = field(default_factory=list)
    year_from: int | None = None
    year_to: int | None = None
    min_vote_average: float | None = None
    min_vote_count: int | None = None
    runtime_min: int | None = None
    runtime_max: int | None = None
    original_language: str | None = None
    with_people: list[int] = field(default_factory=list)
    keyword_ids: list[int] = field(default_factory=list)
    watch_providers: list[int] = field(default_factory=list)
    watch_region: str | None = None
    sort: DiscoverSort = "POPULARITY_DESC"


def _ids(values: Sequence[int], sep: str) -> str:
    # De-duplicate, keep the caller's order (PRIMARY post-filtering is the caller's business).
    return sep.join(str(int(v)) for v in dict.fromkeys(values))


def _num(value: float) -> str:
    return f"{value:g}"


def discover_params(q: DiscoverQuery) -> dict[str, str]:
    """Map a DiscoverQuery onto TMDb /discover/movie query parameters (page/language excluded).

    - genre_match ALL joins genres with "," (AND); ANY and PRIMARY with "|" (OR).
      PRIMARY ("one of the movie's first two genres") cannot be expressed in TMDb,
      so the caller post-filters the OR result.
    - with_people, with_keywords and with_watch_providers are OR lists ("|").
    - VOTE_AVERAGE_DESC without min_vote_count adds vote_count.gte=50 so the top
      is not one-vote obscurities; IMDB_RATING_DESC maps to popularity.desc and
      the caller re-sorts by the OMDb rating.
    - watch providers need a region in TMDb; "US" is assumed when none is given.
    Raises ValueError for inverted ranges or an unknown sort/genre_match.
    """
    if q.sort not in _SORTS:
        raise ValueError(f"unknown sort {q.sort!r}")
    if q.genre_match not in ("ANY", "ALL", "PRIMARY"):
        raise ValueError(f"unknown genre_match {q.genre_match!r}")
    if q.year_from is not None and q.year_to is not None and q.year_from > q.year_to:
        raise ValueError("year_from is after year_to")
    if q.runtime_min is not None and q.runtime_max is not None and q.runtime_min > q.runtime_max:
        raise ValueError("runtime_min is greater than runtime_max")

    params: dict[str, str] = {"include_adult": "false", "sort_by": _SORTS[q.sort]}
    if q.genres:
        params["with_genres"] = _ids(q.genres, "," if q.genre_match == "ALL" else "|")
    if q.exclude_genres:
        # without_genres excludes a movie having any of them, so the separator is ",".
        params["without_genres"] = _ids(q.exclude_genres, ",")
    if q.year_from is not None:
        params["primary_release_date.gte"] = f"{q.year_from:04d}-01-01"
    if q.year_to is not None:
        params["primary_release_date.lte"] = f"{q.year_to:04d}-12-31"
    if q.min_vote_average is not None:
        params["vote_average.gte"] = _num(q.min_vote_average)
    if q.min_vote_count is not None:
        params["vote_count.gte"] = str(int(q.min_vote_count))
    elif q.sort == "VOTE_AVERAGE_DESC":
        params["vote_count.gte"] = str(VOTE_AVERAGE_SORT_MIN_VOTES)
    if q.runtime_min is not None:
        params["with_runtime.gte"] = str(int(q.runtime_min))
    if q.runtime_max is not None:
        params["with_runtime.lte"] = str(int(q.runtime_max))
    if q.original_language:
        params["with_original_language"] = q.original_language
    if q.with_people:
        params["with_people"] = _ids(q.with_people, "|")
    if q.keyword_ids:
        params["with_keywords"] = _ids(q.keyword_ids, "|")
    if q.watch_providers:
        params["with_watch_providers"] = _ids(q.watch_providers, "|")
        params["watch_region"] = (q.watch_region or "US").upper()
    elif q.watch_region:
        params["watch_region"] = q.watch_region.upper()
    return params


# -- images -----------------------------------------------------------------------------------------


def image_url(base: str, path: str | None, size: str, kind: ImageKind = "poster") -> str | None:
    """Full image URL from TMDb's configuration base (e.g. "https://image.tmdb.org/t/p/").

    `size` is one of our SMALL/MEDIUM/LARGE/ORIGINAL (case-insensitive), mapped per
    kind (poster, profile, backdrop); a raw TMDb size such as "w500" passes through.
    Returns None when the movie/person has no image.
    """
    if not path:
        return None
    if kind not in _IMAGE_SIZES:
        raise ValueError(f"unknown image kind {kind!r}")
    tmdb_size = _IMAGE_SIZES[kind].get(size.upper())
    if tmdb_size is None:
        if not _RAW_TMDB_SIZE.match(size):
            raise ValueError(f"unknown image size {size!r}")
        tmdb_size = size
    return f"{base.rstrip('/')}/{tmdb_size}/{path.lstrip('/')}"


# -- client -----------------------------------------------------------------------------------------


def _check_page(page: int) -> int:
    if not 1 <= page <= MAX_PAGE:
        raise ValueError(f"page must be between 1 and {MAX_PAGE}, got {page}")
    return page


def _check_id(value: int, what: str) -> int:
    if value < 1:
        raise ValueError(f"{what} must be a positive integer, got {value}")
    return value


class TMDbClient:
    """TMDb v3 endpoints used by reelgraph. Methods return the raw JSON dicts."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        policy: UpstreamPolicy,
        api_key: str | None = None,
        read_token: str | None = None,
    ) -> None:
        self._http = http
        self._policy = policy
        # v4 read token (Bearer) wins over the v3 api_key query parameter; neither for the offline mock.
        self._headers: dict[str, str] = {"Authorization": f"Bearer {read_token}"} if read_token else {}
        self._auth_params: dict[str, str] = {"api_key": api_key} if api_key and not read_token else {}

    async def _get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        merged = {**(params or {}), **self._auth_params}
        body: dict[str, Any] = await self._policy.get_json(
            self._http, path, params=merged or None, headers=self._headers or None
        )
        return body

    async def configuration(self) -> dict[str, Any]:
        """Image base URLs and sizes (cache it for a day)."""
        return await self._get("/configuration")

    async def genres(self, language: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
        return await self._get("/genre/movie/list", {"language": language})

    async def trending(
        self, window: TrendingWindow = "week", page: int = 1, language: str = DEFAULT_LANGUAGE
    ) -> dict[str, Any]:
        if window not in _WINDOWS:
            raise ValueError(f"window must be 'day' or 'week', got {window!r}")
        return await self._get(f"/trending/movie/{window}", {"page": _check_page(page), "language": language})

    async def movie_list(
        self,
        kind: MovieListKind,
        page: int = 1,
        language: str = DEFAULT_LANGUAGE,
        region: str | None = None,
    ) -> dict[str, Any]:
        if kind not in _LIST_KINDS:
            raise ValueError(f"unknown movie list {kind!r}")
        params: dict[str, Any] = {"page": _check_page(page), "language": language}
        if region:
            params["region"] = region.upper()
        return await self._get(f"/movie/{kind}", params)

    async def discover(
        self, params: dict[str, str], page: int = 1, language: str = DEFAULT_LANGUAGE
    ) -> dict[str, Any]:
        """/discover/movie with params from discover_params(); adult titles stay excluded."""
        merged: dict[str, Any] = {"include_adult": "false", **params}
        merged.update(page=_check_page(page), language=language)
        return await self._get("/discover/movie", merged)

    async def search_movies(
        self,
        query: str,
        page: int = 1,
        language: str = DEFAULT_LANGUAGE,
        year: int | None = None,
    ) -> dict[str, Any]:
        params: dict[str, Any] = {
            "query": query,
            "page": _check_page(page),
            "language": language,
            "include_adult": "false",
        }
        if year is not None:
            # primary_release_year: "Matrix 1999" means the original release, not a regional re-release.
            params["primary_release_year"] = year
        return await self._get("/search/movie", params)

    async def search_people(
        self, query: str, page: int = 1, language: str = DEFAULT_LANGUAGE
    ) -> dict[str, Any]:
        return await self._get(
            "/search/person",
            {"query": query, "page": _check_page(page), "language": language, "include_adult": "false"},
        )

    async def search_keywords(self, query: str, page: int = 1) -> dict[str, Any]:
        return await self._get("/search/keyword", {"query": query, "page": _check_page(page)})

    async def movie(
        self,
        movie_id: int,
        language: str = DEFAULT_LANGUAGE,
        append: Sequence[str] = DEFAULT_MOVIE_APPEND,
    ) -> dict[str, Any] | None:
        """Movie details plus `append` sub-resources in ONE request; None if TMDb has no such movie."""
        params: dict[str, Any] = {"language": language}
        parts = list(dict.fromkeys(append))
        if len(parts) > MAX_APPEND_PARTS:
            raise ValueError(f"append_to_response takes at most {MAX_APPEND_PARTS} parts, got {len(parts)}")
        if parts:
            params["append_to_response"] = ",".join(parts)
        if "videos" in parts:
            # Videos are filtered by `language`; also accept English and language-less trailers.
            lang = language.split("-", 1)[0]
            params["include_video_language"] = ",".join(dict.fromkeys([lang, "en", "null"]))
        try:
            return await self._get(f"/movie/{_check_id(movie_id, 'movie_id')}", params)
        except UpstreamNotFound:
            return None

    async def similar(self, movie_id: int, page: int = 1, language: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
        """Raises UpstreamNotFound for an unknown movie_id."""
        return await self._get(
            f"/movie/{_check_id(movie_id, 'movie_id')}/similar",
            {"page": _check_page(page), "language": language},
        )

    async def recommendations(
        self, movie_id: int, page: int = 1, language: str = DEFAULT_LANGUAGE
    ) -> dict[str, Any]:
        """Raises UpstreamNotFound for an unknown movie_id."""
        return await self._get(
            f"/movie/{_check_id(movie_id, 'movie_id')}/recommendations",
            {"page": _check_page(page), "language": language},
        )

    async def person(self, person_id: int, language: str = DEFAULT_LANGUAGE) -> dict[str, Any] | None:
        """Person details with movie_credits and external_ids; None if TMDb has no such person."""
        try:
            return await self._get(
                f"/person/{_check_id(person_id, 'person_id')}",
                {"language": language, "append_to_response": ",".join(PERSON_APPEND)},
            )
        except UpstreamNotFound:
            return None

    async def release_dates(self, movie_id: int) -> dict[str, Any] | None:
        """A movie's release dates and certifications per region; None if TMDb has no such movie."""
        try:
            return await self._get(f"/movie/{_check_id(movie_id, 'movie_id')}/release_dates")
        except UpstreamNotFound:
            return None

    async def movie_certifications(self) -> dict[str, Any]:
        """Every region's movie certification system (``certifications``: region -> levels)."""
        return await self._get("/certification/movie/list")

    async def find_by_imdb_id(self, imdb_id: str) -> dict[str, Any]:
        """/find by IMDb id: ``movie_results`` (and TMDb's other result lists, empty or not).
        Raises ValueError for something that is not an IMDb title id."""
        normalized = normalized_imdb_id(imdb_id)
        if normalized is None:
            raise ValueError(f"not an IMDb title id: {imdb_id!r}")
        return await self._get(f"/find/{normalized}", {"external_source": "imdb_id"})
