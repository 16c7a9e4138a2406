"""This server's own trending lists: the signals they are ranked from, and the stored rankings.

The signals are read already reduced to one row per (movie, viewer, kind of signal), ordered by
movie, so the ranking job holds one movie's viewers at a time, never every event.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Float, String, cast, delete, func, literal_column, null, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from reelgraph.persistence.models import CommunityTrendingRow, InteractionRow, RatingRow, WatchEventRow

STREAM_BATCH_ROWS = 5_000
# Constants written into the SQL (not bound): every backend types them the same in the union.
_U = literal_column("'u'", String)


@dataclass(frozen=True)
class Signal:
    movie_id: int
    viewer: str  # "u<id>" for a user, "a<hash>" for an anonymous viewer
    kind: str  # VIEW, RATING or an interaction kind
    value: float | None  # the rating's value
    at: datetime


@dataclass(frozen=True)
class RankedMovie:
    tmdb_id: int
    score: float
    viewers: int


async def signals_since(session: AsyncSession, since: datetime) -> AsyncIterator[Signal]:
    """Every (movie, viewer, kind) with its latest time since `since`, ordered by movie."""
    user_viewer = _U + cast(WatchEventRow.user_id, String)
    views = (
        select(
            WatchEventRow.movie_id.label("movie_id"),
            func.coalesce(user_viewer, literal_column("'a'", String) + WatchEventRow.anonymous_key).label(
                "viewer"
            ),
            literal_column("'VIEW'", String).label("kind"),
            cast(null(), Float).label("value"),
            func.max(WatchEventRow.watched_at).label("at"),
        )
        .where(WatchEventRow.watched_at >= since)
        .group_by(WatchEventRow.movie_id, "viewer")
    )
    ratings = select(
        RatingRow.movie_id,
        _U + cast(RatingRow.user_id, String),
        literal_column("'RATING'", String),
        RatingRow.value,
        RatingRow.updated_at,
    ).where(RatingRow.updated_at >= since)
    interactions = select(
        InteractionRow.movie_id,
        _U + cast(InteractionRow.user_id, String),
        InteractionRow.kind,
        cast(null(), Float),
        InteractionRow.created_at,
    ).where(InteractionRow.created_at >= since)
    combined = union_all(views, ratings, interactions).subquery()
    statement = select(combined).order_by(combined.c.movie_id)
    result = await session.stream(statement.execution_options(yield_per=STREAM_BATCH_ROWS))
    async for movie_id, viewer, kind, value, at in result:
        if viewer is None:  # a view with neither a user nor an anonymous key
            continue
        yield Signal(int(movie_id), str(viewer), str(kind), None if value is None else float(value), at)


async def replace_ranking(
    session: AsyncSession, window: str, ranked: Sequence[RankedMovie], computed_at: datetime
) -> None:
    """The window's ranking, replaced whole (inside the caller's transaction: readers see the old
    one or the new one, never half of each)."""
    await session.execute(delete(CommunityTrendingRow).where(CommunityTrendingRow.window == window))
    rows = [
        {
            "window": window,
            "rank": rank,
            "tmdb_id": movie.tmdb_id,
            "score": movie.score,
            "viewers": movie.viewers,
            "computed_at": computed_at,
        }
        for rank, movie in enumerate(ranked)
    ]
    for start in range(0, len(rows), 1_000):
        await session.execute(CommunityTrendingRow.__table__.insert(), rows[start : start + 1_000])


async def ranking(session: AsyncSession, window: str) -> list[int]:
    """The window's movies, best first."""
    rows = await session.execute(
        select(CommunityTrendingRow.tmdb_id)
        .where(CommunityTrendingRow.window == window)
        .order_by(CommunityTrendingRow.rank)
    )
    return [int(tmdb_id) for (tmdb_id,) in rows]
