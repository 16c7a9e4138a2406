"""What the recommender reads: every user's ratings and interactions, and one viewer's profile."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from reelgraph.persistence.models import InteractionRow, RatingRow


async def all_ratings(session: AsyncSession) -> list[tuple[int, int, float]]:
    rows = await session.execute(select(RatingRow.user_id, RatingRow.movie_id, RatingRow.value))
    return [(user, movie, float(value)) for user, movie, value in rows]


async def all_interactions(session: AsyncSession) -> list[tuple[int, int, str]]:
    rows = await session.execute(select(InteractionRow.user_id, InteractionRow.movie_id, InteractionRow.kind))
    return [(user, movie, kind) for user, movie, kind in rows]


async def activity_count(session: AsyncSession) -> int:
    """Ratings plus interactions: how much there is to learn from (retrain when it grows)."""
    ratings = (await session.execute(select(func.count()).select_from(RatingRow))).scalar_one()
    interactions = (await session.execute(select(func.count()).select_from(InteractionRow))).scalar_one()
    return int(ratings) + int(interactions)
