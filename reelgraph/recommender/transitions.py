"""What people watch next: item-to-next-item transitions from the order of each user's ratings.

``T[i, j]`` sums, over every user and every rating of ``i``, ``1 / d`` for a rating of ``j``
``d`` places later in that user's history (``d <= window``); rows are divided by the number of
ratings of ``i`` raised to ``NORMALISE_POWER``, so a blockbuster's row does not drown the others.
A viewer's scores are ``w T`` with ``w`` the viewer's latest ratings weighted by recency rank
(``0.5 ** (rank / RECENT_HALF_RANK)``, rank 0 = the latest). Ratings at the same second keep TMDb
id order (MovieLens records a page of ratings at once). Window, normalisation and half-rank were
chosen on the temporal protocol's validation split (see ``tuning.tune_time``).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

DEFAULT_WINDOW = 10
NORMALISE_POWER = 0.5
RECENT_HALF_RANK = 5.0


def fit_transitions(
    user_rows: np.ndarray,
    item_cols: np.ndarray,
    timestamps: np.ndarray,
    n_items: int,
    window: int = DEFAULT_WINDOW,
) -> sp.csr_matrix:
    """(items x items) transition weights from (user, item, time) training rows."""
    users = np.asarray(user_rows, dtype=np.int64)
    items = np.asarray(item_cols, dtype=np.int64)
    order = np.lexsort((items, np.asarray(timestamps, dtype=np.int64), users))
    users, items = users[order], items[order]
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    for d in range(1, window + 1):
        same = users[d:] == users[:-d]
        rows.append(items[:-d][same])
        cols.append(items[d:][same])
        vals.append(np.full(int(same.sum()), 1.0 / d, dtype=np.float32))
    if not rows or not sum(len(r) for r in rows):
        return sp.csr_matrix((n_items, n_items), dtype=np.float32)
    matrix = sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(n_items, n_items),
        dtype=np.float32,
    )
    counts = np.bincount(items, minlength=n_items).astype(np.float32)
    scale = np.where(counts > 0, 1.0 / np.maximum(counts, 1.0) ** NORMALISE_POWER, 0.0)
    return sp.csr_matrix(sp.diags(scale.astype(np.float32)) @ matrix, dtype=np.float32)


def recency_rank_weights(ages: sp.csr_matrix, half_rank: float = RECENT_HALF_RANK) -> sp.csr_matrix:
    """Per user row of ``ages`` (days since their latest rating), weights by recency rank."""
    out = sp.csr_matrix(ages, dtype=np.float32, copy=True)
    for r in range(out.shape[0]):
        start, stop = out.indptr[r], out.indptr[r + 1]
        if stop == start:
            continue
        # Ties (one page of ratings at the same second) share the best rank among them.
        ranks = np.searchsorted(np.sort(out.data[start:stop]), out.data[start:stop], side="left")
        out.data[start:stop] = np.exp2(-ranks / half_rank)
    return out


def next_scores(transitions: sp.csr_matrix, weighted_rows: sp.csr_matrix) -> np.ndarray:
    """(users x items) dense scores ``w T``."""
    return np.asarray((weighted_rows @ transitions).toarray(), dtype=np.float32)
