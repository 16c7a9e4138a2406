"""Accounts over HTTP: register, login, tokens, sessions, passwords, profile."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from argon2 import PasswordHasher

from reelgraph.persistence.models import UserRow
from tests.conftest import RecordingMailer
from tests.helpers import PASSWORD, REGISTER, GraphQLClient, error_codes, register, unique_email

LOGIN = """
mutation Login($input: LoginInput!) {
  login(input: $input) { accessToken refreshToken expiresIn user { id email } errors { field code message } }
}
"""
VIEWER = "{ viewer { id name email locale region dateOfBirth roles createdAt } }"
REFRESH = """
mutation Refresh($token: String!) {
  refreshToken(refreshToken: $token) { accessToken refreshToken errors { code field } }
}
"""
LOGOUT = """
mutation Logout($token: String, $all: Boolean) {
  logout(refreshToken: $token, allSessions: $all) { ok errors { code } }
}
"""


async def login(gql: GraphQLClient, email: str, password: str = PASSWORD) -> dict[str, Any]:
    return (await gql(LOGIN, {"input": {"email": email, "password": password}}))["data"]["login"]


async def test_register_login_viewer_round_trip(gql: GraphQLClient) -> None:
    email = unique_email()
    created = await register(gql, email=email, name="  Ann Lee ")
    assert created["user"]["email"] == email
    assert created["user"]["name"] == "Ann Lee"
    assert created["user"]["roles"] == ["USER"]
    assert created["user"]["locale"] == "en-US"
    assert created["expiresIn"] > 0

    signed_in = await login(gql, email.upper())  # emails are case-insensitive
    assert signed_in["errors"] == []
    me = (await gql(VIEWER, token=signed_in["accessToken"]))["data"]["viewer"]
    assert me["id"] == created["user"]["id"]
    assert me["email"] == email
    assert me["roles"] == ["USER"]


async def test_anonymous_viewer_is_null(gql: GraphQLClient) -> None:
    assert (await gql(VIEWER))["data"] == {"viewer": None}


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("email", "not-an-email", "INVALID_EMAIL"),
        ("email", "a@b", "INVALID_EMAIL"),
        ("password", "short", "WEAK_PASSWORD"),
        ("password", "aaaaaaaaaaaaaaaa", "WEAK_PASSWORD"),
        ("name", "x" * 101, "NAME_TOO_LONG"),
        ("name", "   ", "INVALID_NAME"),
        ("locale", "english", "INVALID_LOCALE"),
    ],
)
async def test_register_rejects_bad_input_and_writes_nothing(
    gql: GraphQLClient, field: str, value: str, code: str
) -> None:
    values = {"email": unique_email(), "password": PASSWORD, "name": "Ann", field: value}
    payload = (await gql(REGISTER, {"input": values}))["data"]["register"]
    assert payload["accessToken"] is None and payload["user"] is None
    assert [error["code"] for error in payload["errors"]] == [code]
    assert payload["errors"][0]["field"] == ["input", field]
    if field != "email":  # nothing half-written: the address is still free to register
        assert (await login(gql, values["email"]))["errors"][0]["code"] == "INVALID_CREDENTIALS"
        await register(gql, email=values["email"])


async def test_register_reports_every_problem_at_once(gql: GraphQLClient) -> None:
    payload = (await gql(REGISTER, {"input": {"email": "nope", "password": "x", "name": ""}}))["data"][
        "register"
    ]
    assert {error["code"] for error in payload["errors"]} == {
        "INVALID_EMAIL",
        "WEAK_PASSWORD",
        "INVALID_NAME",
    }


async def test_duplicate_email_is_refused_even_concurrently(gql: GraphQLClient) -> None:
    email = unique_email()
    results = await asyncio.gather(
        *(gql(REGISTER, {"input": {"email": email, "password": PASSWORD, "name": "Twin"}}) for _ in range(4))
    )
    codes = [[error["code"] for error in body["data"]["register"]["errors"]] for body in results]
    assert codes.count([]) == 1
    assert codes.count(["EMAIL_TAKEN"]) == 3
    again = await gql(REGISTER, {"input": {"email": email.upper(), "password": PASSWORD, "name": "X"}})
    assert again["data"]["register"]["errors"][0]["code"] == "EMAIL_TAKEN"


async def test_wrong_password_and_unknown_email_look_the_same(gql: GraphQLClient) -> None:
    email = unique_email()
    await register(gql, email=email)
    wrong = await login(gql, email, "not the password")
    unknown = await login(gql, unique_email(), "not the password")
    assert wrong["errors"] == unknown["errors"]
    assert wrong["errors"][0]["code"] == "INVALID_CREDENTIALS"
    assert wrong["accessToken"] is None


async def test_repeated_failures_are_rate_limited_per_email(gql: GraphQLClient) -> None:
    email = unique_email()
    await register(gql, email=email)
    for _ in range(5):
        assert (await login(gql, email, "wrong password!"))["errors"][0]["code"] == "INVALID_CREDENTIALS"
    body = await gql(LOGIN, {"input": {"email": email, "password": PASSWORD}})
    assert error_codes(body) == ["RATE_LIMITED"]
    assert body["errors"][0]["extensions"]["retryAfter"] > 0
    # Other accounts from the same address still get in.
    other = unique_email()
    await register(gql, email=other)
    assert (await login(gql, other))["errors"] == []


async def test_repeated_failures_are_rate_limited_per_address(app: Any) -> None:
    transport = httpx.ASGITransport(app=app, client=("10.9.8.7", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        gql = GraphQLClient(http)
        codes = []
        for _ in range(21):
            body = await gql(LOGIN, {"input": {"email": unique_email(), "password": "wrong password!"}})
            codes.append(
                error_codes(body)[0] if body.get("errors") else body["data"]["login"]["errors"][0]["code"]
            )
        assert codes[:20] == ["INVALID_CREDENTIALS"] * 20
        assert codes[20] == "RATE_LIMITED"


async def test_refresh_rotates_and_reuse_revokes_the_family(gql: GraphQLClient) -> None:
    session = await register(gql)
    first = (await gql(REFRESH, {"token": session["refreshToken"]}))["data"]["refreshToken"]
    assert first["errors"] == [] and first["refreshToken"] != session["refreshToken"]
    assert (await gql(VIEWER, token=first["accessToken"]))["data"]["viewer"]["id"] == session["user"]["id"]

    # The old token stops working...
    replay = (await gql(REFRESH, {"token": session["refreshToken"]}))["data"]["refreshToken"]
    assert replay["errors"][0]["code"] == "INVALID_REFRESH_TOKEN"
    # ...and its reuse ended the whole family, including the newest token.
    newest = (await gql(REFRESH, {"token": first["refreshToken"]}))["data"]["refreshToken"]
    assert newest["errors"][0]["code"] == "INVALID_REFRESH_TOKEN"


async def test_garbage_refresh_token(gql: GraphQLClient) -> None:
    payload = (await gql(REFRESH, {"token": "garbage"}))["data"]["refreshToken"]
    assert payload["errors"] == [{"code": "INVALID_REFRESH_TOKEN", "field": ["refreshToken"]}]


async def test_logout_one_session_keeps_the_others(gql: GraphQLClient) -> None:
    email = unique_email()
    phone = await register(gql, email=email)
    laptop = await login(gql, email)
    assert (await gql(LOGOUT, {"token": phone["refreshToken"]}))["data"]["logout"] == {
        "ok": True,
        "errors": [],
    }
    assert (await gql(REFRESH, {"token": phone["refreshToken"]}))["data"]["refreshToken"]["errors"]
    assert (await gql(REFRESH, {"token": laptop["refreshToken"]}))["data"]["refreshToken"]["errors"] == []


async def test_logout_everywhere_revokes_refresh_and_access_tokens(gql: GraphQLClient) -> None:
    email = unique_email()
    phone = await register(gql, email=email)
    laptop = await login(gql, email)
    body = await gql(LOGOUT, {"all": True}, token=laptop["accessToken"])
    assert body["data"]["logout"]["ok"] is True
    assert (await gql(REFRESH, {"token": phone["refreshToken"]}))["data"]["refreshToken"]["errors"]
    assert (await gql(REFRESH, {"token": laptop["refreshToken"]}))["data"]["refreshToken"]["errors"]
    assert error_codes(await gql(VIEWER, token=phone["accessToken"])) == ["UNAUTHENTICATED"]
    # Signing in again afterwards works.
    again = await login(gql, email)
    assert (await gql(VIEWER, token=again["accessToken"]))["data"]["viewer"]["email"] == email


async def test_logout_everywhere_needs_a_viewer(gql: GraphQLClient) -> None:
    assert error_codes(await gql(LOGOUT, {"all": True})) == ["UNAUTHENTICATED"]


def _forge(claims: dict[str, Any], key: str, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, key, algorithm=algorithm)


async def test_bad_access_tokens_are_unauthenticated(gql: GraphQLClient, settings: Any) -> None:
    session = await register(gql)
    good = jwt.decode(session["accessToken"], options={"verify_signature": False})
    secret = settings.jwt_secret
    now = datetime.now(UTC)
    _, payload, _ = session["accessToken"].split(".")
    import base64
    import json

    none_header = (
        base64.urlsafe_b64encode(json.dumps({"alg": "none", "typ": "JWT"}).encode()).rstrip(b"=").decode()
    )
    tokens = {
        "alg none": f"{none_header}.{payload}.",
        "wrong signature": _forge(good, "another-secret-of-sufficient-length-000000"),
        "expired": _forge(
            {**good, "iat": (now - timedelta(hours=2)).timestamp(), "exp": now - timedelta(hours=1)}, secret
        ),
        "garbage": "not.a.token",
        "unknown user": _forge({**good, "sub": "999999999"}, secret),
    }
    for name, token in tokens.items():
        body = await gql(VIEWER, token=token)
        assert error_codes(body) == ["UNAUTHENTICATED"], name
        assert body["data"] == {"viewer": None}, name
    malformed = await gql.http.post(
        "/graphql", json={"query": VIEWER}, headers={"authorization": "Token abc"}
    )
    assert malformed.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # A bad token does not block what needs no viewer.
    assert (await gql("{ __typename }", token="garbage"))["data"] == {"__typename": "Query"}


async def test_password_reset_flow(gql: GraphQLClient, mailer: RecordingMailer) -> None:
    email = unique_email()
    session = await register(gql, email=email)
    request = "mutation($e: String!) { requestPasswordReset(email: $e) { ok errors { code } } }"
    assert (await gql(request, {"e": email}))["data"]["requestPasswordReset"] == {"ok": True, "errors": []}
    # Unknown and malformed addresses get the very same answer and no mail.
    sent = len(mailer.outbox)
    for other in (unique_email(), "not an email"):
        assert (await gql(request, {"e": other}))["data"]["requestPasswordReset"] == {
            "ok": True,
            "errors": [],
        }
    assert len(mailer.outbox) == sent

    token = mailer.last_to(email).body.split("token=")[1].split()[0]
    reset = "mutation($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) { ok errors { code field } } }"
    weak = (await gql(reset, {"t": token, "p": "short"}))["data"]["resetPassword"]
    assert weak == {"ok": False, "errors": [{"code": "WEAK_PASSWORD", "field": ["newPassword"]}]}
    assert (await gql(reset, {"t": token, "p": "a brand new passphrase"}))["data"]["resetPassword"][
        "ok"
    ] is True
    # One use only; the old password and old sessions are gone, the new password works.
    reused = (await gql(reset, {"t": token, "p": "yet another passphrase"}))["data"]["resetPassword"]
    assert reused["errors"][0]["code"] == "INVALID_RESET_TOKEN"
    assert (await login(gql, email))["errors"][0]["code"] == "INVALID_CREDENTIALS"
    assert (await login(gql, email, "a brand new passphrase"))["errors"] == []
    assert error_codes(await gql(VIEWER, token=session["accessToken"])) == ["UNAUTHENTICATED"]
    assert (await gql(REFRESH, {"token": session["refreshToken"]}))["data"]["refreshToken"]["errors"]
    bogus = (await gql(reset, {"t": "bogus", "p": "a brand new passphrase"}))["data"]["resetPassword"]
    assert bogus["errors"][0]["code"] == "INVALID_RESET_TOKEN"


async def test_change_password(gql: GraphQLClient) -> None:
    email = unique_email()
    session = await register(gql, email=email)
    change = """mutation($c: String!, $n: String!) {
      changePassword(currentPassword: $c, newPassword: $n) { ok errors { code field } } }"""
    wrong = await gql(
        change, {"c": "not it at all", "n": "another good phrase"}, token=session["accessToken"]
    )
    assert wrong["data"]["changePassword"]["errors"] == [
        {"code": "INVALID_CREDENTIALS", "field": ["currentPassword"]}
    ]
    weak = await gql(change, {"c": PASSWORD, "n": "short"}, token=session["accessToken"])
    assert weak["data"]["changePassword"]["errors"][0]["code"] == "WEAK_PASSWORD"
    ok = await gql(change, {"c": PASSWORD, "n": "another good phrase"}, token=session["accessToken"])
    assert ok["data"]["changePassword"] == {"ok": True, "errors": []}
    assert (await login(gql, email, "another good phrase"))["errors"] == []
    assert (await login(gql, email))["errors"][0]["code"] == "INVALID_CREDENTIALS"
    assert error_codes(await gql(change, {"c": PASSWORD, "n": "another good phrase"})) == ["UNAUTHENTICATED"]


async def test_update_profile(gql: GraphQLClient) -> None:
    session = await register(gql)
    token = session["accessToken"]
    update = """mutation($input: UpdateProfileInput!) {
      updateProfile(input: $input) { user { name locale region dateOfBirth } errors { code field } } }"""
    body = await gql(
        update,
        {"input": {"name": "Zoé", "locale": "fr-FR", "region": "FR", "dateOfBirth": "1990-05-17"}},
        token=token,
    )
    assert body["data"]["updateProfile"] == {
        "user": {"name": "Zoé", "locale": "fr-FR", "region": "FR", "dateOfBirth": "1990-05-17"},
        "errors": [],
    }
    bad = await gql(
        update, {"input": {"locale": "French", "region": "France", "name": "y" * 200}}, token=token
    )
    assert {e["code"] for e in bad["data"]["updateProfile"]["errors"]} == {
        "INVALID_LOCALE",
        "INVALID_REGION",
        "NAME_TOO_LONG",
    }
    future = await gql(update, {"input": {"dateOfBirth": "2999-01-01"}}, token=token)
    assert future["data"]["updateProfile"]["errors"][0]["code"] == "INVALID_DATE_OF_BIRTH"
    # Nothing of the refused updates was written; an explicit null clears an optional field.
    cleared = await gql(update, {"input": {"region": None}}, token=token)
    assert cleared["data"]["updateProfile"]["user"] == {
        "name": "Zoé",
        "locale": "fr-FR",
        "region": None,
        "dateOfBirth": "1990-05-17",
    }
    bad_date = await gql(update, {"input": {"dateOfBirth": "17/05/1990"}}, token=token)
    assert error_codes(bad_date) and bad_date["data"] is None
    assert error_codes(await gql(update, {"input": {"name": "x"}})) == ["UNAUTHENTICATED"]


async def test_private_fields_are_hidden_from_others(gql: GraphQLClient) -> None:
    alice = await register(gql)
    bob = await register(gql)
    query = "query($id: ID!) { node(id: $id) { ... on User { name email dateOfBirth } } }"
    seen_by_bob = (await gql(query, {"id": alice["user"]["id"]}, token=bob["accessToken"]))["data"]["node"]
    assert seen_by_bob["name"] == "Ann" and seen_by_bob["email"] is None
    seen_by_alice = (await gql(query, {"id": alice["user"]["id"]}, token=alice["accessToken"]))["data"][
        "node"
    ]
    assert seen_by_alice["email"] is not None


async def test_login_rehashes_when_parameters_change(gql: GraphQLClient, app: Any) -> None:
    email = unique_email()
    await register(gql, email=email)
    sessions = app.state.services.sessions
    weak_hash = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    from sqlalchemy import select, update

    async with sessions.begin() as session:
        await session.execute(update(UserRow).where(UserRow.email == email).values(password_hash=weak_hash))
    assert (await login(gql, email))["errors"] == []
    async with sessions() as session:
        stored = (
            await session.execute(select(UserRow.password_hash).where(UserRow.email == email))
        ).scalar_one()
    assert stored != weak_hash and "m=65536" in stored
    assert (await login(gql, email))["errors"] == []
