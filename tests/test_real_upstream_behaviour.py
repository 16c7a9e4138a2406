"""What the real TMDb and OMDb do, through HTTP against the mock upstream with its real-API quirks
on (or a small upstream of the test's own): 19-21-item pages, OMDb's unknown ids and daily quota,
TMDb's 422 bodies, ads/free offers, unvoted and adult movies, untranslated French texts, totals."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as examples
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from reelgraph.config import Settings
from reelgraph.integrations.mock_upstream import RealApiQuirks, create_omdb_app, create_tmdb_app
from tests.catalog_fixtures import (
    DISCOVER,
    MATRIX,
    TRENDING,
    catalog,
    fresh_database,
    ids,
    isolated_app,
    nodes,
)
from tests.helpers import GraphQLClient

Json = Any
Edit = Callable[[str, dict[str, str], Json], Json]

VARIABLE_PAGES = RealApiQuirks(variable_pages=True)
FIRSTS = (1, 19, 20, 21, 30, 100)


class Rewriting:
    """A proxy in front of a mock upstream app that edits its JSON bodies (what the mock cannot
    play: adult titles, empty translations, unknown IMDb ids) and records each request's query."""

    def __init__(self, inner: ASGIApp, edit: Edit, refuse: dict[str, tuple[int, Json]] | None = None) -> None:
        self.inner = inner
        self.edit = edit
        self.refuse = refuse or {}  # path -> the status and body answered instead
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.app = Starlette(routes=[Route("/{path:path}", self.forward)])

    async def forward(self, request: Request) -> Response:
        params = dict(request.query_params)
        self.requests.append((request.url.path, params))
        if request.url.path in self.refuse:
            status, body = self.refuse[request.url.path]
            return JSONResponse(body, status)
        transport = httpx.ASGITransport(app=self.inner)
        async with httpx.AsyncClient(transport=transport, base_url="http://inner") as http:
            answer = await http.get(request.url.path, params=params, headers=dict(request.headers))
        return JSONResponse(self.edit(request.url.path, params, answer.json()), answer.status_code)

    def paths(self, path: str) -> int:
        return sum(1 for seen, _ in self.requests if seen == path)


async def ok(gql: GraphQLClient, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    body = await gql(query, variables or {})
    assert "errors" not in body, body["errors"]
    return body["data"]  # type: ignore[no-any-return]  # JSON


async def walk(gql: GraphQLClient, query: str, field: str, first: int, **variables: Any) -> list[int]:
    """Every item of a connection, page by page; each page is as long as asked but the last."""
    found: list[int] = []
    after = None
    for _ in range(1000):
        page = (await ok(gql, query, {**variables, "first": first, "after": after}))[field]
        if page["pageInfo"]["hasNextPage"]:
            assert len(page["edges"]) == first
        found += ids(page)
        if not page["pageInfo"]["hasNextPage"]:
            return found
        after = page["pageInfo"]["endCursor"]
    raise AssertionError("the list never ended")


# -- cursors count items: a property over page layouts and page sizes ---------------------------------


class LayoutUpstream:
    """A tiny TMDb serving one list of movies, cut into pages of the sizes the test chooses, at
    every list endpoint reelgraph pages through (and as a movie's similar and recommendations)."""

    BASE_ID = 7_000_000
    MOVIE = 6_999_999

    def __init__(self) -> None:
        self.sizes: list[int] = [20]
        routes = [
            Route("/3/configuration", self.configuration),
            Route("/3/genre/movie/list", self.genres),
            Route("/3/trending/movie/{window}", self.listing),
            Route("/3/movie/popular", self.listing),
            Route("/3/discover/movie", self.listing),
            Route("/3/search/movie", self.listing),
            Route("/3/search/person", self.nobody),
            Route("/3/movie/{movie_id:int}/{part}", self.listing),
            Route("/3/movie/{movie_id:int}", self.details),
        ]
        self.app = Starlette(routes=routes)

    @property
    def ids(self) -> list[int]:
        return [self.BASE_ID + n for n in range(1, sum(self.sizes) + 1)]

    def envelope(self, page: int) -> Json:
        start = sum(self.sizes[: page - 1])
        chunk = self.ids[start : start + self.sizes[page - 1]] if page <= len(self.sizes) else []
        results = [
            {
                "adult": False,
                "id": movie_id,
                "title": f"Movie {movie_id}",
                "overview": "",
                "genre_ids": [878],
                "popularity": float(10_000_000 - movie_id),  # search sorts by it: the list order
                "release_date": "2001-01-01",
                "vote_average": 7.0,
                "vote_count": 10,
            }
            for movie_id in chunk
        ]
        total = sum(self.sizes)
        return {"page": page, "results": results, "total_pages": len(self.sizes), "total_results": total}

    async def configuration(self, request: Request) -> JSONResponse:
        return JSONResponse({"images": {"secure_base_url": "https://image.example/t/p/"}})

    async def genres(self, request: Request) -> JSONResponse:
        return JSONResponse({"genres": [{"id": 878, "name": "Science Fiction"}]})

    async def nobody(self, request: Request) -> JSONResponse:
        return JSONResponse({"page": 1, "results": [], "total_pages": 1, "total_results": 0})

    async def listing(self, request: Request) -> JSONResponse:
        return JSONResponse(self.envelope(int(request.query_params.get("page", "1"))))

    async def details(self, request: Request) -> JSONResponse:
        movie_id = request.path_params["movie_id"]
        return JSONResponse(
            {
                "id": movie_id,
                "title": "The one with the lists",
                "runtime": 100,
                "genres": [{"id": 878, "name": "Science Fiction"}],
                "similar": self.envelope(1),
                "recommendations": self.envelope(1),
            }
        )


SEARCH = """query($first: Int, $after: String) { search(query: "movie", first: $first, after: $after) {
  edges { node { ... on Movie { tmdbId } } } pageInfo { hasNextPage endCursor } } }"""
GENRE_MOVIES = """query($first: Int, $after: String) { node(id: "R2VucmU6ODc4") { ... on Genre {
  movies(first: $first, after: $after) { edges { node { tmdbId } } pageInfo { hasNextPage endCursor } } } } }"""
MOVIES = """query($first: Int, $after: String) { movies(list: POPULAR, first: $first, after: $after) {
  edges { node { tmdbId } } pageInfo { hasNextPage endCursor } } }"""
RELATED = """query($id: Int!, $first: Int) { movie(tmdbId: $id) {
  similar(first: $first) { tmdbId } recommendations(first: $first) { tmdbId } } }"""

layouts = st.tuples(
    st.lists(st.integers(19, 21), min_size=0, max_size=2),
    st.integers(1, 21),  # the last page is often short
).map(lambda pages: [*pages[0], pages[1]])


async def test_paging_any_list_to_its_end_serves_every_item_once_in_order(settings: Settings) -> None:
    upstream = LayoutUpstream()
    overrides: dict[str, Any] = {
        "cache_ttl_list_seconds": 0,
        "cache_ttl_search_seconds": 0,
        "cache_ttl_details_seconds": 0,
    }
    async with isolated_app(settings, tmdb=upstream.app, **overrides) as env:

        async def check(sizes: list[int], first: int) -> None:
            upstream.sizes = sizes
            expected = upstream.ids
            assert await walk(env.gql, TRENDING, "trending", first) == expected
            assert await walk(env.gql, MOVIES, "movies", first) == expected
            assert await walk(env.gql, DISCOVER, "discover", first, filter={}) == expected
            assert await walk(env.gql, SEARCH, "search", first) == expected
            genre = await walk_genre(env.gql, first)
            assert genre == expected
            related = (await ok(env.gql, RELATED, {"id": LayoutUpstream.MOVIE, "first": 100}))["movie"]
            assert [m["tmdbId"] for m in related["similar"]] == expected[:100]
            assert [m["tmdbId"] for m in related["recommendations"]] == expected[:100]

        @examples(
            max_examples=6,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(layouts, st.sampled_from(FIRSTS))
        def run(sizes: list[int], first: int) -> None:
            # Hypothesis drives a synchronous function: the requests run on the test's own loop.
            asyncio.run_coroutine_threadsafe(check(sizes, first), loop).result()

        loop = asyncio.get_running_loop()
        await asyncio.to_thread(run)
        # The layouts the issue names, whatever hypothesis drew.
        await check([21, 20, 19, 20, 5], 20)
        await check([19, 19, 3], 19)
        await check([21, 21], 21)


async def walk_genre(gql: GraphQLClient, first: int) -> list[int]:
    found: list[int] = []
    after = None
    while True:
        page = (await ok(gql, GENRE_MOVIES, {"first": first, "after": after}))["node"]["movies"]
        found += [edge["node"]["tmdbId"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return found
        after = page["pageInfo"]["endCursor"]


# -- the mock's own 19-21-item pages ----------------------------------------------------------------------


async def mock_list(tmdb: ASGIApp, path: str, params: dict[str, str]) -> tuple[list[int], int]:
    """A list as the mock serves it, page after page: its ids and its total."""
    found: list[int] = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=tmdb), base_url="http://mock") as http:
        page = 1
        while True:
            body = (await http.get(path, params={**params, "page": str(page)})).json()
            found += [item["id"] for item in body["results"]]
            if page >= body["total_pages"]:
                return found, body["total_results"]
            page += 1


@pytest.mark.parametrize("first", FIRSTS)
async def test_the_mock_pages_of_19_to_21_items_are_served_whole(settings: Settings, first: int) -> None:
    tmdb = create_tmdb_app(catalog(), quirks=VARIABLE_PAGES)
    expected, total = await mock_list(
        tmdb, "/3/discover/movie", {"with_original_language": "fr", "sort_by": "popularity.desc"}
    )
    async with isolated_app(settings, tmdb=tmdb) as env:
        walked = await walk(env.gql, DISCOVER, "discover", first, filter={"originalLanguage": "fr"})
        assert walked == expected and len(set(walked)) == total
        page = await ok(env.gql, DISCOVER, {"filter": {"originalLanguage": "fr"}, "first": first})
        assert page["discover"]["totalCount"] == total


async def test_trending_first_0_gives_the_upstream_total(settings: Settings) -> None:
    tmdb = create_tmdb_app(catalog(), quirks=VARIABLE_PAGES)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=tmdb), base_url="http://mock") as http:
        total = (await http.get("/3/trending/movie/week")).json()["total_results"]
    async with isolated_app(settings, tmdb=tmdb) as env:
        empty = (await ok(env.gql, TRENDING, {"first": 0}))["trending"]
        assert empty["totalCount"] == total and empty["edges"] == []
        assert empty["pageInfo"]["hasNextPage"] is True


async def test_totals_of_lists_filtered_here_are_null_until_counted(settings: Settings) -> None:
    tmdb = create_tmdb_app(catalog(), quirks=VARIABLE_PAGES)
    async with isolated_app(settings, tmdb=tmdb) as env:
        primary = {"genres": [878], "genreMatch": "PRIMARY"}
        partial = (await ok(env.gql, DISCOVER, {"filter": primary, "first": 5}))["discover"]
        assert partial["totalCount"] is None and partial["pageInfo"]["hasNextPage"] is True
        # Read to its end in one request: counted, so exact.
        small = {**primary, "originalLanguage": "fr"}
        whole = (await ok(env.gql, DISCOVER, {"filter": small, "first": 100}))["discover"]
        assert whole["pageInfo"]["hasNextPage"] is False
        assert whole["totalCount"] == len(whole["edges"])
        imdb = (await ok(env.gql, DISCOVER, {"filter": {"minImdbRating": 8.5}, "first": 5}))["discover"]
        assert imdb["totalCount"] is None or imdb["totalCount"] == len(imdb["edges"])


# -- OMDb: unknown titles, the daily quota -----------------------------------------------------------------

SCORES = "query($id: Int!) { movie(tmdbId: $id) { imdbId imdbRating metascore } }"


def with_imdb_id(movie_id: int, imdb_id: str) -> Edit:
    def edit(path: str, params: dict[str, str], body: Json) -> Json:
        if path == f"/3/movie/{movie_id}" and isinstance(body, dict):
            body = {**body, "imdb_id": imdb_id}
            if "external_ids" in body:
                body["external_ids"] = {**body["external_ids"], "imdb_id": imdb_id}
        return body

    return edit


def obscure_movies(count: int) -> list[int]:
    """The least popular movies of the catalog: no other test touches them (nor their mirror rows)."""
    return list(catalog().popular()[-count:])


@pytest.mark.parametrize(
    ("unknown", "rank"), [("tt9999998", 0), ("tt9999997", 1)], ids=["error getting data", "movie not found"]
)
async def test_omdb_not_found_is_a_cached_negative_answer(
    settings: Settings, caplog: pytest.LogCaptureFixture, unknown: str, rank: int
) -> None:
    movie_id = obscure_movies(2)[rank]
    tmdb = Rewriting(create_tmdb_app(catalog()), with_imdb_id(movie_id, unknown))
    omdb = create_omdb_app(catalog(), quirks=RealApiQuirks(omdb_unknown_ids=True))
    async with isolated_app(settings, tmdb=tmdb.app, omdb=omdb) as env:
        with caplog.at_level(logging.WARNING, logger="reelgraph"):
            for _ in range(2):
                movie = (await ok(env.gql, SCORES, {"id": movie_id}))["movie"]
                assert movie == {"imdbId": unknown, "imdbRating": None, "metascore": None}
            # The shared cache gone, the database mirror still knows the answer (once written: the
            # mirror is written behind the reads).
            await env.app.state.services.reader.mirror.flush()
            await env.app.state.services.reader.fetcher.clear()
            assert (await ok(env.gql, SCORES, {"id": movie_id}))["movie"]["imdbRating"] is None
        assert env.omdb_calls[f"/?i={unknown}"] == 1
        assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text


RATINGS = """query($f: MovieFilter!) { discover(filter: $f, first: 8) { nodes { tmdbId imdbRating } } }"""
LIMIT = 2


async def test_omdb_daily_quota_is_its_own_state(
    settings: Settings, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    # A database of its own: scores other tests mirrored would answer without OMDb.
    database_url = await fresh_database(tmp_path)
    omdb = create_omdb_app(catalog(), quirks=RealApiQuirks(omdb_daily_limit=LIMIT))
    async with isolated_app(settings, omdb=omdb, database_url=database_url) as env:
        with caplog.at_level(logging.WARNING):
            years = [{"f": {"yearFrom": year, "yearTo": year}} for year in (1962, 1971)]
            first = (await ok(env.gql, RATINGS, years[0]))["discover"]["nodes"]
            asked = sum(env.omdb_calls.values())
            later = (await ok(env.gql, RATINGS, years[1]))["discover"]["nodes"]
        # Past the quota: null scores and no error; then OMDb is not asked at all for a while.
        assert LIMIT < asked <= LIMIT + 8  # the allowed ones, then what was in flight with the first 401
        assert any(m["imdbRating"] is None for m in first) and all(m["imdbRating"] is None for m in later)
        assert sum(env.omdb_calls.values()) == asked
        assert env.app.state.services.upstreams.omdb_policy.breaker_state == "closed"
        quota_lines = [r for r in caplog.records if "daily request limit" in r.getMessage()]
        assert len(quota_lines) == 1, caplog.text
        assert "rejected our credentials" not in caplog.text  # the bad-key alert is still unspent
        assert not env.app.state.services.upstreams.omdb_policy._auth_failure_logged


async def test_tmdb_422_detail_is_logged(settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    # The body of TMDb's 422 (tmdb-api-samples/validation-error.json), for a request it refuses.
    refused = {"/3/search/person": (422, {"errors": ["query must be provided"]})}
    tmdb = Rewriting(create_tmdb_app(catalog()), lambda path, params, body: body, refused)
    async with isolated_app(settings, tmdb=tmdb.app) as env:
        with caplog.at_level(logging.WARNING):
            body = await env.gql('{ search(query: "keanu") { totalCount } }')
    assert body.get("errors")
    assert "HTTP 422" in caplog.text and "query must be provided" in caplog.text


# -- watch offers, votes, adult titles -----------------------------------------------------------------------

OFFERS = """query { movie(tmdbId: 603) { watchProviders(region: "US") {
  ads { tmdbId name } free { tmdbId name } flatrate { name } } } }"""


async def test_ads_and_free_offers_are_exposed(settings: Settings) -> None:
    async with isolated_app(
        settings, tmdb=create_tmdb_app(catalog(), quirks=RealApiQuirks(provider_offers=True))
    ) as env:
        offers = (await ok(env.gql, OFFERS))["movie"]["watchProviders"]
    assert [p["name"] for p in offers["ads"]] and [p["name"] for p in offers["free"]]
    assert {p["name"] for p in offers["ads"]}.isdisjoint({p["name"] for p in offers["flatrate"]})


async def test_vote_average_is_null_when_nobody_voted(settings: Settings) -> None:
    tmdb = create_tmdb_app(catalog(), quirks=RealApiQuirks(unvoted_movies=True))
    async with isolated_app(settings, tmdb=tmdb) as env:
        movies = nodes((await ok(env.gql, TRENDING, {"first": 60}))["trending"])
        unvoted = [m for m in movies if m["voteCount"] == 0]
        voted = [m for m in movies if m["voteCount"]]
        assert unvoted and all(m["voteAverage"] is None for m in unvoted)
        assert voted and all(m["voteAverage"] is not None for m in voted)
        single = "query($id: Int!) { movie(tmdbId: $id) { voteAverage voteCount } }"
        details = (await ok(env.gql, single, {"id": unvoted[0]["tmdbId"]}))["movie"]
        assert details == {"voteAverage": None, "voteCount": 0}


def adult_when_id_ends_in_3(path: str, params: dict[str, str], body: Json) -> Json:
    """Marks list items (and details) whose id ends in 3 as adult, as a TMDb that lets some through."""
    if isinstance(body, dict) and isinstance(body.get("results"), list):
        results = [{**item, "adult": item.get("id", 0) % 10 == 3} for item in body["results"]]
        return {**body, "results": results}
    return body


async def test_adult_titles_are_hidden_unless_asked_for(settings: Settings) -> None:
    tmdb = Rewriting(create_tmdb_app(catalog()), adult_when_id_ends_in_3)
    async with isolated_app(settings, tmdb=tmdb.app) as env:
        trending = ids((await ok(env.gql, TRENDING, {"first": 60}))["trending"])
        assert len(trending) == 60 and all(i % 10 != 3 for i in trending)
        hidden = (await ok(env.gql, DISCOVER, {"filter": {}, "first": 60}))["discover"]
        assert all(i % 10 != 3 for i in ids(hidden))
        assert hidden["totalCount"] is None  # some came through that TMDb counted: not exact
        shown = (await ok(env.gql, DISCOVER, {"filter": {"includeAdult": True}, "first": 60}))["discover"]
        assert any(i % 10 == 3 for i in ids(shown))
        search = '{ search(query: "the", first: 60) { nodes { ... on Movie { tmdbId } } } }'
        found = [n["tmdbId"] for n in (await ok(env.gql, search))["search"]["nodes"] if n]
        assert found and all(i % 10 != 3 for i in found)
    adult_flags = Counter(
        params.get("include_adult") for path, params in tmdb.requests if path == "/3/discover/movie"
    )
    assert adult_flags["true"] >= 1 and adult_flags["false"] >= 1 and None not in adult_flags


# -- language fallback ---------------------------------------------------------------------------------------

FRENCH = """query { movie(tmdbId: 603, language: "fr-FR") { title overview tagline genres { name } } }"""
ENGLISH = """query { movie(tmdbId: 603, language: "en-US") { title overview tagline } }"""
FRENCH_SEARCH = """query { search(query: "matrix", language: "fr-FR") {
  nodes { ... on Movie { tmdbId title overview } } } }"""


def untranslated_in_french(path: str, params: dict[str, str], body: Json) -> Json:
    """What TMDb sends in French for a movie nobody translated: empty texts (or none at all)."""
    if params.get("language") != "fr-FR" or not isinstance(body, dict):
        return body
    if path == f"/3/movie/{MATRIX}":
        return {**{k: v for k, v in body.items() if k != "tagline"}, "title": "", "overview": ""}
    if isinstance(body.get("results"), list):
        blank = [{**i, "title": "", "overview": ""} if i.get("id") == MATRIX else i for i in body["results"]]
        return {**body, "results": blank}
    return body


async def test_french_falls_back_to_english_texts(settings: Settings) -> None:
    tmdb = Rewriting(create_tmdb_app(catalog()), untranslated_in_french)
    async with isolated_app(settings, tmdb=tmdb.app) as env:
        english = (await ok(env.gql, ENGLISH))["movie"]
        french = (await ok(env.gql, FRENCH))["movie"]
        assert english["title"] == "The Matrix" and english["overview"] and english["tagline"]
        assert {k: french[k] for k in english} == english
        assert "Science-Fiction" in [g["name"] for g in french["genres"]]  # French genre names as today
        again = (await ok(env.gql, FRENCH))["movie"]
        assert again["title"] == "The Matrix"
        assert tmdb.paths(f"/3/movie/{MATRIX}") == 2  # French once, English once, both cached
        found = (await ok(env.gql, FRENCH_SEARCH))["search"]["nodes"]
        matrix = [m for m in found if m.get("tmdbId") == MATRIX]
        assert matrix == [{"tmdbId": MATRIX, "title": "The Matrix", "overview": english["overview"]}]
