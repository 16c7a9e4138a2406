"""Hostile bytes at the edge: refused characters, deep JSON, escaped failures and readiness.

Strings holding a lone surrogate, NUL or another control character are refused with BAD_USER_INPUT
naming where they were, wherever they come in (variables, document literals, extensions, the
WebSocket connection_init payload), and never reach the database or an upstream, so they cannot
open the upstream circuit breaker either. JSON nested deeper than 64 levels is a 400 (a protocol
error over WebSocket). Whatever still escapes the app leaves as a JSON 500.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import websockets
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from reelgraph.app import create_app
from reelgraph.config import Settings
from reelgraph.http import MAX_JSON_DEPTH, nesting_exceeds
from tests.catalog_fixtures import isolated_app
from tests.helpers import PASSWORD, GraphQLClient, error_codes, register, unique_email

REFUSED = {"lone surrogate": "\ud800", "NUL": "\u0000", "BEL": "\u0007", "C1 CSI": "\u009b"}
TYPENAME = "{ __typename }"


async def post(http: httpx.AsyncClient, payload: dict[str, Any], token: str | None = None) -> httpx.Response:
    # json.dumps escapes a lone surrogate (\ud800); httpx's json= would fail to encode it.
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    return await http.post("/graphql", content=json.dumps(payload), headers=headers)


def refusal(response: httpx.Response) -> str:
    """The field a BAD_USER_INPUT refusal names (and no data, no other error)."""
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["data"] is None, body
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", body
    return str(error["extensions"]["field"])


@pytest.fixture(scope="module")
async def token(app: Starlette) -> str:
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        return str((await register(GraphQLClient(http), name="Refused Characters"))["accessToken"])


# -- refused characters, in variables and in document literals -----------------------------------------

# name: (operation, the selection with <v> where the string goes, its GraphQL type, the argument)
FIELDS = {
    "search": ("query", "search(query: <v>) { edges { node { __typename } } }", "String!", "query"),
    "chat message": ("mutation", "chat(message: <v>) { reply }", "String!", "message"),
    "chat session id": ("mutation", 'chat(message: "hi", sessionId: <v>) { reply }', "ID", "sessionId"),
    "chatSession id": ("query", "chatSession(id: <v>) { id }", "ID!", "id"),
    "register email": (
        "mutation",
        'register(input: {email: <v>, password: "correct horse battery", name: "Ann"}) { errors { code } }',
        "String!",
        "input.email",
    ),
    "register name": (
        "mutation",
        'register(input: {email: "x@example.com", password: "correct horse battery", name: <v>}) '
        "{ errors { code } }",
        "String!",
        "input.name",
    ),
    "login email": (
        "mutation",
        'login(input: {email: <v>, password: "correct horse battery"}) { errors { code } }',
        "String!",
        "input.email",
    ),
    "refreshToken": (
        "mutation",
        "refreshToken(refreshToken: <v>) { errors { code } }",
        "String!",
        "refreshToken",
    ),
    "resetPassword": (
        "mutation",
        'resetPassword(token: <v>, newPassword: "correct horse battery 2") { ok }',
        "String!",
        "token",
    ),
    "updateProfile name": (
        "mutation",
        "updateProfile(input: {name: <v>}) { errors { code } }",
        "String",
        "input.name",
    ),
    "review body": (
        "mutation",
        "createReview(movieId: 603, body: <v>) { errors { code } }",
        "String!",
        "body",
    ),
}


def with_variable(field: str) -> str:
    operation, selection, graphql_type, _ = FIELDS[field]
    return f"{operation}($v: {graphql_type}) {{ {selection.replace('<v>', '$v')} }}"


def with_literal(field: str, literal: str) -> str:
    operation, selection, _, _ = FIELDS[field]
    return f"{operation} {{ {selection.replace('<v>', literal)} }}"


@pytest.mark.parametrize("character", REFUSED.values(), ids=REFUSED.keys())
@pytest.mark.parametrize("field", FIELDS)
async def test_a_refused_character_in_a_variable(
    client: httpx.AsyncClient, token: str, field: str, character: str
) -> None:
    payload = {"query": with_variable(field), "variables": {"v": f"ok{character}ok"}}
    assert refusal(await post(client, payload, token)) == "variables.v"


@pytest.mark.parametrize("character", ["\u0000", "\u0007", "\u009b"], ids=["NUL", "BEL", "C1 CSI"])
@pytest.mark.parametrize("field", FIELDS)
async def test_a_refused_character_escaped_in_a_document_literal(
    client: httpx.AsyncClient, token: str, field: str, character: str
) -> None:
    literal = f'"ok\\u{ord(character):04x}ok"'  # the GraphQL escape, which the parser decodes
    assert refusal(await post(client, {"query": with_literal(field, literal)}, token)) == FIELDS[field][3]


async def test_a_lone_surrogate_in_a_document_literal(client: httpx.AsyncClient) -> None:
    # graphql-core's lexer refuses the escape of a lone surrogate itself...
    escaped = await post(client, {"query": with_literal("search", '"\\ud800"')})
    assert escaped.status_code == 200 and error_codes(escaped.json()) == ["GRAPHQL_PARSE_FAILED"]
    # ...and the view the character sent raw, inside the JSON of the query.
    assert refusal(await post(client, {"query": with_literal("search", '"\ud800"')})) == "query"


async def test_nested_variables_are_named_by_their_path(client: httpx.AsyncClient, token: str) -> None:
    register_input = {"email": "ann\u0000@example.com", "password": PASSWORD, "name": "Ann"}
    query = "mutation($input: RegisterInput!) { register(input: $input) { errors { code } } }"
    response = await post(client, {"query": query, "variables": {"input": register_input}})
    assert refusal(response) == "variables.input.email"

    query = "mutation($input: UpdateProfileInput!) { updateProfile(input: $input) { errors { code } } }"
    response = await post(client, {"query": query, "variables": {"input": {"name": "\ud800"}}}, token)
    assert refusal(response) == "variables.input.name"

    response = await post(client, {"query": TYPENAME, "variables": {"unused": ["a", "b\u0007"]}})
    assert refusal(response) == "variables.unused.1"


async def test_the_request_itself_is_checked(client: httpx.AsyncClient) -> None:
    persisted = {"persistedQuery": {"version": 1, "sha256Hash": "\ud800" * 64}}
    response = await post(client, {"query": TYPENAME, "extensions": persisted})
    assert refusal(response) == "extensions.persistedQuery.sha256Hash"
    assert refusal(await post(client, {"query": TYPENAME, "operationName": "\u0000"})) == "operationName"
    # A variable's default value is a literal too.
    query = 'query($q: String! = "\\u0000") { search(query: $q) { edges { node { __typename } } } }'
    assert refusal(await post(client, {"query": query})) == "variables.q"
    # Over GET, the variables parameter is JSON as well.
    params = {"query": with_variable("search"), "variables": json.dumps({"v": "\ud800"})}
    assert refusal(await client.get("/graphql", params=params)) == "variables.v"


async def test_a_refused_registration_writes_nothing(gql: GraphQLClient, client: httpx.AsyncClient) -> None:
    email = unique_email("nul")
    query = "mutation($input: RegisterInput!) { register(input: $input) { errors { code } } }"
    refused = {"email": email, "password": PASSWORD, "name": "Ann\u0000"}
    response = await post(client, {"query": query, "variables": {"input": refused}})
    assert refusal(response) == "variables.input.name"
    await register(gql, email=email)  # the address is still free


async def test_tabs_and_newlines_are_still_accepted(gql: GraphQLClient, token: str) -> None:
    body = "Line one,\tthen a tab.\nLine two.\r\nLine three."
    created = await gql(
        "mutation($b: String!) { createReview(movieId: 680, body: $b) { review { body } errors { code } } }",
        {"b": body},
        token=token,
    )
    assert created["data"]["createReview"] == {"review": {"body": body}, "errors": []}, created
    renamed = await gql(
        'mutation { updateProfile(input: {name: "Ann\\tLee"}) { user { name } errors { code } } }',
        token=token,
    )
    assert renamed["data"]["updateProfile"] == {"user": {"name": "Ann\tLee"}, "errors": []}, renamed


async def test_refused_input_never_opens_the_upstream_circuit_breaker(settings: Settings) -> None:
    # A breaker that opens after two failed calls: before the fix, two such searches opened it.
    async with isolated_app(
        settings, tmdb_api_key="test-key", upstream_max_attempts=1, upstream_breaker_threshold=2
    ) as env:
        for character in [*REFUSED.values(), *REFUSED.values()]:
            payload = {"query": with_variable("search"), "variables": {"v": character}}
            assert refusal(await post(env.http, payload)) == "variables.v"
        assert refusal(await post(env.http, {"query": with_literal("search", '"\\u0000"')})) == "query"
        assert env.tmdb_calls["/3/search/movie"] == 0  # never sent upstream

        found = await env.gql('{ search(query: "matrix") { edges { node { __typename } } } }')
        assert "errors" not in found, found
        assert env.tmdb_calls["/3/search/movie"] == 1
        movie = await env.gql("{ movie(tmdbId: 680) { title } }")
        assert movie["data"] == {"movie": {"title": "Pulp Fiction"}}, movie


# -- JSON nested too deep ----------------------------------------------------------------------------

DEEP_ARRAY = "[" * 1000 + "]" * 1000
DEEP_OBJECT = '{"a":' * 1000 + "1" + "}" * 1000


def assert_too_deep(response: httpx.Response) -> None:
    assert response.status_code == 400, response.text
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "deeper than 64" in error["message"]


@pytest.mark.parametrize("nested", [DEEP_ARRAY, DEEP_OBJECT], ids=["arrays", "objects"])
async def test_json_nested_a_thousand_levels_over_post_and_get(
    client: httpx.AsyncClient, gql: GraphQLClient, nested: str
) -> None:
    headers = {"content-type": "application/json"}
    for body in (nested, '{"query": "{ __typename }", "variables": {"v": ' + nested + "}}"):
        assert_too_deep(await client.post("/graphql", content=body, headers=headers))
    for parameter in ("variables", "extensions"):
        params = {"query": TYPENAME, parameter: '{"v": ' + nested + "}"}
        assert_too_deep(await client.get("/graphql", params=params))
    assert (await gql(TYPENAME))["data"] == {"__typename": "Query"}


async def test_json_up_to_64_levels_is_read(client: httpx.AsyncClient) -> None:
    shallow = "[" * 62 + "1" + "]" * 62  # 64 levels with the body's object and `variables`
    brackets_in_a_string = "[" * 500
    body = (
        '{"query": "{ __typename }", "variables": {"v": ' + shallow + "}, "
        '"extensions": {"x": "' + brackets_in_a_string + '"}}'
    )
    response = await client.post("/graphql", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 200 and response.json()["data"] == {"__typename": "Query"}


def test_the_depth_check_is_linear() -> None:
    started = time.perf_counter()
    assert nesting_exceeds("[" * 500_000 + "]" * 500_000, MAX_JSON_DEPTH)
    assert not nesting_exceeds("[" + ",".join(["[1]"] * 250_000) + "]", MAX_JSON_DEPTH)
    assert not nesting_exceeds('"' + "\\[" * 300_000, MAX_JSON_DEPTH)  # an unterminated string
    assert time.perf_counter() - started < 2  # ~50 ms here; a quadratic scan would take minutes


# -- over WebSocket ------------------------------------------------------------------------------------


def connect(url: str, protocol: str = "graphql-transport-ws") -> websockets.connect:
    return websockets.connect(url, subprotocols=[websockets.Subprotocol(protocol)], max_size=None)


async def receive(ws: websockets.ClientConnection) -> dict[str, Any]:
    return dict(json.loads(await asyncio.wait_for(ws.recv(), 10)))


async def test_a_refused_authorization_parameter_refuses_the_connection(ws_url: str) -> None:
    # graphql-transport-ws has no message for a refused connection_init: it closes with 4403.
    async with connect(ws_url) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": "Bearer \ud800"}}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await receive(ws)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
    # graphql-ws says why, in its connection_error message.
    async with connect(ws_url, "graphql-ws") as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": "Bearer a\u0000"}}))
        answer = await receive(ws)
        assert answer["type"] == "connection_error"
        assert answer["payload"]["extensions"] == {
            "code": "BAD_USER_INPUT",
            "field": "connectionParams.Authorization",
        }


@pytest.mark.parametrize("character", REFUSED.values(), ids=REFUSED.keys())
async def test_a_refused_character_in_a_subscription(ws_url: str, character: str) -> None:
    query = "subscription($m: String!) { chatStream(message: $m) { text done } }"
    async with connect(ws_url) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert (await receive(ws))["type"] == "connection_ack"
        message = {"id": "1", "type": "subscribe", "payload": {"query": query, "variables": {"m": character}}}
        await ws.send(json.dumps(message))
        answer = await receive(ws)
        errors = answer["payload"] if answer["type"] == "error" else answer["payload"]["errors"]
        assert [(e["extensions"]["code"], e["extensions"]["field"]) for e in errors] == [
            ("BAD_USER_INPUT", "variables.m")
        ]
        # The connection goes on serving.
        await ws.send(json.dumps({"id": "2", "type": "subscribe", "payload": {"query": TYPENAME}}))
        answer = await receive(ws)
        while answer.get("id") != "2":
            answer = await receive(ws)
        assert answer["payload"]["data"] == {"__typename": "Query"}


async def test_json_nested_a_thousand_levels_over_websocket(ws_url: str, gql: GraphQLClient) -> None:
    deep = '{"type": "ping", "payload": {"v": ' + DEEP_ARRAY + "}}"
    async with connect(ws_url) as ws:  # graphql-transport-ws: an unreadable message closes with 4400
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert (await receive(ws))["type"] == "connection_ack"
        await ws.send(deep)
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await receive(ws)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4400
    async with connect(ws_url, "graphql-ws") as ws:  # graphql-ws skips messages it cannot read
        await ws.send(deep)
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert (await receive(ws))["type"] == "connection_ack"
    assert (await gql(TYPENAME))["data"] == {"__typename": "Query"}


# -- the ASGI guard ------------------------------------------------------------------------------------


async def _boom(request: Request) -> Response:
    raise RuntimeError("injected failure")


async def _boom_midway(request: Request) -> Response:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"data": '
        raise RuntimeError("injected failure after the response started")

    return StreamingResponse(chunks(), media_type="application/json")


async def test_an_escaping_exception_becomes_a_json_500(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(settings)
    app.add_route("/test/boom", _boom)
    app.add_route("/test/boom-midway", _boom_midway)
    caplog.set_level(logging.ERROR)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40002))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            response = await http.get("/test/boom", headers={"x-request-id": "boom-1234"})
            assert response.status_code == 500
            assert response.headers["content-type"] == "application/json"
            assert response.headers["x-request-id"] == "boom-1234"
            assert response.json() == {
                "data": None,
                "errors": [
                    {"message": "Internal server error.", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}
                ],
            }
            [logged] = [record for record in caplog.records if record.exc_info]  # once, with its traceback
            assert "injected failure" in str(logged.exc_info) and "boom-1234" in logged.getMessage()

            caplog.clear()
            midway = await http.get("/test/boom-midway")
            assert midway.status_code == 200 and midway.content == b'{"data": '  # ended, not hung
            assert len([record for record in caplog.records if record.exc_info]) == 1

            answer = await http.post("/graphql", json={"query": TYPENAME})
            assert answer.json()["data"] == {"__typename": "Query"}


# -- readiness -----------------------------------------------------------------------------------------


async def test_readiness_is_503_while_migrations_are_pending(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    engine = app.state.services.engine
    async with engine.begin() as connection:
        revisions = (
            (await connection.execute(text("SELECT version_num FROM alembic_version"))).scalars().all()
        )
        await connection.execute(text("DELETE FROM alembic_version"))  # as on a database never migrated
    try:
        response = await client.get("/health/ready")
        assert response.status_code == 503
        body = response.json()
        assert body["status"] == "unavailable"
        assert body["checks"]["database"].startswith("migrations pending: at no revision")
        assert body["checks"]["cache"] == "ok"
    finally:
        async with engine.begin() as connection:
            for revision in revisions:
                insert = text("INSERT INTO alembic_version (version_num) VALUES (:revision)")
                await connection.execute(insert, {"revision": revision})
    assert (await client.get("/health/ready")).status_code == 200
