"""The HTTP surface: liveness, readiness, GraphiQL, and hostile or malformed requests."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from reelgraph.app import create_app
from reelgraph.config import Settings
from tests.helpers import GraphQLClient, error_codes


async def test_typename_answers(gql: GraphQLClient) -> None:
    body = await gql("{ __typename }")
    assert body["data"] == {"__typename": "Query"}


async def test_health_and_readiness(client: httpx.AsyncClient) -> None:
    live = await client.get("/health")
    assert live.status_code == 200 and live.json() == {"status": "ok"}
    ready = await client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "cache": "ok"}


async def test_graphiql_is_served_in_development(client: httpx.AsyncClient) -> None:
    page = await client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert "graphiql" in page.text.lower()


async def test_malformed_json_gets_a_coded_error(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql", content=b'{"query": "{ __typename', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_wrong_content_type_gets_a_coded_error(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", content=b"query=1", headers={"content-type": "text/plain"})
    assert response.status_code in (400, 415)
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_body_of_several_megabytes_is_refused_and_server_keeps_serving(
    client: httpx.AsyncClient, gql: GraphQLClient
) -> None:
    huge = b'{"query": "{ __typename }", "variables": {"x": "' + b"a" * 5_000_000 + b'"}}'
    response = await client.post("/graphql", content=huge, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"

    # Streamed without a Content-Length: cut off while reading.
    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(10):
            yield b"a" * 500_000

    streamed = await client.post("/graphql", content=chunks(), headers={"content-type": "application/json"})
    assert streamed.status_code == 413
    assert (await gql("{ __typename }"))["data"] == {"__typename": "Query"}


async def test_syntax_error_is_coded(gql: GraphQLClient) -> None:
    body = await gql("{ viewer { id ")
    assert error_codes(body) == ["GRAPHQL_PARSE_FAILED"]


async def test_unknown_field_is_a_validation_error(gql: GraphQLClient) -> None:
    body = await gql("{ viewer { id favouriteColour } }")
    assert error_codes(body) == ["GRAPHQL_VALIDATION_FAILED"]
    assert "favouriteColour" in body["errors"][0]["message"]


async def test_wrong_argument_type_is_rejected(gql: GraphQLClient) -> None:
    body = await gql(
        "mutation($input: LoginInput!) { login(input: $input) { errors { code } } }",
        {"input": {"email": 42, "password": ["nope"]}},
    )
    assert body["data"] is None
    assert set(error_codes(body)) <= {"BAD_USER_INPUT", "GRAPHQL_VALIDATION_FAILED"} and body["errors"]


async def test_query_depth_is_limited(settings: Settings) -> None:
    # A deliberately tiny limit, so the (still shallow) schema can exceed it.
    shallow = create_app(settings.model_copy(update={"max_query_depth": 1}))
    async with (
        shallow.router.lifespan_context(shallow),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=shallow), base_url="http://test") as http,
    ):
        body = await GraphQLClient(http)("{ users { nodes { id } } }")
        assert body["data"] is None
        assert error_codes(body) == ["GRAPHQL_VALIDATION_FAILED"]
        assert "depth" in body["errors"][0]["message"]
        assert (await GraphQLClient(http)("{ viewer }".replace("viewer", "__typename")))["data"]


async def test_aliases_are_limited(gql: GraphQLClient) -> None:
    aliases = " ".join(f"a{i}: __typename" for i in range(200))
    body = await gql("{ " + aliases + " }")
    assert body["data"] is None
    assert "aliases" in body["errors"][0]["message"].lower()


async def test_tokens_are_limited(gql: GraphQLClient) -> None:
    body = await gql("{ " + "a " * 3000 + "}")  # 6 KB: under the length limit
    assert body["data"] is None
    assert "token" in body["errors"][0]["message"].lower()
    longer = await gql("{ " + "__typename " * 3000 + "}")  # 33 KB: over it
    assert "longer than 20000 characters" in longer["errors"][0]["message"]


async def test_cors_allows_configured_origin_only(client: httpx.AsyncClient) -> None:
    allowed = await client.options(
        "/graphql",
        headers={"origin": "http://localhost:3000", "access-control-request-method": "POST"},
    )
    assert allowed.headers.get("access-control-allow-origin") == "http://localhost:3000"
    denied = await client.options(
        "/graphql",
        headers={"origin": "http://evil.example", "access-control-request-method": "POST"},
    )
    assert denied.headers.get("access-control-allow-origin") is None


async def test_unexpected_errors_are_masked_and_logged(
    gql: GraphQLClient, app: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("SELECT password_hash FROM users -- internal detail")

    monkeypatch.setattr(app.state.services.accounts, "request_password_reset", broken)
    body = await gql('mutation { requestPasswordReset(email: "a@example.com") { ok } }')
    assert error_codes(body) == ["INTERNAL_SERVER_ERROR"]
    assert body["errors"][0]["message"] == "Internal server error."
    assert "SELECT" not in str(body) and "Traceback" not in str(body)
    assert "internal detail" in caplog.text  # the operator still sees what happened
    assert (await gql("{ __typename }"))["data"] == {"__typename": "Query"}
