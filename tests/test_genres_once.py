"""Genres are written once: a movie-details cache miss writes only the genres the mirror lacks (or
names it lacks in that language), not the same ~20 rows every time (issue 20: on PostgreSQL those
upserts queued on each other's row locks under a cold cache)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import col

from reelgraph.config import Settings
from reelgraph.persistence.models import GenreRow
from tests.catalog_fixtures import Isolated, fresh_database, isolated_app
from tests.conftest import TEST_DATABASE_URL

# Not movie_genres: a movie's own genre list is its own row set, written with the movie.
GENRE_WRITE = re.compile(r"^\s*(INSERT\s+INTO|UPDATE)\s+genres\b", re.IGNORECASE)
DETAILS = "query($id: Int!, $lang: String) { movie(tmdbId: $id, language: $lang) { title genres { name } } }"
RELOADED, MATRIX, REVOLUTIONS = 604, 603, 605  # Matrix's genres (28, 878) are Reloaded's subset


@contextmanager
def genre_writes(env: Isolated) -> Iterator[list[str]]:
    engine = env.app.state.services.engine.sync_engine
    found: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if GENRE_WRITE.match(statement):
            found.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield found
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def details_miss(env: Isolated, movie: int, language: str | None = None) -> list[str]:
    """Movie details the app's cache has never seen (its own memory cache), mirrored, and the
    genre writes the mirroring issued."""
    with genre_writes(env) as writes:
        body = await env.gql(DETAILS, {"id": movie, "lang": language})
        assert body["data"]["movie"]["genres"], body
        await env.app.state.services.reader.mirror.flush()
    return writes


async def stored_genres(url: str, ids: list[int]) -> dict[int, tuple[str, str | None]]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                select(col(GenreRow.tmdb_id), col(GenreRow.name), col(GenreRow.name_fr)).where(
                    col(GenreRow.tmdb_id).in_(ids)
                )
            )
            return {tmdb_id: (name, name_fr) for tmdb_id, name, name_fr in rows}
    finally:
        await engine.dispose()


async def test_a_second_details_miss_writes_no_genre(settings: Settings, tmp_path: Path) -> None:
    # On SQLite a database of its own, so the first miss is known to find no genre; on PostgreSQL
    # the session's (other tests may have mirrored these genres already).
    url = TEST_DATABASE_URL or await fresh_database(tmp_path)
    async with isolated_app(settings, database_url=url) as env:
        first = await details_miss(env, RELOADED)
        if not TEST_DATABASE_URL:
            assert len(first) == 1  # the four genres, in one statement
        english = await stored_genres(url, [12, 28, 53, 878])
        assert {tmdb_id: name for tmdb_id, (name, _) in english.items()} == {
            12: "Adventure", 28: "Action", 53: "Thriller", 878: "Science Fiction",
        }  # fmt: skip

        assert await details_miss(env, MATRIX) == []
        # French names are new to the mirror: written once, then never again.
        await details_miss(env, REVOLUTIONS, "fr-FR")
        french = await stored_genres(url, [12, 28, 53, 878])
        assert all(name_fr for _, name_fr in french.values()), french
        assert await details_miss(env, MATRIX, "fr-FR") == []
        assert await details_miss(env, RELOADED, "fr-FR") == []
        # The English names are kept (the French ones went to name_fr).
        assert {tmdb_id: name for tmdb_id, (name, _) in french.items()} == {
            tmdb_id: name for tmdb_id, (name, _) in english.items()
        }
