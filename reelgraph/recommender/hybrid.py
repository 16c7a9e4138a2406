"""Blending collaborative, content and popularity scores, and the weights chosen offline.

Each component is standardised per user (z-score over all items), then mixed with weights that
depend on how much the viewer has told us: "cold" weights for viewers with ``COLD_MAX_ITEMS`` or
fewer movies in their profile (rated, seen, liked, ...), "warm" weights from ``WARM_MIN_ITEMS`` on,
linear in log(items) between. The
weights, the EASE lambda and the rating-to-weight tables were chosen by ``reelgraph recs tune``
(grid below, validation splits carved out of the training data, never the test split); see
docs/recommendations.md for the grid results.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
import scipy.sparse as sp


class Strategy(StrEnum):
    HYBRID = "HYBRID"
    CONTENT = "CONTENT"
    COLLABORATIVE = "COLLABORATIVE"
    POPULAR = "POPULAR"


RATING_KNOTS = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0)
# How much a rated movie says about what the viewer wants next, by rating. Relevance offline is
# "rated >= 4", and a 2-star movie still shows what the viewer chooses to watch, so low ratings
# keep a small positive weight for EASE; content gets a centred version where they push away.
# The values come from a first exploration on seeds 0 and 1 of the evaluation protocol;
# `reelgraph recs tune` compares them with binary and uncentred tables on validation splits.
COLLAB_RATING_WEIGHTS = (0.1, 0.1, 0.1, 0.2, 0.2, 0.5, 0.5, 1.0, 1.2, 1.2)
CONTENT_RATING_WEIGHTS = (-0.5, -0.5, -0.3, -0.2, 0.0, 0.2, 0.5, 1.0, 1.2, 1.2)

# Interactions without a rating, as the rating they stand for (not measurable on MovieLens, which
# has ratings only; chosen by analogy): a like is a 4.5, a favourite a 5, a plain "seen" a 3.5.
INTERACTION_AS_RATING: Mapping[str, float] = {"FAVORITE": 5.0, "LIKED": 4.5, "SEEN": 3.5}
# Watch-later is intent, not consumption: a weak positive on both sides.
WATCH_LATER_WEIGHT = 0.3
NOT_INTERESTED_CONTENT_WEIGHT = -0.5

COLD_MAX_ITEMS = 5
WARM_MIN_ITEMS = 20
POSITIVE_WEIGHT = 0.99  # collab weight from which an item counts as "liked" (rating >= 4 and likes)
TIE_BREAK = 1e-3  # popularity added to single-component strategies so ties go to popular items


@dataclass(frozen=True, slots=True)
class HybridWeights:
    collaborative: float
    content: float
    popularity: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class HybridConfig:
    """Everything the scores depend on besides the data; part of the model version."""

    ease_lambda: float = 200.0  # with train_rating_scale (bench/recs_accuracy.py); 300 when binary
    # Chosen by `reelgraph recs tune --time` (temporal validation). The random-protocol tune chose
    # warm (1, 1, 0) and cold (1, 1.5, 20): better on random held-out ratings, worse on the future.
    warm: HybridWeights = field(default_factory=lambda: HybridWeights(1.0, 0.25, 0.0))
    cold: HybridWeights = field(default_factory=lambda: HybridWeights(1.0, 1.5, 5.0))
    # CONTENT strategy: content similarity plus this much popularity (pure content favours
    # obscure movies that only share genres and a decade with the viewer's).
    content_popularity: float = 2.0
    collab_rating_weights: tuple[float, ...] = COLLAB_RATING_WEIGHTS
    content_rating_weights: tuple[float, ...] = CONTENT_RATING_WEIGHTS
    # Stated preferences, in z-score units: a favourite genre lifts its movies above the crowd, a
    # disliked primary genre sinks them (position-weighted, so a disliked third genre counts less).
    favorite_genre_boost: float = 1.0
    disliked_genre_penalty: float = 3.0
    favorite_person_boost: float = 1.0
    # Time decay (see time_decay; None = off), half-lives in days, measured by `recs tune --time`:
    # of the viewer's input row (from their latest rating; 4 years costs 0.001 nDCG@10 on
    # temporal validation, shorter ones more, and lets a returning viewer's recent years lead),
    # of the training matrix (TALE-style decayed targets: every half-life tried lost, so off) and
    # of popularity (from the newest interaction; a year won).
    profile_half_life_days: float | None = 1460.0
    train_half_life_days: float | None = None
    popularity_half_life_days: float | None = 365.0
    # EASE trains on rating / this (a 5-star is 1, as every cell was when training was binary;
    # None = binary), so a 2-star view pulls its neighbours less than a 5-star one. Chosen with
    # ease_lambda on both protocols' validation splits (bench/recs_accuracy.py).
    train_rating_scale: float | None = 4.0

    def weights_for(self, n_items: int) -> HybridWeights:
        """Blend weights for a viewer with ``n_items`` profile movies (linear in log n between)."""
        if n_items <= COLD_MAX_ITEMS:
            return self.cold
        if n_items >= WARM_MIN_ITEMS:
            return self.warm
        t = (math.log(n_items) - math.log(COLD_MAX_ITEMS)) / (
            math.log(WARM_MIN_ITEMS) - math.log(COLD_MAX_ITEMS)
        )
        mix = {k: (1 - t) * getattr(self.cold, k) + t * getattr(self.warm, k) for k in self.cold.as_dict()}
        return HybridWeights(**mix)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> HybridConfig:
        values = dict(raw)
        values["warm"] = HybridWeights(**values["warm"])
        values["cold"] = HybridWeights(**values["cold"])
        values["collab_rating_weights"] = tuple(values["collab_rating_weights"])
        values["content_rating_weights"] = tuple(values["content_rating_weights"])
        return cls(**values)


DEFAULT_CONFIG = HybridConfig()

# The grid `reelgraph recs tune` searches (collaborative weight fixed at 1: only ratios matter).
GRID_EASE_LAMBDA: Sequence[float] = (100.0, 200.0, 300.0, 500.0)
GRID_CONTENT: Sequence[float] = (0.0, 0.1, 0.2, 0.3, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0)
GRID_POPULARITY: Sequence[float] = (0.0, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 12.0, 20.0, 30.0, 50.0)


def rating_weights(values: np.ndarray, table: Sequence[float]) -> np.ndarray:
    """Weights for ratings (0.5-5 stars), piecewise linear between the half-star knots."""
    return np.interp(np.asarray(values, dtype=np.float64), RATING_KNOTS, table).astype(np.float32)


def weighted_rows(ratings: sp.csr_matrix, table: Sequence[float]) -> sp.csr_matrix:
    """(users x items) ratings (0 = none) as ``rating_weights``; cells weighing 0 are dropped."""
    out = ratings.copy()
    out.data = rating_weights(out.data, table)
    out.eliminate_zeros()
    return out


def component_rows(ratings: sp.csr_matrix, config: HybridConfig) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """The collaborative and the content input rows of users given by their ratings."""
    return (
        weighted_rows(ratings, config.collab_rating_weights),
        weighted_rows(ratings, config.content_rating_weights),
    )


def training_values(ratings: sp.csr_matrix, binary: sp.csr_matrix, scale: float | None) -> sp.csr_matrix:
    """The matrix EASE trains on: ``ratings / scale`` (same cells as ``binary``), or ``binary``."""
    if scale is None:
        return binary
    out = sp.csr_matrix(ratings, dtype=np.float32, copy=True)
    out.data = (out.data / np.float32(scale)).astype(np.float32)
    return out


def standardize(scores: np.ndarray) -> np.ndarray:
    """Row-wise z-scores; a constant row (no signal) becomes all zeros."""
    scores = np.atleast_2d(scores).astype(np.float32, copy=False)
    mean = scores.mean(axis=1, keepdims=True)
    std = scores.std(axis=1, keepdims=True)
    return np.where(std > 1e-12, (scores - mean) / np.maximum(std, 1e-12), 0.0).astype(np.float32)


def blend(
    strategy: Strategy,
    collaborative: np.ndarray,
    content: np.ndarray,
    popularity: np.ndarray,
    n_items: np.ndarray,
    config: HybridConfig,
) -> np.ndarray:
    """(users x items) final scores for ``strategy``; ``popularity`` is one standardised row.

    ``collaborative`` and ``content`` are raw (users x items) component scores; ``n_items`` is the
    number of positive items of each user (it picks the blend weights). Blends are weighted means
    of z-scores, so scores stay on one scale whatever the weights and preference boosts added
    afterwards (in z units) mean the same for a cold and a warm viewer.
    """
    return blend_standardized(
        strategy,
        standardize(collaborative)
        if strategy in (Strategy.HYBRID, Strategy.COLLABORATIVE)
        else collaborative,
        standardize(content) if strategy in (Strategy.HYBRID, Strategy.CONTENT) else content,
        popularity,
        n_items,
        config,
    )


def blend_standardized(
    strategy: Strategy,
    z_collaborative: np.ndarray,
    z_content: np.ndarray,
    popularity: np.ndarray,
    n_items: np.ndarray,
    config: HybridConfig,
) -> np.ndarray:
    """``blend`` for components already standardised per user (the tuning grid reuses them)."""
    pop = np.atleast_2d(popularity).astype(np.float32, copy=False)
    n_users = z_collaborative.shape[0] if z_collaborative.ndim == 2 else 1
    if strategy is Strategy.POPULAR:
        return np.broadcast_to(pop, (n_users, pop.shape[1])).copy()
    out: np.ndarray
    if strategy is Strategy.COLLABORATIVE:
        out = z_collaborative + TIE_BREAK * pop
        return out
    if strategy is Strategy.CONTENT:
        weight = max(config.content_popularity, TIE_BREAK)
        out = (z_content + weight * pop) / (1.0 + weight)
        return out
    out = np.empty((n_users, pop.shape[1]), dtype=np.float32)
    for n in np.unique(n_items):
        rows = np.flatnonzero(n_items == n)
        w = config.weights_for(int(n))
        total = (w.collaborative + w.content + w.popularity) or 1.0
        if n == 0 and w.popularity > 0:
            # Nothing rated or seen: popularity at its own scale, stated preferences (content) on
            # top, so the list is POPULAR's whatever the cold weights (and re-ranks alike).
            total = w.popularity
        mixed = w.collaborative * z_collaborative[rows] + w.content * z_content[rows] + w.popularity * pop
        out[rows] = mixed / total
    return out
