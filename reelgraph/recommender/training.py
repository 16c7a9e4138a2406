"""Training: the interaction matrix over the community prior plus local data, and the model fit.

Training (EASE over the community prior plus this server's ratings and interactions, TF-IDF item
vectors from the catalog, popularity) produces an immutable ``RecommenderModel``. The model
version is a hash of everything the scores depend on (training data, item universe, item
vectors, configuration), so replicas that train on the same data report the same version.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from reelgraph.integrations.offline_catalog import OfflineCatalog
from reelgraph.recommender.approximate import fit_collaborative
from reelgraph.recommender.collaborative import interaction_matrix
from reelgraph.recommender.content import ContentModel
from reelgraph.recommender.hybrid import (
    DEFAULT_CONFIG,
    INTERACTION_AS_RATING,
    WATCH_LATER_WEIGHT,
    HybridConfig,
)
from reelgraph.recommender.model import RecommenderModel
from reelgraph.recommender.storage import ENGINE_FORMAT, CommunityPrior
from reelgraph.recommender.time_decay import SECONDS_PER_DAY, decay

# Interactions that put a movie in the training matrix at full weight (WATCH_LATER is the weak one).
CONSUMED_KINDS = frozenset({"SEEN", "LIKED", "FAVORITE"})


def _hash_arrays(digest: Any, *arrays: np.ndarray) -> None:
    for array in arrays:
        contiguous = np.ascontiguousarray(array)
        digest.update(str(contiguous.dtype).encode())
        digest.update(str(contiguous.shape).encode())
        digest.update(contiguous.tobytes())


def fit_model(
    interactions: sp.csr_matrix,
    item_ids: np.ndarray,
    content: ContentModel,
    config: HybridConfig = DEFAULT_CONFIG,
    *,
    catalog: OfflineCatalog | None = None,
    catalog_popularity: np.ndarray | None = None,
    stats: Mapping[str, Any] | None = None,
    popularity_counts: np.ndarray | None = None,
) -> RecommenderModel:
    """Fit on a (users x items) matrix whose columns are ``item_ids`` (sorted TMDb ids).

    ``popularity_counts`` (e.g. ``time_decay.recency_counts``) replaces the plain number of users
    per item as the popularity the model blends (kept > 0 wherever an item has interactions).
    """
    started = time.perf_counter()
    # Exact EASE while its dense solve fits, else exact on the head + item-kNN for the tail.
    ease = fit_collaborative(interactions, config.ease_lambda)
    binary = interactions.copy()
    binary.data = (binary.data > 0).astype(np.float32)
    counts = np.asarray(binary.sum(axis=0), dtype=np.float32).ravel()
    if popularity_counts is not None:
        weighted = np.asarray(popularity_counts, dtype=np.float32)
        counts = np.where(counts > 0, np.maximum(weighted, np.float32(1e-6)), 0.0).astype(np.float32)
    digest = hashlib.sha256()
    digest.update(f"reelgraph-recommender/{ENGINE_FORMAT}".encode())
    digest.update(json.dumps(config.as_dict(), sort_keys=True).encode())
    digest.update(ease.mode.encode())
    _hash_arrays(digest, item_ids, interactions.indptr, interactions.indices, interactions.data)
    _hash_arrays(digest, content.matrix.indptr, content.matrix.indices, content.matrix.data)
    if catalog_popularity is not None:
        _hash_arrays(digest, catalog_popularity)
    if popularity_counts is not None:
        _hash_arrays(digest, counts)
    titles: dict[int, str] = {}
    genre_names: dict[int, tuple[str, str]] = {}
    person_names: dict[int, str] = {}
    if catalog is not None:
        titles = {int(i): m.title for i in item_ids if (m := catalog.movie(int(i))) is not None}
        genre_names = {
            int(g): (genre.name, genre.name_fr)
            for g in content.genre_ids
            if (genre := catalog.genre(int(g))) is not None
        }
        person_names = {
            int(p): person.name for p in content.person_ids if (person := catalog.person(int(p))) is not None
        }
    info = dict(stats or {})
    info.update(
        users=int(interactions.shape[0]),
        items=len(item_ids),
        trained_items=int(np.count_nonzero(counts)),
        interactions=int(interactions.nnz),
        ease_mode=ease.mode,
        ease_seconds=round(time.perf_counter() - started, 3),
    )
    return RecommenderModel(
        item_ids=np.asarray(item_ids, dtype=np.int64),
        ease=ease,
        content=content,
        counts=counts,
        catalog_popularity=catalog_popularity,
        config=config,
        version=f"r{ENGINE_FORMAT}-{digest.hexdigest()[:16]}",
        titles=titles,
        genre_names=genre_names,
        person_names=person_names,
        stats=info,
    )


def training_matrix(
    prior: CommunityPrior,
    local_ratings: Iterable[tuple[int, int, float]],
    local_interactions: Iterable[tuple[int, int, str]],
    extra_item_ids: Iterable[int] = (),
    *,
    rating_times: Sequence[float] | np.ndarray | None = None,
    interaction_times: Sequence[float] | np.ndarray | None = None,
    popularity_half_life_days: float | None = None,
    rating_scale: float | None = None,
) -> tuple[sp.csr_matrix, np.ndarray, dict[str, int], np.ndarray | None]:
    """(users x items) interaction matrix over prior + local data, the sorted item universe, stats
    and the recency-weighted popularity (None without local times or a half-life).

    Every rating counts as one interaction (MovieLens protocol); SEEN, LIKED and FAVORITE too;
    WATCH_LATER counts ``WATCH_LATER_WEIGHT``; NOT_INTERESTED adds nothing. Prior users and local
    users are distinct rows even when their numeric ids coincide. With ``rating_scale``
    (``HybridConfig.train_rating_scale``) a rating counts ``rating / rating_scale`` and SEEN, LIKED,
    FAVORITE the rating they stand for (``INTERACTION_AS_RATING``), a viewer's own rating of the
    movie first; without, every one of them counts 1.

    ``rating_times`` / ``interaction_times`` (Unix seconds, one per row of the two streams, in
    order) weigh each local (user, movie) by ``time_decay.decay`` of its age from the newest local
    time, as the evaluation weighs MovieLens rows (``time_decay.recency_counts``); the prior ships
    without timestamps, so its rows keep weight 1 (undated: as if as recent as the local data).
    """
    local_users: list[int] = []
    local_items: list[int] = []
    local_values: list[float] = []
    local_stamps: list[float] = []
    dated = rating_times is not None and interaction_times is not None
    r_times = np.asarray(rating_times if rating_times is not None else [], dtype=np.float64)
    i_times = np.asarray(interaction_times if interaction_times is not None else [], dtype=np.float64)
    rated: set[tuple[int, int]] = set()
    for n, (user_id, movie_id, value) in enumerate(local_ratings):
        local_users.append(int(user_id))
        local_items.append(int(movie_id))
        local_values.append(1.0 if rating_scale is None else float(value) / rating_scale)
        if rating_scale is not None:
            rated.add((int(user_id), int(movie_id)))
        if dated:
            local_stamps.append(float(r_times[n]))
    for n, (user_id, movie_id, kind) in enumerate(local_interactions):
        weight = 1.0 if kind in CONSUMED_KINDS else WATCH_LATER_WEIGHT if kind == "WATCH_LATER" else 0.0
        if rating_scale is not None and kind in CONSUMED_KINDS:
            # The viewer's rating says more than a SEEN (which every rating also records).
            weight = (
                0.0 if (int(user_id), int(movie_id)) in rated else INTERACTION_AS_RATING[kind] / rating_scale
            )
        if weight:
            local_users.append(int(user_id))
            local_items.append(int(movie_id))
            local_values.append(weight)
            if dated:
                local_stamps.append(float(i_times[n]))
    lu = np.array(local_users, dtype=np.int64)
    li = np.array(local_items, dtype=np.int64)
    lv = np.array(local_values, dtype=np.float32)
    prior_rows = np.unique(prior.users, return_inverse=True)[1] if len(prior) else np.zeros(0, np.int64)
    n_prior = int(prior_rows.max()) + 1 if len(prior_rows) else 0
    local_keys, local_rows = np.unique(lu, return_inverse=True) if len(lu) else (np.zeros(0), lu)
    item_ids = np.unique(
        np.concatenate([prior.tmdb_ids, li, np.fromiter(extra_item_ids, dtype=np.int64)]).astype(np.int64)
    )
    rows = np.concatenate([prior_rows, n_prior + local_rows]).astype(np.int64)
    cols = np.searchsorted(item_ids, np.concatenate([prior.tmdb_ids, li]))
    shape = (n_prior + len(local_keys), len(item_ids))
    prior_values = (
        np.ones(len(prior), dtype=np.float32)
        if rating_scale is None
        else (prior.ratings / np.float32(rating_scale)).astype(np.float32)
    )
    values = np.concatenate([prior_values, lv])
    matrix = interaction_matrix(rows, cols, values, shape)
    popularity = None
    if dated and popularity_half_life_days is not None and local_stamps:
        stamps = np.array(local_stamps, dtype=np.float64)
        ages = (stamps.max() - stamps) / SECONDS_PER_DAY
        weights = np.concatenate([np.ones(len(prior), np.float32), decay(ages, popularity_half_life_days)])
        # One weight per (user, movie): its latest event's (a rating and a SEEN count once).
        popularity = np.asarray(interaction_matrix(rows, cols, weights, shape).sum(axis=0)).ravel()
    stats = {"prior_users": n_prior, "local_users": len(local_keys), "local_events": len(lu)}
    return matrix, item_ids, stats, popularity


def build_model(
    local_ratings: Iterable[tuple[int, int, float]] = (),
    local_interactions: Iterable[tuple[int, int, str]] = (),
    catalog: OfflineCatalog | None = None,
    prior: CommunityPrior | None = None,
    config: HybridConfig = DEFAULT_CONFIG,
    *,
    rating_times: Sequence[float] | np.ndarray | None = None,
    interaction_times: Sequence[float] | np.ndarray | None = None,
) -> RecommenderModel:
    """Train a model (module-level so a ProcessPoolExecutor can run it).

    With ``rating_times`` and ``interaction_times`` (Unix seconds aligned with the two streams)
    popularity is recency-weighted by ``config.popularity_half_life_days`` (see ``training_matrix``).
    """
    started = time.perf_counter()
    catalog = catalog or OfflineCatalog.load()
    prior = CommunityPrior.load() if prior is None else prior
    catalog_ids = list(catalog.popular())
    matrix, item_ids, stats, popularity = training_matrix(
        prior,
        local_ratings,
        local_interactions,
        catalog_ids,
        rating_times=rating_times,
        interaction_times=interaction_times,
        popularity_half_life_days=config.popularity_half_life_days,
        rating_scale=config.train_rating_scale,
    )
    content = ContentModel.build(catalog, item_ids)
    catalog_popularity = np.zeros(len(item_ids), dtype=np.float32)
    for movie_id in catalog_ids:
        movie = catalog.movie(movie_id)
        assert movie is not None
        catalog_popularity[np.searchsorted(item_ids, movie_id)] = np.log1p(movie.popularity)
    model = fit_model(
        matrix,
        item_ids,
        content,
        config,
        catalog=catalog,
        catalog_popularity=catalog_popularity,
        stats={**stats, "prior_ratings": len(prior), "recency_popularity": popularity is not None},
        popularity_counts=popularity,
    )
    model.stats["train_seconds"] = round(time.perf_counter() - started, 3)
    return model
