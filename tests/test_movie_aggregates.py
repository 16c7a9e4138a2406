"""Movie.averageUserRating comes from the stored per-movie count and sum, which every write that
rates keeps in its own transaction: after rating, re-rating, removing a rating, an account
deletion and a library import it equals the mean of the raw ratings, read through /graphql.

Other test files rate the same catalog movies, so every figure is compared with the raw rows'
mean at that moment, after a rebuild that absorbs rows other tests wrote behind the API's back.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from sqlalchemy import func, select

from reelgraph.persistence.models import RatingRow
from tests import library_import_files as files
from tests.helpers import PASSWORD, GraphQLClient
from tests.library_fixtures import UNRATE, Member, member, promoted, rate

AMELIE, CROUCHING_TIGER = 194, 146  # rated by the Letterboxd export of tests.library_import_files
IMPORT = """
mutation Import($file: Upload!, $source: LibrarySource!) {
  importLibrary(file: $file, source: $source) { job { status matched } errors { code } }
}
"""
_reads = itertools.count()


async def averages(gql: GraphQLClient, reader: Member, movies: list[int]) -> dict[int, float | None]:
    """Every movie's averageUserRating in one request (one loader batch); signed in and under an
    operation name of its own, so no cached response answers."""
    fields = " ".join(f"m{m}: movie(tmdbId: {m}) {{ averageUserRating }}" for m in movies)
    body = await gql(f"query Read{next(_reads)} {{ {fields} }}", token=reader.token)
    assert "errors" not in body, body
    return {m: body["data"][f"m{m}"]["averageUserRating"] for m in movies}


async def raw_averages(app: Any, movies: list[int]) -> dict[int, float | None]:
    async with app.state.services.sessions() as session:
        rows = dict(
            (
                await session.execute(
                    select(RatingRow.movie_id, func.avg(RatingRow.value))
                    .where(RatingRow.movie_id.in_(movies))
                    .group_by(RatingRow.movie_id)
                )
            ).all()
        )
    return {m: round(float(rows[m]), 2) if m in rows else None for m in movies}


async def upload(gql: GraphQLClient, user: Member, filename: str, content: bytes) -> None:
    operations = {"query": IMPORT, "variables": {"file": None, "source": "LETTERBOXD"}}
    response = await gql.http.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
        files={"0": (filename, content, "application/octet-stream")},
        headers={"apollo-require-preflight": "true", "authorization": f"Bearer {user.token}"},
    )
    body = response.json()
    assert "errors" not in body and body["data"]["importLibrary"]["job"]["status"] == "SUCCEEDED", body


async def test_average_user_rating_follows_every_write(gql: GraphQLClient, app: Any) -> None:
    admin = await promoted(gql, app, "ADMIN", name="Aggregates admin")
    body = await gql('mutation { runJob(name: "rebuild-analytics") { job { status } } }', token=admin.token)
    assert body["data"]["runJob"]["job"]["status"] == "SUCCEEDED", body
    sample = files.catalog_sample(400)[-3:]  # far down the catalog: rarely rated elsewhere
    movie, other, unrated = (tmdb for _, _, tmdb in sample)
    watched = [movie, other, unrated, AMELIE, CROUCHING_TIGER]

    async def check() -> dict[int, float | None]:
        api = await averages(gql, admin, watched)
        assert api == await raw_averages(app, watched)
        return api

    before = await check()
    ann, bob, cat, dan = [await member(gql, name) for name in ("Ann", "Bob", "Cat", "Dan")]
    await rate(gql, ann, movie, 4.0)
    await rate(gql, bob, movie, 2.0)
    await rate(gql, bob, other, 3.5)
    await check()
    await rate(gql, ann, movie, 1.0)  # changed
    await check()
    assert (await gql(UNRATE, {"movie": movie}, token=bob.token))["data"]["removeRating"]["ok"] is True
    await check()
    await rate(gql, cat, movie, 5.0)
    await rate(gql, cat, unrated, 3.0)
    assert (await gql(UNRATE, {"movie": unrated}, token=cat.token))["data"]["removeRating"]["ok"] is True
    after = await check()
    assert after[unrated] == before[unrated]  # rated then unrated: as it was

    # Imports: new ratings (the export's) and a changed one (Dan rated Amelie 1.0 first).
    await rate(gql, dan, AMELIE, 1.0)
    await upload(gql, dan, "export.zip", files.letterboxd_export())
    await upload(gql, cat, "ratings.csv", files.letterboxd_ratings(sample[:2]))
    await check()

    deleted = "mutation($p: String!) { deleteAccount(password: $p) { ok errors { code } } }"
    for user in (cat, dan):
        assert (await gql(deleted, {"p": PASSWORD}, token=user.token))["data"]["deleteAccount"]["ok"] is True
    final = await check()
    assert final[movie] is not None  # Ann's rating remains
