"""The recommender facade the server uses: train, recommend with reasons, similar items, save/load.

``RecommenderEngine`` holds the current ``RecommenderModel`` (see ``training``) and swaps a new one
in atomically, so requests keep using the previous model while a new one trains in a thread or
process pool (``await engine.train_async(...)``). Scoring is in ``scoring``, reasons in
``explain``, the model files and the community prior in ``storage``.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Iterable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from os import PathLike
from pathlib import Path

from reelgraph.integrations.offline_catalog import OfflineCatalog
from reelgraph.recommender import scoring
from reelgraph.recommender.hybrid import DEFAULT_CONFIG, HybridConfig, Strategy
from reelgraph.recommender.model import RecommenderModel
from reelgraph.recommender.profile import Preferences, UserProfile
from reelgraph.recommender.scoring import CandidateFilter, Recommendation
from reelgraph.recommender.storage import CommunityPrior, load_model, save_model
from reelgraph.recommender.training import build_model

# The service layer takes the engine's inputs and outputs from here too.
__all__ = ["NotTrainedError", "Preferences", "Recommendation", "RecommenderEngine", "UserProfile"]


class NotTrainedError(RuntimeError):
    """The engine has no model yet: train it or load a saved one."""


class RecommenderEngine:
    """Holds the current model; training builds a new one and swaps it in atomically."""

    def __init__(self, model: RecommenderModel | None = None, config: HybridConfig = DEFAULT_CONFIG) -> None:
        self._model = model
        self.config = model.config if model is not None else config

    @property
    def model(self) -> RecommenderModel:
        if self._model is None:
            raise NotTrainedError("the recommender has no model yet: train it or load a saved one")
        return self._model

    @property
    def is_trained(self) -> bool:
        return self._model is not None

    @property
    def version(self) -> str | None:
        return None if self._model is None else self._model.version

    def train(
        self,
        local_ratings: Iterable[tuple[int, int, float]] = (),
        local_interactions: Iterable[tuple[int, int, str]] = (),
        catalog: OfflineCatalog | None = None,
        *,
        prior: CommunityPrior | None = None,
        rating_times: Sequence[float] | None = None,
        interaction_times: Sequence[float] | None = None,
    ) -> str:
        """Train synchronously and swap the new model in; returns its version.

        ``local_ratings`` are (user_id, tmdb_id, value) and ``local_interactions`` (user_id,
        tmdb_id, kind); ``prior`` defaults to the shipped community prior (pass
        ``CommunityPrior.empty()`` to train on local data only). With the rows' Unix times
        (``*_times``, aligned with the two) popularity is recency-weighted, as the retrain job's.
        """
        self._model = build_model(
            local_ratings,
            local_interactions,
            catalog,
            prior,
            self.config,
            rating_times=rating_times,
            interaction_times=interaction_times,
        )
        return self._model.version

    async def train_async(
        self,
        local_ratings: Iterable[tuple[int, int, float]] = (),
        local_interactions: Iterable[tuple[int, int, str]] = (),
        catalog: OfflineCatalog | None = None,
        *,
        prior: CommunityPrior | None = None,
        executor: Executor | None = None,
    ) -> str:
        """Train without blocking the event loop: in a worker thread, or in ``executor``.

        NumPy/BLAS release the GIL for the heavy parts; pass a ``ProcessPoolExecutor`` to keep the
        Python-level parts (TF-IDF) off the serving process too. Requests keep using the current
        model until the new one is swapped in.
        """
        ratings, interactions = list(local_ratings), list(local_interactions)
        if executor is None:
            model = await asyncio.to_thread(build_model, ratings, interactions, catalog, prior, self.config)
        else:
            if isinstance(executor, ProcessPoolExecutor) and catalog is not None:
                # The catalog does not pickle (it caches bound methods); a worker process loads the
                # packaged one itself, so only that one can be used there.
                if catalog is not OfflineCatalog.load():
                    raise ValueError("a process pool trains on the packaged catalog only: pass catalog=None")
                catalog = None
            loop = asyncio.get_running_loop()
            call = functools.partial(build_model, ratings, interactions, catalog, prior, self.config)
            model = await loop.run_in_executor(executor, call)
        self._model = model
        return model.version

    def recommend(
        self,
        user_profile: UserProfile,
        k: int = 20,
        strategy: Strategy | str = Strategy.HYBRID,
        exclude_ids: Iterable[int] = (),
        candidate_filter: CandidateFilter | None = None,
    ) -> list[Recommendation]:
        """The ``k`` best movies for the viewer, best first, each with a score and reasons.

        Movies the viewer rated, interacted with in any way or named as favourites are never
        returned, nor ``exclude_ids``. ``candidate_filter`` is either a set of allowed TMDb ids
        (applied vectorised) or a predicate asked lazily in rank order until ``k`` pass.
        """
        return scoring.recommend(
            self.model, user_profile, k, Strategy(strategy), exclude_ids, candidate_filter
        )

    def similar_items(self, tmdb_id: int, k: int = 20) -> list[Recommendation]:
        """Item-item neighbours of a movie (collaborative + content), best first, without reasons."""
        return scoring.similar_items(self.model, tmdb_id, k)

    def save(self, directory: str | PathLike[str]) -> Path:
        return save_model(self.model, directory)

    @classmethod
    def load(cls, directory: str | PathLike[str]) -> RecommenderEngine:
        return cls(load_model(directory))
