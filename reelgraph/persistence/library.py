"""Queries on a user's movie state: interactions, ratings, reviews, watch events, preferences."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from reelgraph.persistence.models import (
    Interaction,
    Movie,
    MovieGenre,
    Preference,
    Rating,
    Review,
    User,
    WatchEvent,
)

HIDING_KINDS = ("SEEN", "NOT_INTERESTED")


async def lock_user(session: AsyncSession, user_id: int) -> User | None:
    """Serialises one user's library writes on PostgreSQL (FOR UPDATE is a no-op on SQLite,
    which takes its write lock at BEGIN IMMEDIATE instead)."""
    return (
        await session.execute(select(User).where(User.id == user_id).with_for_update())
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
    return (await session.execute(select(Movie.tmdb_id).where(Movie.tmdb_id == tmdb_id))).first() is not None


async def kinds_for(session: AsyncSession, user_id: int, movie_id: int) -> set[str]:
    rows = await session.execute(
        select(Interaction.kind).where(Interaction.user_id == user_id, Interaction.movie_id == movie_id)
    )
    return set(rows.scalars())


async def get_interaction(
    session: AsyncSession, user_id: int, movie_id: int, kind: str
) -> Interaction | None:
    query = select(Interaction).where(
        Interaction.user_id == user_id, Interaction.movie_id == movie_id, Interaction.kind == kind
    )
    return (await session.execute(query)).scalar_one_or_none()


async def remove_kinds(session: AsyncSession, user_id: int, movie_id: int, kinds: Sequence[str]) -> None:
    await session.execute(
        delete(Interaction).where(
            Interaction.user_id == user_id,
            Interaction.movie_id == movie_id,
            Interaction.kind.in_(list(kinds)),
        )
    )


async def interactions_by_movie(
    session: AsyncSession, user_id: int, movie_ids: Sequence[int]
) -> dict[int, list[str]]:
    rows = await session.execute(
        select(Interaction.movie_id, Interaction.kind).where(
            Interaction.user_id == user_id, Interaction.movie_id.in_(list(movie_ids))
        )
    )
    found: dict[int, list[str]] = {}
    for movie_id, kind in rows:
        found.setdefault(movie_id, []).append(kind)
    return found


async def hidden_movie_ids(session: AsyncSession, user_id: int) -> set[int]:
    rows = await session.execute(
        select(Interaction.movie_id).where(Interaction.user_id == user_id, Interaction.kind.in_(HIDING_KINDS))
    )
    return set(rows.scalars())


async def ratings_by_movie(session: AsyncSession, user_id: int, movie_ids: Sequence[int]) -> dict[int, float]:
    rows = await session.execute(
        select(Rating.movie_id, Rating.value).where(
            Rating.user_id == user_id, Rating.movie_id.in_(list(movie_ids))
        )
    )
    return {movie_id: value for movie_id, value in rows}


async def average_ratings(session: AsyncSession, movie_ids: Sequence[int]) -> dict[int, float]:
    rows = await session.execute(
        select(Rating.movie_id, func.avg(Rating.value))
        .where(Rating.movie_id.in_(list(movie_ids)))
        .group_by(Rating.movie_id)
    )
    return {movie_id: float(average) for movie_id, average in rows}


async def get_rating(session: AsyncSession, user_id: int, movie_id: int) -> Rating | None:
    query = select(Rating).where(Rating.user_id == user_id, Rating.movie_id == movie_id)
    return (await session.execute(query)).scalar_one_or_none()


async def get_review(session: AsyncSession, review_id: int) -> Review | None:
    return await session.get(Review, review_id)


async def review_of(session: AsyncSession, user_id: int, movie_id: int) -> Review | None:
    query = select(Review).where(Review.user_id == user_id, Review.movie_id == movie_id)
    return (await session.execute(query)).scalar_one_or_none()


async def page_newest_first(
    session: AsyncSession, model: type, conditions: list, before_id: int | None, limit: int
) -> tuple[list, int]:
    """A page of rows newest first (by id, which grows with time), and the total."""
    total = (await session.execute(select(func.count()).select_from(model).where(*conditions))).scalar_one()
    query = select(model).where(*conditions)
    if before_id is not None:
        query = query.where(model.id < before_id)  # type: ignore[attr-defined]
    rows = (await session.execute(query.order_by(model.id.desc()).limit(limit))).scalars().all()  # type: ignore[attr-defined]
    return list(rows), total


async def last_watch(
    session: AsyncSession, user_id: int | None, anonymous_key: str | None, movie_id: int
) -> datetime | None:
    query = select(func.max(WatchEvent.watched_at)).where(WatchEvent.movie_id == movie_id)
    query = (
        query.where(WatchEvent.user_id == user_id)
        if user_id is not None
        else query.where(WatchEvent.anonymous_key == anonymous_key, WatchEvent.user_id.is_(None))
    )
    value = (await session.execute(query)).scalar_one_or_none()
    if isinstance(value, str):  # SQLite aggregates lose the column type
        value = datetime.fromisoformat(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


async def preferences_of(session: AsyncSession, user_id: int) -> dict[str, list[int]]:
    rows = await session.execute(
        select(Preference.kind, Preference.target_id)
        .where(Preference.user_id == user_id)
        .order_by(Preference.position)
    )
    found: dict[str, list[int]] = {}
    for kind, target in rows:
        found.setdefault(kind, []).append(target)
    return found


async def replace_preferences(
    session: AsyncSession, user_id: int, kind: str, target_ids: Sequence[int]
) -> None:
    await session.execute(delete(Preference).where(Preference.user_id == user_id, Preference.kind == kind))
    for position, target in enumerate(dict.fromkeys(target_ids)):
        session.add(Preference(user_id=user_id, kind=kind, target_id=target, position=position))


async def stats(session: AsyncSession, user_id: int) -> dict[str, object]:
    counts = dict(
        (
            await session.execute(
                select(Interaction.kind, func.count())
                .where(Interaction.user_id == user_id)
                .group_by(Interaction.kind)
            )
        ).all()
    )
    rating_count, rating_average = (
        await session.execute(select(func.count(), func.avg(Rating.value)).where(Rating.user_id == user_id))
    ).one()
    minutes = (
        await session.execute(
            select(func.coalesce(func.sum(Movie.runtime), 0))
            .join(Interaction, Interaction.movie_id == Movie.tmdb_id)
            .where(Interaction.user_id == user_id, Interaction.kind == "SEEN")
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
        select(Interaction.movie_id.label("movie_id"))
        .where(Interaction.user_id == user_id, Interaction.kind.in_(("SEEN", "LIKED", "FAVORITE")))
        .union(select(Rating.movie_id).where(Rating.user_id == user_id, Rating.value >= 3.5))
        .subquery()
    )
    rows = await session.execute(
        select(MovieGenre.genre_id, func.count().label("n"))
        .where(MovieGenre.movie_id.in_(select(engaged.c.movie_id)))
        .group_by(MovieGenre.genre_id)
        .order_by(func.count().desc(), MovieGenre.genre_id)
        .limit(limit)
    )
    return [genre_id for genre_id, _ in rows]


async def ratings_of_user(session: AsyncSession, user_id: int) -> dict[int, float]:
    rows = await session.execute(select(Rating.movie_id, Rating.value).where(Rating.user_id == user_id))
    return {movie_id: float(value) for movie_id, value in rows}


async def interactions_of_user(session: AsyncSession, user_id: int) -> dict[int, set[str]]:
    rows = await session.execute(
        select(Interaction.movie_id, Interaction.kind).where(Interaction.user_id == user_id)
    )
    found: dict[int, set[str]] = {}
    for movie_id, kind in rows:
        found.setdefault(movie_id, set()).add(kind)
    return found
