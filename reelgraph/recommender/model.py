"""The trained, immutable recommender state: the item universe and everything scored over it.

``training.fit_model`` builds a ``RecommenderModel``, ``storage`` saves and loads one,
``scoring`` ranks movies with it and ``explain`` says why.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from reelgraph.recommender.approximate import Collaborative
from reelgraph.recommender.content import DIRECTOR_WEIGHT, ContentModel
from reelgraph.recommender.hybrid import (
    INTERACTION_AS_RATING,
    NOT_INTERESTED_CONTENT_WEIGHT,
    POSITIVE_WEIGHT,
    WATCH_LATER_WEIGHT,
    HybridConfig,
    rating_weights,
    standardize,
)
from reelgraph.recommender.profile import UserProfile
from reelgraph.recommender.time_decay import profile_decay

# Popularity outside the training data (catalog-only movies) only breaks ties below trained ones.
CATALOG_POPULARITY_TIE_BREAK = 1e-2


@dataclass(frozen=True, slots=True)
class UserVectors:
    """A viewer's profile projected onto the model's item columns."""

    collab_cols: np.ndarray
    collab_weights: np.ndarray
    content_cols: np.ndarray
    content_weights: np.ndarray
    liked_cols: np.ndarray  # positive items that may be named in "Because you liked ..."
    exclude_cols: np.ndarray

    @property
    def n_items(self) -> int:
        return int(np.count_nonzero(self.collab_weights > 0))


class RecommenderModel:
    """Trained, immutable state: the item universe and everything scored over it."""

    def __init__(
        self,
        item_ids: np.ndarray,
        ease: Collaborative,
        content: ContentModel,
        counts: np.ndarray,
        catalog_popularity: np.ndarray | None,
        config: HybridConfig,
        version: str,
        titles: Mapping[int, str],
        genre_names: Mapping[int, tuple[str, str]],
        person_names: Mapping[int, str],
        stats: Mapping[str, Any],
    ) -> None:
        self.item_ids = item_ids
        self.ease = ease
        self.content = content
        self.counts = counts
        self.catalog_popularity = catalog_popularity
        self.config = config
        self.version = version
        self.titles = dict(titles)
        self.genre_names = dict(genre_names)
        self.person_names = dict(person_names)
        self.stats = dict(stats)
        raw = np.log1p(counts.astype(np.float32))
        if catalog_popularity is not None:
            raw = raw + CATALOG_POPULARITY_TIE_BREAK * catalog_popularity.astype(np.float32)
        # One standardised popularity row shared by every user.
        self.popularity = standardize(raw)[0]
        self.director_matrix = self._directors()

    def _directors(self) -> sp.csr_matrix:
        # A person credit of DIRECTOR_WEIGHT is a director credit, kept for the reasons' texts.
        directors = self.content.person_matrix.copy()
        directors.data = (directors.data >= DIRECTOR_WEIGHT).astype(np.float32)
        directors.eliminate_zeros()
        return sp.csr_matrix(directors)

    def columns(self, tmdb_ids: Iterable[int]) -> tuple[np.ndarray, np.ndarray]:
        """Column of each id and whether the id is in the universe."""
        ids = np.fromiter(tmdb_ids, dtype=np.int64)
        cols = np.searchsorted(self.item_ids, ids)
        cols = np.minimum(cols, max(len(self.item_ids) - 1, 0))
        found = (self.item_ids[cols] == ids) if len(self.item_ids) else np.zeros(len(ids), bool)
        return cols, found

    def user_vectors(self, profile: UserProfile) -> UserVectors:
        collab: dict[int, float] = {}
        content: dict[int, float] = {}
        config = self.config

        def put(movie_id: int, as_rating: float) -> None:
            c = float(rating_weights(np.array([as_rating]), config.collab_rating_weights)[0])
            t = float(rating_weights(np.array([as_rating]), config.content_rating_weights)[0])
            collab[movie_id] = max(collab.get(movie_id, c), c)
            content[movie_id] = max(content.get(movie_id, t), t)

        if profile.ratings:
            # Ratings are most of a profile: weigh them in one vectorised pass.
            rated = np.fromiter(profile.ratings.keys(), dtype=np.int64, count=len(profile.ratings))
            values = np.fromiter(profile.ratings.values(), dtype=np.float64, count=len(profile.ratings))
            ids = rated.tolist()
            collab.update(
                zip(ids, rating_weights(values, config.collab_rating_weights).tolist(), strict=True)
            )
            content.update(
                zip(ids, rating_weights(values, config.content_rating_weights).tolist(), strict=True)
            )
        for movie_id, kinds in profile.interactions.items():
            movie_id = int(movie_id)
            for kind in kinds:
                if kind in INTERACTION_AS_RATING:
                    put(movie_id, INTERACTION_AS_RATING[kind])
            if "WATCH_LATER" in kinds and movie_id not in collab:
                collab[movie_id] = WATCH_LATER_WEIGHT
                content[movie_id] = WATCH_LATER_WEIGHT
            if "NOT_INTERESTED" in kinds:
                content[movie_id] = min(content.get(movie_id, 0.0), NOT_INTERESTED_CONTENT_WEIGHT)
        for movie_id in profile.preferences.favorite_movies:
            put(int(movie_id), 5.0)

        seen = {
            int(i) for i in (*profile.ratings, *profile.interactions, *profile.preferences.favorite_movies)
        }
        exclude_cols, exclude_found = self.columns(seen)
        collab_ids = list(collab)
        collab_cols, collab_found = self.columns(collab_ids)
        collab_w = np.array([collab[i] for i in collab_ids], dtype=np.float32)
        content_ids = list(content)
        content_cols, content_found = self.columns(content_ids)
        content_w = np.array([content[i] for i in content_ids], dtype=np.float32)
        if profile.rated_at and config.profile_half_life_days is not None:
            # Recent ratings weigh more (time_decay); "liked" keeps using the undecayed weights.
            collab_decayed = collab_w * profile_decay(
                collab_ids, profile.rated_at, config.profile_half_life_days
            )
            content_w = content_w * profile_decay(
                content_ids, profile.rated_at, config.profile_half_life_days
            )
        else:
            collab_decayed = collab_w
        liked = collab_cols[collab_found & (collab_w >= POSITIVE_WEIGHT)]
        return UserVectors(
            collab_cols=collab_cols[collab_found],
            collab_weights=collab_decayed[collab_found],
            content_cols=content_cols[content_found & (content_w != 0)],
            content_weights=content_w[content_found & (content_w != 0)],
            liked_cols=liked,
            exclude_cols=exclude_cols[exclude_found],
        )

    def row(self, cols: np.ndarray, weights: np.ndarray) -> sp.csr_matrix:
        """One (1 x items) sparse row with ``weights`` at ``cols``."""
        return sp.csr_matrix(
            (weights.astype(np.float32), (np.zeros(len(cols), dtype=np.int64), cols)),
            shape=(1, len(self.item_ids)),
        )

    def genre_match(self, genre_ids: Sequence[int]) -> np.ndarray:
        """Per item, the largest position weight among ``genre_ids`` (0 if none)."""
        cols = [c for g in genre_ids if (c := self.content.genre_column(int(g))) is not None]
        if not cols:
            return np.zeros(len(self.item_ids), dtype=np.float32)
        return np.asarray(self.content.genre_matrix[:, cols].max(axis=1).toarray(), dtype=np.float32).ravel()

    def person_match(self, person_ids: Sequence[int]) -> np.ndarray:
        """Per item, 1 if any of ``person_ids`` is credited, else 0."""
        cols = [c for p in person_ids if (c := self.content.person_column(int(p))) is not None]
        if not cols:
            return np.zeros(len(self.item_ids), dtype=np.float32)
        hits = np.asarray(self.content.person_matrix[:, cols].getnnz(axis=1), dtype=np.float32)
        return np.minimum(hits, 1.0)
