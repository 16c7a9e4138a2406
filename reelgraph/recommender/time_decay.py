"""Time decay: recent ratings say more about what a viewer wants next than old ones.

A rating ``age`` days old weighs ``0.5 ** (age / half_life)``. Ages of a viewer's profile are
counted from the viewer's own latest rating, not from today: a viewer back after a year away is
still best described by their last sessions. Ages of popularity are counted from the end of the
training data (the newest interaction), so "recently popular" means popular among the latest
activity. ``None`` as a half-life means no decay (every weight 1). The half-lives in use were
chosen by the temporal evaluation (see ``evaluation`` and ``hybrid.HybridConfig``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import scipy.sparse as sp

SECONDS_PER_DAY = 86_400.0


def decay(ages_days: np.ndarray, half_life_days: float | None) -> np.ndarray:
    """Weights in (0, 1] for ages in days (negative ages count as 0: clocks disagree)."""
    ages = np.maximum(np.asarray(ages_days, dtype=np.float64), 0.0)
    if half_life_days is None or half_life_days <= 0:
        return np.ones(ages.shape, dtype=np.float32)
    return np.exp2(-ages / float(half_life_days)).astype(np.float32)


def profile_decay(
    movie_ids: Sequence[int], rated_at: Mapping[int, float], half_life_days: float | None
) -> np.ndarray:
    """Per movie of a viewer's profile, its decay from the viewer's latest time in ``rated_at``."""
    if not rated_at or half_life_days is None:
        return np.ones(len(movie_ids), dtype=np.float32)
    latest = max(rated_at.values())
    ages = np.array([latest - rated_at.get(int(m), latest) for m in movie_ids], dtype=np.float64)
    return decay(ages / SECONDS_PER_DAY, half_life_days)


def ages_from_latest(users: np.ndarray, timestamps: np.ndarray) -> np.ndarray:
    """Per row, days between the row's timestamp and its user's latest one (``users`` any order)."""
    users = np.asarray(users)
    stamps = np.asarray(timestamps, dtype=np.int64)
    if not len(users):
        return np.zeros(0, dtype=np.float64)
    keys, rows = np.unique(users, return_inverse=True)
    latest = np.full(len(keys), np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(latest, rows, stamps)
    return np.asarray((latest[rows] - stamps) / SECONDS_PER_DAY, dtype=np.float64)


def decay_matrix(ages: sp.csr_matrix, half_life_days: float | None) -> sp.csr_matrix:
    """Decay weights on the cells of ``ages`` (days; its explicit cells, zeros included)."""
    out = sp.csr_matrix(ages, dtype=np.float32, copy=True)
    out.data = decay(out.data, half_life_days)
    return out


def decayed_rows(rows: sp.csr_matrix, weights: sp.csr_matrix | None) -> sp.csr_matrix:
    """``rows`` times ``weights`` cell by cell (``decay_matrix`` over the same users x items)."""
    if weights is None:
        return rows
    return sp.csr_matrix(rows.multiply(weights), dtype=np.float32)


def recency_counts(
    item_cols: np.ndarray, timestamps: np.ndarray, n_items: int, half_life_days: float | None
) -> np.ndarray:
    """Interactions per item, each weighted by its decay from the newest timestamp."""
    stamps = np.asarray(timestamps, dtype=np.int64)
    if not len(stamps):
        return np.zeros(n_items, dtype=np.float32)
    ages = (int(stamps.max()) - stamps) / SECONDS_PER_DAY
    weights = decay(ages, half_life_days)
    return np.bincount(np.asarray(item_cols, dtype=np.int64), weights=weights, minlength=n_items).astype(
        np.float32
    )
