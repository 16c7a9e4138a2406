"""Production mode: no introspection or GraphiQL unless enabled, strict CORS, security headers on
every response, masked errors, and settings refused at start-up."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from reelgraph.app import create_app
from reelgraph.config import ConfigError, Settings
from reelgraph.security import API_CONTENT_SECURITY_POLICY
from tests.helpers import GraphQLClient, error_codes

ORIGIN = "https://app.example.com"
INTROSPECTION = "{ __schema { queryType { name } } }"


def production(settings: Settings, **overrides: Any) -> Settings:
    return settings.model_copy(update={"env": "production", "cors_origins": [ORIGIN], **overrides})


@asynccontextmanager
async def serve(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://test") as http,
    ):
        http.app = app  # type: ignore[attr-defined]
        yield http


@pytest.fixture(scope="module")
async def prod(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(production(settings)) as http:
        yield http


def assert_security_headers(response: httpx.Response, hsts: bool = True) -> None:
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"
    assert ("strict-transport-security" in response.headers) is hsts
    if hsts:
        assert response.headers["strict-transport-security"].startswith("max-age=31536000")


async def test_introspection_is_off_in_production(prod: httpx.AsyncClient) -> None:
    gql = GraphQLClient(prod)
    body = await gql(INTROSPECTION)
    assert body["data"] is None
    assert set(error_codes(body)) == {"GRAPHQL_VALIDATION_FAILED"}
    assert "introspection" in body["errors"][0]["message"].lower()
    typed = await gql('{ __type(name: "Movie") { name } }')
    assert set(error_codes(typed)) == {"GRAPHQL_VALIDATION_FAILED"}
    # __typename is not introspection: clients' normalized caches need it.
    assert (await gql("{ __typename movie(tmdbId: 603) { __typename title } }"))["data"]["movie"] == {
        "__typename": "Movie",
        "title": "The Matrix",
    }


async def test_introspection_and_graphiql_can_be_enabled_in_production(settings: Settings) -> None:
    async with serve(production(settings, introspection=True, graphiql=True)) as http:
        body = await GraphQLClient(http)(INTROSPECTION)
        assert body["data"] == {"__schema": {"queryType": {"name": "Query"}}}
        page = await http.get("/graphql", headers={"accept": "text/html"})
        assert page.status_code == 200 and "graphiql" in page.text.lower()


async def test_introspection_is_on_in_development(gql: GraphQLClient) -> None:
    assert (await gql(INTROSPECTION))["data"] == {"__schema": {"queryType": {"name": "Query"}}}


async def test_graphiql_is_off_in_production(prod: httpx.AsyncClient) -> None:
    page = await prod.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 404
    assert "text/html" not in page.headers["content-type"]
    assert (await prod.get("/graphiql/static/reelgraph-graphiql.js")).status_code == 404


async def test_security_headers_on_every_response(prod: httpx.AsyncClient) -> None:
    responses = [
        await prod.post("/graphql", json={"query": "{ __typename }"}),
        await prod.get("/graphql", params={"query": "{ __typename }"}),
        await prod.post("/graphql", content=b"{", headers={"content-type": "application/json"}),
        await prod.post("/graphql", content=b"x" * 2_000_000, headers={"content-type": "application/json"}),
        await prod.get("/health"),
        await prod.get("/no-such-page"),
        await prod.options("/graphql", headers={"origin": ORIGIN, "access-control-request-method": "POST"}),
    ]
    assert [r.status_code for r in responses] == [200, 200, 400, 413, 200, 404, 200]
    for response in responses:
        assert_security_headers(response)
        assert response.headers["content-security-policy"] == API_CONTENT_SECURITY_POLICY


async def test_development_has_no_hsts_and_graphiql_keeps_its_own_policy(client: httpx.AsyncClient) -> None:
    api = await client.post("/graphql", json={"query": "{ __typename }"})
    assert_security_headers(api, hsts=False)
    assert api.headers["content-security-policy"] == API_CONTENT_SECURITY_POLICY
    page = await client.get("/graphql", headers={"accept": "text/html"})
    assert_security_headers(page, hsts=False)
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


async def test_cors_allows_only_the_configured_origins(prod: httpx.AsyncClient) -> None:
    for origin, allowed in (
        (ORIGIN, True),
        ("http://localhost:3000", False),
        ("https://evil.example", False),
    ):
        preflight = await prod.options(
            "/graphql", headers={"origin": origin, "access-control-request-method": "POST"}
        )
        assert (preflight.headers.get("access-control-allow-origin") == origin) is allowed, origin
        simple = await prod.post("/graphql", json={"query": "{ __typename }"}, headers={"origin": origin})
        assert (simple.headers.get("access-control-allow-origin") == origin) is allowed, origin
        assert simple.headers.get("access-control-allow-origin") != "*"


async def test_unexpected_errors_are_masked_in_production(
    prod: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("connection to 10.0.0.5:5432 refused")

    monkeypatch.setattr(prod.app.state.services.accounts, "request_password_reset", broken)  # type: ignore[attr-defined]
    body = await GraphQLClient(prod)('mutation { requestPasswordReset(email: "a@example.com") { ok } }')
    assert error_codes(body) == ["INTERNAL_SERVER_ERROR"]
    assert "10.0.0.5" not in str(body) and "RuntimeError" not in str(body)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"cors_origins": ["*"]}, "wildcard"),
        ({"cors_origins": ["https://*.example.com"]}, "wildcard"),
    ],
)
def test_production_refuses_wildcard_origins(
    settings: Settings, overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        create_app(production(settings, **overrides))


def test_production_refuses_the_development_origins_by_default(settings: Settings) -> None:
    values = settings.model_dump(exclude={"cors_origins"})
    implicit = Settings(**{**values, "env": "production"})
    with pytest.raises(ConfigError, match="REELGRAPH_CORS_ORIGINS is required"):
        create_app(implicit)
    # An explicit empty list (no browser app) is fine.
    create_app(Settings(**{**values, "env": "production", "cors_origins": []}))


def test_origins_come_from_a_comma_separated_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REELGRAPH_CORS_ORIGINS", "https://a.example, https://b.example")
    assert Settings().cors_origins == ["https://a.example", "https://b.example"]
    monkeypatch.setenv("REELGRAPH_CORS_ORIGINS", '["https://c.example"]')
    assert Settings().cors_origins == ["https://c.example"]
    monkeypatch.setenv("REELGRAPH_CORS_ORIGINS", "")
    assert Settings().cors_origins == []


def test_production_still_refuses_a_weak_secret_first(settings: Settings) -> None:
    with pytest.raises(ConfigError, match="REELGRAPH_JWT_SECRET"):
        create_app(production(settings, jwt_secret="short", cors_origins=["*"]))


def test_serve_refuses_production_without_cors_origins(tmp_path: Path) -> None:
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("REELGRAPH_")},
        "REELGRAPH_ENV": "production",
        "REELGRAPH_JWT_SECRET": "prod-Zq3vT9kLw2XbN8rYp4HcJ6mFd1sGa7Ue0oVi5",  # strong: the CORS check is tested
        "REELGRAPH_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'p.db'}",
    }
    result = subprocess.run(
        [sys.executable, "-m", "reelgraph.cli", "serve", "--port", "0"],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
    )
    assert result.returncode == 2
    assert "cannot start: REELGRAPH_CORS_ORIGINS is required" in result.stderr
