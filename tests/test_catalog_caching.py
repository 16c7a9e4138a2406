"""Whole-response caching of anonymous catalog queries, and the admin's refreshCache."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from reelgraph.config import Settings
from reelgraph.integrations.mock_upstream import reset_calls
from tests.catalog_fixtures import MATRIX, isolated_app, make_admin
from tests.helpers import GraphQLClient, error_codes, register

HIT = "x-reelgraph-cache"
REFRESH = "mutation($id: Int) { refreshCache(movieId: $id) { ok errors { code field } } }"
MATRIX_PATH = f"/3/movie/{MATRIX}"


def unique(query: str) -> str:
    """The query with a comment no other test sends: its cache entry is this test's alone."""
    return f"# {uuid.uuid4().hex}\n{query}"


async def post(
    http: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None, **headers: str
) -> httpx.Response:
    response = await http.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response


# -- the whole-response cache ---------------------------------------------------------------------------


async def test_an_identical_anonymous_query_is_a_cache_hit(client: httpx.AsyncClient) -> None:
    query = unique("query($n: Int) { trending(first: $n) { nodes { tmdbId title } } }")
    first = await post(client, query, {"n": 3})
    assert HIT not in first.headers
    second = await post(client, query, {"n": 3})
    assert second.headers[HIT] == "hit"
    assert second.json() == first.json() and len(second.json()["data"]["trending"]["nodes"]) == 3
    # Different variables are a different answer.
    other = await post(client, query, {"n": 4})
    assert HIT not in other.headers and len(other.json()["data"]["trending"]["nodes"]) == 4


async def test_the_cache_keeps_languages_apart(client: httpx.AsyncClient) -> None:
    query = unique("{ movie(tmdbId: 603) { genres { name } } }")
    french = await post(client, query, **{"accept-language": "fr-FR"})
    english = await post(client, query, **{"accept-language": "en-US"})
    assert HIT not in english.headers
    assert [g["name"] for g in french.json()["data"]["movie"]["genres"]] == ["Action", "Science-Fiction"]
    assert [g["name"] for g in english.json()["data"]["movie"]["genres"]] == ["Action", "Science Fiction"]
    again = await post(client, query, **{"accept-language": "fr-FR"})
    assert again.headers[HIT] == "hit" and again.json() == french.json()


async def test_requests_with_authorization_are_never_served_from_the_cache(
    client: httpx.AsyncClient, gql: GraphQLClient
) -> None:
    query = unique("{ movie(tmdbId: 603) { title } }")
    token = (await register(gql))["accessToken"]
    for authorization in (f"Bearer {token}", "Bearer not-a-token"):
        for _ in range(2):
            response = await post(client, query, authorization=authorization)
            assert HIT not in response.headers
    # Even after the anonymous answer was cached.
    await post(client, query)
    assert (await post(client, query)).headers[HIT] == "hit"
    assert HIT not in (await post(client, query, authorization=f"Bearer {token}")).headers


async def test_mutations_and_failed_queries_are_never_served_from_the_cache(
    client: httpx.AsyncClient,
) -> None:
    mutation = unique('mutation { requestPasswordReset(email: "nobody@example.com") { ok } }')
    for _ in range(3):
        response = await post(client, mutation)
        assert HIT not in response.headers and response.json()["data"]["requestPasswordReset"]["ok"] is True
    failing = unique('{ search(query: "") { totalCount } }')
    for _ in range(2):
        response = await post(client, failing)
        assert HIT not in response.headers and error_codes(response.json()) == ["BAD_USER_INPUT"]


# -- refreshCache ---------------------------------------------------------------------------------------


async def test_refresh_cache_is_for_admins_only(gql: GraphQLClient) -> None:
    assert error_codes(await gql(REFRESH, {"id": MATRIX})) == ["UNAUTHENTICATED"]
    user = await register(gql)
    for variables in ({"id": MATRIX}, {}):
        forbidden = await gql(REFRESH, variables, token=user["accessToken"])
        assert error_codes(forbidden) == ["FORBIDDEN"] and forbidden["data"] is None


async def test_refresh_cache_makes_a_cached_movie_fetched_again(settings: Settings) -> None:
    query = "{ movie(tmdbId: 603) { title runtime } }"
    async with isolated_app(settings, response_cache_seconds=30) as env:
        admin = (await make_admin(env.gql, env.app))["accessToken"]
        user = (await register(env.gql))["accessToken"]
        reset_calls(env.tmdb)
        await post(env.http, query)
        assert (await post(env.http, query)).headers[HIT] == "hit"
        assert env.tmdb_calls[MATRIX_PATH] == 1

        refused = await env.gql(REFRESH, {"id": MATRIX}, token=user)
        assert error_codes(refused) == ["FORBIDDEN"]
        assert (await post(env.http, query)).headers[HIT] == "hit"  # a refused refresh dropped nothing

        refreshed = await env.gql(REFRESH, {"id": MATRIX}, token=admin)
        assert refreshed["data"]["refreshCache"] == {"ok": True, "errors": []}
        after = await post(env.http, query)
        assert HIT not in after.headers  # the whole-response cache was dropped too
        assert after.json()["data"]["movie"] == {"title": "The Matrix", "runtime": 136}
        assert env.tmdb_calls[MATRIX_PATH] == 2
        await post(env.http, query, authorization=f"Bearer {admin}")
        assert env.tmdb_calls[MATRIX_PATH] == 2  # cached again until the next refresh

        # Without a movie id everything is dropped: lists too.
        await env.gql("{ trending(first: 1) { nodes { tmdbId } } }", token=admin)
        lists_before = env.tmdb_calls["/3/trending/movie/week"]
        everything = await env.gql(REFRESH, {}, token=admin)
        assert everything["data"]["refreshCache"] == {"ok": True, "errors": []}
        await env.gql("{ trending(first: 1) { nodes { tmdbId } } }", token=admin)
        await env.gql(query, token=admin)
        assert env.tmdb_calls["/3/trending/movie/week"] == lists_before + 1
        assert env.tmdb_calls[MATRIX_PATH] == 3

        bad = await env.gql(REFRESH, {"id": 0}, token=admin)
        assert bad["data"]["refreshCache"] == {
            "ok": False,
            "errors": [{"code": "MOVIE_NOT_FOUND", "field": ["movieId"]}],
        }
