"""When a viewer last rated or interacted with each movie: what the recommender's time decay reads."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from reelgraph.persistence.models import InteractionRow, RatingRow


def _epoch(moment: datetime) -> float:
    # SQLite hands back naive datetimes; they were written in UTC.
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


async def activity_times_of_user(session: AsyncSession, user_id: int) -> dict[int, float]:
    """TMDb id -> Unix seconds of the viewer's latest rating (last change) or interaction."""
    ratings = await session.execute(
        select(RatingRow.movie_id, RatingRow.updated_at).where(RatingRow.user_id == user_id)
    )
    interactions = await session.execute(
        select(InteractionRow.movie_id, func.max(InteractionRow.created_at))
        .where(InteractionRow.user_id == user_id)
        .group_by(InteractionRow.movie_id)
    )
    found: dict[int, float] = {}
    for movie_id, moment in (*ratings, *interactions):
        if moment is not None:
            found[int(movie_id)] = max(found.get(int(movie_id), 0.0), _epoch(moment))
    return found
