"""Automatic persisted queries (Apollo's protocol) over POST and GET."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

import httpx
import pytest

from reelgraph.app import create_app
from reelgraph.config import Settings
from tests.conftest import TEST_CACHE_URL

NOT_FOUND = {
    "errors": [{"message": "PersistedQueryNotFound", "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}]
}


def fresh_query() -> str:
    """A query no earlier test registered (hashes outlive a test in the shared cache)."""
    return (
        "query Trending($first: Int!) { trending(first: $first) { nodes { tmdbId title } } } # "
        + uuid.uuid4().hex
    )


def sha256(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


def persisted(query: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha256(query)}}


async def test_unknown_hash_is_persisted_query_not_found(client: httpx.AsyncClient) -> None:
    query = fresh_query()
    response = await client.post("/graphql", json={"extensions": persisted(query), "variables": {"first": 2}})
    assert response.status_code == 200
    assert response.json() == NOT_FOUND
    assert response.headers["cache-control"] == "no-store"  # a CDN must not remember the miss


async def test_query_with_hash_registers_it_for_hash_only_requests(client: httpx.AsyncClient) -> None:
    query = fresh_query()
    first = await client.post(
        "/graphql", json={"query": query, "variables": {"first": 2}, "extensions": persisted(query)}
    )
    assert first.status_code == 200
    assert len(first.json()["data"]["trending"]["nodes"]) == 2

    again = await client.post("/graphql", json={"variables": {"first": 3}, "extensions": persisted(query)})
    assert again.status_code == 200
    assert len(again.json()["data"]["trending"]["nodes"]) == 3
    assert again.json()["extensions"]["cost"] == 3


async def test_hash_only_queries_over_get_are_cacheable(client: httpx.AsyncClient) -> None:
    query = fresh_query()
    await client.post(
        "/graphql", json={"query": query, "variables": {"first": 2}, "extensions": persisted(query)}
    )
    params = {"extensions": json.dumps(persisted(query)), "variables": json.dumps({"first": 4})}
    response = await client.get("/graphql", params=params)
    assert response.status_code == 200
    assert len(response.json()["data"]["trending"]["nodes"]) == 4
    assert response.headers["cache-control"] == "public, max-age=30"
    assert "Accept-Language" in response.headers["vary"] and "Authorization" in response.headers["vary"]
    # The response cache answers the same GET again.
    hit = await client.get("/graphql", params=params)
    assert hit.headers.get("x-reelgraph-cache") == "hit"
    assert hit.json() == response.json()
    assert hit.headers["cache-control"] == "public, max-age=30"
    # Signed-in answers are never public.
    signed = await client.get("/graphql", params=params, headers={"authorization": "Bearer forged"})
    assert signed.headers["cache-control"] == "no-store"


async def test_unknown_hash_over_get_is_not_found(client: httpx.AsyncClient) -> None:
    params = {"extensions": json.dumps(persisted(fresh_query())), "variables": json.dumps({"first": 1})}
    response = await client.get("/graphql", params=params)
    assert response.json() == NOT_FOUND
    assert response.headers["cache-control"] == "no-store"


async def test_mutations_stay_refused_over_get(client: httpx.AsyncClient) -> None:
    mutation = f"mutation Track {{ trackView(movieId: 603) {{ ok }} }} # {uuid.uuid4().hex}"
    registered = await client.post("/graphql", json={"query": mutation, "extensions": persisted(mutation)})
    assert registered.json()["data"]["trackView"]["ok"] in (True, False)
    response = await client.get("/graphql", params={"extensions": json.dumps(persisted(mutation))})
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "mutations are not allowed" in error["message"]


async def test_hash_must_match_the_query(client: httpx.AsyncClient) -> None:
    query = fresh_query()
    body = {"query": query, "variables": {"first": 1}, "extensions": persisted(query + " ")}
    response = await client.post("/graphql", json=body)
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"message": "provided sha does not match query", "extensions": {"code": "BAD_USER_INPUT"}}
    ]
    # Nothing was registered under either hash.
    for text in (query, query + " "):
        lookup = await client.post(
            "/graphql", json={"variables": {"first": 1}, "extensions": persisted(text)}
        )
        assert lookup.json() == NOT_FOUND


@pytest.mark.parametrize(
    "extensions",
    [
        {"persistedQuery": {"version": 2, "sha256Hash": "0" * 64}},
        {"persistedQuery": {"version": 1, "sha256Hash": "not-a-hash"}},
        {"persistedQuery": {"version": 1}},
        {"persistedQuery": "yes"},
    ],
)
async def test_malformed_persisted_query_extensions_are_bad_input(
    client: httpx.AsyncClient, extensions: dict[str, Any]
) -> None:
    response = await client.post("/graphql", json={"extensions": extensions})
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_documents_that_do_not_validate_are_not_registered(client: httpx.AsyncClient) -> None:
    for query in (
        f"{{ noSuchField }} # {uuid.uuid4().hex}",
        f"{{ trending(first: 1) {{ # {uuid.uuid4().hex}",
    ):
        response = await client.post("/graphql", json={"query": query, "extensions": persisted(query)})
        assert response.json()["errors"][0]["extensions"]["code"] in (
            "GRAPHQL_VALIDATION_FAILED",
            "GRAPHQL_PARSE_FAILED",
        )
        lookup = await client.post("/graphql", json={"extensions": persisted(query)})
        assert lookup.json() == NOT_FOUND


async def test_queries_over_the_cost_limit_are_not_registered(client: httpx.AsyncClient) -> None:
    query = f"{{ trending(first: 100) {{ nodes {{ similar(first: 100) {{ similar(first: 100) {{ title }} }} }} }} }} # {uuid.uuid4().hex}"
    refused = await client.post("/graphql", json={"query": query, "extensions": persisted(query)})
    assert refused.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert (await client.post("/graphql", json={"extensions": persisted(query)})).json() == NOT_FOUND


async def test_persisted_queries_can_be_turned_off(settings: Settings) -> None:
    off = create_app(settings.model_copy(update={"persisted_queries": False}))
    async with (
        off.router.lifespan_context(off),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=off), base_url="http://test") as http,
    ):
        query = fresh_query()
        response = await http.post("/graphql", json={"extensions": persisted(query)})
        assert response.json() == {
            "errors": [
                {
                    "message": "PersistedQueryNotSupported",
                    "extensions": {"code": "PERSISTED_QUERY_NOT_SUPPORTED"},
                }
            ]
        }
        # Plain queries are unaffected.
        plain = await http.post("/graphql", json={"query": query, "variables": {"first": 1}})
        assert len(plain.json()["data"]["trending"]["nodes"]) == 1


@pytest.mark.skipif(
    not TEST_CACHE_URL.startswith("redis"), reason="replicas share the registry through Redis"
)
async def test_replicas_share_registered_queries(client: httpx.AsyncClient, settings: Settings) -> None:
    query = fresh_query()
    await client.post(
        "/graphql", json={"query": query, "variables": {"first": 1}, "extensions": persisted(query)}
    )
    replica = create_app(settings)
    async with (
        replica.router.lifespan_context(replica),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=replica), base_url="http://test") as http,
    ):
        response = await http.post(
            "/graphql", json={"variables": {"first": 2}, "extensions": persisted(query)}
        )
        assert len(response.json()["data"]["trending"]["nodes"]) == 2
