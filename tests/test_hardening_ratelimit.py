"""Rate limits per user or address, tighter ones for account mutations and chat; RATE_LIMITED
with extensions.retryAfter and a Retry-After header. An app with low limits; each test uses its own
client addresses, so tests do not share counters (Redis keeps them across apps)."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from reelgraph.app import create_app
from reelgraph.config import Settings
from tests.helpers import PASSWORD, REGISTER, GraphQLClient, error_codes, unique_email

GENERAL = 5
AUTH = 3
CHAT = 2
LOGIN = """mutation($input: LoginInput!) { login(input: $input) { accessToken errors { code } } }"""


@pytest.fixture(scope="module")
async def limited_app(settings: Settings) -> AsyncIterator[Any]:
    app = create_app(
        settings.model_copy(
            update={
                "rate_limit": f"{GENERAL}/minute",
                "auth_rate_limit": f"{AUTH}/minute",
                "chat_rate_limit": f"{CHAT}/minute",
            }
        )
    )
    async with app.router.lifespan_context(app):
        yield app


def new_address() -> str:
    return f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"


@asynccontextmanager
async def caller(app: Any, address: str | None = None) -> AsyncIterator[GraphQLClient]:
    transport = httpx.ASGITransport(app=app, client=(address or new_address(), 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield GraphQLClient(http)


async def post(
    gql: GraphQLClient, query: str, variables: Any = None, token: str | None = None
) -> httpx.Response:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    return await gql.http.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )


def assert_rate_limited(response: httpx.Response) -> int:
    body = response.json()
    assert response.status_code == 200  # like every GraphQL error: clients read it where they read the others
    assert body["data"] is None
    assert error_codes(body) == ["RATE_LIMITED"]
    retry_after = body["errors"][0]["extensions"]["retryAfter"]
    assert isinstance(retry_after, int) and 1 <= retry_after <= 60
    assert response.headers["retry-after"] == str(retry_after)
    assert response.headers["cache-control"] == "no-store"
    return retry_after


async def test_requests_per_address_are_limited(limited_app: Any) -> None:
    async with caller(limited_app) as gql, caller(limited_app) as neighbour:
        for _ in range(GENERAL):
            # Answers from the response cache count too: the limit is checked before anything else.
            response = await post(gql, "{ __typename }")
            assert response.json()["data"] == {"__typename": "Query"}
            assert "retry-after" not in response.headers
        assert_rate_limited(await post(gql, "{ __typename }"))
        # Even a request that would not parse is refused before it is read.
        malformed = await gql.http.post(
            "/graphql", content=b"{", headers={"content-type": "application/json"}
        )
        assert_rate_limited(malformed)
        # Another address has its own budget.
        assert (await post(neighbour, "{ __typename }")).json()["data"] == {"__typename": "Query"}


async def test_signed_in_users_are_limited_per_user(limited_app: Any) -> None:
    async with caller(limited_app) as gql:
        registered = await post(
            gql, REGISTER, {"input": {"email": unique_email(), "password": PASSWORD, "name": "Rae"}}
        )
        token = registered.json()["data"]["register"]["accessToken"]
    async with caller(limited_app) as shared_address:
        for _ in range(GENERAL):
            await post(shared_address, "{ __typename }")
        assert_rate_limited(await post(shared_address, "{ __typename }"))
        # The same address with a valid token counts against the user, not the address ...
        for _ in range(GENERAL):
            assert (await post(shared_address, "{ viewer { name } }", token=token)).json()["data"] == {
                "viewer": {"name": "Rae"}
            }
        # ... which is now spent wherever the user comes from.
        async with caller(limited_app) as elsewhere:
            assert_rate_limited(await post(elsewhere, "{ viewer { name } }", token=token))
            # A forged token is no way around the address's budget.
            assert (await post(elsewhere, "{ __typename }", token="forged.token.value")).json()["data"]
        assert_rate_limited(await post(shared_address, "{ __typename }", token="forged.token.value"))


async def test_account_mutations_have_a_tighter_limit_per_address(limited_app: Any) -> None:
    async with caller(limited_app) as gql:
        for _ in range(AUTH):
            body = (await post(gql, LOGIN, {"input": {"email": unique_email(), "password": PASSWORD}})).json()
            assert body["data"]["login"]["errors"][0]["code"] == "INVALID_CREDENTIALS"
        retry_after = assert_rate_limited(
            await post(gql, LOGIN, {"input": {"email": unique_email(), "password": PASSWORD}})
        )
        assert retry_after <= 60
        # Other operations from that address go on (within the general limit).
        assert (await post(gql, "{ __typename }")).json()["data"] == {"__typename": "Query"}


async def test_aliased_and_fragment_account_mutations_each_count(limited_app: Any) -> None:
    attempt = '(input: {email: "nobody@example.com", password: "guess"}) { errors { code } }'
    aliased = "mutation { " + " ".join(f"a{i}: login{attempt}" for i in range(AUTH + 1)) + " }"
    async with caller(limited_app) as gql:
        assert_rate_limited(await post(gql, aliased))
    spread = (
        "mutation { ...Attempts } fragment Attempts on Mutation { "
        + " ".join(f"a{i}: login{attempt}" for i in range(AUTH - 1))
        + ' ... on Mutation { requestPasswordReset(email: "nobody@example.com") { ok } } '
        + 'b: refreshToken(refreshToken: "nope") { errors { code } } }'
    )
    async with caller(limited_app) as gql:
        assert_rate_limited(await post(gql, spread))  # AUTH + 1 account mutations in one operation
    within = "mutation { " + " ".join(f"a{i}: login{attempt}" for i in range(AUTH)) + " }"
    async with caller(limited_app) as gql:
        body = (await post(gql, within)).json()
        assert [body["data"][f"a{i}"]["errors"][0]["code"] for i in range(AUTH)] == [
            "INVALID_CREDENTIALS"
        ] * AUTH


async def test_chat_is_limited_with_a_retry_after_header(limited_app: Any) -> None:
    chat = 'mutation { chat(message: "90s sci-fi") { reply errors { code } } }'
    async with caller(limited_app) as gql:
        for _ in range(CHAT):
            response = await post(gql, chat)
            assert response.json()["data"]["chat"]["reply"], response.json()
        limited = await post(gql, chat)
        body = limited.json()
        assert error_codes(body) == ["RATE_LIMITED"]
        assert limited.headers["retry-after"] == str(body["errors"][0]["extensions"]["retryAfter"])


async def test_requests_are_served_when_the_counters_are_down(
    limited_app: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async with caller(limited_app) as gql:
        await post(gql, "{ __typename }")

        async def unreachable(*args: Any, **kwargs: Any) -> bool:
            raise ConnectionError("Error 111 connecting to redis:6379. Connection refused.")

        monkeypatch.setattr(limited_app.state.rate_limits._limiter, "hit", unreachable)
        for _ in range(GENERAL + 2):
            assert (await post(gql, "{ __typename }")).json()["data"] == {"__typename": "Query"}
    assert "requests are not limited" in caplog.text


def test_operations_over_websocket_count_per_caller(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"rate_limit": f"{GENERAL}/minute"}))
    with (
        TestClient(app, client=(new_address(), 5000)) as http,
        http.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws,
    ):
        ws.send_json({"type": "connection_init", "payload": {}})
        assert ws.receive_json()["type"] == "connection_ack"
        payloads = []
        for index in range(GENERAL + 1):
            ws.send_json({"id": str(index), "type": "subscribe", "payload": {"query": "{ __typename }"}})
            message = ws.receive_json()
            assert message["type"] == "next", message
            payloads.append(message["payload"])
            assert ws.receive_json()["type"] == "complete"
        assert all(p["data"] == {"__typename": "Query"} for p in payloads[:GENERAL])
        refused = payloads[GENERAL]
        assert refused["data"] is None
        assert [e["extensions"]["code"] for e in refused["errors"]] == ["RATE_LIMITED"]
        assert refused["errors"][0]["extensions"]["retryAfter"] >= 1


async def test_limits_must_parse(settings: Settings) -> None:
    with pytest.raises(ValueError, match="rate limit"):
        settings.model_validate({**settings.model_dump(), "rate_limit": "many per minute"})
