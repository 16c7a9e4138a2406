"""The signed-in viewer's whole library state (interactions and ratings) in one statement."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from reelgraph.persistence.models import InteractionRow, RatingRow


@dataclass(frozen=True, slots=True)
class LibraryRows:
    interactions: list[tuple[int, str]]  # (movie id, kind)
    ratings: list[tuple[int, float]]  # (movie id, value)


def _library_statement() -> sa.CompoundSelect[int, str | None, float | None]:
    user_id = sa.bindparam("user_id", type_=sa.Integer)
    interactions = sa.select(
        InteractionRow.movie_id,
        InteractionRow.kind,
        sa.cast(sa.null(), sa.Float).label("value"),
    ).where(InteractionRow.user_id == user_id)
    ratings = sa.select(
        RatingRow.movie_id,
        sa.cast(sa.null(), sa.String).label("kind"),
        RatingRow.value,
    ).where(RatingRow.user_id == user_id)
    return sa.union_all(interactions, ratings)


# Built once (every signed-in request runs one of them): only the bound values change.
_LIBRARY = _library_statement()
_LIBRARY_UP_TO = _LIBRARY.limit(sa.bindparam("rows", type_=sa.Integer))


async def library_of(session: AsyncSession, user_id: int, limit: int | None = None) -> LibraryRows | None:
    """Both tables in one round trip (UNION ALL); each side reads its (user_id, ...) unique index.
    None when `limit` is given and the library holds more rows than that."""
    # Core execution on the session's connection (same transaction): plain rows, without the ORM
    # result machinery a session statement pays per row.
    connection = await session.connection()
    if limit is None:
        result = await connection.execute(_LIBRARY, {"user_id": user_id})
    else:
        result = await connection.execute(_LIBRARY_UP_TO, {"user_id": user_id, "rows": limit + 1})
    rows = result.all()
    if limit is not None and len(rows) > limit:
        return None
    found = LibraryRows([], [])
    for movie_id, kind, value in rows:
        if kind is not None:
            found.interactions.append((movie_id, kind))
        else:
            found.ratings.append((movie_id, float(value)))
    return found
