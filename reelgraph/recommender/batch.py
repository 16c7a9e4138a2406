"""``reelgraph recs batch``: train on a ratings file, then the top-k list of each listed user."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from reelgraph.integrations.offline_catalog import OfflineCatalog
from reelgraph.recommender.collaborative import interaction_matrix
from reelgraph.recommender.hybrid import (
    DEFAULT_CONFIG,
    HybridConfig,
    Strategy,
    component_rows,
    training_values,
)
from reelgraph.recommender.metrics import top_columns
from reelgraph.recommender.movielens import RatingsTable, build_content
from reelgraph.recommender.scoring import score_batch
from reelgraph.recommender.training import fit_model


def recommend_batch(
    train: RatingsTable,
    catalog: OfflineCatalog,
    user_ids: Iterable[int],
    k: int = 20,
    strategy: Strategy = Strategy.HYBRID,
    config: HybridConfig = DEFAULT_CONFIG,
) -> list[tuple[int, int, int]]:
    """(userId, TMDb id, rank) for each listed user, trained on ``train`` only (rank from 1)."""
    wanted = np.array(sorted({int(u) for u in user_ids}), dtype=np.int64)
    item_ids = np.unique(train.movies)
    user_index, user_rows = np.unique(train.users, return_inverse=True)
    matrix = interaction_matrix(
        user_rows,
        np.searchsorted(item_ids, train.movies),
        np.ones(len(train)),
        (len(user_index), len(item_ids)),
    )
    ratings = interaction_matrix(
        user_rows, np.searchsorted(item_ids, train.movies), train.values, matrix.shape
    )
    content = build_content(catalog, train).subset(item_ids)
    model = fit_model(training_values(ratings, matrix, config.train_rating_scale), item_ids, content, config)
    known = np.isin(wanted, user_index)
    rows_of = np.searchsorted(user_index, wanted[known])
    inputs = ratings[rows_of]
    out: list[tuple[int, int, int]] = []
    scores = score_batch(model, *component_rows(inputs, config), [strategy])[strategy]
    top = top_columns(scores, inputs, k)
    for user, cols in zip(wanted[known].tolist(), top, strict=True):
        out.extend((user, int(item_ids[c]), rank) for rank, c in enumerate(cols.tolist(), start=1))
    # Users absent from the training file get the popularity list.
    if (~known).any():
        pop = model.popularity
        order = np.argsort(-pop, kind="stable")[:k]
        for user in wanted[~known].tolist():
            out.extend((user, int(item_ids[c]), rank) for rank, c in enumerate(order.tolist(), start=1))
    out.sort(key=lambda r: (r[0], r[2]))
    return out
