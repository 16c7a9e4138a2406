"""Per-movie rating count and sum and review count, stored (movie_aggregates) so that a movie's
average and the most rated movies are one index read, whatever the number of ratings.

Every write that adds, changes or removes ratings or reviews passes its deltas to `add` inside
its own transaction (through reelgraph.persistence.rollups.Tally); `rebuild_statements` computes
the table from the raw rows (migration 0008, `reelgraph analytics backfill`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import delete, func, insert, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable

from reelgraph.persistence.models import MovieAggregateRow, MovieDayViewsRow, RatingRow, ReviewRow
from reelgraph.persistence.upsert import dialect_insert


@dataclass
class AggregateDelta:
    rating_count: int = 0
    rating_sum: float = 0.0
    review_count: int = 0
    view_count: int = 0

    def is_zero(self) -> bool:
        return not (self.rating_count or self.rating_sum or self.review_count or self.view_count)


async def add(session: AsyncSession, deltas: Mapping[int, AggregateDelta]) -> None:
    """Adds each movie's deltas to its row (created at zero when missing), in movie order so that
    concurrent writers lock rows in the same order."""
    rows = [
        {
            "movie_id": movie_id,
            "rating_count": delta.rating_count,
            "rating_sum": delta.rating_sum,
            "review_count": delta.review_count,
            "view_count": delta.view_count,
        }
        for movie_id, delta in sorted(deltas.items())
        if not delta.is_zero()
    ]
    if not rows:
        return
    statement = dialect_insert(session, MovieAggregateRow).values(rows)
    table = MovieAggregateRow.__table__.c
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["movie_id"],
            set_={
                "rating_count": table.rating_count + statement.excluded.rating_count,
                "rating_sum": table.rating_sum + statement.excluded.rating_sum,
                "review_count": table.review_count + statement.excluded.review_count,
                "view_count": table.view_count + statement.excluded.view_count,
            },
        )
    )


async def average_ratings(session: AsyncSession, movie_ids: Sequence[int]) -> dict[int, float]:
    """Mean rating of each movie that has ratings (movies without any are absent)."""
    rows = await session.execute(
        select(
            MovieAggregateRow.movie_id, MovieAggregateRow.rating_sum, MovieAggregateRow.rating_count
        ).where(MovieAggregateRow.movie_id.in_(list(movie_ids)), MovieAggregateRow.rating_count > 0)
    )
    return {movie_id: float(total) / count for movie_id, total, count in rows}


async def review_counts(session: AsyncSession, movie_ids: Sequence[int]) -> dict[int, int]:
    rows = await session.execute(
        select(MovieAggregateRow.movie_id, MovieAggregateRow.review_count).where(
            MovieAggregateRow.movie_id.in_(list(movie_ids))
        )
    )
    return {movie_id: count for movie_id, count in rows}


async def most_rated(session: AsyncSession, limit: int) -> list[tuple[int, int]]:
    """(tmdb id, ratings) of all time; most first, then by id."""
    rows = await session.execute(
        select(MovieAggregateRow.movie_id, MovieAggregateRow.rating_count)
        .where(MovieAggregateRow.rating_count > 0)
        .order_by(MovieAggregateRow.rating_count.desc(), MovieAggregateRow.movie_id)
        .limit(limit)
    )
    return [(row[0], row[1]) for row in rows]


def rebuild_statements() -> list[Executable]:
    """Empties the table and fills it from the ratings, the reviews and the daily views (rebuilt
    just before, by reelgraph.persistence.rollups), in one pass over each."""
    zero = sa.cast(literal(0.0), sa.Float)
    per_row = union_all(
        select(
            RatingRow.movie_id.label("movie_id"),
            literal(1).label("ratings"),
            RatingRow.value.label("total"),
            literal(0).label("reviews"),
            literal(0).label("views"),
        ),
        select(ReviewRow.movie_id, literal(0), zero, literal(1), literal(0)),
        select(MovieDayViewsRow.movie_id, literal(0), zero, literal(0), MovieDayViewsRow.count),
    ).subquery("per_row")
    summed = select(
        per_row.c.movie_id,
        func.sum(per_row.c.ratings),
        func.coalesce(func.sum(per_row.c.total), 0.0),
        func.sum(per_row.c.reviews),
        func.sum(per_row.c.views),
    ).group_by(per_row.c.movie_id)
    columns = ["movie_id", "rating_count", "rating_sum", "review_count", "view_count"]
    return [delete(MovieAggregateRow), insert(MovieAggregateRow).from_select(columns, summed)]
