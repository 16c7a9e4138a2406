"""Recommendations for the viewer: the model's lifecycle (train, reload, refresh) and queries.

Training runs in a worker thread; requests keep using the current model until the new one is
swapped in. With REELGRAPH_RECS_MODEL_DIR set, every replica loads the model a `reelgraph recs
train --out DIR` job wrote there, so they all serve the same version.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reelgraph.config import Settings
from reelgraph.integrations.offline_catalog import OfflineCatalog
from reelgraph.movie_filter import MovieFilterSpec
from reelgraph.persistence import library as library_repo
from reelgraph.persistence import recommendations as repo
from reelgraph.recommender.engine import Preferences, Recommendation, RecommenderEngine, UserProfile

log = logging.getLogger("reelgraph.recommendations")


class RecommendationService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], settings: Settings) -> None:
        self._sessions = sessions
        self._settings = settings
        self.engine = RecommenderEngine()
        self._training: asyncio.Task[None] | None = None
        self._refresher: asyncio.Task[None] | None = None
        self._trained_on = -1  # activity count the current model was trained on

    async def start(self) -> None:
        """Begins loading or training in the background, and the refresh schedule."""
        self._ensure_training()
        self._refresher = asyncio.create_task(self._refresh_loop())

    async def close(self) -> None:
        for task in (self._refresher, self._training):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    async def ready_engine(self) -> RecommenderEngine:
        """The engine with a model; the first call may wait for the first training (a few seconds)."""
        if not self.engine.is_trained:
            await asyncio.shield(self._ensure_training())
        return self.engine

    def _ensure_training(self) -> asyncio.Task[None]:
        if self._training is None or (self._training.done() and not self.engine.is_trained):
            self._training = asyncio.create_task(self.refresh())
        return self._training

    async def refresh(self) -> None:
        """Loads the shared model when one is configured, else trains on the community prior plus
        this server's ratings and interactions."""
        model_dir = self._settings.recs_model_dir
        if model_dir and (Path(model_dir) / "meta.json").exists():
            loaded = await asyncio.to_thread(RecommenderEngine.load, model_dir)
            if loaded.version != self.engine.version:
                self.engine = loaded
                log.info("recommender model %s loaded from %s", loaded.version, model_dir)
            return
        async with self._sessions() as session:
            count = await repo.activity_count(session)
            ratings = await repo.all_ratings(session)
            interactions = await repo.all_interactions(session)
        catalog = await asyncio.to_thread(OfflineCatalog.load)
        version = await self.engine.train_async(ratings, interactions, catalog)
        self._trained_on = count
        log.info("recommender model %s trained on %d local ratings and interactions", version, count)

    async def _refresh_loop(self) -> None:
        # Retrain on a schedule, and sooner once enough new activity has come in.
        elapsed = 0.0
        while True:
            await asyncio.sleep(self._settings.recs_check_seconds)
            elapsed += self._settings.recs_check_seconds
            try:
                async with self._sessions() as session:
                    grown = await repo.activity_count(session) - self._trained_on
                if (
                    elapsed >= self._settings.recs_refresh_seconds
                    or grown >= self._settings.recs_retrain_after
                ):
                    elapsed = 0.0
                    await self.refresh()
            except Exception:
                log.exception("recommender refresh failed; keeping the current model")

    async def profile(self, user_id: int) -> UserProfile:
        async with self._sessions() as session:
            ratings = await library_repo.ratings_of_user(session, user_id)
            interactions = await library_repo.interactions_of_user(session, user_id)
            stated = await library_repo.preferences_of(session, user_id)
        return UserProfile(
            ratings=ratings,
            interactions=interactions,
            preferences=Preferences(
                favorite_genres=tuple(stated.get("FAVORITE_GENRE", [])),
                disliked_genres=tuple(stated.get("DISLIKED_GENRE", [])),
                favorite_people=tuple(stated.get("FAVORITE_PERSON", [])),
                favorite_movies=tuple(stated.get("FAVORITE_MOVIE", [])),
            ),
        )

    async def recommend(
        self, user_id: int, strategy: str, first: int, spec: MovieFilterSpec | None, hidden: set[int]
    ) -> list[Recommendation]:
        engine = await self.ready_engine()
        profile = await self.profile(user_id)
        allowed = candidate_filter(spec) if spec is not None else None
        # NumPy work: off the event loop.
        return await asyncio.to_thread(engine.recommend, profile, first, strategy, hidden, allowed)

    async def similar_items(self, tmdb_id: int, k: int) -> list[int]:
        engine = await self.ready_engine()
        return [item.tmdb_id for item in await asyncio.to_thread(engine.similar_items, tmdb_id, k)]


def candidate_filter(spec: MovieFilterSpec) -> Callable[[int], bool]:
    """A MovieFilter as a predicate over candidate ids, judged on the bundled catalog's metadata
    (the recommender's items are the catalog's movies)."""
    catalog = OfflineCatalog.load()
    wanted, excluded = set(spec.genres), set(spec.exclude_genres)
    people, keywords = set(spec.with_people), {k.lower() for k in spec.keywords}

    def keep(tmdb_id: int) -> bool:
        movie = catalog.movie(tmdb_id)
        if movie is None:
            return False
        genres = list(movie.genre_ids)
        if wanted:
            if spec.genre_match == "ALL" and not wanted <= set(genres):
                return False
            if spec.genre_match == "PRIMARY" and not wanted & set(genres[:2]):
                return False
            if spec.genre_match == "ANY" and not wanted & set(genres):
                return False
        year = movie.year
        imdb = movie.imdb
        return not (
            excluded & set(genres)
            or (spec.year_from is not None and (year is None or year < spec.year_from))
            or (spec.year_to is not None and (year is None or year > spec.year_to))
            or (spec.min_vote_average is not None and (movie.vote_average or 0) < spec.min_vote_average)
            or (spec.min_vote_count is not None and (movie.vote_count or 0) < spec.min_vote_count)
            or (spec.runtime_min is not None and (movie.runtime or 0) < spec.runtime_min)
            or (spec.runtime_max is not None and (movie.runtime is None or movie.runtime > spec.runtime_max))
            or (spec.original_language and movie.original_language != spec.original_language)
            or (people and not people & {*movie.cast_ids, *movie.director_ids})
            or (keywords and not keywords & {k.name.lower() for k in catalog.keywords_of(movie)})
            or (
                spec.min_imdb_rating is not None
                and (imdb is None or (imdb.rating or 0) < spec.min_imdb_rating)
            )
            or (spec.min_imdb_votes is not None and (imdb is None or (imdb.votes or 0) < spec.min_imdb_votes))
        )

    return keep
