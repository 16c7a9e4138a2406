"""importLibrary / importJob over HTTP: GraphQL multipart uploads of Letterboxd, IMDb and Trakt
exports, matched against the offline catalog, written idempotently; hostile uploads refused."""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from reelgraph.config import Settings
from reelgraph.errors import UserErrors
from reelgraph.jobs.registry import JobContext, registered_jobs
from reelgraph.library_files.errors import FileProblem, LibraryFileError
from reelgraph.library_files.parse import Source, parse_library
from reelgraph.persistence import imports as imports_repo
from reelgraph.services import library_import
from reelgraph.services.jobs import QueueSlot
from reelgraph.services.library_import import LibraryImportService
from tests import library_import_files as files
from tests.catalog_fixtures import Isolated, isolated_app
from tests.helpers import register

IMPORT = """
mutation Import($file: Upload!, $source: LibrarySource!, $dryRun: Boolean) {
  importLibrary(file: $file, source: $source, dryRun: $dryRun) {
    job { id source status dryRun processed matched skipped
          unmatched(first: 1000) { row title year reason } createdAt finishedAt }
    errors { code message }
  }
}
"""
LIBRARY = """
{ viewer {
    ratings(first: 100) { totalCount nodes { value createdAt movie { tmdbId } } }
    watchHistory(first: 100) { totalCount nodes { watchedAt movie { tmdbId } } }
    seen: interactions(kind: SEEN, first: 100) { totalCount nodes { movie { tmdbId } } }
    watchlist: interactions(kind: WATCH_LATER, first: 100) { totalCount nodes { createdAt movie { tmdbId } } }
    reviews(first: 100) { totalCount nodes { body rating movie { tmdbId } } }
} }
"""
COUNTS = """
{ viewer { ratings { totalCount } watchHistory { totalCount } interactions { totalCount } reviews { totalCount } } }
"""
JOB = "query Job($id: ID!) { importJob(id: $id) { id status processed matched } }"
PREFLIGHT = {"apollo-require-preflight": "true"}
AMELIE, CROUCHING_TIGER, CITY_OF_GOD, SPIRITED_AWAY, DAS_BOOT = 194, 146, 598, 129, 387
MATRIX, HEAT, LEON, OLDBOY = 603, 949, 101, 670


@pytest.fixture(scope="module")
async def env(settings: Settings) -> AsyncIterator[Isolated]:
    # The tests' upstream is in-process: no need to pace title searches as for the real TMDb.
    async with isolated_app(
        settings, upstream_rate_limit_per_second=100_000.0, upstream_rate_limit_burst=100_000
    ) as isolated:
        yield isolated


def multipart(source: str, dry_run: bool = False) -> dict[str, str]:
    """The GraphQL multipart request spec's fields: operations (file: null), then map."""
    operations = {"query": IMPORT, "variables": {"file": None, "source": source, "dryRun": dry_run}}
    return {"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})}


async def upload(
    env: Isolated,
    token: str | None,
    source: str,
    content: bytes,
    filename: str = "export.zip",
    *,
    dry_run: bool = False,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    sent = dict(PREFLIGHT if headers is None else headers)
    if token:
        sent["authorization"] = f"Bearer {token}"
    response = await env.http.post(
        "/graphql",
        data=multipart(source, dry_run),
        files={"0": (filename, content, "application/octet-stream")},
        headers=sent,
    )
    body: dict[str, Any] = response.json()
    body["_status"] = response.status_code
    return body


async def imported(
    env: Isolated, token: str, source: str, content: bytes, filename: str, **kw: Any
) -> dict[str, Any]:
    body = await upload(env, token, source, content, filename, **kw)
    assert body["_status"] == 200 and "errors" not in body, body
    payload = body["data"]["importLibrary"]
    assert payload["errors"] == [], payload
    job: dict[str, Any] = payload["job"]
    assert job["status"] == "SUCCEEDED", job  # jobs run eagerly in tests
    return job


async def library(env: Isolated, token: str) -> dict[str, Any]:
    body = await env.gql(LIBRARY, token=token)
    assert "errors" not in body, body
    viewer: dict[str, Any] = body["data"]["viewer"]
    return viewer


def by_movie(connection: dict[str, Any], field: str | None = None) -> dict[int, Any]:
    return {node["movie"]["tmdbId"]: (node[field] if field else node) for node in connection["nodes"]}


def bad_input(body: dict[str, Any]) -> dict[str, Any]:
    assert body["_status"] == 200, body
    assert body["data"] is None or body["data"].get("importLibrary") is None, body
    error: dict[str, Any] = body["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert error["extensions"]["field"] == "file"
    return error


async def still_serving(env: Isolated) -> None:
    body = await env.gql("{ movie(tmdbId: 603) { title } }")
    assert body["data"]["movie"]["title"] == "The Matrix"


# -- Letterboxd --------------------------------------------------------------------------------


async def test_letterboxd_export_zip_imports_ratings_watches_watchlist_and_reviews(env: Isolated) -> None:
    token = (await register(env.gql))["accessToken"]
    job = await imported(env, token, "LETTERBOXD", files.letterboxd_export(), "letterboxd-ann-2024.zip")
    # ratings 5 + diary 3 + watched 2 + watchlist 2 + reviews 1; deleted/, lists/, profile.csv unread.
    assert job["processed"] == 13 and job["skipped"] == 0 and job["dryRun"] is False
    assert job["matched"] == 11
    unmatched = {(row["title"], row["year"]): row for row in job["unmatched"]}
    assert set(unmatched) == {("War of the Worlds", 2005), ("=cmd|' /C calc'!A0", 2001)}
    assert unmatched[("War of the Worlds", 2005)]["reason"].startswith("ratings.csv: ambiguous")
    assert unmatched[("War of the Worlds", 2005)]["row"] == 4  # its line in ratings.csv
    assert job["finishedAt"] is not None

    viewer = await library(env, token)
    assert by_movie(viewer["ratings"], "value") == {AMELIE: 4.5, CROUCHING_TIGER: 5.0}
    assert by_movie(viewer["ratings"], "createdAt")[AMELIE].startswith("2021-03-05")
    watched = sorted((n["movie"]["tmdbId"], n["watchedAt"][:10]) for n in viewer["watchHistory"]["nodes"])
    # The diary's dated watches; watched.csv (Das Boot) and reviews say seen, not when.
    assert watched == [(CROUCHING_TIGER, "2021-03-06"), (AMELIE, "2021-03-04"), (AMELIE, "2022-01-02")]
    assert set(by_movie(viewer["seen"])) == {AMELIE, CROUCHING_TIGER, DAS_BOOT, CITY_OF_GOD}
    assert set(by_movie(viewer["watchlist"])) == {SPIRITED_AWAY}  # Amélie was seen
    review = by_movie(viewer["reviews"])[CITY_OF_GOD]
    assert review["body"] == "Breathless.\r\nA second line, with a comma." and review["rating"] == 4.0

    # The same file again changes nothing: no duplicate rating, watch, interaction or review.
    before = (await env.gql(COUNTS, token=token))["data"]
    again = await imported(env, token, "LETTERBOXD", files.letterboxd_export(), "letterboxd-ann-2024.zip")
    assert (again["matched"], again["processed"]) == (11, 13) and again["id"] != job["id"]
    assert (await env.gql(COUNTS, token=token))["data"] == before


async def test_a_single_letterboxd_csv_is_recognised_and_a_diary_alone_gives_ratings(env: Isolated) -> None:
    token = (await register(env.gql))["accessToken"]
    job = await imported(env, token, "LETTERBOXD", files.LETTERBOXD_DIARY.encode(), "diary.csv")
    assert (job["processed"], job["matched"]) == (3, 3)
    viewer = await library(env, token)
    assert by_movie(viewer["ratings"], "value") == {AMELIE: 4.5, CROUCHING_TIGER: 5.0}
    assert viewer["watchHistory"]["totalCount"] == 3
    # Only names tell watched.csv from watchlist.csv.
    job = await imported(env, token, "LETTERBOXD", files.LETTERBOXD_WATCHLIST.encode(), "watchlist.csv")
    assert set(by_movie((await library(env, token))["watchlist"])) == {SPIRITED_AWAY}


async def test_letterboxd_importer_format_ids_and_escaped_cells_come_back_as_written(env: Isolated) -> None:
    token = (await register(env.gql))["accessToken"]
    # As reelgraph's export writes it: every cell quoted, tmdbID / imdbID, formula-looking text
    # behind OWASP's leading quote. The title is wrong on purpose: the ids decide.
    ratings = (
        '"Date","Name","Year","Letterboxd URI","Rating","tmdbID","imdbID"\n'
        '"2021-01-01","Not its title","1999","","4","603","tt0133093"\n'
        '"2021-01-02","\'=cmd|\' /C calc\'!A0","1995","","3","","tt0113277"\n'
    )
    reviews = (
        '"Date","Name","Year","Letterboxd URI","Rating","Rewatch","Review","Tags","Watched Date","tmdbID","imdbID"\n'
        '"2021-01-03","Heat","1995","","3","","\'=HYPERLINK(""http://x"")","","2021-01-03","949",""\n'
    )
    job = await imported(
        env, token, "LETTERBOXD", files.zipped({"ratings.csv": ratings, "reviews.csv": reviews}), "x.zip"
    )
    assert (job["processed"], job["matched"]) == (3, 3)
    viewer = await library(env, token)
    assert by_movie(viewer["ratings"], "value") == {MATRIX: 4.0, HEAT: 3.0}
    # Stored as the plain text it stands for, never evaluated: a formula only to a spreadsheet.
    assert by_movie(viewer["reviews"], "body") == {HEAT: '=HYPERLINK("http://x")'}


async def test_dry_run_reports_counts_and_writes_nothing(env: Isolated) -> None:
    token = (await register(env.gql))["accessToken"]
    job = await imported(env, token, "LETTERBOXD", files.letterboxd_export(), "export.zip", dry_run=True)
    assert job["dryRun"] is True and (job["processed"], job["matched"]) == (13, 11)
    assert len(job["unmatched"]) == 2
    counts = (await env.gql(COUNTS, token=token))["data"]["viewer"]
    assert all(value["totalCount"] == 0 for value in counts.values()), counts


async def test_5000_row_letterboxd_export_matches_real_titles_and_imports_twice_alike(env: Isolated) -> None:
    # 1,250 real catalog titles, each the only movie of its title: rated once, watched 3 times.
    # (Every distinct title is one TMDb search; the offline mock's search is the slow part.)
    sample = files.catalog_sample(1250)
    export = files.letterboxd_diary_export(sample, watches=3)
    token = (await register(env.gql))["accessToken"]
    job = await imported(env, token, "LETTERBOXD", export, "letterboxd.zip")
    assert job["processed"] == 5000
    assert job["matched"] == 5000, job["unmatched"][:20]
    counts = (await env.gql(COUNTS, token=token))["data"]["viewer"]
    assert counts["ratings"]["totalCount"] == 1250
    assert counts["watchHistory"]["totalCount"] == 3750
    ratings = by_movie((await library(env, token))["ratings"], "value")
    expected = {tmdb: (i % 10 + 1) / 2 for i, (_, _, tmdb) in enumerate(sample)}
    assert len(ratings) == 100 and all(expected[tmdb] == value for tmdb, value in ratings.items())
    again = await imported(env, token, "LETTERBOXD", export, "letterboxd.zip")
    assert again["matched"] == 5000
    assert (await env.gql(COUNTS, token=token))["data"]["viewer"] == counts


# -- IMDb and Trakt ------------------------------------------------------------------------------


async def test_imdb_ratings_by_imdb_id_halved_tv_skipped_title_fallback(env: Isolated) -> None:
    token = (await register(env.gql))["accessToken"]
    # Windows-1252, as older IMDb exports edited in Excel come ("Léon").
    job = await imported(env, token, "IMDB", files.IMDB_RATINGS.encode("cp1252"), "ratings.csv")
    assert (job["processed"], job["matched"], job["skipped"]) == (7, 5, 2) and job["unmatched"] == []
    viewer = await library(env, token)
    # The Matrix twice: the later row (8) wins; Oldboy's unknown id falls back to title and year.
    assert by_movie(viewer["ratings"], "value") == {MATRIX: 4.0, HEAT: 3.5, LEON: 5.0, OLDBOY: 4.0}
    again = await imported(env, token, "IMDB", files.IMDB_RATINGS.encode("cp1252"), "ratings.csv")
    assert again["matched"] == 5
    assert (await library(env, token))["ratings"]["totalCount"] == 4


async def test_trakt_json_export_history_ratings_watchlist(env: Isolated) -> None:
    token = (await register(env.gql))["accessToken"]
    job = await imported(env, token, "TRAKT", files.trakt_export(), "trakt-export.zip")
    assert (job["processed"], job["matched"], job["skipped"]) == (6, 4, 2)
    viewer = await library(env, token)
    assert by_movie(viewer["ratings"], "value") == {HEAT: 4.0}
    watched = {(n["movie"]["tmdbId"], n["watchedAt"][:10]) for n in viewer["watchHistory"]["nodes"]}
    assert watched == {(MATRIX, "2018-12-24"), (CITY_OF_GOD, "2019-02-14")}
    assert set(by_movie(viewer["watchlist"])) == {SPIRITED_AWAY}
    # One of the files alone works as well (entries are told apart by their fields).
    single = await imported(env, token, "TRAKT", json.dumps(files.TRAKT_RATINGS).encode(), "ratings.json")
    assert (single["matched"], single["skipped"]) == (1, 1)


# -- who may import and read ---------------------------------------------------------------------


async def test_import_job_is_its_owners_and_uploads_need_a_signed_in_preflighted_request(
    env: Isolated,
) -> None:
    owner = (await register(env.gql))["accessToken"]
    other = (await register(env.gql))["accessToken"]
    job = await imported(env, owner, "LETTERBOXD", files.LETTERBOXD_WATCHED.encode(), "watched.csv")
    mine = await env.gql(JOB, {"id": job["id"]}, token=owner)
    assert mine["data"]["importJob"] == {"id": job["id"], "status": "SUCCEEDED", "processed": 2, "matched": 2}
    assert (await env.gql(JOB, {"id": job["id"]}, token=other))["data"]["importJob"] is None
    assert (await env.gql(JOB, {"id": job["id"]}))["data"]["importJob"] is None
    node = await env.gql(
        "query($id: ID!) { node(id: $id) { ... on ImportJob { matched } } }", {"id": job["id"]}, token=other
    )
    assert node["data"]["node"] is None
    assert (await env.gql(JOB, {"id": "nope"}, token=owner))["errors"][0]["extensions"][
        "code"
    ] == "BAD_USER_INPUT"

    anonymous = await upload(env, None, "LETTERBOXD", b"Name,Year\nHeat,1995\n", "watched.csv")
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # Without a header a cross-site form cannot send, the multipart body is not even read (CSRF).
    forged = await upload(env, owner, "LETTERBOXD", b"Name,Year\nHeat,1995\n", "watched.csv", headers={})
    assert forged["_status"] == 400 and "Apollo-Require-Preflight" in forged["errors"][0]["message"]


# -- hostile uploads -----------------------------------------------------------------------------


async def test_malformed_files_are_refused_with_the_line_at_fault(env: Isolated) -> None:
    token = (await register(env.gql))["accessToken"]
    bad_rating = (
        b"Date,Name,Year,Letterboxd URI,Rating\n2020-01-01,Heat,1995,u,4\n2020-01-02,Alien,1979,u,eleven\n"
    )
    error = bad_input(await upload(env, token, "LETTERBOXD", bad_rating, "ratings.csv"))
    assert error["extensions"]["line"] == 3 and "eleven" in error["message"]
    unterminated = b'Date,Name,Year\n2020-01-01,"Heat,1995\n'
    assert (
        bad_input(await upload(env, token, "LETTERBOXD", unterminated, "watched.csv"))["extensions"]["reason"]
        == "MALFORMED_ROW"
    )
    no_const = b"Title,Year\nHeat,1995\n"
    assert (
        bad_input(await upload(env, token, "IMDB", no_const, "x.csv"))["extensions"]["reason"]
        == "MISSING_COLUMNS"
    )
    broken_json = b'[{"type": "movie", "movie": {"title": "Heat"}, "watched_at": "2019-01-01T00:00:00Z"},\n {'
    error = bad_input(await upload(env, token, "TRAKT", broken_json, "history.json"))
    assert error["extensions"]["reason"] == "MALFORMED_JSON" and error["extensions"]["line"] == 2
    garbage = os.urandom(64 * 1024)
    assert bad_input(await upload(env, token, "LETTERBOXD", garbage, "ratings.csv"))["extensions"][
        "reason"
    ] in (
        "NOT_A_TEXT_FILE",
        "BAD_ARCHIVE",
    )
    assert (
        bad_input(await upload(env, token, "TRAKT", b"PK\x03\x04" + garbage, "x.zip"))["extensions"]["reason"]
        == "BAD_ARCHIVE"
    )
    await still_serving(env)


async def test_zip_bomb_and_a_million_rows_are_refused(env: Isolated) -> None:
    token = (await register(env.gql))["accessToken"]
    # 200 MB of zeros in a 200 KB member: refused from the header's ratio, never inflated.
    bomb = files.zipped({"ratings.csv": b"Date,Name,Year,Letterboxd URI,Rating\n" + b"0" * 200_000_000})
    assert len(bomb) < 1_000_000
    error = bad_input(await upload(env, token, "LETTERBOXD", bomb, "letterboxd.zip"))
    assert error["extensions"]["reason"] == "ARCHIVE_TOO_LARGE" and "ZIP bomb" in error["message"]
    million = b"Name,Year\n" + b"Heat,1995\n" * 1_000_000  # 10 MB: under the size limit
    error = bad_input(await upload(env, token, "LETTERBOXD", million, "watched.csv"))
    assert error["extensions"]["reason"] == "TOO_MANY_ROWS" and error["extensions"]["line"] == 50_002
    assert "50000 rows" in error["message"]
    assert (await env.gql(COUNTS, token=token))["data"]["viewer"]["interactions"]["totalCount"] == 0
    await still_serving(env)


async def test_a_200_mb_body_is_refused_before_it_is_read(env: Isolated) -> None:
    token = (await register(env.gql))["accessToken"]
    boundary = "reelgraphboundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n'
        f"{json.dumps({'query': IMPORT, 'variables': {'file': None, 'source': 'LETTERBOXD'}})}\r\n"
        f'--{boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n{{"0": ["variables.file"]}}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="0"; filename="ratings.csv"\r\n\r\n'
    ).encode()
    chunk = b"x" * (1024 * 1024)  # one megabyte, sent 200 times: nothing allocates 200 MB
    sent = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal sent
        yield head
        for _ in range(200):
            sent += 1
            yield chunk

    headers = {
        "authorization": f"Bearer {token}",
        "content-type": f"multipart/form-data; boundary={boundary}",
        **PREFLIGHT,
    }
    # Declared: refused from Content-Length alone, before a byte of the body is read.
    declared = await env.http.post(
        "/graphql", content=body(), headers={**headers, "content-length": str(200 * 1024 * 1024)}
    )
    assert (
        declared.status_code == 413 and declared.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    )
    assert sent == 0
    # Streamed without a length: cut off once past the upload limit (about 22 MB).
    streamed = await env.http.post("/graphql", content=body(), headers=headers)
    assert streamed.status_code == 413 and "exceeds the limit" in streamed.json()["errors"][0]["message"]
    assert sent < 40
    # Anonymous multipart requests keep the plain 1 MB limit.
    small = await env.http.post(
        "/graphql", content=body(), headers={k: v for k, v in headers.items() if k != "authorization"}
    )
    assert small.status_code == 413
    await still_serving(env)


async def test_a_file_over_20_mb_is_refused_with_a_coded_error(env: Isolated) -> None:
    token = (await register(env.gql))["accessToken"]
    big = b"Name,Year\n" + b"a" * (20 * 1024 * 1024)
    error = bad_input(await upload(env, token, "LETTERBOXD", big, "watched.csv"))
    assert error["extensions"]["reason"] == "FILE_TOO_LARGE"


async def test_a_plain_string_in_place_of_the_file_is_refused(env: Isolated) -> None:
    token = (await register(env.gql))["accessToken"]
    body = await env.gql(IMPORT, {"file": "Name,Year\nHeat,1995\n", "source": "LETTERBOXD"}, token=token)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert isinstance(httpx, object)


async def test_a_viewer_has_at_most_three_imports_under_way(env: Isolated) -> None:
    services = env.app.state.services
    queued: list[dict[str, Any]] = []

    class Parked:  # a queue whose jobs never run: the imports stay QUEUED
        async def enqueue(self, name: str, params: dict[str, Any] | None = None) -> int:
            queued.append(dict(params or {}))
            return len(queued)

    slot = QueueSlot()
    slot.connect(Parked())  # type: ignore[arg-type]
    imports = LibraryImportService(services.sessions, services.reader, services.catalog, slot)
    token = (await register(env.gql))["accessToken"]
    user_id = services.codec.decode(token).user_id

    async def read(limit: int) -> bytes:
        return files.LETTERBOXD_WATCHED.encode()

    for _ in range(3):
        row = await imports.start(user_id, Source.LETTERBOXD, read, "watched.csv", False)
        assert row.status == "QUEUED"
    with pytest.raises(UserErrors) as refused:
        await imports.start(user_id, Source.LETTERBOXD, read, "watched.csv", False)
    assert refused.value.problems[0].code == "TOO_MANY" and len(queued) == 3


# -- the parsers alone (no server) ---------------------------------------------------------------


def test_parsers_read_utf16_crlf_and_skip_letterboxd_lists_and_deleted_entries() -> None:
    text = "Date,Name,Year,Letterboxd URI,Rating\r\n2021-01-01,Amélie,2001,u,4.5\r\n"
    parsed = parse_library(Source.LETTERBOXD, text.encode("utf-16"), "ratings.csv")
    assert [(e.title, e.year, e.rating, e.line) for e in parsed.entries] == [("Amélie", 2001, 4.5, 2)]
    export = parse_library(Source.LETTERBOXD, files.letterboxd_export())
    assert {e.member for e in export.entries} == {
        "ratings.csv",
        "diary.csv",
        "watched.csv",
        "watchlist.csv",
        "reviews.csv",
    }
    assert all(e.title != "Heat" for e in export.entries)  # deleted/diary.csv is not the library


def test_parsers_refuse_archives_with_too_many_members_and_huge_json_before_building_it() -> None:
    many = files.zipped({f"lists/list-{i}.csv": "" for i in range(5_001)}, zipfile.ZIP_STORED)
    with pytest.raises(LibraryFileError) as refused:
        parse_library(Source.LETTERBOXD, many)
    assert refused.value.problem is FileProblem.ARCHIVE_TOO_LARGE
    flood = b"[" + b"{}," * 2_000_000 + b"{}]"  # 6 MB that json.loads would make 2,000,001 dicts of
    with pytest.raises(LibraryFileError) as refused:
        parse_library(Source.TRAKT, flood)
    assert refused.value.problem is FileProblem.TOO_MANY_ROWS
    nested = b"[" * 100_000 + b"]" * 100_000
    with pytest.raises(LibraryFileError) as refused:
        parse_library(Source.TRAKT, nested)
    assert refused.value.problem is FileProblem.MALFORMED_JSON


async def test_running_the_import_job_by_hand_does_nothing(env: Isolated) -> None:
    summary = await registered_jobs()["import-library"].body(
        JobContext(env.app.state.services, job_id="by-hand")
    )
    assert summary == {"skipped": "no import to run: importLibrary queues this job with its upload"}


async def test_a_failed_batch_is_rolled_back_whole_and_the_retry_ends_as_one_clean_import(
    env: Isolated, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = (await register(env.gql))["accessToken"]
    monkeypatch.setattr(library_import, "BATCH_ENTRIES", 4)
    real_apply, calls, progress, left = library_import.apply_batch, [], [], []

    async def apply_then_fail_once(*args: Any, **kwargs: Any) -> Any:
        if len(calls) == 2:  # the retry's first batch: what the failed attempt left behind
            left.append(await imports_repo.library_state(args[0], args[1], [AMELIE, CROUCHING_TIGER]))
        changes = await real_apply(*args, **kwargs)  # written in the transaction, then it fails
        calls.append(changes)
        if len(calls) == 2:
            raise RuntimeError("the database went away")
        return changes

    real_progress = imports_repo.record_progress

    async def spy(*args: Any, **kwargs: Any) -> None:
        progress.append(kwargs["processed"])
        await real_progress(*args, **kwargs)

    monkeypatch.setattr(library_import, "apply_batch", apply_then_fail_once)
    monkeypatch.setattr(imports_repo, "record_progress", spy)
    job = await imported(env, token, "LETTERBOXD", files.letterboxd_export(), "export.zip")
    assert (job["processed"], job["matched"]) == (13, 11)
    # The first attempt recorded its first batch, then failed; the retry went through, per batch.
    assert progress == [4, 4, 8, 12, 13]
    # The failed batch (a duplicate rating and the diary's watches) left nothing; the first stayed.
    assert {m: r.value for m, r in left[0].ratings.items()} == {AMELIE: 4.5, CROUCHING_TIGER: 5.0}
    assert left[0].watches == {}
    viewer = await library(env, token)
    assert by_movie(viewer["ratings"], "value") == {AMELIE: 4.5, CROUCHING_TIGER: 5.0}
    assert viewer["watchHistory"]["totalCount"] == 3  # no watch twice, none lost
    assert set(by_movie(viewer["seen"])) == {AMELIE, CROUCHING_TIGER, DAS_BOOT, CITY_OF_GOD}
    assert set(by_movie(viewer["watchlist"])) == {SPIRITED_AWAY}
    assert viewer["reviews"]["totalCount"] == 1
