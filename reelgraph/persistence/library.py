"""Queries on a user's movie state: interactions, ratings, reviews, watch events, preferences."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from reelgraph.persistence import movie_aggregates
from reelgraph.persistence.models import (
    InteractionRow,
    MovieGenreRow,
    MovieRow,
    PreferenceRow,
    RatingRow,
    ReviewRow,
    UserRow,
    WatchEventRow,
)

HIDING_KINDS = ("SEEN", "NOT_INTERESTED")


async def lock_user(session: AsyncSession, user_id: int) -> UserRow | None:
    """Serialises one user's library writes on PostgreSQL (FOR UPDATE is a no-op on SQLite,
    which takes its write lock at BEGIN IMMEDIATE instead)."""
    return (
        await session.execute(select(UserRow).where(UserRow.id == user_id).with_for_update())
    ).scalar_one_or_none()


# Namespace of the advisory locks below (PostgreSQL's two-key form: namespace, key).
ANONYMOUS_VIEWER_LOCK = 0x52474C  # "RGL"


async def lock_anonymous_viewer(session: AsyncSession, anonymous_key: str) -> None:
    """Serialises one anonymous viewer's writes on PostgreSQL, where there is no user row to lock
    (SQLite already serialises writers at BEGIN IMMEDIATE). Held until the transaction ends."""
    if session.bind is None or session.bind.dialect.name != "postgresql":
        return
    key = int(anonymous_key[:8], 16) - 2**31  # a signed 32-bit slice of the hex digest
    await session.execute(select(func.pg_advisory_xact_lock(ANONYMOUS_VIEWER_LOCK, key)))


async def movie_exists(session: AsyncSession, tmdb_id: int) -> bool:
    return (
        await session.execute(select(MovieRow.tmdb_id).where(MovieRow.tmdb_id == tmdb_id))
    ).first() is not None


async def kinds_for(session: AsyncSession, user_id: int, movie_id: int) -> set[str]:
    rows = await session.execute(
        select(InteractionRow.kind).where(
            InteractionRow.user_id == user_id, InteractionRow.movie_id == movie_id
        )
    )
    return set(rows.scalars())


async def get_interaction(
    session: AsyncSession, user_id: int, movie_id: int, kind: str
) -> InteractionRow | None:
    query = select(InteractionRow).where(
        InteractionRow.user_id == user_id, InteractionRow.movie_id == movie_id, InteractionRow.kind == kind
    )
    return (await session.execute(query)).scalar_one_or_none()


async def remove_kinds(
    session: AsyncSession, user_id: int, movie_id: int, kinds: Sequence[str]
) -> list[datetime]:
    """Deletes those interactions; returns their creation times (the rollups forget them)."""
    removed = await session.execute(
        delete(InteractionRow)
        .where(
            InteractionRow.user_id == user_id,
            InteractionRow.movie_id == movie_id,
            InteractionRow.kind.in_(list(kinds)),
        )
        .returning(InteractionRow.created_at)
    )
    return list(removed.scalars())


async def interactions_by_movie(
    session: AsyncSession, user_id: int, movie_ids: Sequence[int]
) -> dict[int, list[str]]:
    rows = await session.execute(
        select(InteractionRow.movie_id, InteractionRow.kind).where(
            InteractionRow.user_id == user_id, InteractionRow.movie_id.in_(list(movie_ids))
        )
    )
    found: dict[int, list[str]] = {}
    for movie_id, kind in rows:
        found.setdefault(movie_id, []).append(kind)
    return found


async def hidden_movie_ids(session: AsyncSession, user_id: int) -> set[int]:
    rows = await session.execute(
        select(InteractionRow.movie_id).where(
            InteractionRow.user_id == user_id, InteractionRow.kind.in_(HIDING_KINDS)
        )
    )
    return set(rows.scalars())


async def ratings_by_movie(session: AsyncSession, user_id: int, movie_ids: Sequence[int]) -> dict[int, float]:
    rows = await session.execute(
        select(RatingRow.movie_id, RatingRow.value).where(
            RatingRow.user_id == user_id, RatingRow.movie_id.in_(list(movie_ids))
        )
    )
    return {movie_id: value for movie_id, value in rows}


async def average_ratings(session: AsyncSession, movie_ids: Sequence[int]) -> dict[int, float]:
    """From the stored per-movie count and sum: one row per movie, not one per rating."""
    return await movie_aggregates.average_ratings(session, movie_ids)


async def get_rating(session: AsyncSession, user_id: int, movie_id: int) -> RatingRow | None:
    query = select(RatingRow).where(RatingRow.user_id == user_id, RatingRow.movie_id == movie_id)
    return (await session.execute(query)).scalar_one_or_none()


async def get_review(session: AsyncSession, review_id: int) -> ReviewRow | None:
    return await session.get(ReviewRow, review_id)


async def reviews_by_id(session: AsyncSession, review_ids: Sequence[int]) -> dict[int, ReviewRow]:
    rows = await session.execute(select(ReviewRow).where(ReviewRow.id.in_(review_ids)))
    return {row.id: row for row in rows.scalars() if row.id is not None}


async def interactions_by_id(
    session: AsyncSession, interaction_ids: Sequence[int]
) -> dict[int, InteractionRow]:
    query = select(InteractionRow).where(InteractionRow.id.in_(interaction_ids))
    return {row.id: row for row in (await session.execute(query)).scalars() if row.id is not None}


async def review_of(session: AsyncSession, user_id: int, movie_id: int) -> ReviewRow | None:
    query = select(ReviewRow).where(ReviewRow.user_id == user_id, ReviewRow.movie_id == movie_id)
    return (await session.execute(query)).scalar_one_or_none()


LibraryRow = TypeVar("LibraryRow", InteractionRow, RatingRow, ReviewRow, WatchEventRow)


async def _newest_first(
    session: AsyncSession,
    model: type[LibraryRow],
    conditions: Sequence[ColumnElement[bool]],
    before_id: int | None,
    limit: int,
) -> tuple[list[LibraryRow], int]:
    """A page of rows newest first (by id, which grows with time), and the total."""
    total = (await session.execute(select(func.count()).select_from(model).where(*conditions))).scalar_one()
    query = select(model).where(*conditions)
    if before_id is not None:
        query = query.where(model.id < before_id)
    rows = (await session.execute(query.order_by(model.id.desc()).limit(limit))).scalars().all()
    return list(rows), total


async def interactions_page(
    session: AsyncSession, user_id: int, kind: str | None, before_id: int | None, limit: int
) -> tuple[list[InteractionRow], int]:
    conditions = [InteractionRow.user_id == user_id]
    if kind is not None:
        conditions.append(InteractionRow.kind == kind)
    return await _newest_first(session, InteractionRow, conditions, before_id, limit)


async def ratings_page(
    session: AsyncSession, user_id: int, before_id: int | None, limit: int
) -> tuple[list[RatingRow], int]:
    return await _newest_first(session, RatingRow, [RatingRow.user_id == user_id], before_id, limit)


async def reviews_page(
    session: AsyncSession,
    *,
    user_id: int | None = None,
    movie_id: int | None = None,
    before_id: int | None,
    limit: int,
) -> tuple[list[ReviewRow], int]:
    """A user's reviews, or a movie's."""
    condition = ReviewRow.user_id == user_id if user_id is not None else ReviewRow.movie_id == movie_id
    return await _newest_first(session, ReviewRow, [condition], before_id, limit)


async def watch_events_page(
    session: AsyncSession, user_id: int, before_id: int | None, limit: int
) -> tuple[list[WatchEventRow], int]:
    return await _newest_first(session, WatchEventRow, [WatchEventRow.user_id == user_id], before_id, limit)


async def last_watch(
    session: AsyncSession, user_id: int | None, anonymous_key: str | None, movie_id: int
) -> datetime | None:
    query = select(func.max(WatchEventRow.watched_at)).where(WatchEventRow.movie_id == movie_id)
    query = (
        query.where(WatchEventRow.user_id == user_id)
        if user_id is not None
        else query.where(WatchEventRow.anonymous_key == anonymous_key, WatchEventRow.user_id.is_(None))
    )
    value = (await session.execute(query)).scalar_one_or_none()
    if isinstance(value, str):  # SQLite aggregates lose the column type
        value = datetime.fromisoformat(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


async def preferences_of(session: AsyncSession, user_id: int) -> dict[str, list[int]]:
    rows = await session.execute(
        select(PreferenceRow.kind, PreferenceRow.target_id)
        .where(PreferenceRow.user_id == user_id)
        .order_by(PreferenceRow.position)
    )
    found: dict[str, list[int]] = {}
    for kind, target in rows:
        found.setdefault(kind, []).append(target)
    return found


async def replace_preferences(
    session: AsyncSession, user_id: int, kind: str, target_ids: Sequence[int]
) -> None:
    await session.execute(
        delete(PreferenceRow).where(PreferenceRow.user_id == user_id, PreferenceRow.kind == kind)
    )
    for position, target in enumerate(dict.fromkeys(target_ids)):
        session.add(PreferenceRow(user_id=user_id, kind=kind, target_id=target, position=position))


async def stats(session: AsyncSession, user_id: int) -> dict[str, object]:
    counts: dict[str, int] = dict(
        (
            await session.execute(
                select(InteractionRow.kind, func.count())
                .where(InteractionRow.user_id == user_id)
                .group_by(InteractionRow.kind)
            )
        ).all()
    )
    rating_count, rating_average = (
        await session.execute(
            select(func.count(), func.avg(RatingRow.value)).where(RatingRow.user_id == user_id)
        )
    ).one()
    minutes = (
        await session.execute(
            select(func.coalesce(func.sum(MovieRow.runtime), 0))
            .join(InteractionRow, InteractionRow.movie_id == MovieRow.tmdb_id)
            .where(InteractionRow.user_id == user_id, InteractionRow.kind == "SEEN")
        )
    ).scalar_one()
    return {
        "seen": counts.get("SEEN", 0),
        "watch_later": counts.get("WATCH_LATER", 0),
        "ratings": rating_count,
        "average_rating": float(rating_average) if rating_average is not None else None,
        "minutes": int(minutes or 0),
    }


async def top_genres(session: AsyncSession, user_id: int, limit: int) -> list[int]:
    """Genres of movies the user saw, liked, favourited or rated >= 3.5, most frequent first."""
    engaged = (
        select(InteractionRow.movie_id.label("movie_id"))
        .where(InteractionRow.user_id == user_id, InteractionRow.kind.in_(("SEEN", "LIKED", "FAVORITE")))
        .union(select(RatingRow.movie_id).where(RatingRow.user_id == user_id, RatingRow.value >= 3.5))
        .subquery()
    )
    rows = await session.execute(
        select(MovieGenreRow.genre_id, func.count().label("n"))
        .where(MovieGenreRow.movie_id.in_(select(engaged.c.movie_id)))
        .group_by(MovieGenreRow.genre_id)
        .order_by(func.count().desc(), MovieGenreRow.genre_id)
        .limit(limit)
    )
    return [genre_id for genre_id, _ in rows]


async def ratings_of_user(session: AsyncSession, user_id: int) -> dict[int, float]:
    rows = await session.execute(
        select(RatingRow.movie_id, RatingRow.value).where(RatingRow.user_id == user_id)
    )
    return {movie_id: float(value) for movie_id, value in rows}


async def interactions_of_user(session: AsyncSession, user_id: int) -> dict[int, set[str]]:
    rows = await session.execute(
        select(InteractionRow.movie_id, InteractionRow.kind).where(InteractionRow.user_id == user_id)
    )
    found: dict[int, set[str]] = {}
    for movie_id, kind in rows:
        found.setdefault(movie_id, set()).add(kind)
    return found
