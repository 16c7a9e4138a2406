"""Ranking metrics of the offline evaluation, per user, and their summary over users.

P@10, R@20 (hits / relevant), nDCG@10 (binary gain, log2 discount, ideal = min(relevant, 10)
hits), MAP@10 (sum of precision at hits / min(relevant, 10)), HR@10 and catalog coverage@10
(distinct items in all top-10 lists / items ranked).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

# ILS@10 (intra-list similarity: mean pairwise content cosine of a top 10) comes from the caller,
# which has the item vectors (evaluation, via diversity.intra_list_similarity).
METRICS = ("P@10", "R@20", "nDCG@10", "MAP@10", "HR@10", "Coverage@10", "ILS@10")
LIST_LENGTH = 20


def ranking_metrics(top: np.ndarray, relevant: np.ndarray, n_relevant: np.ndarray) -> dict[str, np.ndarray]:
    """Per-user metrics from (users x >= 20) ranked columns and a dense (users x items) relevance."""
    hits = np.take_along_axis(relevant, top[:, :LIST_LENGTH], axis=1).astype(np.float64)
    h10 = hits[:, :10]
    discount = 1.0 / np.log2(np.arange(2, 12))
    ideal = np.cumsum(discount)[np.minimum(n_relevant, 10) - 1]
    precision_at = np.cumsum(h10, axis=1) / np.arange(1, 11)
    return {
        "P@10": h10.sum(axis=1) / 10,
        "R@20": hits.sum(axis=1) / n_relevant,
        "nDCG@10": (h10 * discount).sum(axis=1) / ideal,
        "MAP@10": (precision_at * h10).sum(axis=1) / np.minimum(n_relevant, 10),
        "HR@10": (h10.sum(axis=1) > 0).astype(np.float64),
    }


def top_columns(scores: np.ndarray, exclude: sp.csr_matrix, k: int = LIST_LENGTH) -> np.ndarray:
    """Best ``k`` columns per row, best first, never an excluded (user, item) cell."""
    scores = np.array(scores, dtype=np.float32, copy=True)
    rows, cols = exclude.nonzero()
    scores[rows, cols] = -np.inf
    k = min(k, scores.shape[1])
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(scores, part, axis=1), axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1)


def summarise(
    per_user: list[dict[str, np.ndarray]], top_lists: list[np.ndarray], n_items: int
) -> dict[str, float]:
    """Mean of each metric over all users of ``per_user``, coverage of ``top_lists``, user count."""
    merged = {
        m: float(np.concatenate([p[m] for p in per_user]).mean())
        for m in METRICS
        if m != "Coverage@10" and all(m in p for p in per_user)
    }
    merged["Coverage@10"] = len(np.unique(np.concatenate([lst.ravel() for lst in top_lists]))) / n_items
    merged["users"] = float(sum(len(p["HR@10"]) for p in per_user))
    return merged
