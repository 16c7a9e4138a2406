"""TMDb v3 and OMDb compatible ASGI apps backed by the offline catalog.

reelgraph's real TMDb/OMDb clients talk to these apps in-process (``httpx.ASGITransport``) when no API
key is configured, and ``reelgraph mock-upstream`` serves them over HTTP as a deterministic upstream
for tests and load/fault testing. Responses have TMDb's and OMDb's real shapes; what the offline data
cannot provide is answered the way the real APIs answer "nothing":

* no images: ``poster_path``/``backdrop_path``/``profile_path`` are null (``/3/configuration`` is
  still the real one, so clients build URLs the usual way);
* no videos and no watch providers: empty ``results``; ``discover`` with ``with_watch_providers``
  returns no movies, whatever ``watch_region`` is;
* ``language=fr-FR`` localises genre names only (the data has no French titles or overviews);
  ``region`` and ``include_adult`` are accepted and ignored (no per-region dates, no adult titles);
* the data ends in 2018: ``now_playing`` and ``upcoming`` are release-date windows at the end of the
  data (see ``OfflineCatalog.now_playing`` / ``upcoming``), ``trending`` is popularity-based.

Every app counts requests in ``app.state.calls`` (a ``Counter`` keyed by path, plus the ``i``/``t``/``s``
parameter for OMDb) so tests can assert how many upstream calls a query made; ``reset_calls(app)``
clears it. ``FaultConfig`` adds latency, random 503s, "timeouts" and a 429 rate limit.
"""

from __future__ import annotations

import asyncio
import math
import random
import re
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from starlette.applications import Starlette
from starlette.datastructures import Headers, QueryParams
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from reelgraph.integrations.offline_catalog import (
    DEFAULT_SORT,
    SORT_FIELDS,
    DiscoverQuery,
    IdFilter,
    Movie,
    OfflineCatalog,
    Person,
)

PAGE_SIZE = 20
MAX_PAGE = 500
OMDB_PAGE_SIZE = 10
APPEND_LIMIT = 20  # TMDb refuses more append_to_response parts than this

IMAGE_CONFIGURATION: dict[str, Any] = {
    "base_url": "http://image.tmdb.org/t/p/",
    "secure_base_url": "https://image.tmdb.org/t/p/",
    "backdrop_sizes": ["w300", "w780", "w1280", "original"],
    "logo_sizes": ["w45", "w92", "w154", "w185", "w300", "w500", "original"],
    "poster_sizes": ["w92", "w154", "w185", "w342", "w500", "w780", "original"],
    "profile_sizes": ["w45", "w185", "h632", "original"],
    "still_sizes": ["w92", "w185", "w300", "original"],
}
CHANGE_KEYS = [
    "adult", "also_known_as", "alternative_titles", "biography", "birthday", "budget", "cast",
    "crew", "deathday", "genres", "homepage", "images", "imdb_id", "keywords", "name",
    "original_language", "original_title", "overview", "place_of_birth", "popularity",
    "production_companies", "production_countries", "release_dates", "revenue", "runtime",
    "spoken_languages", "status", "tagline", "title", "translations", "videos",
]  # fmt: skip

# English names for spoken languages (the extract stores native names, TMDb adds english_name).
LANGUAGE_NAMES: dict[str, str] = {
    "ar": "Arabic", "cn": "Cantonese", "cs": "Czech", "da": "Danish", "de": "German", "el": "Greek",
    "en": "English", "es": "Spanish", "fa": "Persian", "fi": "Finnish", "fr": "French",
    "he": "Hebrew", "hi": "Hindi", "hu": "Hungarian", "id": "Indonesian", "it": "Italian",
    "ja": "Japanese", "ko": "Korean", "la": "Latin", "nl": "Dutch", "no": "Norwegian", "pl": "Polish",
    "pt": "Portuguese", "ro": "Romanian", "ru": "Russian", "sv": "Swedish", "ta": "Tamil",
    "te": "Telugu", "th": "Thai", "tr": "Turkish", "uk": "Ukrainian", "vi": "Vietnamese",
    "xx": "No Language", "zh": "Mandarin",
}  # fmt: skip
# OMDb spells a few countries differently from TMDb.
OMDB_COUNTRY_NAMES = {"United States of America": "United States"}
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_IMDB_ID = re.compile(r"^tt\d{7,}$")
NA = "N/A"

JsonDict = dict[str, Any]


# -------------------------------------------------------------------------------------------- errors


class TmdbError(Exception):
    """Raised by TMDb handlers; rendered as TMDb's ``{status_code, status_message, success}``."""

    def __init__(self, http_status: int, status_code: int, message: str) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.status_code = status_code
        self.message = message

    def response(self) -> JSONResponse:
        return tmdb_error_response(self.http_status, self.status_code, self.message)


def tmdb_error_response(
    http_status: int, status_code: int, message: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    body = {"status_code": status_code, "status_message": message, "success": False}
    return JSONResponse(body, status_code=http_status, headers=headers)


def omdb_error_response(
    message: str, http_status: int = 200, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"Response": "False", "Error": message}, status_code=http_status, headers=headers)


# Factories, not shared instances: a raised exception keeps its traceback, so reuse would leak frames.
def not_found() -> TmdbError:
    return TmdbError(404, 34, "The resource you requested could not be found.")


def invalid_page() -> TmdbError:
    return TmdbError(400, 22, "Invalid page: Pages start at 1 and max at 500.")


def invalid_key() -> TmdbError:
    return TmdbError(401, 7, "Invalid API key: You must be granted a valid key.")


# -------------------------------------------------------------------------------------------- faults


@dataclass(frozen=True, slots=True)
class FaultConfig:
    """Faults injected in front of the mock apps.

    ``error_rate``/``timeout_rate`` are probabilities per request (drawn from ``random.Random(seed)``
    in arrival order, so a seed makes a run reproducible); ``rate_limit`` is requests per second over
    a sliding one-second window (0 = off); a "timeout" sleeps ``timeout_seconds`` then answers 504.
    """

    latency_ms: int = 0
    error_rate: float = 0.0
    rate_limit: int = 0
    timeout_rate: float = 0.0
    seed: int | None = None
    timeout_seconds: float = 30.0

    @property
    def active(self) -> bool:
        return bool(self.latency_ms or self.error_rate or self.rate_limit or self.timeout_rate)


class FaultMiddleware:
    """Pure ASGI middleware applying a ``FaultConfig``; answers in TMDb or OMDb error shape."""

    def __init__(
        self,
        app: ASGIApp,
        config: FaultConfig,
        omdb_prefix: str | None = None,
        exempt_paths: Sequence[str] = (),
    ) -> None:
        self.app = app
        self.config = config
        self.omdb_prefix = omdb_prefix  # paths under it get OMDb-shaped errors
        self.exempt_paths = frozenset(exempt_paths)
        self._rng = random.Random(config.seed)
        self._recent: deque[float] = deque()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.exempt_paths:
            await self.app(scope, receive, send)
            return
        omdb = self.omdb_prefix is not None and scope["path"].startswith(self.omdb_prefix)
        config = self.config
        retry_after = self._over_rate_limit()
        if retry_after is not None:
            headers = {"Retry-After": str(retry_after)}
            if omdb:
                response = omdb_error_response("Request limit reached!", 429, headers)
            else:
                message = f"Your request count (#) is over the allowed limit of ({config.rate_limit})."
                response = tmdb_error_response(429, 25, message, headers)
            await response(scope, receive, send)
            return
        # Draw both numbers on every request so the sequence depends only on the seed.
        error_draw, timeout_draw = self._rng.random(), self._rng.random()
        if config.latency_ms:
            await asyncio.sleep(config.latency_ms / 1000)
        if error_draw < config.error_rate:
            response = (
                omdb_error_response("Service temporarily unavailable.", 503)
                if omdb
                else tmdb_error_response(
                    503, 9, "Service offline - This service is temporarily offline, try again later."
                )
            )
        elif timeout_draw < config.timeout_rate:
            await asyncio.sleep(config.timeout_seconds)
            response = (
                omdb_error_response("Request timed out.", 504)
                if omdb
                else tmdb_error_response(504, 24, "Your request to the backend server timed out. Try again.")
            )
        else:
            await self.app(scope, receive, send)
            return
        await response(scope, receive, send)

    def _over_rate_limit(self) -> int | None:
        """Seconds to wait if this request is over the limit, else None (and count it)."""
        limit = self.config.rate_limit
        if limit <= 0:
            return None
        now = time.monotonic()
        while self._recent and now - self._recent[0] >= 1.0:
            self._recent.popleft()
        if len(self._recent) >= limit:
            return max(1, math.ceil(1.0 - (now - self._recent[0])))
        self._recent.append(now)
        return None


# ------------------------------------------------------------------------------------- call counting

CallKey = Callable[[Scope], str]


def path_call_key(scope: Scope) -> str:
    return scope["path"]


def omdb_call_key(scope: Scope) -> str:
    """OMDb has one path; the identifying parameter makes the counts useful."""
    params = QueryParams(scope.get("query_string", b""))
    for name in ("i", "t", "s"):
        if name in params:
            key = f"{scope['path']}?{name}={params[name]}"
            return f"{key}&y={params['y']}" if name == "t" and "y" in params else key
    return scope["path"]


class CallCounterMiddleware:
    """Counts every HTTP request (faulted ones too: the client did make the call)."""

    def __init__(
        self,
        app: ASGIApp,
        calls: Counter[str],
        key: CallKey = path_call_key,
        exempt_paths: Sequence[str] = (),
    ) -> None:
        self.app = app
        self.calls = calls
        self.key = key
        self.exempt_paths = frozenset(exempt_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] not in self.exempt_paths:
            self.calls[self.key(scope)] += 1
        await self.app(scope, receive, send)


def reset_calls(app: Starlette) -> None:
    """Clear the call counts of ``app`` and of the apps mounted in it (cleared in place)."""
    app.state.calls.clear()
    for child in getattr(app.state, "children", ()):
        reset_calls(child)


# ---------------------------------------------------------------------------------------------- auth


class TmdbAuthMiddleware:
    """TMDb auth: ``api_key`` query parameter (v3) or ``Authorization: Bearer <token>``."""

    def __init__(self, app: ASGIApp, required_key: str | None) -> None:
        self.app = app
        self.required_key = required_key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.required_key is not None:
            api_key = QueryParams(scope.get("query_string", b"")).get("api_key")
            authorization = Headers(scope=scope).get("authorization", "")
            scheme, _, token = authorization.partition(" ")
            bearer = token.strip() if scheme.lower() == "bearer" else None
            if self.required_key not in (api_key, bearer):
                await invalid_key().response()(scope, receive, send)
                return
        await self.app(scope, receive, send)


# ------------------------------------------------------------------------------------ TMDb responses


def parse_page(params: Mapping[str, str]) -> int:
    raw = params.get("page", "1").strip() or "1"
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        raise invalid_page()
    return int(raw)


def _number(params: Mapping[str, str], name: str, kind: Callable[[str], float | int]) -> Any:
    """A numeric query parameter, or None when absent or not a number (TMDb ignores those)."""
    raw = params.get(name, "").strip()
    try:
        return kind(raw) if raw else None
    except ValueError:
        return None


def _date(params: Mapping[str, str], *names: str) -> str | None:
    for name in names:
        raw = params.get(name, "").strip()[:10]
        if _DATE.match(raw):
            return raw
    return None


def _id_list(raw: str | None) -> tuple[int, ...]:
    return tuple(int(p) for p in re.split(r"[,|]", raw or "") if p.strip().isdigit())


def parse_discover_query(params: Mapping[str, str]) -> DiscoverQuery:
    """TMDb ``/discover/movie`` query parameters -> ``DiscoverQuery``."""
    sort_by = params.get("sort_by", DEFAULT_SORT).strip() or DEFAULT_SORT
    field_name, _, direction = sort_by.partition(".")
    if field_name not in SORT_FIELDS or direction not in ("asc", "desc"):
        sort_by = DEFAULT_SORT
    year = _number(params, "primary_release_year", int)
    if year is None:
        year = _number(params, "year", int)
    return DiscoverQuery(
        with_genres=IdFilter.parse(params.get("with_genres")),
        without_genres=_id_list(params.get("without_genres")),
        release_date_gte=_date(params, "primary_release_date.gte", "release_date.gte"),
        release_date_lte=_date(params, "primary_release_date.lte", "release_date.lte"),
        year=year,
        vote_average_gte=_number(params, "vote_average.gte", float),
        vote_average_lte=_number(params, "vote_average.lte", float),
        vote_count_gte=_number(params, "vote_count.gte", int),
        vote_count_lte=_number(params, "vote_count.lte", int),
        runtime_gte=_number(params, "with_runtime.gte", int),
        runtime_lte=_number(params, "with_runtime.lte", int),
        original_languages=tuple(
            code for code in re.split(r"[,|]", params.get("with_original_language", "").strip()) if code
        ),
        with_people=IdFilter.parse(params.get("with_people")),
        with_cast=IdFilter.parse(params.get("with_cast")),
        with_crew=IdFilter.parse(params.get("with_crew")),
        with_keywords=IdFilter.parse(params.get("with_keywords")),
        without_keywords=_id_list(params.get("without_keywords")),
        with_watch_providers=bool(params.get("with_watch_providers", "").strip()),
        sort_by=sort_by,
    )


def credit_id(movie_id: int, person_id: int, kind: int) -> str:
    """A stable 24-hex credit id, shaped like TMDb's (which are Mongo ObjectIds)."""
    return f"{movie_id:012x}{person_id:08x}{kind:04x}"[-24:]


class TmdbResponses:
    """Builds TMDb v3 JSON bodies from the catalog. List items are built once per movie."""

    def __init__(self, catalog: OfflineCatalog) -> None:
        self.catalog = catalog
        self._items: dict[int, JsonDict] = {}

    def item(self, movie: Movie) -> JsonDict:
        """TMDb list item; shared between responses, so callers copy before adding keys."""
        cached = self._items.get(movie.id)
        if cached is None:
            cached = {
                "adult": False,
                "backdrop_path": None,
                "genre_ids": list(movie.genre_ids),
                "id": movie.id,
                "original_language": movie.original_language,
                "original_title": movie.original_title,
                "overview": movie.overview,
                "popularity": movie.popularity,
                "poster_path": None,
                "release_date": movie.release_date,
                "title": movie.title,
                "video": False,
                "vote_average": movie.vote_average,
                "vote_count": movie.vote_count,
            }
            self._items[movie.id] = cached
        return cached

    def envelope(self, movie_ids: Sequence[int], page: int, **extra: Any) -> JsonDict:
        start = (page - 1) * PAGE_SIZE
        movies = self.catalog.movies(movie_ids[start : start + PAGE_SIZE])
        media_type = extra.pop("media_type", None)  # trending items say what they are
        results = [
            self.item(m) if media_type is None else {**self.item(m), "media_type": media_type} for m in movies
        ]
        total = len(movie_ids)
        return {
            "page": page,
            "results": results,
            "total_pages": max(1, math.ceil(total / PAGE_SIZE)),
            "total_results": total,
            **extra,
        }

    def person_summary(self, person: Person) -> JsonDict:
        return {
            "adult": False,
            "gender": 0,
            "id": person.id,
            "known_for_department": person.known_for_department,
            "name": person.name,
            "original_name": person.name,
            "popularity": person.popularity,
            "profile_path": None,
        }

    def credits(self, movie: Movie) -> JsonDict:
        cast = [
            {
                **self.person_summary(person),
                "cast_id": order + 1,
                "character": None,  # the sources do not say which role a star played
                "credit_id": credit_id(movie.id, person.id, 0),
                "order": order,
            }
            for order, person in enumerate(self.catalog.people(movie.cast_ids))
        ]
        crew = [
            {
                **self.person_summary(person),
                "credit_id": credit_id(movie.id, person.id, 1),
                "department": "Directing",
                "job": "Director",
            }
            for person in self.catalog.people(movie.director_ids)
        ]
        return {"cast": cast, "crew": crew}

    def movie_part(self, movie: Movie, part: str, page: int = 1) -> JsonDict | None:
        """One ``append_to_response`` part (or sub-resource) of a movie; None if unknown."""
        match part:
            case "credits":
                return self.credits(movie)
            case "videos":
                return {"results": []}
            case "images":
                return {"backdrops": [], "logos": [], "posters": []}
            case "keywords":
                return {"keywords": [{"id": k.id, "name": k.name} for k in self.catalog.keywords_of(movie)]}
            case "external_ids":
                return {
                    "imdb_id": movie.imdb_id,
                    "wikidata_id": None,
                    "facebook_id": None,
                    "instagram_id": None,
                    "twitter_id": None,
                }
            case "alternative_titles":
                return {"titles": [{"iso_3166_1": "", "title": t, "type": ""} for t in movie.alt_titles]}
            case "watch/providers":
                return {"results": {}}
            case "similar":
                return self.envelope(self.catalog.similar(movie.id), page)
            case "recommendations":
                return self.envelope(self.catalog.recommendations(movie.id), page)
        return None

    def movie_details(self, movie: Movie, language: str | None, append: Sequence[str]) -> JsonDict:
        body: JsonDict = {
            "adult": False,
            "backdrop_path": None,
            "belongs_to_collection": None,
            "budget": movie.budget,
            "genres": [
                {"id": g.id, "name": g.localized(language)}
                for gid in movie.genre_ids
                if (g := self.catalog.genre(gid)) is not None
            ],
            "homepage": movie.homepage,
            "id": movie.id,
            "imdb_id": movie.imdb_id,
            "origin_country": [],
            "original_language": movie.original_language,
            "original_title": movie.original_title,
            "overview": movie.overview,
            "popularity": movie.popularity,
            "poster_path": None,
            "production_companies": [
                {"id": c["id"], "logo_path": None, "name": c["name"], "origin_country": ""}
                for c in movie.production_companies
            ],
            "production_countries": list(movie.production_countries),
            "release_date": movie.release_date,
            "revenue": movie.revenue,
            "runtime": movie.runtime,
            "spoken_languages": [
                {
                    "english_name": LANGUAGE_NAMES.get(s["iso_639_1"], s["name"]),
                    "iso_639_1": s["iso_639_1"],
                    "name": s["name"],
                }
                for s in movie.spoken_languages
            ],
            "status": movie.status,
            "tagline": movie.tagline,
            "title": movie.title,
            "video": False,
            "vote_average": movie.vote_average,
            "vote_count": movie.vote_count,
        }
        for part in append:
            value = self.movie_part(movie, part)
            if value is not None:
                body[part] = value
        return body

    def movie_credits_of(self, person: Person) -> JsonDict:
        cast = []
        for movie in self.catalog.movies(person.cast_movie_ids):
            order = movie.cast_ids.index(person.id)
            cast.append(
                {
                    **self.item(movie),
                    "character": None,
                    "credit_id": credit_id(movie.id, person.id, 0),
                    "order": order,
                }
            )
        crew = [
            {
                **self.item(movie),
                "credit_id": credit_id(movie.id, person.id, 1),
                "department": "Directing",
                "job": "Director",
            }
            for movie in self.catalog.movies(person.directed_movie_ids)
        ]
        return {"cast": cast, "crew": crew}

    def person_external_ids(self, person: Person) -> JsonDict:
        # The sources carry no external ids for people.
        return {
            "imdb_id": None,
            "facebook_id": None,
            "instagram_id": None,
            "tiktok_id": None,
            "twitter_id": None,
            "wikidata_id": None,
            "youtube_id": None,
        }

    def person_details(self, person: Person, append: Sequence[str]) -> JsonDict:
        body: JsonDict = {
            **self.person_summary(person),
            "also_known_as": [],
            "biography": "",
            "birthday": None,
            "deathday": None,
            "homepage": None,
            "imdb_id": None,
            "place_of_birth": None,
        }
        if "movie_credits" in append:
            body["movie_credits"] = self.movie_credits_of(person)
        if "external_ids" in append:
            body["external_ids"] = self.person_external_ids(person)
        return body

    def person_search_item(self, person: Person) -> JsonDict:
        known_for = self.catalog.movies(self.catalog.person_movies(person.id)[:3])
        return {
            **self.person_summary(person),
            "known_for": [{**self.item(m), "media_type": "movie"} for m in known_for],
        }


# ----------------------------------------------------------------------------------------- TMDb app


def _append_parts(params: Mapping[str, str]) -> list[str]:
    parts = [p.strip() for p in params.get("append_to_response", "").split(",") if p.strip()]
    if len(parts) > APPEND_LIMIT:
        raise TmdbError(400, 47, "The input is not valid.")
    return parts


class _TmdbEndpoints:
    """Route handlers of the TMDb app; all state lives in the catalog and ``TmdbResponses``."""

    def __init__(self, catalog: OfflineCatalog) -> None:
        self.catalog = catalog
        self.r = TmdbResponses(catalog)

    def _movie(self, request: Request) -> Movie:
        movie = self.catalog.movie(request.path_params["movie_id"])
        if movie is None:
            raise not_found()
        return movie

    def _person(self, request: Request) -> Person:
        person = self.catalog.person(request.path_params["person_id"])
        if person is None:
            raise not_found()
        return person

    async def configuration(self, request: Request) -> JSONResponse:
        return JSONResponse({"images": IMAGE_CONFIGURATION, "change_keys": CHANGE_KEYS})

    async def genre_list(self, request: Request) -> JSONResponse:
        language = request.query_params.get("language")
        return JSONResponse({"genres": [g._asdict() for g in self.catalog.genres(language)]})

    async def trending(self, request: Request) -> JSONResponse:
        window = request.path_params["window"]
        if window not in ("day", "week"):
            raise not_found()
        page = parse_page(request.query_params)
        return JSONResponse(self.r.envelope(self.catalog.trending(window), page, media_type="movie"))

    async def popular(self, request: Request) -> JSONResponse:
        page = parse_page(request.query_params)
        return JSONResponse(self.r.envelope(self.catalog.popular(), page))

    async def top_rated(self, request: Request) -> JSONResponse:
        page = parse_page(request.query_params)
        return JSONResponse(self.r.envelope(self.catalog.top_rated(), page))

    async def now_playing(self, request: Request) -> JSONResponse:
        page = parse_page(request.query_params)
        listing = self.catalog.now_playing()
        dates = {"maximum": listing.maximum, "minimum": listing.minimum}
        return JSONResponse(self.r.envelope(listing.movie_ids, page, dates=dates))

    async def upcoming(self, request: Request) -> JSONResponse:
        page = parse_page(request.query_params)
        listing = self.catalog.upcoming()
        dates = {"maximum": listing.maximum, "minimum": listing.minimum}
        return JSONResponse(self.r.envelope(listing.movie_ids, page, dates=dates))

    async def discover(self, request: Request) -> JSONResponse:
        page = parse_page(request.query_params)
        query = parse_discover_query(request.query_params)
        return JSONResponse(self.r.envelope(self.catalog.discover(query), page))

    async def search_movie(self, request: Request) -> JSONResponse:
        params = request.query_params
        page = parse_page(params)
        year = _number(params, "primary_release_year", int)
        if year is None:
            year = _number(params, "year", int)
        movies = self.catalog.search_movies(params.get("query", ""), year)
        return JSONResponse(self.r.envelope([m.id for m in movies], page))

    async def search_person(self, request: Request) -> JSONResponse:
        page = parse_page(request.query_params)
        people = self.catalog.search_people(request.query_params.get("query", ""))
        start = (page - 1) * PAGE_SIZE
        return JSONResponse(
            {
                "page": page,
                "results": [self.r.person_search_item(p) for p in people[start : start + PAGE_SIZE]],
                "total_pages": max(1, math.ceil(len(people) / PAGE_SIZE)),
                "total_results": len(people),
            }
        )

    async def search_keyword(self, request: Request) -> JSONResponse:
        page = parse_page(request.query_params)
        keywords = self.catalog.search_keywords(request.query_params.get("query", ""))
        start = (page - 1) * PAGE_SIZE
        return JSONResponse(
            {
                "page": page,
                "results": [{"id": k.id, "name": k.name} for k in keywords[start : start + PAGE_SIZE]],
                "total_pages": max(1, math.ceil(len(keywords) / PAGE_SIZE)),
                "total_results": len(keywords),
            }
        )

    async def movie_details(self, request: Request) -> JSONResponse:
        movie = self._movie(request)
        params = request.query_params
        return JSONResponse(self.r.movie_details(movie, params.get("language"), _append_parts(params)))

    async def movie_part(self, request: Request) -> JSONResponse:
        movie = self._movie(request)
        params = request.query_params
        part = request.path_params.get("part", "watch/providers")
        page = parse_page(params) if part in ("similar", "recommendations") else 1
        body = self.r.movie_part(movie, part, page)
        if body is None:
            raise not_found()
        # Sub-resources carry the movie id; list envelopes do not.
        return JSONResponse(body if "page" in body else {"id": movie.id, **body})

    async def person_details(self, request: Request) -> JSONResponse:
        person = self._person(request)
        return JSONResponse(self.r.person_details(person, _append_parts(request.query_params)))

    async def person_part(self, request: Request) -> JSONResponse:
        person = self._person(request)
        part = request.path_params["part"]
        if part == "movie_credits":
            return JSONResponse({"id": person.id, **self.r.movie_credits_of(person)})
        if part == "external_ids":
            return JSONResponse({"id": person.id, **self.r.person_external_ids(person)})
        raise not_found()


async def _tmdb_error_handler(request: Request, exc: Exception) -> Response:
    if isinstance(exc, TmdbError):
        return exc.response()
    if isinstance(exc, HTTPException) and exc.status_code != 404:
        return tmdb_error_response(exc.status_code, 3, exc.detail)
    return not_found().response()


def create_tmdb_app(
    catalog: OfflineCatalog, faults: FaultConfig | None = None, *, required_key: str | None = None
) -> Starlette:
    """TMDb v3 API (paths under ``/3``). With ``required_key`` set, other keys get 401."""
    api = _TmdbEndpoints(catalog)
    routes = [
        Mount(
            "/3",
            routes=[
                Route("/configuration", api.configuration),
                Route("/genre/movie/list", api.genre_list),
                Route("/trending/movie/{window:str}", api.trending),
                Route("/movie/popular", api.popular),
                Route("/movie/top_rated", api.top_rated),
                Route("/movie/now_playing", api.now_playing),
                Route("/movie/upcoming", api.upcoming),
                Route("/discover/movie", api.discover),
                Route("/search/movie", api.search_movie),
                Route("/search/person", api.search_person),
                Route("/search/keyword", api.search_keyword),
                Route("/movie/{movie_id:int}", api.movie_details),
                # "watch/providers" is the one sub-resource with a slash in it.
                Route("/movie/{movie_id:int}/watch/providers", api.movie_part, name="watch_providers"),
                Route("/movie/{movie_id:int}/{part:str}", api.movie_part),
                Route("/person/{person_id:int}", api.person_details),
                Route("/person/{person_id:int}/{part:str}", api.person_part),
            ],
        )
    ]
    calls: Counter[str] = Counter()
    middleware = [Middleware(CallCounterMiddleware, calls=calls)]
    if faults is not None and faults.active:
        middleware.append(Middleware(FaultMiddleware, config=faults))
    middleware.append(Middleware(TmdbAuthMiddleware, required_key=required_key))
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={TmdbError: _tmdb_error_handler, HTTPException: _tmdb_error_handler},
    )
    app.state.catalog = catalog
    app.state.calls = calls
    return app


# ----------------------------------------------------------------------------------------- OMDb app


def _omdb_date(movie: Movie) -> str:
    if not movie.release_date or movie.date_precision != "day":
        return NA
    day = date.fromisoformat(movie.release_date)
    return f"{day.day:02d} {_MONTHS[day.month - 1]} {day.year}"


def omdb_record(catalog: OfflineCatalog, movie: Movie) -> JsonDict:
    """OMDb's ``?i=`` answer: strings everywhere, "N/A" for anything unknown."""
    imdb = movie.imdb
    ratings: list[JsonDict] = []
    if imdb is not None:
        ratings.append({"Source": "Internet Movie Database", "Value": f"{imdb.rating:.1f}/10"})
        if imdb.metascore is not None:
            ratings.append({"Source": "Metacritic", "Value": f"{imdb.metascore}/100"})
    genres = [g.name for gid in movie.genre_ids if (g := catalog.genre(gid)) is not None]
    languages = [LANGUAGE_NAMES.get(s["iso_639_1"], s["name"]) for s in movie.spoken_languages]
    countries = [OMDB_COUNTRY_NAMES.get(c["name"], c["name"]) for c in movie.production_countries]

    def joined(values: Sequence[str]) -> str:
        return ", ".join(values) if values else NA

    return {
        "Title": movie.title,
        "Year": str(movie.year) if movie.year else NA,
        "Rated": imdb.certificate if imdb and imdb.certificate else NA,
        "Released": _omdb_date(movie),
        "Runtime": f"{movie.runtime} min" if movie.runtime else NA,
        "Genre": joined(genres),
        "Director": joined([p.name for p in catalog.people(movie.director_ids)]),
        "Writer": NA,
        "Actors": joined([p.name for p in catalog.people(movie.cast_ids)]),
        "Plot": movie.overview or NA,
        "Language": joined(languages),
        "Country": joined(countries),
        "Awards": NA,
        "Poster": NA,
        "Ratings": ratings,
        "Metascore": str(imdb.metascore) if imdb and imdb.metascore is not None else NA,
        "imdbRating": f"{imdb.rating:.1f}" if imdb else NA,
        "imdbVotes": f"{imdb.votes:,}" if imdb else NA,
        "imdbID": movie.imdb_id or NA,
        "Type": "movie",
        "DVD": NA,
        "BoxOffice": f"${imdb.gross:,}" if imdb and imdb.gross else NA,
        "Production": NA,
        "Website": NA,
        "Response": "True",
    }


def create_omdb_app(
    catalog: OfflineCatalog, faults: FaultConfig | None = None, *, required_key: str | None = None
) -> Starlette:
    """OMDb API at ``/``: ``?i=`` (IMDb id), ``?t=&y=`` (title), ``?s=`` (search)."""

    async def omdb(request: Request) -> JSONResponse:
        params = request.query_params
        if required_key is not None and params.get("apikey") != required_key:
            return omdb_error_response("Invalid API key!", 401)
        if params.get("type") not in (None, "", "movie"):
            return omdb_error_response("Movie not found!")
        if "i" in params:
            imdb_id = params["i"].strip().lower()
            movie = catalog.movie_by_imdb_id(imdb_id) if _IMDB_ID.match(imdb_id) else None
            if movie is None:
                return omdb_error_response("Incorrect IMDb ID.")
            return JSONResponse(omdb_record(catalog, movie))
        year = _number(params, "y", int)
        if params.get("t", "").strip():
            movie = catalog.find_by_title(params["t"], year)
            if movie is None:
                return omdb_error_response("Movie not found!")
            return JSONResponse(omdb_record(catalog, movie))
        if params.get("s", "").strip():
            return _omdb_search(params["s"], year, params)
        return omdb_error_response("Something went wrong.")

    def _omdb_search(query: str, year: int | None, params: Mapping[str, str]) -> JSONResponse:
        found = [m for m in catalog.search_movies(query, year) if m.imdb_id]
        page = _number(params, "page", int) or 1
        start = (page - 1) * OMDB_PAGE_SIZE
        chunk = found[start : start + OMDB_PAGE_SIZE]
        if not chunk:
            return omdb_error_response("Movie not found!")
        results = [
            {
                "Title": m.title,
                "Year": str(m.year) if m.year else NA,
                "imdbID": m.imdb_id,
                "Type": "movie",
                "Poster": NA,
            }
            for m in chunk
        ]
        return JSONResponse({"Search": results, "totalResults": str(len(found)), "Response": "True"})

    calls: Counter[str] = Counter()
    middleware = [Middleware(CallCounterMiddleware, calls=calls, key=omdb_call_key)]
    if faults is not None and faults.active:
        middleware.append(Middleware(FaultMiddleware, config=faults, omdb_prefix="/"))
    app = Starlette(routes=[Route("/", omdb)], middleware=middleware)
    app.state.catalog = catalog
    app.state.calls = calls
    return app


# ------------------------------------------------------------------------------------- combined app

CALLS_PATH = "/__calls"
OMDB_MOUNT = "/omdb"


class _OmdbSlashMiddleware:
    """``/omdb?i=..`` -> ``/omdb/?i=..``: clients join "/" onto the base URL differently."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == OMDB_MOUNT:
            scope = {**scope, "path": f"{OMDB_MOUNT}/", "raw_path": f"{OMDB_MOUNT}/".encode()}
        await self.app(scope, receive, send)


def _combined_call_key(scope: Scope) -> str:
    return omdb_call_key(scope) if scope["path"].startswith(OMDB_MOUNT) else scope["path"]


def create_mock_upstream_app(
    catalog: OfflineCatalog | None = None,
    faults: FaultConfig | None = None,
    tmdb_key: str | None = None,
    omdb_key: str | None = None,
) -> Starlette:
    """TMDb at ``/3``, OMDb at ``/omdb``, call counts at ``GET /__calls`` (``DELETE`` resets).

    Faults apply once, here, in front of both APIs (``/__calls`` is exempt).
    """
    catalog = catalog or OfflineCatalog.load()
    tmdb = create_tmdb_app(catalog, required_key=tmdb_key)
    omdb = create_omdb_app(catalog, required_key=omdb_key)
    calls: Counter[str] = Counter()

    async def call_counts(request: Request) -> JSONResponse:
        if request.method == "DELETE":
            reset_calls(request.app)
            return JSONResponse({"total": 0, "calls": {}})
        return JSONResponse({"total": calls.total(), "calls": dict(sorted(calls.items()))})

    middleware = [
        Middleware(_OmdbSlashMiddleware),
        Middleware(CallCounterMiddleware, calls=calls, key=_combined_call_key, exempt_paths=[CALLS_PATH]),
    ]
    if faults is not None and faults.active:
        middleware.append(
            Middleware(FaultMiddleware, config=faults, omdb_prefix=OMDB_MOUNT, exempt_paths=[CALLS_PATH])
        )
    app = Starlette(
        routes=[
            Route(CALLS_PATH, call_counts, methods=["GET", "DELETE"]),
            Mount(OMDB_MOUNT, app=omdb),
            Mount("", app=tmdb),
        ],
        middleware=middleware,
    )
    app.state.catalog = catalog
    app.state.calls = calls
    app.state.children = (tmdb, omdb)
    return app


def run_mock_upstream(
    host: str,
    port: int,
    latency_ms: int,
    error_rate: float,
    rate_limit: int,
    *,
    timeout_rate: float = 0.0,
    seed: int | None = None,
    tmdb_key: str | None = None,
    omdb_key: str | None = None,
    log_level: Literal["critical", "error", "warning", "info", "debug"] = "info",
) -> None:
    """Serve the combined mock upstream with uvicorn until interrupted (blocking)."""
    import uvicorn  # only the standalone server needs it

    faults = FaultConfig(
        latency_ms=latency_ms,
        error_rate=error_rate,
        rate_limit=rate_limit,
        timeout_rate=timeout_rate,
        seed=seed,
    )
    app = create_mock_upstream_app(faults=faults, tmdb_key=tmdb_key, omdb_key=omdb_key)
    uvicorn.run(app, host=host, port=port, log_level=log_level)
