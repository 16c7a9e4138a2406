"""Identities and sessions: ids never come back, every access token belongs to a login session that
signing out (in every way) ends at once, on every replica; malformed claims are UNAUTHENTICATED."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel
from starlette.applications import Starlette

from reelgraph.app import create_app
from reelgraph.config import Settings
from reelgraph.persistence.migrate import alembic_config
from tests.conftest import RecordingMailer
from tests.helpers import PASSWORD, GraphQLClient, error_codes, register, unique_email
from tests.library_fixtures import SET, member, promoted, remove_kind, set_kind

VIEWER = "{ viewer { id email } }"
LIBRARY = "{ viewer { interactions(first: 10) { totalCount } } }"
LOGIN = """mutation($e: String!, $p: String!) {
  login(input: {email: $e, password: $p}) { accessToken refreshToken user { id } errors { code } } }"""
REFRESH = (
    "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken refreshToken errors { code } } }"
)
LOGOUT = """mutation($t: String, $all: Boolean) {
  logout(refreshToken: $t, allSessions: $all) { ok errors { code } } }"""
CHANGE = """mutation($c: String!, $n: String!) {
  changePassword(currentPassword: $c, newPassword: $n) { ok errors { code } } }"""
DELETE_USER = "mutation($u: ID!) { deleteUser(userId: $u) { ok errors { code } } }"
UPDATE = """mutation($d: Date) { updateProfile(input: {dateOfBirth: $d}) {
  user { dateOfBirth } errors { code field } } }"""
USERS = "query($s: String) { users(first: 100, search: $s) { totalCount nodes { name email } } }"


async def login(gql: GraphQLClient, email: str, password: str = PASSWORD) -> dict[str, Any]:
    payload = (await gql(LOGIN, {"e": email, "p": password}))["data"]["login"]
    assert payload["errors"] == [], payload
    return payload  # type: ignore[no-any-return]


async def signed_in(gql: GraphQLClient, token: str) -> bool:
    body = await gql(VIEWER, token=token)
    if error_codes(body) == ["UNAUTHENTICATED"]:
        return False
    assert body["data"]["viewer"], body
    return True


def claims_of(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


# --- identities never come back ---------------------------------------------------------------


async def test_a_deleted_accounts_token_never_acts_for_the_next_account(
    gql: GraphQLClient, app: Starlette
) -> None:
    admin = await promoted(gql, app, "ADMIN", name="Admin")
    doomed = await member(gql, name="Doomed")
    deleted = await gql(DELETE_USER, {"u": doomed.id}, token=admin.token)
    assert deleted["data"]["deleteUser"] == {"ok": True, "errors": []}

    newcomer = await member(gql, name="Newcomer")
    # The newest account was deleted, yet its id is not handed out again (SQLite did, before).
    assert newcomer.pk > doomed.pk
    await set_kind(gql, newcomer, 603, "WATCH_LATER")
    assert error_codes(await gql(LIBRARY, token=doomed.token)) == ["UNAUTHENTICATED"]
    written = await gql(SET, {"movie": 550, "kind": "SEEN"}, token=doomed.token)
    assert error_codes(written) == ["UNAUTHENTICATED"]
    library = await gql(LIBRARY, token=newcomer.token)
    assert library["data"]["viewer"]["interactions"]["totalCount"] == 1


async def test_interaction_ids_are_not_reused(gql: GraphQLClient) -> None:
    user = await member(gql)
    first = (await set_kind(gql, user, 603, "SEEN"))["interaction"]["id"]
    await remove_kind(gql, user, 603, "SEEN")
    second = (await set_kind(gql, user, 603, "SEEN"))["interaction"]["id"]
    assert second != first


async def test_a_token_names_its_session_and_the_session_its_account(
    gql: GraphQLClient, settings: Settings
) -> None:
    alice = await register(gql)
    bob = await register(gql)
    alice_claims, bob_claims = claims_of(alice["accessToken"]), claims_of(bob["accessToken"])
    assert alice_claims["sid"] != bob_claims["sid"]
    assert settings.jwt_secret is not None
    # Even signed with the real secret, Alice's session cannot carry Bob's id.
    crossed = jwt.encode({**alice_claims, "sub": bob_claims["sub"]}, settings.jwt_secret, algorithm="HS256")
    assert not await signed_in(gql, crossed)
    unknown = jwt.encode({**alice_claims, "sid": "no-such-session"}, settings.jwt_secret, algorithm="HS256")
    assert not await signed_in(gql, unknown)
    assert await signed_in(gql, alice["accessToken"])


# --- sessions end for real ----------------------------------------------------------------------


async def test_logout_with_a_refresh_token_ends_that_sessions_access_tokens(gql: GraphQLClient) -> None:
    email = unique_email()
    phone = await register(gql, email=email)
    laptop = await login(gql, email)
    assert (await gql(LOGOUT, {"t": phone["refreshToken"]}))["data"]["logout"]["ok"] is True
    assert not await signed_in(gql, phone["accessToken"])
    assert await signed_in(gql, laptop["accessToken"])


async def test_logout_everywhere_ends_every_access_token(gql: GraphQLClient) -> None:
    email = unique_email()
    phone = await register(gql, email=email)
    laptop = await login(gql, email)
    rotated = (await gql(REFRESH, {"t": laptop["refreshToken"]}))["data"]["refreshToken"]
    assert (await gql(LOGOUT, {"all": True}, token=laptop["accessToken"]))["data"]["logout"]["ok"]
    for token in (phone["accessToken"], laptop["accessToken"], rotated["accessToken"]):
        assert not await signed_in(gql, token)


async def test_change_password_ends_every_other_session(gql: GraphQLClient) -> None:
    email = unique_email()
    phone = await register(gql, email=email)
    laptop = await login(gql, email)
    changed = await gql(CHANGE, {"c": PASSWORD, "n": "a new pass phrase"}, token=laptop["accessToken"])
    assert changed["data"]["changePassword"] == {"ok": True, "errors": []}
    # The other device is out at once; this one, which proved it knows the password, carries on.
    assert not await signed_in(gql, phone["accessToken"])
    assert (await gql(REFRESH, {"t": phone["refreshToken"]}))["data"]["refreshToken"]["errors"]
    assert await signed_in(gql, laptop["accessToken"])
    kept = (await gql(REFRESH, {"t": laptop["refreshToken"]}))["data"]["refreshToken"]
    assert kept["errors"] == [] and await signed_in(gql, kept["accessToken"])
    assert await signed_in(gql, (await login(gql, email, "a new pass phrase"))["accessToken"])


async def test_reset_password_ends_every_session(gql: GraphQLClient, mailer: RecordingMailer) -> None:
    email = unique_email()
    phone = await register(gql, email=email)
    laptop = await login(gql, email)
    await gql("mutation($e: String!) { requestPasswordReset(email: $e) { ok } }", {"e": email})
    token = mailer.last_to(email).body.split("token=")[1].split()[0]
    reset = await gql(
        'mutation($t: String!) { resetPassword(token: $t, newPassword: "another pass phrase") { ok } }',
        {"t": token},
    )
    assert reset["data"]["resetPassword"]["ok"] is True
    assert not await signed_in(gql, phone["accessToken"])
    assert not await signed_in(gql, laptop["accessToken"])


async def test_refresh_token_reuse_ends_that_sessions_access_tokens(gql: GraphQLClient) -> None:
    email = unique_email()
    stolen = await register(gql, email=email)
    other = await login(gql, email)
    rotated = (await gql(REFRESH, {"t": stolen["refreshToken"]}))["data"]["refreshToken"]
    assert await signed_in(gql, rotated["accessToken"])
    replayed = (await gql(REFRESH, {"t": stolen["refreshToken"]}))["data"]["refreshToken"]
    assert replayed["errors"] == [{"code": "INVALID_REFRESH_TOKEN"}]
    assert not await signed_in(gql, rotated["accessToken"])
    assert not await signed_in(gql, stolen["accessToken"])
    assert await signed_in(gql, other["accessToken"])  # another login session of the same account


async def test_delete_user_ends_every_session(gql: GraphQLClient, app: Starlette) -> None:
    admin = await promoted(gql, app, "ADMIN", name="Admin")
    email = unique_email()
    phone = await register(gql, email=email)
    laptop = await login(gql, email)
    assert (await gql(DELETE_USER, {"u": phone["user"]["id"]}, token=admin.token))["data"]["deleteUser"]["ok"]
    assert not await signed_in(gql, phone["accessToken"])
    assert not await signed_in(gql, laptop["accessToken"])


@pytest.fixture
async def second_replica(settings: Settings, mailer: RecordingMailer) -> AsyncIterator[GraphQLClient]:
    """Another app instance over the same database, as a second `reelgraph serve` would be."""
    other = create_app(settings, mailer=mailer)
    async with other.router.lifespan_context(other):
        transport = httpx.ASGITransport(app=other, client=("127.0.0.1", 40001))
        async with httpx.AsyncClient(transport=transport, base_url="http://replica-b") as http:
            yield GraphQLClient(http)


async def test_a_session_revoked_on_one_replica_is_refused_by_the_other_within_a_second(
    gql: GraphQLClient, second_replica: GraphQLClient
) -> None:
    session = await register(gql)
    assert await signed_in(second_replica, session["accessToken"])
    assert (await gql(LOGOUT, {"t": session["refreshToken"]}))["data"]["logout"]["ok"] is True
    revoked_at = time.monotonic()
    while await signed_in(second_replica, session["accessToken"]):
        assert time.monotonic() - revoked_at < 1.0, "still accepted on the other replica after 1 s"


# --- malformed claims ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"sub": "²"},  # str.isdigit() says yes, int() says yes too: "²" is not an id
        {"sub": "٣"},  # an Arabic-Indic digit
        {"sub": "0"},
        {"sub": "-1"},
        {"sub": "9" * 30},
        {"sub": 7},
        {"exp": 10**30},
        {"exp": 1e300},
        {"iat": -(10**30)},
        {"iat": "yesterday"},
        {"jti": 5},
        {"jti": ["a"]},
        {"sid": 5},
        {"sid": None},
        {"sid": "x" * 10_000},
        {"typ": "refresh"},
    ],
)
async def test_odd_claims_signed_with_the_real_secret_are_unauthenticated(
    gql: GraphQLClient, settings: Settings, change: dict[str, Any]
) -> None:
    session = await register(gql)
    assert settings.jwt_secret is not None
    forged = jwt.encode(
        {**claims_of(session["accessToken"]), **change}, settings.jwt_secret, algorithm="HS256"
    )
    body = await gql(VIEWER, token=forged)
    assert body["_status"] != 500
    assert error_codes(body) == ["UNAUTHENTICATED"], body


async def test_a_token_without_a_session_is_unauthenticated(gql: GraphQLClient, settings: Settings) -> None:
    session = await register(gql)
    claims = claims_of(session["accessToken"])
    del claims["sid"]  # as issued before sessions existed
    assert settings.jwt_secret is not None
    assert not await signed_in(gql, jwt.encode(claims, settings.jwt_secret, algorithm="HS256"))


# --- search and dates of birth ------------------------------------------------------------------


async def test_user_search_matches_wildcards_literally(gql: GraphQLClient, app: Starlette) -> None:
    admin = await promoted(gql, app, "ADMIN", name="Admin")
    tag = unique_email("").split("@")[0].strip("-")
    await register(gql, name=f"{tag} under_score")
    await register(gql, name=f"{tag} 100% plain")
    await register(gql, name=f"{tag} back\\slash")
    everyone = (await gql(USERS, {"s": None}, token=admin.token))["data"]["users"]["totalCount"]
    for term, expected in (("_", "under_score"), ("%", "100% plain"), ("\\", "back\\slash")):
        found = (await gql(USERS, {"s": term}, token=admin.token))["data"]["users"]
        assert found["totalCount"] < everyone, term
        assert all(term in user["name"] or term in user["email"] for user in found["nodes"]), term
        assert f"{tag} {expected}" in [user["name"] for user in found["nodes"]], term


@pytest.mark.parametrize(
    ("given", "code"),
    [
        ("0001-01-01", "INVALID_DATE_OF_BIRTH"),
        ("1899-12-31", "INVALID_DATE_OF_BIRTH"),
        ((date.today() + timedelta(days=2)).isoformat(), "INVALID_DATE_OF_BIRTH"),
        ("1900-01-01", None),
        ((datetime.now(UTC).date() - timedelta(days=1)).isoformat(), None),
    ],
)
async def test_dates_of_birth_run_from_1900_to_today(
    gql: GraphQLClient, given: str, code: str | None
) -> None:
    session = await register(gql)
    payload = (await gql(UPDATE, {"d": given}, token=session["accessToken"]))["data"]["updateProfile"]
    if code is None:
        assert payload == {"user": {"dateOfBirth": given}, "errors": []}
    else:
        assert payload["errors"] == [{"code": code, "field": ["input", "dateOfBirth"]}]


# --- the schema the migrations build --------------------------------------------------------------


async def test_the_migrated_schema_matches_the_models(settings: Settings) -> None:
    await _assert_matches_models(settings.database_url)


def _fill_revision_0001(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA foreign_keys=ON")
        now, later = "2026-01-01 00:00:00.000000", "2099-01-01 00:00:00.000000"
        for user_id in (1, 2, 3):
            db.execute(
                "INSERT INTO users (id, email, name, password_hash, locale, created_at, updated_at) "
                "VALUES (?, ?, 'U', 'hash', 'en-US', ?, ?)",
                (user_id, f"u{user_id}@example.com", now, now),
            )
            db.execute(
                "INSERT INTO user_roles (user_id, role_id, granted_at) VALUES (?, 1, ?)", (user_id, now)
            )
        db.execute("INSERT INTO movies (tmdb_id, title, updated_at) VALUES (603, 'The Matrix', ?)", (now,))
        db.execute(
            "INSERT INTO reviews (user_id, movie_id, body, created_at, updated_at) VALUES (2, 603, 'ok', ?, ?)",
            (now, now),
        )
        db.execute(
            "INSERT INTO refresh_tokens (user_id, token_hash, family_id, expires_at, created_at) "
            "VALUES (2, 'live', 'family-live', ?, ?)",
            (later, now),
        )
        db.execute(
            "INSERT INTO refresh_tokens (user_id, token_hash, family_id, expires_at, created_at, revoked_at) "
            "VALUES (1, 'dead', 'family-dead', ?, ?, ?)",
            (later, now, now),
        )


def test_the_sqlite_upgrade_keeps_every_row_and_stops_reusing_ids(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    config = alembic_config(f"sqlite+aiosqlite:///{path}")
    command.upgrade(config, "0001")
    _fill_revision_0001(path)
    command.upgrade(config, "head")
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT id, email FROM users ORDER BY id").fetchall() == [
            (1, "u1@example.com"), (2, "u2@example.com"), (3, "u3@example.com"),
        ]  # fmt: skip
        assert db.execute("SELECT user_id, body FROM reviews").fetchall() == [(2, "ok")]
        assert db.execute("SELECT COUNT(*) FROM user_roles").fetchone() == (3,)
        # Refresh-token families became login sessions; a fully revoked family is a revoked session.
        sessions = db.execute("SELECT id, user_id, revoked_at IS NOT NULL FROM login_sessions ORDER BY id")
        assert sessions.fetchall() == [("family-dead", 1, 1), ("family-live", 2, 0)]
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        db.execute("PRAGMA foreign_keys=ON")
        db.execute("DELETE FROM users WHERE id = 3")
        db.execute(
            "INSERT INTO users (email, name, password_hash, locale, created_at, updated_at) "
            "VALUES ('new@example.com', 'N', 'hash', 'en-US', '2026-01-02', '2026-01-02')"
        )
        assert db.execute("SELECT id FROM users WHERE email = 'new@example.com'").fetchone() == (4,)
        # The cascades still hold: deleting a user takes their rows along.
        db.execute("DELETE FROM users WHERE id = 2")
        assert db.execute("SELECT COUNT(*) FROM reviews").fetchone() == (0,)
        assert db.execute("SELECT COUNT(*) FROM login_sessions WHERE user_id = 2").fetchone() == (0,)
        indexes = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"ix_users_email", "ix_reviews_user_id", "ix_refresh_tokens_family_id"} <= indexes
    asyncio.run(_assert_matches_models(f"sqlite+aiosqlite:///{path}"))


def _comparable(dialect: str) -> Any:
    """Alembic cannot reflect SQLite's expression indexes (`rating_count DESC`): it compares an
    approximate signature and reports them as different; PostgreSQL compares them for real."""

    def include(obj: Any, name: str | None, kind: str, reflected: bool, compare_to: Any) -> bool:
        if dialect != "sqlite" or kind != "index":
            return True
        index = compare_to if reflected else obj
        expressions = getattr(index, "expressions", ()) if index is not None else ()
        return not any(isinstance(e, sa.sql.elements.TextClause) for e in expressions)

    return include


async def _assert_matches_models(url: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            differences = await connection.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(
                        sync, opts={"compare_type": True, "include_object": _comparable(sync.dialect.name)}
                    ),
                    SQLModel.metadata,
                )
            )
    finally:
        await engine.dispose()
    assert differences == []
