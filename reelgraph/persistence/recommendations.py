"""What the recommender reads and stores: the activity it trains on (streamed in batches), the
cheap counters that say when to retrain, recently active users, and the shared model versions."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import delete, func, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from reelgraph.persistence.models import InteractionRow, RatingRow, RecommenderModelRow, WatchEventRow


class Watermarks(NamedTuple):
    """The newest rating and interaction ids: they only grow, and reading them is one index probe."""

    ratings: int
    interactions: int


class StoredModel(NamedTuple):
    """A stored version without its blob (what polling reads)."""

    version: int
    created_at: datetime
    trained_on_ratings: int
    trained_on_interactions: int
    watermarks: Watermarks


async def watermarks(session: AsyncSession) -> Watermarks:
    # max() of a primary key is read from the end of its index: no table scan, whatever the size.
    ratings = (await session.execute(select(func.max(RatingRow.id)))).scalar_one_or_none()
    interactions = (await session.execute(select(func.max(InteractionRow.id)))).scalar_one_or_none()
    return Watermarks(int(ratings or 0), int(interactions or 0))


async def _batches(session: AsyncSession, query: Any, size: int) -> AsyncIterator[Sequence[Sequence[Any]]]:
    # A server-side cursor on PostgreSQL (yield_per): rows arrive a batch at a time, never all at once.
    result = await session.stream(query.execution_options(yield_per=size))
    async for partition in result.partitions(size):
        yield partition


def rating_batches(session: AsyncSession, up_to_id: int, size: int) -> AsyncIterator[Sequence[Sequence[Any]]]:
    """(user_id, movie_id, value, updated_at) rows with ids up to ``up_to_id``, ``size`` at a time.

    ``updated_at`` (a rating's last change) dates the row for the model's recency-weighted popularity.
    """
    query = select(RatingRow.user_id, RatingRow.movie_id, RatingRow.value, RatingRow.updated_at).where(
        RatingRow.id <= up_to_id
    )
    return _batches(session, query, size)


def interaction_batches(
    session: AsyncSession, up_to_id: int, size: int
) -> AsyncIterator[Sequence[Sequence[Any]]]:
    """(user_id, movie_id, kind, created_at) rows with ids up to ``up_to_id``, ``size`` at a time."""
    query = select(
        InteractionRow.user_id, InteractionRow.movie_id, InteractionRow.kind, InteractionRow.created_at
    ).where(InteractionRow.id <= up_to_id)
    return _batches(session, query, size)


async def recently_active_users(session: AsyncSession, since: datetime, limit: int) -> list[int]:
    """Users who rated, interacted or watched since ``since``, the most recently active first."""
    activity = union_all(
        select(RatingRow.user_id, RatingRow.updated_at.label("at")).where(RatingRow.updated_at >= since),
        select(InteractionRow.user_id, InteractionRow.created_at.label("at")).where(
            InteractionRow.created_at >= since
        ),
        select(WatchEventRow.user_id, WatchEventRow.watched_at.label("at")).where(
            WatchEventRow.watched_at >= since, WatchEventRow.user_id.is_not(None)
        ),
    ).subquery()
    query = (
        select(activity.c.user_id)
        .group_by(activity.c.user_id)
        .order_by(func.max(activity.c.at).desc(), activity.c.user_id)
        .limit(limit)
    )
    return [int(user_id) for user_id in (await session.execute(query)).scalars()]


async def latest_model(session: AsyncSession) -> StoredModel | None:
    """The newest version's header: one primary-key probe, the blob left on disk."""
    row = (
        await session.execute(
            select(
                RecommenderModelRow.version,
                RecommenderModelRow.created_at,
                RecommenderModelRow.trained_on_ratings,
                RecommenderModelRow.trained_on_interactions,
                RecommenderModelRow.ratings_max_id,
                RecommenderModelRow.interactions_max_id,
            )
            .order_by(RecommenderModelRow.version.desc())
            .limit(1)
        )
    ).first()
    if row is None:
        return None
    version, created_at, ratings, interactions, ratings_max, interactions_max = row
    return StoredModel(version, created_at, ratings, interactions, Watermarks(ratings_max, interactions_max))


async def model_blob(session: AsyncSession, version: int) -> bytes | None:
    query = select(RecommenderModelRow.model).where(RecommenderModelRow.version == version)
    return (await session.execute(query)).scalar_one_or_none()


async def store_model(
    session: AsyncSession, blob: bytes, ratings: int, interactions: int, seen: Watermarks, keep: int
) -> int:
    """Adds a version (the newest) and drops all but the ``keep`` newest; returns its number."""
    row = RecommenderModelRow(
        trained_on_ratings=ratings,
        trained_on_interactions=interactions,
        ratings_max_id=seen.ratings,
        interactions_max_id=seen.interactions,
        model=blob,
    )
    session.add(row)
    await session.flush()
    assert row.version is not None
    newest = (
        select(RecommenderModelRow.version)
        .order_by(RecommenderModelRow.version.desc())
        .limit(keep)
        .scalar_subquery()
    )
    await session.execute(delete(RecommenderModelRow).where(RecommenderModelRow.version.not_in(newest)))
    await session.commit()
    return row.version
