"""Benchmark: importLibrary speed (rows/s) and match rates per service, through HTTP multipart.

    python -m bench.library_import [--rows 5000] [--upstream-rate 100000]

An in-process app on a fresh SQLite file, the offline catalog as TMDb (its in-process mock: the
same client code as live TMDb), jobs run eagerly so each upload returns once imported. Uploads:
a Letterboxd ratings.csv of --rows real catalog titles (each the only movie of its title; every
row is a title + year search, as Letterboxd exports carry no ids), the same file again (searches
cached, nothing to write), then the test fixtures of each service (tests/library_import_files.py).
Match rate = matched / (processed - skipped). The default --upstream-rate lifts the client-side
limiter that paces real TMDb (40/s by default: title matching then runs at most at 40 rows/s).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from reelgraph.app import create_app
from reelgraph.config import Settings
from reelgraph.persistence.migrate import upgrade_to_head
from tests import library_import_files as files

IMPORT = """
mutation Import($file: Upload!, $source: LibrarySource!) {
  importLibrary(file: $file, source: $source) {
    job { status processed matched skipped } errors { code message } } }
"""
REGISTER = """
mutation { register(input: {email: "bench@example.com", password: "correct horse battery", name: "Bench"}) {
  accessToken errors { code } } }
"""


async def upload(
    http: httpx.AsyncClient, token: str, source: str, content: bytes, name: str
) -> dict[str, Any]:
    operations = {"query": IMPORT, "variables": {"file": None, "source": source}}
    response = await http.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
        files={"0": (name, content, "application/octet-stream")},
        headers={"authorization": f"Bearer {token}", "apollo-require-preflight": "true"},
    )
    body = response.json()
    if "errors" in body or body["data"]["importLibrary"]["errors"]:
        raise SystemExit(f"{name}: {body}")
    job: dict[str, Any] = body["data"]["importLibrary"]["job"]
    return job


def line(label: str, job: dict[str, Any], seconds: float) -> str:
    considered = job["processed"] - job["skipped"]
    rate = job["matched"] / considered if considered else 0.0
    return (
        f"{label:<34} {job['processed']:>6} rows {seconds:>7.2f} s {job['processed'] / seconds:>8.0f} rows/s"
        f"   matched {job['matched']}/{considered} ({rate:.1%}), skipped {job['skipped']}"
    )


async def main(rows: int, upstream_rate: float) -> None:
    with tempfile.TemporaryDirectory() as directory:
        settings = Settings(
            database_url=f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}",
            jwt_secret="bench-secret-Zq3vT9kLw2XbN8rYp4HcJ6mFd1sGa7Ue0oVi5",
            recs_train_on_start=False,
            rate_limit="100000/minute",
            auth_rate_limit="100000/minute",
            freeze_startup_objects=False,
            job_eager=True,
            job_schedules=False,
            upstream_rate_limit_per_second=upstream_rate,
            upstream_rate_limit_burst=max(1, min(int(upstream_rate), 100_000)),
        )
        await asyncio.to_thread(upgrade_to_head, settings.database_url)
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=3600) as http:
                token = (await http.post("/graphql", json={"query": REGISTER})).json()["data"]["register"][
                    "accessToken"
                ]
                ratings = files.letterboxd_ratings(files.catalog_sample(rows))
                runs = [
                    (f"Letterboxd ratings.csv, {rows} titles", "LETTERBOXD", ratings, "ratings.csv"),
                    ("  the same file again", "LETTERBOXD", ratings, "ratings.csv"),
                    (
                        "Letterboxd export ZIP (fixture)",
                        "LETTERBOXD",
                        files.letterboxd_export(),
                        "export.zip",
                    ),
                    ("IMDb ratings.csv (fixture)", "IMDB", files.IMDB_RATINGS.encode(), "ratings.csv"),
                    ("Trakt export ZIP (fixture)", "TRAKT", files.trakt_export(), "trakt.zip"),
                ]
                for label, source, content, name in runs:
                    started = time.perf_counter()
                    job = await upload(http, token, source, content, name)
                    print(line(label, job, time.perf_counter() - started), flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--upstream-rate", type=float, default=100_000.0)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.rows, arguments.upstream_rate))
