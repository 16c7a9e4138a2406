"""Hostile input is refused with its code, and the server keeps serving. (Codes, not timings.)"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import jwt
import pytest

from reelgraph.app import create_app
from reelgraph.config import Settings
from tests.helpers import GraphQLClient, error_codes

VIEWER = "{ viewer { id } }"


@pytest.fixture(autouse=True)
async def _still_serving(gql: GraphQLClient) -> AsyncIterator[None]:
    yield
    assert (await gql("{ __typename }"))["data"] == {"__typename": "Query"}


def coded(response: httpx.Response) -> tuple[int, list[str]]:
    return response.status_code, [error["extensions"]["code"] for error in response.json()["errors"]]


async def test_a_depth_50_query(gql: GraphQLClient) -> None:
    query = "{ movie(tmdbId: 603) { " + "similar(first: 1) { " * 49 + "title" + " }" * 49 + " } }"
    body = await gql(query)
    assert body["data"] is None
    assert error_codes(body) == ["GRAPHQL_VALIDATION_FAILED"]
    assert "exceeds maximum operation depth of 12" in body["errors"][0]["message"]


async def test_a_thousand_aliases(gql: GraphQLClient, settings: Settings) -> None:
    query = "{ " + " ".join(f"a{i}: __typename" for i in range(1000)) + " }"
    # 3,000 tokens: the token limit stops it while parsing ...
    body = await gql(query)
    assert body["data"] is None
    assert error_codes(body) == ["GRAPHQL_PARSE_FAILED"]
    assert "more than 2000 tokens" in body["errors"][0]["message"]
    # ... and with room for the tokens, the alias limit does.
    roomy = create_app(settings.model_copy(update={"max_tokens": 10_000}))
    async with (
        roomy.router.lifespan_context(roomy),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=roomy), base_url="http://test") as http,
    ):
        body = await GraphQLClient(http)(query)
        assert body["data"] is None
        assert error_codes(body) == ["GRAPHQL_VALIDATION_FAILED"]
        assert "aliases" in body["errors"][0]["message"]


async def test_a_five_megabyte_body(client: httpx.AsyncClient) -> None:
    huge = b'{"query": "{ __typename }", "variables": {"x": "' + b"a" * 5_000_000 + b'"}}'
    response = await client.post("/graphql", content=huge, headers={"content-type": "application/json"})
    assert coded(response) == (413, ["BAD_USER_INPUT"])

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: cut off while streaming
        for _ in range(10):
            yield b"a" * 500_000

    streamed = await client.post("/graphql", content=chunks(), headers={"content-type": "application/json"})
    assert coded(streamed) == (413, ["BAD_USER_INPUT"])


async def test_a_nested_connection_query_costing_ten_billion(gql: GraphQLClient) -> None:
    query = """{ trending(first: 100) { edges { node {
      similar(first: 100) { similar(first: 100) { similar(first: 100) { similar(first: 100) { title } } } }
    } } } }"""
    body = await gql(query)
    assert body["data"] is None
    assert error_codes(body) == ["QUERY_TOO_COMPLEX"]
    assert body["errors"][0]["extensions"]["cost"] >= 10**9


async def test_fragment_cycles(gql: GraphQLClient) -> None:
    body = await gql("{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }")
    assert body["data"] is None
    assert set(error_codes(body)) == {"GRAPHQL_VALIDATION_FAILED"}


@pytest.mark.parametrize(
    "content",
    [
        b'{"query": "{ __typename',  # truncated
        b"{'query': '{ __typename }'}",  # not JSON
        b"",
        b"\xff\xfe\x00",
        b'"{ __typename }"',  # JSON, but not an object
        b"null",
        b"42",
        b"[]",  # a batch: not enabled
        b'{"query": 42}',
        b'{"query": "{ __typename }", "variables": "x=1"}',
        b'{"query": "{ __typename }", "extensions": []}',
    ],
)
async def test_malformed_json(client: httpx.AsyncClient, content: bytes) -> None:
    response = await client.post("/graphql", content=content, headers={"content-type": "application/json"})
    assert coded(response) == (400, ["BAD_USER_INPUT"])


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/xml",
        "application/graphql",
        None,
    ],
)
async def test_wrong_content_types(client: httpx.AsyncClient, content_type: str | None) -> None:
    headers = {"content-type": content_type} if content_type else {}
    response = await client.post("/graphql", content=b'{"query": "{ __typename }"}', headers=headers)
    assert coded(response) == (400, ["BAD_USER_INPUT"])


def _claims(**overrides: Any) -> dict[str, Any]:
    now = time.time()
    claims = {
        "sub": "1",
        "iat": now,
        "exp": now + 600,
        "jti": uuid.uuid4().hex,
        "iss": "reelgraph",
        "typ": "access",
    }
    return {**claims, **overrides}


def _hostile_tokens(secret: str) -> dict[str, str]:
    return {
        "another secret": jwt.encode(_claims(), "not-the-server-secret-" + "y" * 40, algorithm="HS256"),
        "alg none": jwt.encode(_claims(), None, algorithm="none"),
        "alg none, no signature part": jwt.encode(_claims(), None, algorithm="none").rstrip("."),
        # The right secret under another algorithm than the server's (HS256).
        "another algorithm": jwt.encode(_claims(), secret, algorithm="HS512"),
        "expired": jwt.encode(_claims(exp=time.time() - 5), secret, algorithm="HS256"),
        "no expiry": jwt.encode(
            {k: v for k, v in _claims().items() if k != "exp"}, secret, algorithm="HS256"
        ),
        "not an access token": jwt.encode(_claims(typ="refresh"), secret, algorithm="HS256"),
        "tampered payload": _tamper(jwt.encode(_claims(), secret, algorithm="HS256")),
        "garbage": "a.b.c",
    }


def _tamper(token: str) -> str:
    header, payload, signature = token.split(".")
    forged = jwt.utils.base64url_encode(jwt.api_jws.json.dumps(_claims(sub="2")).encode()).decode()
    assert forged != payload
    return f"{header}.{forged}.{signature}"


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")  # HS512 with a 52-byte key
@pytest.mark.parametrize(
    "kind",
    [
        "another secret",
        "alg none",
        "alg none, no signature part",
        "another algorithm",
        "expired",
        "no expiry",
        "not an access token",
        "tampered payload",
        "garbage",
    ],
)
async def test_forged_and_alg_none_tokens(gql: GraphQLClient, settings: Settings, kind: str) -> None:
    assert settings.jwt_secret
    token = _hostile_tokens(settings.jwt_secret)[kind]
    body = await gql(VIEWER, token=token)
    assert body["data"] == {"viewer": None}
    assert error_codes(body) == ["UNAUTHENTICATED"], kind


@pytest.mark.parametrize("header", ["Bearer", "Bearer    ", "Basic dXNlcjpwYXNz", "Token abc", "bearer"])
async def test_malformed_authorization_headers(client: httpx.AsyncClient, header: str) -> None:
    response = await client.post("/graphql", json={"query": VIEWER}, headers={"authorization": header})
    assert coded(response) == (200, ["UNAUTHENTICATED"])
