"""Recommendations for the viewer: the shared model's versions, retraining, precomputed lists.

The ``retrain-recommender`` job trains (in a spawned child process: ``training_process``) and stores
each model version in the database; every API process polls the newest version's header (one
primary-key probe) every ``recs_poll_seconds`` and swaps it in, so all replicas serve and report the
same version. With no stored model yet, the first process to need one trains it and stores it;
with a broker an API process never trains: it asks the workers for a run and loads what they store. ``REELGRAPH_RECS_MODEL_DIR``
pins a model written by ``reelgraph recs train --out DIR`` instead (no polling).

``precompute-recommendations`` writes the lists of recently active users into the shared cache,
keyed by the model version and a digest of everything the list depends on (the viewer's ratings,
interactions, preferences and hidden movies), so any later change by the viewer, or a new model,
leaves the entry unused: a request never gets a list that ignores its viewer's latest rating.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from aiocache import BaseCache
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reelgraph.config import Settings
from reelgraph.integrations.offline_catalog import OfflineCatalog
from reelgraph.movie_filter import MovieFilterSpec
from reelgraph.persistence import library as library_repo
from reelgraph.persistence import recommendations as repo
from reelgraph.persistence.recommender_profile import viewer_activity
from reelgraph.recommender.engine import Preferences, Recommendation, RecommenderEngine, UserProfile
from reelgraph.recommender.explain import Reason, ReasonKind
from reelgraph.recommender.model import RecommenderModel
from reelgraph.recommender.storage import has_model, model_from_bytes
from reelgraph.recommender.training_process import Trained, train_here, train_in_child
from reelgraph.services.jobs import QueueSlot

log = logging.getLogger("reelgraph.recommendations")

RETRAIN_JOB = "retrain-recommender"  # reelgraph.jobs.bodies.retrain_recommender (a layer above)
PRECOMPUTED_STRATEGY = "HYBRID"  # the query's default: what the app asks for


class RecommendationService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        cache: BaseCache | None = None,
        jobs: QueueSlot | None = None,
    ) -> None:
        self._sessions = sessions
        self._settings = settings
        self._cache = cache
        self._jobs = jobs  # with a broker: where the first model is asked of the workers
        self.engine = RecommenderEngine()
        # The stored version being served (None: none yet, or a pinned model directory).
        self.stored_version: int | None = None
        self._loading: asyncio.Task[None] | None = None
        self._poller: asyncio.Task[None] | None = None
        self._retraining = asyncio.Lock()

    async def start(self) -> None:
        """Begins polling for stored versions; loads (or, at start, trains) the first in the background."""
        if self._settings.recs_model_dir is None:
            self._poller = asyncio.create_task(self._poll_loop())
        if self._settings.recs_train_on_start:
            self._ensure_model()

    async def close(self) -> None:
        for task in (self._poller, self._loading):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    @property
    def served_version(self) -> dict[str, Any]:
        """What replicas report (readiness): the stored version and the model's content hash."""
        return {"version": self.stored_version, "model": self.engine.version}

    async def ready_engine(self) -> RecommenderEngine:
        """The engine with a model; the first call may wait for the first load or training."""
        if not self.engine.is_trained:
            await asyncio.shield(self._ensure_model())
        return self.engine

    def _ensure_model(self) -> asyncio.Task[None]:
        if self._loading is None or (self._loading.done() and not self.engine.is_trained):
            self._loading = asyncio.create_task(self._first_model())
        return self._loading

    async def _first_model(self) -> None:
        model_dir = self._settings.recs_model_dir
        if model_dir is not None:
            if not has_model(model_dir):
                raise FileNotFoundError(f"REELGRAPH_RECS_MODEL_DIR={model_dir} holds no model")
            self.engine = await asyncio.to_thread(RecommenderEngine.load, model_dir)
            log.info("recommender model %s loaded from %s", self.engine.version, model_dir)
            return
        if await self.sync():
            return
        if self._settings.broker_url is not None:
            await self._await_worker_model()
            return
        # Nothing stored yet: this process is the first to need a model. Not forced: should the job
        # have stored one meanwhile (it shares the lock in-process), that one is used instead.
        await self.retrain()
        if not self.engine.is_trained:
            await self.sync()

    async def _await_worker_model(self) -> None:
        # With a broker only workers train: ask for a run (again every recs_check_seconds, should one
        # fail) and load the version it stores.
        asked = -float("inf")
        while True:
            queue = self._jobs.queue if self._jobs is not None else None  # None: the engine is not up yet
            if queue is not None and time.monotonic() - asked >= self._settings.recs_check_seconds:
                asked = time.monotonic()
                try:
                    await queue.run_now(RETRAIN_JOB)
                except Exception as exc:  # one already queued or running: its version is awaited
                    log.debug("retrain not requested: %s", exc)
            await asyncio.sleep(min(self._settings.recs_poll_seconds, 1.0))
            if await self.sync():
                return

    async def sync(self) -> bool:
        """Swaps in the newest stored version if it is not the one served; False when none is stored."""
        async with self._sessions() as session:
            latest = await repo.latest_model(session)
            if latest is None:
                return False
            if latest.version == self.stored_version:
                return True
            blob = await repo.model_blob(session, latest.version)
        if blob is None:  # pruned between the two reads: the next poll sees the newer one
            return self.engine.is_trained
        model = await asyncio.to_thread(model_from_bytes, blob)
        self._swap(model, latest.version)
        return True

    def _swap(self, model: RecommenderModel, version: int) -> None:
        if self.stored_version is not None and version < self.stored_version:
            return  # a slower load of an older version never replaces a newer one
        self.engine = RecommenderEngine(model)
        self.stored_version = version
        log.info("recommender model version %d (%s) in use", version, model.version)

    async def _poll_loop(self) -> None:
        while True:
            await asyncio.sleep(self._settings.recs_poll_seconds)
            if not (self.engine.is_trained or self._settings.recs_train_on_start):
                continue  # nobody asked for recommendations yet: the first request loads one
            try:
                await self.sync()
            except Exception:
                log.exception("recommender version poll failed; keeping the current model")

    # --- retraining (the retrain-recommender job) ----------------------------------------------

    async def retrain(self, *, force: bool = False) -> dict[str, Any]:
        """Trains and stores a new version when due (or ``force``); returns what it did.

        Due: no stored model, the newest older than ``recs_refresh_seconds``, or at least
        ``recs_retrain_after`` new ratings + interactions since it (by their ids: no table count).
        """
        async with self._retraining:
            settings = self._settings
            async with self._sessions() as session:
                latest = await repo.latest_model(session)
                seen = await repo.watermarks(session)
            if latest is not None and not force:
                grown = (seen.ratings - latest.watermarks.ratings) + (
                    seen.interactions - latest.watermarks.interactions
                )
                age = datetime.now(UTC) - latest.created_at
                if grown < settings.recs_retrain_after and age < timedelta(
                    seconds=settings.recs_refresh_seconds
                ):
                    return {"retrained": False, "version": latest.version, "new_activity": grown}
            started = time.perf_counter()
            trained = await self._train(seen)
            async with self._sessions() as session:
                version = await repo.store_model(
                    session,
                    trained.blob,
                    trained.ratings,
                    trained.interactions,
                    seen,
                    settings.recs_keep_versions,
                )
            model = await asyncio.to_thread(model_from_bytes, trained.blob)
            self._swap(model, version)
            seconds = round(time.perf_counter() - started, 3)
            log.info(
                "recommender version %d trained (process %d, peak RSS %.0f MiB) and stored in %.1fs",
                version,
                trained.pid,
                trained.peak_rss_mib,
                seconds,
            )
            return {
                "retrained": True,
                "version": version,
                "model": model.version,
                "ratings": trained.ratings,
                "interactions": trained.interactions,
                "bytes": len(trained.blob),
                "seconds": seconds,
                "trainer_pid": trained.pid,
                "trainer_peak_rss_mib": trained.peak_rss_mib,
            }

    async def _train(self, seen: repo.Watermarks) -> Trained:
        settings = self._settings
        # An in-memory SQLite database is this process's alone: a child could not read it.
        if settings.recs_train_subprocess and not _in_memory(settings.database_url):
            return await train_in_child(settings.database_url, seen, settings.recs_train_batch_rows)
        return await train_here(self._sessions, seen, settings.recs_train_batch_rows)

    # --- one viewer's list -----------------------------------------------------------------------

    async def profile(self, user_id: int) -> UserProfile:
        async with self._sessions() as session:
            activity = await viewer_activity(session, user_id)  # one query, not five
        stated = activity.preferences
        return UserProfile(
            ratings=activity.ratings,
            interactions=activity.interactions,
            rated_at=activity.rated_at,
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
        precomputable = spec is None and strategy == PRECOMPUTED_STRATEGY
        if precomputable and first <= self._settings.recs_precompute_first and self._cache is not None:
            key = precomputed_key(engine, user_id, profile, hidden)
            stored = await self._cache.get(key)
            if stored is not None:
                return [_recommendation_from(item) for item in stored[:first]]
        allowed = candidate_filter(spec) if spec is not None else None
        # NumPy work: off the event loop.
        return await asyncio.to_thread(engine.recommend, profile, first, strategy, hidden, allowed)

    async def precompute(self) -> dict[str, Any]:
        """Writes the lists of recently active users into the shared cache (the precompute job)."""
        settings = self._settings
        if self._cache is None:
            return {"users": 0, "skipped": "no cache"}
        engine = await self.ready_engine()
        since = datetime.now(UTC) - timedelta(hours=settings.recs_precompute_active_hours)
        async with self._sessions() as session:
            users = await repo.recently_active_users(session, since, settings.recs_precompute_max_users)
        started = time.perf_counter()
        for user_id in users:
            profile = await self.profile(user_id)
            async with self._sessions() as session:
                hidden = await library_repo.hidden_movie_ids(session, user_id)
            found = await asyncio.to_thread(
                engine.recommend, profile, settings.recs_precompute_first, PRECOMPUTED_STRATEGY, hidden, None
            )
            await self._cache.set(
                precomputed_key(engine, user_id, profile, hidden),
                [_recommendation_to(item) for item in found],
                ttl=settings.recs_precompute_ttl_seconds,
            )
        return {
            "users": len(users),
            "model": engine.version,
            "seconds": round(time.perf_counter() - started, 3),
        }

    async def similar_items(self, tmdb_id: int, k: int) -> list[int]:
        engine = await self.ready_engine()
        return [item.tmdb_id for item in await asyncio.to_thread(engine.similar_items, tmdb_id, k)]


def _in_memory(database_url: str) -> bool:
    return database_url.startswith("sqlite") and (":memory:" in database_url or database_url.endswith("://"))


def precomputed_key(engine: RecommenderEngine, user_id: int, profile: UserProfile, hidden: set[int]) -> str:
    """The cache key of a viewer's precomputed list: the model version and a digest of every input
    the list depends on, so any change to them (a new rating, say) points at another entry."""
    inputs = {
        "ratings": sorted(profile.ratings.items()),
        "interactions": sorted((movie, sorted(kinds)) for movie, kinds in profile.interactions.items()),
        "preferences": [
            list(profile.preferences.favorite_genres),
            list(profile.preferences.disliked_genres),
            list(profile.preferences.favorite_people),
            list(profile.preferences.favorite_movies),
        ],
        "hidden": sorted(hidden),
        "rated_at": sorted(profile.rated_at.items()),  # recent ratings weigh more (time decay)
    }
    digest = hashlib.sha256(json.dumps(inputs, separators=(",", ":")).encode()).hexdigest()[:32]
    return f"recs:pre:{engine.version}:{user_id}:{digest}"


def _recommendation_to(item: Recommendation) -> list[Any]:
    # Plain JSON (the shared cache never pickles).
    reasons = [
        [r.kind.value, r.text_en, r.text_fr, r.movie_id, r.genre_id, r.person_id, r.weight]
        for r in item.reasons
    ]
    return [item.tmdb_id, item.score, reasons]


def _recommendation_from(stored: list[Any]) -> Recommendation:
    tmdb_id, score, reasons = stored
    return Recommendation(
        tmdb_id=int(tmdb_id),
        score=float(score),
        reasons=tuple(
            Reason(ReasonKind(kind), en, fr, movie_id=movie, genre_id=genre, person_id=person, weight=weight)
            for kind, en, fr, movie, genre, person, weight in reasons
        ),
    )


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
