"""Community trending: what this server's own viewers are watching, rating and saving now.

The score of a movie is the sum, over its distinct viewers, of that viewer's strongest recent
signal, decayed exponentially with its age:

    score(movie) = sum over viewers v of  max over v's signals s of  weight(s) * 0.5 ** (age(s) / half_life)

weight: a view 1.0; a like or favourite 1.0; seen 0.8; saved for later 0.6; a rating 0.2 to 1.0
with its value (0.5 stars: 0.2, 5 stars: 1.0); not interested 0. A viewer counts once per movie
whatever they do (one person viewing a movie 100 times is one viewer, weighed by their latest
view), and a movie needs `min_viewers` distinct viewers to rank at all, so one account cannot put
a movie on the list. The half-life is one day for the DAY window and a week for WEEK; signals
older than four half-lives (weight <= 1/16) are not read. Ties go to the movie with more viewers,
then the lower TMDb id, so a ranking is reproducible.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reelgraph.loaders.catalog_reader import CatalogReader
from reelgraph.persistence import community_trending as repo
from reelgraph.persistence.community_trending import RankedMovie, Signal
from reelgraph.persistence.engine import write_transaction

HALF_LIVES = {"day": timedelta(days=1), "week": timedelta(days=7)}
HORIZON_HALF_LIVES = 4
INTERACTION_WEIGHTS = {"LIKED": 1.0, "FAVORITE": 1.0, "SEEN": 0.8, "WATCH_LATER": 0.6, "NOT_INTERESTED": 0.0}
VIEW_WEIGHT = 1.0
MAX_RANKED = 1_000  # 50 pages of 20: more than anyone pages through
PAGE_SIZE = 20

Envelope = dict[str, Any]


def signal_weight(signal: Signal) -> float:
    if signal.kind == "VIEW":
        return VIEW_WEIGHT
    if signal.kind == "RATING":
        value = min(max(signal.value or 0.5, 0.5), 5.0)
        return 0.2 + 0.8 * (value - 0.5) / 4.5
    return INTERACTION_WEIGHTS.get(signal.kind, 0.0)


def decayed(weight: float, at: datetime, now: datetime, half_life: timedelta) -> float:
    age = max((now - at).total_seconds(), 0.0)
    return weight * math.pow(0.5, age / half_life.total_seconds())


class Ranking:
    """Signals in, a ranking out: fed signals ordered by movie, it holds one movie's viewers at a time."""

    def __init__(self, now: datetime, half_life: timedelta, min_viewers: int) -> None:
        self._now, self._half_life, self._min_viewers = now, half_life, min_viewers
        self._movie: int | None = None
        self._best: dict[str, float] = {}  # viewer -> their strongest decayed signal for _movie
        self._ranked: list[RankedMovie] = []

    def add(self, signal: Signal) -> None:
        if signal.movie_id != self._movie:
            self._close_movie()
            self._movie = signal.movie_id
        value = decayed(signal_weight(signal), signal.at, self._now, self._half_life)
        if value > self._best.get(signal.viewer, 0.0):
            self._best[signal.viewer] = value

    def result(self) -> list[RankedMovie]:
        """Best first; ties to more viewers, then the lower id."""
        self._close_movie()
        self._ranked.sort(key=lambda movie: (-movie.score, -movie.viewers, movie.tmdb_id))
        return self._ranked[:MAX_RANKED]

    def _close_movie(self) -> None:
        if self._movie is not None and len(self._best) >= self._min_viewers:
            score = sum(self._best.values())
            if score > 0:
                self._ranked.append(RankedMovie(self._movie, score, len(self._best)))
        self._movie, self._best = None, {}


class CommunityTrending:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        reader: CatalogReader,
        *,
        min_viewers: int,
        min_movies: int,
    ) -> None:
        self._sessions = sessions
        self._reader = reader
        self.min_viewers = min_viewers
        self.min_movies = min_movies

    async def recompute(self, now: datetime | None = None) -> dict[str, int]:
        """Ranks every window from the signals and stores the rankings; returns their sizes."""
        now = now or datetime.now(UTC)
        sizes: dict[str, int] = {}
        for window, half_life in HALF_LIVES.items():
            since = now - half_life * HORIZON_HALF_LIVES
            ranking = Ranking(now, half_life, self.min_viewers)
            async with self._sessions() as session:
                async for signal in repo.signals_since(session, since):
                    ranking.add(signal)
            ranked = ranking.result()
            async with write_transaction(self._sessions) as session:
                await repo.replace_ranking(session, window, ranked, now)
            sizes[window] = len(ranked)
        return sizes

    async def ranking(self, window: str) -> list[int] | None:
        """The stored ranking of `window`, or None when the server has too little activity for one
        (then the TMDb list stands in)."""
        async with self._sessions() as session:
            ranked = await repo.ranking(session, window)
        return ranked if len(ranked) >= self.min_movies else None

    def page_fetcher(self, ranked: list[int], language: str) -> Callable[[int], Awaitable[Envelope]]:
        """Pages of 20 of `ranked`, shaped as TMDb list pages (each item its movie's details)."""
        total_pages = max(1, -(-len(ranked) // PAGE_SIZE))

        async def fetch(page: int) -> Envelope:
            ids = ranked[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
            details = await asyncio.gather(*(self._reader.movie(tmdb_id, language) for tmdb_id in ids))
            return {
                "page": page,
                "results": [movie for movie in details if movie is not None],
                "total_pages": total_pages,
                "total_results": len(ranked),
            }

        return fetch
