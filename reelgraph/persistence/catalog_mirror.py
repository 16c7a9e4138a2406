"""The local mirror of catalog entities: movies (with ordered genres and OMDb scores) and genres.

Writes are upserts so concurrent requests and replicas can mirror the same movie safely.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import bindparam, delete, or_, select, union
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from reelgraph.persistence.models import GenreRow, InteractionRow, MovieGenreRow, MovieRow, RatingRow
from reelgraph.tmdb_payloads import imdb_id_of

UPSERT_CHUNK_ROWS = 500


def _insert(session: AsyncSession, model: type[Any]) -> Any:
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    return (pg_insert if dialect == "postgresql" else sqlite_insert)(model)


def _parse_date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


async def upsert(
    session: AsyncSession, model: type[Any], rows: Sequence[dict[str, Any]], key: Sequence[str]
) -> None:
    # In chunks: a statement's bound parameters are limited (PostgreSQL: 32,767).
    for start in range(0, len(rows), UPSERT_CHUNK_ROWS):
        chunk = list(rows[start : start + UPSERT_CHUNK_ROWS])
        statement = _insert(session, model).values(chunk)
        updates = {column: statement.excluded[column] for column in chunk[0] if column not in key}
        statement = (
            statement.on_conflict_do_update(index_elements=list(key), set_=updates)
            if updates
            else statement.on_conflict_do_nothing(index_elements=list(key))
        )
        await session.execute(statement)


async def mirror_genres(session: AsyncSession, genres: Sequence[dict[str, Any]], language: str) -> None:
    """Genre names per language: English into `name`, French into `name_fr`."""
    if not genres:
        return
    column = "name_fr" if language.startswith("fr") else "name"
    # A genre first seen in French keeps the French name as `name` until the English one arrives.
    by_id = {int(g["id"]): str(g["name"]) for g in genres}
    # Only what is missing or renamed is written: the same ~20 genres come with every movie, and
    # upserting them on each mirror write made concurrent writers queue on their row locks.
    stored = await session.execute(
        select(GenreRow.tmdb_id, getattr(GenreRow, column)).where(GenreRow.tmdb_id.in_(list(by_id)))
    )
    known: dict[int, str | None] = {tmdb_id: name for tmdb_id, name in stored}
    changed = sorted((tmdb_id, name) for tmdb_id, name in by_id.items() if known.get(tmdb_id) != name)
    if not changed:
        return
    # Rows are locked in the order given: one order (by id) for every transaction, or concurrent
    # mirrors of movies listing genres differently ([28, 878] and [878, 28]) deadlock on PostgreSQL.
    rows = [{"tmdb_id": tmdb_id, "name": name, column: name} for tmdb_id, name in changed]
    statement = _insert(session, GenreRow).values(rows)
    await session.execute(
        statement.on_conflict_do_update(index_elements=["tmdb_id"], set_={column: statement.excluded[column]})
    )


def _movie_row(details: dict[str, Any]) -> dict[str, Any]:
    row = {
        "tmdb_id": int(details["id"]),
        "title": str(details.get("title") or details.get("original_title") or "")[:500],
        "original_title": details.get("original_title"),
        "original_language": details.get("original_language"),
        "overview": details.get("overview") or None,
        "release_date": _parse_date(details.get("release_date")),
        "popularity": details.get("popularity"),
        "vote_average": details.get("vote_average"),
        "vote_count": details.get("vote_count"),
        "poster_path": details.get("poster_path"),
        "backdrop_path": details.get("backdrop_path"),
        "updated_at": datetime.now(UTC),
    }
    if "runtime" in details:  # details only; a list item must not erase what details wrote
        row["runtime"] = details.get("runtime")
        row["imdb_id"] = imdb_id_of(details)
    return row


async def mirror_movie(session: AsyncSession, details: dict[str, Any], language: str) -> None:
    """Writes a TMDb movie (details or list item) and its genres in TMDb order."""
    await mirror_movies(session, [(details, language)])


async def mirror_movies(session: AsyncSession, movies: Sequence[tuple[dict[str, Any], str]]) -> None:
    """Writes TMDb movies (details or list items, each with its language) and their genres in TMDb
    order, with a few multi-row statements whatever their number."""
    # One statement per shape (details carry runtime and imdb_id, list items do not), one row per
    # movie (the last read wins), in id order so that concurrent writers lock rows alike.
    shapes: dict[frozenset[str], dict[int, dict[str, Any]]] = {}
    for details, _ in movies:
        row = _movie_row(details)
        shapes.setdefault(frozenset(row), {})[row["tmdb_id"]] = row
    for by_id in shapes.values():
        await upsert(session, MovieRow, [by_id[key] for key in sorted(by_id)], ["tmdb_id"])
    with_genres = [(details, language) for details, language in movies if details.get("genres") is not None]
    if not with_genres:
        return
    for language in sorted({language for _, language in with_genres}):
        names = [g for details, lang in with_genres if lang == language for g in details["genres"]]
        await mirror_genres(session, names, language)
    movie_ids = sorted({int(details["id"]) for details, _ in with_genres})
    await session.execute(delete(MovieGenreRow).where(MovieGenreRow.movie_id.in_(movie_ids)))
    # The last read of a movie decides its genres (a movie read in two languages lists the same).
    positions = {
        (int(details["id"]), int(genre["id"])): index
        for details, _ in with_genres
        for index, genre in enumerate(details["genres"])
    }
    await upsert(
        session,
        MovieGenreRow,
        [
            {"movie_id": movie_id, "genre_id": genre_id, "position": index}
            for (movie_id, genre_id), index in sorted(positions.items())
        ],
        ["movie_id", "genre_id"],
    )


async def save_omdb_many(session: AsyncSession, scores: dict[int, dict[str, Any] | None]) -> None:
    """OMDb scores (None: OMDb has none) of mirrored movies, in one executemany."""
    if not scores:
        return
    now = datetime.now(UTC)
    statement = (
        MovieRow.__table__.update()
        .where(MovieRow.__table__.c.tmdb_id == bindparam("movie"))
        .values(
            imdb_rating=bindparam("imdb_rating"),
            imdb_votes=bindparam("imdb_votes"),
            metascore=bindparam("metascore"),
            rotten_tomatoes=bindparam("rotten_tomatoes"),
            omdb_fetched_at=bindparam("fetched_at"),
        )
    )
    await session.execute(
        statement,
        [
            {
                "movie": tmdb_id,
                "imdb_rating": (found or {}).get("imdb_rating"),
                "imdb_votes": (found or {}).get("imdb_votes"),
                "metascore": (found or {}).get("metascore"),
                "rotten_tomatoes": (found or {}).get("rotten_tomatoes"),
                "fetched_at": now,
            }
            for tmdb_id, found in sorted(scores.items())
        ],
    )


async def get_movies(session: AsyncSession, tmdb_ids: Sequence[int]) -> dict[int, MovieRow]:
    rows = (
        (await session.execute(select(MovieRow).where(MovieRow.tmdb_id.in_(list(tmdb_ids))))).scalars().all()
    )
    return {row.tmdb_id: row for row in rows}


async def tmdb_id_for_imdb(session: AsyncSession, imdb_id: str) -> int | None:
    """The mirrored movie with this IMDb id (the lowest TMDb id if TMDb ever gave two)."""
    statement = select(MovieRow.tmdb_id).where(MovieRow.imdb_id == imdb_id).order_by(MovieRow.tmdb_id)
    found: int | None = (await session.execute(statement.limit(1))).scalar_one_or_none()
    return found


async def genre_names(session: AsyncSession, language: str) -> dict[int, str]:
    """Mirrored genre names: French ones for French when known, else the `name` column."""
    rows = await session.execute(select(GenreRow.tmdb_id, GenreRow.name, GenreRow.name_fr))
    french = language.startswith("fr")
    return {tmdb_id: (name_fr if french and name_fr else name) for tmdb_id, name, name_fr in rows}


async def genre_ids_of(session: AsyncSession, tmdb_ids: Sequence[int]) -> dict[int, list[int]]:
    rows = await session.execute(
        select(MovieGenreRow.movie_id, MovieGenreRow.genre_id)
        .where(MovieGenreRow.movie_id.in_(list(tmdb_ids)))
        .order_by(MovieGenreRow.movie_id, MovieGenreRow.position)
    )
    found: dict[int, list[int]] = {}
    for movie_id, genre_id in rows:
        found.setdefault(movie_id, []).append(genre_id)
    return found


async def stale_movies_people_use(
    session: AsyncSession, details_before: datetime, scores_before: datetime, limit: int
) -> list[tuple[int, str | None, bool, bool]]:
    """Mirrored movies someone rated or interacted with whose details or OMDb scores are older
    than the given times, oldest first: (tmdb_id, imdb_id, details stale, scores stale)."""
    used = union(select(InteractionRow.movie_id), select(RatingRow.movie_id)).subquery()
    details_stale = MovieRow.updated_at < details_before
    scores_stale = or_(MovieRow.omdb_fetched_at.is_(None), MovieRow.omdb_fetched_at < scores_before)
    rows = await session.execute(
        select(MovieRow.tmdb_id, MovieRow.imdb_id, details_stale, scores_stale)
        .where(MovieRow.tmdb_id.in_(select(used.c.movie_id)))
        .where(or_(details_stale, scores_stale))
        .order_by(MovieRow.updated_at, MovieRow.tmdb_id)
        .limit(limit)
    )
    return [(int(t), i, bool(d), bool(o)) for t, i, d, o in rows]
