"""The offline TMDb v3 app: routes under ``/3``, TMDb's auth, errors and pagination."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.applications import Starlette
from starlette.datastructures import Headers, QueryParams
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from reelgraph.integrations.mock_upstream.calls import counted_app
from reelgraph.integrations.mock_upstream.errors import (
    TmdbError,
    invalid_key,
    missing_query,
    not_found,
    tmdb_error_response,
)
from reelgraph.integrations.mock_upstream.faults import FaultConfig
from reelgraph.integrations.mock_upstream.params import parse_discover_query, parse_page, release_year
from reelgraph.integrations.mock_upstream.quirks import NO_QUIRKS, RealApiQuirks
from reelgraph.integrations.mock_upstream.release_dates import (
    admits,
    certification_list,
    has_certification_filter,
)
from reelgraph.integrations.mock_upstream.tables import CHANGE_KEYS, IMAGE_CONFIGURATION
from reelgraph.integrations.mock_upstream.tmdb_bodies import TmdbResponses, page_of, paged
from reelgraph.integrations.offline_catalog import Movie, OfflineCatalog, Person

APPEND_LIMIT = 20  # TMDb refuses more append_to_response parts than this


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


def _append_parts(params: Mapping[str, str]) -> list[str]:
    parts = [p.strip() for p in params.get("append_to_response", "").split(",") if p.strip()]
    if len(parts) > APPEND_LIMIT:
        raise TmdbError(400, 47, "The input is not valid.")
    return parts


class _TmdbEndpoints:
    """Route handlers of the TMDb app; all state lives in the catalog and ``TmdbResponses``."""

    def __init__(self, catalog: OfflineCatalog, quirks: RealApiQuirks) -> None:
        self.catalog = catalog
        self.quirks = quirks
        self.r = TmdbResponses(catalog, quirks)

    def _page(self, request: Request) -> int:
        return parse_page(request.query_params, validation_errors=self.quirks.validation_errors)

    def _query(self, request: Request) -> str:
        """A search's ``query``; TMDb refuses a search without one (422), the plain mock finds nothing."""
        query = request.query_params.get("query", "")
        if self.quirks.validation_errors and not query.strip():
            raise missing_query()
        return query

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
        page = self._page(request)
        return JSONResponse(self.r.envelope(self.catalog.trending(window), page, media_type="movie"))

    async def popular(self, request: Request) -> JSONResponse:
        page = self._page(request)
        return JSONResponse(self.r.envelope(self.catalog.popular(), page))

    async def top_rated(self, request: Request) -> JSONResponse:
        page = self._page(request)
        return JSONResponse(self.r.envelope(self.catalog.top_rated(), page))

    async def now_playing(self, request: Request) -> JSONResponse:
        page = self._page(request)
        listing = self.catalog.now_playing()
        dates = {"maximum": listing.maximum, "minimum": listing.minimum}
        return JSONResponse(self.r.envelope(listing.movie_ids, page, dates=dates))

    async def upcoming(self, request: Request) -> JSONResponse:
        page = self._page(request)
        listing = self.catalog.upcoming()
        dates = {"maximum": listing.maximum, "minimum": listing.minimum}
        return JSONResponse(self.r.envelope(listing.movie_ids, page, dates=dates))

    async def discover(self, request: Request) -> JSONResponse:
        page = self._page(request)
        query = parse_discover_query(request.query_params)
        found = self.catalog.discover(query)
        params = request.query_params
        if has_certification_filter(params):
            region = params.get("certification_country", "").upper()
            found = tuple(i for i in found if (m := self.catalog.movie(i)) and admits(m, region, params))
        return JSONResponse(self.r.envelope(found, page))

    async def certification_list(self, request: Request) -> JSONResponse:
        return JSONResponse(certification_list())

    async def search_movie(self, request: Request) -> JSONResponse:
        params = request.query_params
        page = self._page(request)
        movies = self.catalog.search_movies(self._query(request), release_year(params))
        return JSONResponse(self.r.envelope([m.id for m in movies], page))

    async def search_person(self, request: Request) -> JSONResponse:
        page = self._page(request)
        people = self.catalog.search_people(self._query(request))
        results = [self.r.person_search_item(p) for p in page_of(people, page, self.r.pages)]
        return JSONResponse(paged(page, len(people), results, layout=self.r.pages))

    async def search_keyword(self, request: Request) -> JSONResponse:
        page = self._page(request)
        keywords = self.catalog.search_keywords(self._query(request))
        results = [{"id": k.id, "name": k.name} for k in page_of(keywords, page, self.r.pages)]
        return JSONResponse(paged(page, len(keywords), results, layout=self.r.pages))

    async def movie_details(self, request: Request) -> JSONResponse:
        movie = self._movie(request)
        params = request.query_params
        return JSONResponse(self.r.movie_details(movie, params.get("language"), _append_parts(params)))

    async def movie_part(self, request: Request) -> JSONResponse:
        movie = self._movie(request)
        part = request.path_params.get("part", "watch/providers")
        page = self._page(request) if part in ("similar", "recommendations") else 1
        body = self.r.movie_part(movie, part, page)
        if body is None:
            raise not_found()
        # Sub-resources carry the movie id; list envelopes do not.
        return JSONResponse(body if "page" in body else {"id": movie.id, **body})

    async def find(self, request: Request) -> JSONResponse:
        """/find/{external_id}: movies (tt...) and people (nm...) by IMDb id; TMDb answers an
        unknown id (or another source) with empty result lists, not a 404."""
        body = self.r.find_results()
        if request.query_params.get("external_source") == "imdb_id":
            external_id = request.path_params["external_id"]
            if (movie := self.catalog.movie_by_imdb_id(external_id)) is not None:
                body["movie_results"] = [{**self.r.item(movie), "media_type": "movie"}]
            if (person := self.catalog.person_by_imdb_id(external_id)) is not None:
                body["person_results"] = [{**self.r.person_search_item(person), "media_type": "person"}]
        return JSONResponse(body)

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
    catalog: OfflineCatalog,
    faults: FaultConfig | None = None,
    *,
    required_key: str | None = None,
    quirks: RealApiQuirks = NO_QUIRKS,
) -> Starlette:
    """TMDb v3 API (paths under ``/3``). With ``required_key`` set, other keys get 401;
    ``quirks`` turns on real-API behaviours (see ``RealApiQuirks``)."""
    api = _TmdbEndpoints(catalog, quirks)
    routes = [
        Mount(
            "/3",
            routes=[
                Route("/configuration", api.configuration),
                Route("/genre/movie/list", api.genre_list),
                Route("/certification/movie/list", api.certification_list),
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
                Route("/find/{external_id:str}", api.find),
                Route("/person/{person_id:int}", api.person_details),
                Route("/person/{person_id:int}/{part:str}", api.person_part),
            ],
        )
    ]
    return counted_app(
        catalog,
        routes,
        faults,
        inner=[Middleware(TmdbAuthMiddleware, required_key=required_key)],
        exception_handlers={TmdbError: _tmdb_error_handler, HTTPException: _tmdb_error_handler},
    )
