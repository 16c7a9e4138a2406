"""Ids, cursors, cancellation, error logging and production settings, through HTTP.

Global ids name a Node type and a canonical key, or nothing: node(id:) is null and id arguments
are BAD_USER_INPUT otherwise. Cursors are refused by every list but their own. A sibling field's
failure never turns shared DataLoader work into a CancelledError (a plain-text HTTP 500). A masked
error is logged once. Production refuses weak JWT secrets and answers no "Did you mean ..." hints.
"""

from __future__ import annotations

import base64
import logging
import secrets
import uuid
from typing import Any

import httpx
import pytest
from graphql import GraphQLInterfaceType, GraphQLObjectType

from reelgraph.app import create_app
from reelgraph.config import ConfigError, Settings
from reelgraph.schema.ids import KEY_PARSERS
from reelgraph.schema.root import schema
from tests.catalog_fixtures import isolated_app
from tests.helpers import GraphQLClient, error_codes, register

NODE = "query($id: ID!) { node(id: $id) { __typename id } }"


def global_id(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


# Each of these is no node of this server, whatever argument it is sent in.
NOT_OURS = {
    "unknown type": "foo:bar",
    "non-Node type": "Query:1",
    "the Node interface": "Node:1",
    "2^31 (past PostgreSQL's INTEGER)": f"User:{2**31}",
    "2^63": f"User:{2**63}",
    "2^64": f"Review:{2**64}",
    "Arabic-Indic digits": "Movie:٦٠٣",
    "leading zeros": "Movie:007",
    "a sign": "Movie:+603",
    "zero": "Movie:0",
    "a session that is no UUID": "ChatSession:not-a-uuid",
    "a session UUID in upper case": f"ChatSession:{str(uuid.uuid4()).upper()}",
}
MALFORMED = {
    "not base64": "garbage",
    "missing padding": global_id("Movie:603").rstrip("=") + "!",
    "empty": "",
}


@pytest.fixture
async def admin(gql: GraphQLClient, app: Any) -> dict[str, Any]:
    session = await register(gql, name="Admin")
    user_id = int(base64.b64decode(session["user"]["id"]).decode().split(":")[1])
    await app.state.services.admin.assign_role(user_id, "ADMIN")
    return session


# -- ids ----------------------------------------------------------------------------------------------


def test_every_node_type_has_a_key_parser() -> None:
    graphql_schema = schema._schema
    node = graphql_schema.get_type("Node")
    assert isinstance(node, GraphQLInterfaceType)
    implementations = {
        name
        for name, type_ in graphql_schema.type_map.items()
        if isinstance(type_, GraphQLObjectType) and node in type_.interfaces
    }
    assert implementations == set(KEY_PARSERS)


@pytest.mark.parametrize("raw", [*NOT_OURS.values()], ids=[*NOT_OURS])
async def test_node_is_null_for_ids_not_ours(gql: GraphQLClient, raw: str) -> None:
    body = await gql(NODE, {"id": global_id(raw)})
    assert body == {"data": {"node": None}, "extensions": body["extensions"], "_status": 200}


@pytest.mark.parametrize("value", [*MALFORMED.values()], ids=[*MALFORMED])
async def test_node_is_null_for_malformed_ids(gql: GraphQLClient, value: str) -> None:
    body = await gql(NODE, {"id": value})
    assert "errors" not in body and body["data"] == {"node": None}


async def test_node_still_finds_what_is_ours(gql: GraphQLClient) -> None:
    found = (await gql(NODE, {"id": global_id("Movie:603")}))["data"]["node"]
    assert found == {"__typename": "Movie", "id": global_id("Movie:603")}
    user = await register(gql)
    assert (await gql(NODE, {"id": user["user"]["id"]}))["data"]["node"]["__typename"] == "User"


def _refused(body: dict[str, Any], argument: str) -> bool:
    return (
        error_codes(body) == ["BAD_USER_INPUT"]
        and body["errors"][0]["extensions"].get("field") == argument
        and argument in body["errors"][0]["message"]
    )


ASSIGN = "mutation($u: ID!) { assignRole(userId: $u, role: ADMIN) { errors { code } } }"
REVOKE = "mutation($u: ID!) { revokeRole(userId: $u, role: ADMIN) { errors { code } } }"
DELETE_USER = "mutation($u: ID!) { deleteUser(userId: $u) { ok errors { code } } }"
UPDATE_REVIEW = 'mutation($u: ID!) { updateReview(id: $u, body: "x") { errors { code } } }'
DELETE_REVIEW = "mutation($u: ID!) { deleteReview(id: $u) { ok errors { code } } }"
CHAT = 'mutation($u: ID!) { chat(message: "hello", sessionId: $u) { reply errors { code } } }'
ARGUMENTS = {
    "assignRole": (ASSIGN, "userId", "User"),
    "revokeRole": (REVOKE, "userId", "User"),
    "deleteUser": (DELETE_USER, "userId", "User"),
    "updateReview": (UPDATE_REVIEW, "id", "Review"),
    "deleteReview": (DELETE_REVIEW, "id", "Review"),
    "chat": (CHAT, "sessionId", "ChatSession"),
}


@pytest.mark.parametrize("mutation", [*ARGUMENTS])
async def test_id_arguments_refuse_ids_not_ours(
    gql: GraphQLClient, admin: dict[str, Any], mutation: str
) -> None:
    query, argument, type_name = ARGUMENTS[mutation]
    token = admin["accessToken"]
    # The same cases, spelled for this argument's type where the type matters.
    key = uuid.uuid4().hex if type_name == "ChatSession" else None
    cases = [
        *NOT_OURS.values(),
        f"{type_name}:{2**31}",
        f"{type_name}:{2**63}",
        f"{type_name}:{2**64}",
        f"{type_name}:٦",
        f"{type_name}:007",
        f"{type_name}:{key}" if key else f"{type_name}:+1",  # an unhyphenated UUID is not canonical
        "Movie:603",  # a real node, of another type
    ]
    for raw in cases:
        body = await gql(query, {"u": global_id(raw)}, token=token)
        assert _refused(body, argument), (raw, body)
    for value in MALFORMED.values():
        assert _refused(await gql(query, {"u": value}, token=token), argument), value


async def test_canonical_ids_still_reach_the_mutations(gql: GraphQLClient, admin: dict[str, Any]) -> None:
    missing = global_id(f"User:{2**31 - 1}")  # the largest key: in range, just not there
    body = await gql(ASSIGN, {"u": missing}, token=admin["accessToken"])
    assert body["data"]["assignRole"]["errors"] == [{"code": "USER_NOT_FOUND"}]
    body = await gql(DELETE_REVIEW, {"u": global_id(f"Review:{2**31 - 1}")}, token=admin["accessToken"])
    assert body["data"]["deleteReview"]["errors"] == [{"code": "REVIEW_NOT_FOUND"}]


# -- cursors ------------------------------------------------------------------------------------------

TRENDING = "query($after: String) { trending(first: 2, after: $after) { pageInfo { endCursor } } }"
TRENDING_DAY = (
    "query($after: String) { trending(window: DAY, first: 2, after: $after) { pageInfo { endCursor } } }"
)
DISCOVER = (
    "query($after: String) { discover(filter: {genres: [878]}, first: 2, after: $after) "
    "{ pageInfo { endCursor } } }"
)
RATINGS = """query($id: ID!, $after: String) { node(id: $id) { ... on User {
  ratings(first: 1, after: $after) { pageInfo { endCursor } } } } }"""
USER_REVIEWS = """query($id: ID!, $after: String) { node(id: $id) { ... on User {
  reviews(first: 1, after: $after) { pageInfo { endCursor } } } } }"""
MOVIE_REVIEWS = """query($after: String) { movie(tmdbId: 603) {
  reviews(first: 1, after: $after) { pageInfo { endCursor } } } }"""
RATE = "mutation($m: Int!) { rateMovie(movieId: $m, value: 4) { errors { code } } }"
REVIEW = 'mutation($m: Int!) { createReview(movieId: $m, body: "Seen it") { errors { code } } }'


def _after_refused(body: dict[str, Any]) -> bool:
    return error_codes(body) == ["BAD_USER_INPUT"] and body["errors"][0]["extensions"]["field"] == "after"


async def test_a_movie_list_cursor_is_refused_by_other_lists(gql: GraphQLClient) -> None:
    trending = (await gql(TRENDING))["data"]["trending"]["pageInfo"]["endCursor"]
    discover = (await gql(DISCOVER))["data"]["discover"]["pageInfo"]["endCursor"]
    assert "errors" not in await gql(TRENDING, {"after": trending})  # its own list takes it
    assert _after_refused(await gql(DISCOVER, {"after": trending}))
    assert _after_refused(await gql(TRENDING, {"after": discover}))
    assert _after_refused(await gql(TRENDING_DAY, {"after": trending}))  # another window


async def test_a_row_cursor_is_refused_on_another_owners_list(
    gql: GraphQLClient, admin: dict[str, Any]
) -> None:
    ann, bob = await register(gql, name="Ann"), await register(gql, name="Bob")
    for user in (ann, bob):
        for movie in (603, 604):
            assert (await gql(RATE, {"m": movie}, token=user["accessToken"]))["data"]["rateMovie"][
                "errors"
            ] == []
            assert (await gql(REVIEW, {"m": movie}, token=user["accessToken"]))["data"]["createReview"][
                "errors"
            ] == []
    token = admin["accessToken"]

    async def end_cursor(query: str, user: dict[str, Any], field: str) -> str:
        body = await gql(query, {"id": user["user"]["id"]}, token=token)
        return str(body["data"]["node"][field]["pageInfo"]["endCursor"])

    anns_ratings = await end_cursor(RATINGS, ann, "ratings")
    assert "errors" not in await gql(RATINGS, {"id": ann["user"]["id"], "after": anns_ratings}, token=token)
    assert _after_refused(await gql(RATINGS, {"id": bob["user"]["id"], "after": anns_ratings}, token=token))
    anns_reviews = await end_cursor(USER_REVIEWS, ann, "reviews")
    assert _after_refused(await gql(USER_REVIEWS, {"id": bob["user"]["id"], "after": anns_reviews}))
    assert _after_refused(await gql(MOVIE_REVIEWS, {"after": anns_reviews}))  # same kind, other owner


# -- cancellation -------------------------------------------------------------------------------------

# Signed in (the hidden-movies filter awaits the viewer), on a movie no cache holds yet: `similar`
# fails at once while its siblings wait on DataLoader futures that they share.
SIBLING_FAILS = """{ movie(tmdbId: 11) { recommendations { recommendations {
  similar(first: -1) { overview } recommendations(first: 5) { releaseDate } } } } }"""


async def test_a_failing_sibling_does_not_cancel_shared_loads(settings: Settings) -> None:
    async with isolated_app(settings) as isolated:
        user = await register(isolated.gql)
        response = await isolated.http.post(
            "/graphql",
            json={"query": SIBLING_FAILS},
            headers={"authorization": f"Bearer {user['accessToken']}"},
        )
        assert response.status_code == 200
        body = response.json()
        assert set(error_codes(body)) == {"BAD_USER_INPUT"}, body["errors"][:3]
        assert all(error["path"][-1] == "similar" for error in body["errors"])


# -- logging ------------------------------------------------------------------------------------------


async def test_a_masked_error_is_logged_once_with_request_id_and_traceback(
    client: httpx.AsyncClient, app: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom in trending")

    monkeypatch.setattr(app.state.services.browse, "trending", broken)
    caplog.set_level(logging.ERROR, logger="reelgraph.errors")
    response = await client.post("/graphql", json={"query": "{ trending { totalCount } }"})
    body = response.json()
    assert error_codes(body) == ["INTERNAL_SERVER_ERROR"]
    assert "boom" not in response.text
    records = [r for r in caplog.records if r.name == "reelgraph.errors"]
    assert len(records) == 1, [r.getMessage() for r in records]
    assert records[0].request_id == response.headers["x-request-id"]  # type: ignore[attr-defined]  # set through extra=
    assert records[0].exc_info is not None and "boom in trending" in str(records[0].exc_info[1])


# -- production ---------------------------------------------------------------------------------------

ORIGIN = "https://app.example.com"


def _production(settings: Settings, secret: str) -> Settings:
    return settings.model_copy(update={"env": "production", "cors_origins": [ORIGIN], "jwt_secret": secret})


@pytest.mark.parametrize(
    "secret",
    [" " * 40, "a" * 40, "ab" * 20, "test-secret-" + "x" * 40, "abcdefghijklmnopqrstuvwxyz012345" * 2],
    ids=["spaces", "one letter", "two letters", "mostly one letter", "a repeated alphabet"],
)
def test_production_refuses_weak_jwt_secrets_at_startup(settings: Settings, secret: str) -> None:
    with pytest.raises(ConfigError, match="REELGRAPH_JWT_SECRET"):
        create_app(_production(settings, secret))


def test_production_accepts_random_jwt_secrets(settings: Settings) -> None:
    for secret in (secrets.token_urlsafe(32), secrets.token_hex(32)):
        create_app(_production(settings, secret))


TYPO_FIELD = "{ movie(tmdbId: 603) { titel } }"
TYPO_ENUM = "{ trending(window: WEK) { totalCount } }"
TYPO_VARIABLE = ("query($w: TimeWindow) { trending(window: $w) { totalCount } }", {"w": "WEK"})


async def _messages(gql: GraphQLClient) -> list[str]:
    bodies = [await gql(TYPO_FIELD), await gql(TYPO_ENUM), await gql(*TYPO_VARIABLE)]
    for body in bodies:
        assert error_codes(body) == ["GRAPHQL_VALIDATION_FAILED"], body
    return [body["errors"][0]["message"] for body in bodies]


async def test_no_suggestions_in_production(settings: Settings) -> None:
    app = create_app(_production(settings, secrets.token_urlsafe(32)))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://test") as http,
    ):
        messages = await _messages(GraphQLClient(http))
    assert not any("Did you mean" in message for message in messages), messages
    assert "titel" in messages[0]  # the error itself stays


async def test_suggestions_stay_in_development(gql: GraphQLClient) -> None:
    assert all("Did you mean" in message for message in await _messages(gql))
