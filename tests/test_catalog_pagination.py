"""Cursor pagination of catalog connections over HTTP: page size limits, cursors that continue,
tampered cursors, page info, refilled pages, and no repeats when the upstream list shifts."""

from __future__ import annotations

import base64
import json
import math
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from reelgraph.config import Settings
from tests.catalog_fixtures import (
    DISCOVER,
    MOVIES,
    SCIENCE_FICTION,
    TRENDING,
    catalog,
    ids,
    isolated_app,
    nodes,
)
from tests.helpers import GraphQLClient, error_codes

SEARCH = """query($q: String!, $first: Int, $after: String) { search(query: $q, first: $first, after: $after) {
  edges { cursor } pageInfo { hasNextPage endCursor } } }"""
GENRE_MOVIES = """query($first: Int, $after: String) { node(id: "R2VucmU6ODc4") { ... on Genre {
  movies(first: $first, after: $after) { edges { cursor } } } } }"""
RELATED = "query($first: Int) { movie(tmdbId: 603) { similar(first: $first) { tmdbId } } }"


async def trending(gql: GraphQLClient, **variables: Any) -> dict[str, Any]:
    body = await gql(TRENDING, variables)
    assert "errors" not in body, body["errors"]
    return body["data"]["trending"]


MAC_BYTES = 10  # cursors end with a truncated HMAC the client cannot recompute


def _cursor(payload: bytes, mac: bytes = b"\0" * MAC_BYTES) -> str:
    """A list cursor in the server's own envelope, around arbitrary content, with a made-up MAC."""
    return base64.urlsafe_b64encode(b"rgl1" + payload + mac).decode().rstrip("=")


def _decoded(cursor: str) -> tuple[dict[str, Any], bytes]:
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    return json.loads(raw[4:-MAC_BYTES]), raw[-MAC_BYTES:]


# -- page size ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        (TRENDING, {}),
        (MOVIES, {"list": "POPULAR"}),
        (DISCOVER, {"filter": {}}),
        (SEARCH, {"q": "the"}),
        (GENRE_MOVIES, {}),
        (RELATED, {}),
    ],
    ids=["trending", "movies", "discover", "search", "genre-movies", "similar"],
)
async def test_first_is_capped_at_100(gql: GraphQLClient, query: str, variables: dict[str, Any]) -> None:
    too_many = await gql(query, {**variables, "first": 101})
    assert error_codes(too_many) == ["BAD_USER_INPUT"]
    assert "first" in too_many["errors"][0]["message"]
    negative = await gql(query, {**variables, "first": -1})
    assert error_codes(negative) == ["BAD_USER_INPUT"]


async def test_first_100_and_first_0(gql: GraphQLClient) -> None:
    page = await trending(gql, first=100)
    assert len(ids(page)) == len(set(ids(page))) == 100
    empty = await trending(gql, first=0)
    assert empty["edges"] == [] and empty["pageInfo"]["hasNextPage"] is True
    explicit_null = await gql(TRENDING, {"first": None})
    assert len(explicit_null["data"]["trending"]["edges"]) == 20  # null means the default


# -- walking pages -------------------------------------------------------------------------------------------


async def test_five_pages_give_the_first_hundred_movies(gql: GraphQLClient) -> None:
    walked: list[int] = []
    after = None
    for number in range(5):
        page = await trending(gql, first=20, after=after)
        info = page["pageInfo"]
        assert len(page["edges"]) == 20
        assert info["hasNextPage"] is True
        assert info["hasPreviousPage"] is (number > 0)
        assert info["startCursor"] == page["edges"][0]["cursor"]
        assert info["endCursor"] == page["edges"][-1]["cursor"]
        assert page["totalCount"] == catalog().movie_count
        walked += ids(page)
        after = info["endCursor"]
    assert len(set(walked)) == 100
    assert walked == ids(await trending(gql, first=100))  # the same movies, in the same order


async def test_after_an_edge_cursor_continues_right_after_that_edge(gql: GraphQLClient) -> None:
    page = await trending(gql, first=10, window="DAY")
    resumed = await trending(gql, first=5, window="DAY", after=page["edges"][4]["cursor"])
    assert ids(resumed) == ids(page)[5:10]
    # Page sizes may change between requests.
    bigger = await trending(gql, first=30, window="DAY", after=page["pageInfo"]["endCursor"])
    assert ids(bigger) == ids(await trending(gql, first=40, window="DAY"))[10:40]


async def test_the_last_page(gql: GraphQLClient) -> None:
    variables = {"filter": {"originalLanguage": "fr"}, "first": 50}
    first = (await gql(DISCOVER, variables))["data"]["discover"]
    total = first["totalCount"]
    assert 50 < total < 100 and first["pageInfo"]["hasNextPage"] is True
    last = (await gql(DISCOVER, {**variables, "after": first["pageInfo"]["endCursor"]}))["data"]["discover"]
    assert len(last["edges"]) == total - 50
    assert last["pageInfo"]["hasNextPage"] is False and last["pageInfo"]["hasPreviousPage"] is True
    assert not set(ids(first)) & set(ids(last))
    beyond = (await gql(DISCOVER, {**variables, "after": last["pageInfo"]["endCursor"]}))["data"]["discover"]
    assert beyond["edges"] == [] and beyond["pageInfo"]["hasNextPage"] is False


async def test_filtered_pages_are_refilled_and_never_repeat(gql: GraphQLClient) -> None:
    variables: dict[str, Any] = {
        "filter": {"genres": [SCIENCE_FICTION], "genreMatch": "PRIMARY"},
        "first": 40,
    }
    seen: list[int] = []
    for _ in range(3):
        page = (await gql(DISCOVER, variables))["data"]["discover"]
        assert len(page["edges"]) == 40 and page["pageInfo"]["hasNextPage"] is True
        assert all(SCIENCE_FICTION in [g["tmdbId"] for g in m["genres"]][:2] for m in nodes(page))
        seen += ids(page)
        variables["after"] = page["pageInfo"]["endCursor"]
    assert len(set(seen)) == 120


async def test_imdb_filter_pages_continue_where_the_scan_stopped(gql: GraphQLClient) -> None:
    query = """query($first: Int, $after: String) {
      discover(filter: {minImdbRating: 8.5}, first: $first, after: $after) {
        edges { node { tmdbId imdbRating } } pageInfo { hasNextPage endCursor } } }"""
    first = (await gql(query, {"first": 30}))["data"]["discover"]
    # At most 60 upstream movies are examined per request: a short page that says there is more.
    assert 0 < len(first["edges"]) < 30 and first["pageInfo"]["hasNextPage"] is True
    second = await gql(query, {"first": 2, "after": first["pageInfo"]["endCursor"]})
    second = second["data"]["discover"]
    assert len(second["edges"]) == 2
    movies = [e["node"] for e in first["edges"] + second["edges"]]
    assert all(m["imdbRating"] >= 8 for m in movies)
    assert len({m["tmdbId"] for m in movies}) == len(movies)


# -- bad cursors -----------------------------------------------------------------------------------------------


async def test_garbage_and_tampered_cursors_are_refused(gql: GraphQLClient) -> None:
    real = (await trending(gql, first=3))["pageInfo"]["endCursor"]
    fields, mac = _decoded(real)
    # The list it belongs to, the upstream page and the index on it, the seen-set key.
    assert set(fields) == {"l", "p", "i", "s"}
    users_cursor = base64.urlsafe_b64encode(b"rg1:user:3").decode()
    bad = {
        "garbage": "garbage",
        "not base64": "%%%",
        "another connection's cursor": users_cursor,
        "truncated": real[:-6],
        # Well-formed but edited: the offset changed, the signature kept.
        "edited offset": _cursor(json.dumps({"o": 50, "s": fields["s"]}).encode(), mac),
        "negative offset": _cursor(json.dumps({"o": -20, "s": fields["s"]}).encode()),
        "offset as text": _cursor(json.dumps({"o": "20", "s": fields["s"]}).encode()),
        "forged seen key": _cursor(json.dumps({"o": 20, "s": "../../etc"}).encode()),
        "not json": _cursor(b"{o:20"),
        "a list": _cursor(b"[20]"),
        "empty": "",
    }
    for name, cursor in bad.items():
        body = await gql(TRENDING, {"first": 3, "after": cursor})
        assert error_codes(body) == ["BAD_USER_INPUT"], name
        assert "after" in body["errors"][0]["message"], name
        assert body["data"] is None, name
    others = (
        (MOVIES, {"list": "TOP_RATED"}),
        (DISCOVER, {"filter": {}}),
        (SEARCH, {"q": "a"}),
        (GENRE_MOVIES, {}),
    )
    for query, variables in others:
        assert error_codes(await gql(query, {**variables, "after": "garbage"})) == ["BAD_USER_INPUT"]


# -- an upstream list that shifts between pages ------------------------------------------------------------------


class ShiftingTrending:
    """A tiny TMDb: every trending request first puts three brand-new movies at the top, the way a
    live trending list moves while a user scrolls. Keeps a snapshot of the list each call saw."""

    def __init__(self, base: int = 200) -> None:
        self.ids: list[int] = list(range(1, base + 1))
        self.snapshots: list[list[int]] = []
        self.app = Starlette(
            routes=[
                Route("/3/configuration", self.configuration),
                Route("/3/genre/movie/list", self.genres),
                Route("/3/trending/movie/{window}", self.trending),
            ]
        )

    async def configuration(self, request: Request) -> JSONResponse:
        return JSONResponse({"images": {"secure_base_url": "https://image.example/t/p/"}})

    async def genres(self, request: Request) -> JSONResponse:
        return JSONResponse({"genres": [{"id": 18, "name": "Drama"}]})

    async def trending(self, request: Request) -> JSONResponse:
        newest = 10_000 + len(self.snapshots) * 3
        self.ids = [newest + 1, newest + 2, newest + 3, *self.ids]
        self.snapshots.append(list(self.ids))
        page = int(request.query_params.get("page", "1"))
        chunk = self.ids[(page - 1) * 20 : page * 20]
        results = [
            {
                "id": movie_id,
                "title": f"Movie {movie_id}",
                "genre_ids": [18],
                "popularity": 1000.0 - index,
                "release_date": "2024-01-01",
                "media_type": "movie",
            }
            for index, movie_id in enumerate(chunk)
        ]
        return JSONResponse(
            {
                "page": page,
                "results": results,
                "total_pages": math.ceil(len(self.ids) / 20),
                "total_results": len(self.ids),
            }
        )


async def test_no_duplicates_across_pages_when_the_upstream_shifts(settings: Settings) -> None:
    upstream = ShiftingTrending()
    async with isolated_app(settings, tmdb=upstream.app, cache_ttl_list_seconds=0) as env:
        pages: list[list[int]] = []
        after = None
        for _ in range(3):
            body = await env.gql(TRENDING, {"first": 10, "after": after})
            assert "errors" not in body, body["errors"]
            page = body["data"]["trending"]
            assert len(page["edges"]) == 10 and page["pageInfo"]["hasNextPage"] is True
            pages.append(ids(page))
            after = page["pageInfo"]["endCursor"]
    served = [movie_id for page in pages for movie_id in page]
    assert len(set(served)) == 30, pages
    # The upstream did move under the pages: read naively by position, page 2 would have repeated
    # the end of page 1.
    assert len(upstream.snapshots) >= 3
    naive_page_two = upstream.snapshots[1][10:20]
    assert set(naive_page_two) & set(pages[0])
    assert pages[0] == upstream.snapshots[0][:10]
