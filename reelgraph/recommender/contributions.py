"""How much each movie of a viewer's profile adds to the final score of each recommendation.

A viewer's collaborative score is linear in their input row, ``c = x B`` (EASE), and their content
score is ``t = (sum_i w_i S_i) / mass + t_stated`` (``S`` the item-item cosine, ``mass`` the sum of
``|w|``, at least 1). Removing movie ``p`` takes ``x_p B_p`` off ``c`` and ``w_p S_p`` off the content
sum (and ``|w_p|`` off the mass). The final score z-scores each component over every item before
blending, so the drop also depends on how the mean and spread of ``c`` and ``t`` move; both follow
exactly from a few moments:

    mean(c - x_p B_p) = mean(c) - x_p mean(B_p)
    E[(c - x_p B_p)^2] = E[c^2] - 2 x_p E[c B_p] + x_p^2 E[B_p^2]

with ``E[c B_p] = (B c)_p / n`` (one product per viewer) and ``mean(B_p)``, ``E[B_p^2]`` per item,
computed once per model and item (``ItemMoments``). The same holds for ``S``. So the drop of every
recommendation for every profile movie is exact, without scoring the viewer once per movie.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass

import numpy as np

from reelgraph.recommender.approximate import Collaborative
from reelgraph.recommender.model import RecommenderModel

# Items per block when per-item moments are computed (a block x items dense slab).
MOMENT_BLOCK = 256


class ItemMoments:
    """Per item ``p``: mean and mean square of ``B_p`` (EASE row) and ``S_p`` (content cosines).

    Filled on demand, for the items viewers' profiles hold (a few ms per hundred new items, once
    per model): computing them for every item up front would take tens of seconds.
    """

    def __init__(self, model: RecommenderModel) -> None:
        n_all = len(model.item_ids)
        self._model = model
        self._known = np.zeros(n_all, dtype=bool)
        self.ease_mean = np.zeros(n_all, dtype=np.float64)
        self.ease_square = np.zeros(n_all, dtype=np.float64)
        self.content_mean = np.zeros(n_all, dtype=np.float64)
        self.content_square = np.zeros(n_all, dtype=np.float64)
        self._lock = threading.Lock()

    def ensure(self, cols: np.ndarray) -> ItemMoments:
        with self._lock:
            missing = np.unique(cols[~self._known[cols]])
            for start in range(0, len(missing), MOMENT_BLOCK):
                self._compute(missing[start : start + MOMENT_BLOCK])
        return self

    def _compute(self, block: np.ndarray) -> None:
        model = self._model
        ease_rows = model.ease.item_rows(block).astype(np.float64)
        self.ease_mean[block] = ease_rows.mean(axis=1)
        self.ease_square[block] = np.square(ease_rows).mean(axis=1)
        content_rows = model.content.matrix[block] @ model.content._matrix_t
        self.content_mean[block] = np.asarray(content_rows.sum(axis=1), dtype=np.float64).ravel() / len(
            model.item_ids
        )
        squares = content_rows.multiply(content_rows).sum(axis=1)
        self.content_square[block] = np.asarray(squares, dtype=np.float64).ravel() / len(model.item_ids)
        self._known[block] = True


_cache: weakref.WeakKeyDictionary[RecommenderModel, ItemMoments] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def item_moments(model: RecommenderModel, cols: np.ndarray) -> ItemMoments:
    """The model's ``ItemMoments``, with the items ``cols`` filled in."""
    with _lock:
        moments = _cache.get(model)
        if moments is None:
            moments = _cache[model] = ItemMoments(model)
    return moments.ensure(np.asarray(cols, dtype=np.int64))


def ease_times(ease: Collaborative, values: np.ndarray) -> np.ndarray:
    """``B v`` for a dense vector ``v`` over all items (``ease.scores`` gives ``x B``)."""
    return ease.times(values)


@dataclass(frozen=True, slots=True)
class Component:
    """One z-scored component of a viewer's score and, per profile movie, the same without it.

    ``kept[p, r]`` is the component's raw value at recommendation ``r`` without movie ``p``;
    ``mean[p]`` and ``square[p]`` its mean and mean square over all items without ``p``.
    """

    kept: np.ndarray
    mean: np.ndarray
    square: np.ndarray

    def z(self) -> np.ndarray:
        var = np.maximum(self.square - self.mean**2, 0.0)
        std = np.sqrt(var)
        safe = np.where(std > 1e-12, std, 1.0)[:, None]
        z: np.ndarray = np.where(std[:, None] > 1e-12, (self.kept - self.mean[:, None]) / safe, 0.0)
        return z


def collaborative_without(
    model: RecommenderModel,
    moments: ItemMoments,
    collab: np.ndarray,
    x: np.ndarray,
    profile: np.ndarray,
    top: np.ndarray,
) -> Component:
    """The viewer's EASE score ``c = x B`` without each profile movie, at ``top``."""
    c = collab.astype(np.float64)
    n = len(c)
    xp = x.astype(np.float64)
    c_b = ease_times(model.ease, collab).astype(np.float64)[profile] / n  # E[c B_p]
    kept = c[top][None, :] - xp[:, None] * model.ease.block(profile, top).astype(np.float64)
    mean = c.mean() - xp * moments.ease_mean[profile]
    square = np.mean(c**2) - 2 * xp * c_b + xp**2 * moments.ease_square[profile]
    return Component(kept, mean, square)


def content_without(
    model: RecommenderModel,
    moments: ItemMoments,
    content_movies: np.ndarray,
    content_stated: np.ndarray,
    w: np.ndarray,
    raw_mass: float,
    profile: np.ndarray,
    top: np.ndarray,
) -> Component:
    """The viewer's content score ``u / mass + v`` without each profile movie, at ``top``.

    ``u = sum_i w_i S_i`` is the movies' part before the mass division, ``v`` the stated part.
    """
    n = len(content_movies)
    u = content_movies.astype(np.float64) * max(1.0, raw_mass)
    v = content_stated.astype(np.float64)
    wp = w.astype(np.float64)
    a = 1.0 / np.maximum(1.0, raw_mass - np.abs(wp))  # 1 / mass without p
    b = wp * a
    matrix = model.content.matrix
    rows = matrix[profile]
    s_top = np.asarray((rows @ matrix[top].T).toarray(), dtype=np.float64)
    matrix_t = model.content._matrix_t
    s_u = np.asarray(rows @ (matrix_t @ u), dtype=np.float64).ravel() / n  # E[S_p u]
    s_v = np.zeros(len(profile), dtype=np.float64)
    if np.any(v):
        s_v = np.asarray(rows @ (matrix_t @ v), dtype=np.float64).ravel() / n  # E[S_p v]
    mean_s, square_s = moments.content_mean[profile], moments.content_square[profile]
    kept = a[:, None] * u[top][None, :] - b[:, None] * s_top + v[top][None, :]
    mean = a * u.mean() - b * mean_s + v.mean()
    square = (
        a**2 * np.mean(u**2)
        + b**2 * square_s
        + np.mean(v**2)
        - 2 * a * b * s_u
        + 2 * a * np.mean(u * v)
        - 2 * b * s_v
    )
    return Component(kept, mean, square)
