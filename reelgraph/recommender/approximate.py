"""EASE past the size where its dense solve fits: exact EASE on the head, item-kNN for the tail.

The exact EASE solve inverts a (n x n) matrix with n = min(users, items) (primal over items, dual
over users: see ``collaborative``): O(n^3) time, O(n^2) memory. bench/recs_scale.py measured it
and puts the limit of 2 GB / 60 s on 2 cores at about ``DENSE_LIMIT`` (time binds first).
Beyond it, ``HeadTailEASE`` solves EASE exactly on the ``head_items`` most-interacted items (where
almost every interaction and every relevant test item is, on power-law data) and scores the
long tail with item-kNN (cosine, ``k`` neighbours per tail item), rescaled to the head's scores so
both rank on one scale. On ml-latest-small it keeps nDCG@10 within 2% of exact EASE (see the
bench); ``fit_collaborative`` chooses between the two by the training matrix's size.

Both serve the same item-item interface (``scores`` = ``x B``, ``item_rows`` = ``B[items]``,
``block``, ``times`` = ``B v``, ``to_arrays``): for the approximation ``B`` is EASE's on the head
block and ``tail_scale`` times the tail items' neighbour cosines in the tail columns, so the
reasons' exact contributions, similar items and storage work unchanged on either.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp

from reelgraph.recommender.collaborative import DEFAULT_EASE_LAMBDA, EASE

# The largest min(users, active items) solved densely: bench/recs_scale.py measured 0.07 s per
# 1e9 n^3 and 16 bytes per n^2 at n = 4,000 on the shared 2 cores, so n = 9,500 is ~60 s and
# ~1.5 GB (time binds first).
DENSE_LIMIT = 9_500
HEAD_ITEMS = 2_000
TAIL_NEIGHBOURS = 50
# Users whose scores calibrate the tail's scale against the head's.
CALIBRATION_USERS = 500


class HeadTailEASE:
    """Exact EASE over the head items, item-kNN over the tail, on one score scale."""

    def __init__(
        self, lam: float = DEFAULT_EASE_LAMBDA, head_items: int = HEAD_ITEMS, k: int = TAIL_NEIGHBOURS
    ) -> None:
        self.lam = float(lam)
        self.head_items = head_items
        self.k = k
        self.n_items = 0
        self.head = np.zeros(0, dtype=np.int64)
        self.tail = np.zeros(0, dtype=np.int64)
        self.ease = EASE(lam)
        # (tail items x all items) cosine to each tail item's k nearest items
        self.tail_similarity = sp.csr_matrix((0, 0), dtype=np.float32)
        self._tail_t = sp.csr_matrix((0, 0), dtype=np.float32)
        self.tail_scale = 1.0
        self._head_pos = np.zeros(0, dtype=np.int64)
        self._tail_pos = np.zeros(0, dtype=np.int64)

    @property
    def mode(self) -> Literal["head_tail"]:
        return "head_tail"

    def _index(self) -> None:
        # Column -> position in the head (EASE's columns) / the tail (the similarity's rows), or -1.
        self._head_pos = np.full(self.n_items, -1, dtype=np.int64)
        self._head_pos[self.head] = np.arange(len(self.head))
        self._tail_pos = np.full(self.n_items, -1, dtype=np.int64)
        self._tail_pos[self.tail] = np.arange(len(self.tail))

    def fit(self, interactions: sp.csr_matrix) -> HeadTailEASE:
        x = sp.csr_matrix(interactions, dtype=np.float32)
        self.n_items = x.shape[1]
        counts = np.diff(x.tocsc().indptr)
        active = np.flatnonzero(counts > 0)
        by_count = active[np.argsort(-counts[active], kind="stable")]
        self.head = np.sort(by_count[: self.head_items])
        self.tail = np.sort(by_count[self.head_items :])
        self.ease = EASE(self.lam).fit(x[:, self.head])
        self.tail_similarity = _knn_rows(x, self.tail, self.k)
        self._tail_t = sp.csr_matrix(self.tail_similarity.T)  # scoring multiplies by the transpose
        self.tail_scale = self._calibrate(x)
        self._index()
        return self

    def _calibrate(self, x: sp.csr_matrix) -> float:
        # The tail's cosine sums and EASE's regression weights live on different scales: match
        # their spread over the head items for a sample of training users.
        if not len(self.tail) or not len(self.head):
            return 1.0
        rng = np.random.default_rng(0)
        users = rng.choice(x.shape[0], min(CALIBRATION_USERS, x.shape[0]), replace=False)
        rows = x[users]
        head_scores = self.ease.scores(rows[:, self.head])
        knn_head = np.asarray(
            (rows @ _knn_rows(x, self.head[:: max(1, len(self.head) // 500)], self.k).T).todense()
        )
        spread = float(np.std(knn_head))
        return float(np.std(head_scores)) / spread if spread > 1e-12 else 1.0

    def scores(self, user_rows: sp.csr_matrix) -> np.ndarray:
        rows = sp.csr_matrix(user_rows, dtype=np.float32)
        out = np.zeros((rows.shape[0], self.n_items), dtype=np.float32)
        out[:, self.head] = self.ease.scores(rows[:, self.head])
        if len(self.tail):
            tail = rows @ self._tail_t
            out[:, self.tail] = self.tail_scale * np.asarray(tail.todense(), dtype=np.float32)
        return out

    def item_rows(self, items: np.ndarray) -> np.ndarray:
        """Rows ``B[items, :]``: how much each of ``items`` pushes every other item."""
        items = np.asarray(items, dtype=np.int64)
        out = np.zeros((len(items), self.n_items), dtype=np.float32)
        in_head = self._head_pos[items] >= 0
        if np.any(in_head):
            head_rows = self.ease.item_rows(self._head_pos[items[in_head]])
            out[np.ix_(np.flatnonzero(in_head), self.head)] = head_rows
        if len(self.tail):
            out[:, self.tail] = self.tail_scale * self._tail_t[items].toarray()
        return out

    def block(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """``B[rows][:, cols]`` (len(rows) x len(cols)), cheap for a few rows and columns."""
        rows = np.asarray(rows, dtype=np.int64)
        cols = np.asarray(cols, dtype=np.int64)
        out = np.zeros((len(rows), len(cols)), dtype=np.float32)
        head_rows = np.flatnonzero(self._head_pos[rows] >= 0)
        head_cols = np.flatnonzero(self._head_pos[cols] >= 0)
        if len(head_rows) and len(head_cols):
            part = self.ease.block(self._head_pos[rows[head_rows]], self._head_pos[cols[head_cols]])
            out[np.ix_(head_rows, head_cols)] = part
        tail_cols = np.flatnonzero(self._tail_pos[cols] >= 0)
        if len(tail_cols):
            part = self._tail_t[rows][:, self._tail_pos[cols[tail_cols]]].toarray()
            out[:, tail_cols] = self.tail_scale * part
        return out

    def times(self, values: np.ndarray) -> np.ndarray:
        """``B v`` for a dense vector ``v`` over all items (``scores`` gives ``x B``)."""
        v = np.asarray(values, dtype=np.float32)
        out = np.zeros(self.n_items, dtype=np.float32)
        out[self.head] = self.ease.times(v[self.head])
        if len(self.tail):
            out += np.float32(self.tail_scale) * np.asarray(self._tail_t @ v[self.tail], dtype=np.float32)
        return out

    def to_arrays(self, prefix: str = "ease_") -> dict[str, Any]:
        t = self.tail_similarity
        arrays: dict[str, Any] = {
            f"{prefix}lam": np.array([self.lam]),
            f"{prefix}n_items": np.array([self.n_items], dtype=np.int64),
            f"{prefix}mode": np.array([self.mode]),
            f"{prefix}shape": np.array([self.head_items, self.k], dtype=np.int64),
            f"{prefix}head": self.head,
            f"{prefix}tail": self.tail,
            f"{prefix}tail_scale": np.array([self.tail_scale]),
            f"{prefix}tail_data": t.data,
            f"{prefix}tail_indices": t.indices,
            f"{prefix}tail_indptr": t.indptr,
        }
        arrays.update(self.ease.to_arrays(f"{prefix}head_"))
        return arrays

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, Any], prefix: str = "ease_") -> HeadTailEASE:
        head_items, k = (int(v) for v in arrays[f"{prefix}shape"])
        model = cls(float(arrays[f"{prefix}lam"][0]), head_items=head_items, k=k)
        model.n_items = int(arrays[f"{prefix}n_items"][0])
        model.head = np.asarray(arrays[f"{prefix}head"], dtype=np.int64)
        model.tail = np.asarray(arrays[f"{prefix}tail"], dtype=np.int64)
        model.tail_scale = float(arrays[f"{prefix}tail_scale"][0])
        model.tail_similarity = sp.csr_matrix(
            (arrays[f"{prefix}tail_data"], arrays[f"{prefix}tail_indices"], arrays[f"{prefix}tail_indptr"]),
            shape=(len(model.tail), model.n_items),
            dtype=np.float32,
        )
        model._tail_t = sp.csr_matrix(model.tail_similarity.T)
        model.ease = EASE.from_arrays(arrays, f"{prefix}head_")
        model._index()
        return model

    def nbytes(self) -> int:
        ease_arrays = self.ease.to_arrays()
        size = sum(int(np.asarray(a).nbytes) for a in ease_arrays.values())
        t = self.tail_similarity
        return size + int(t.data.nbytes + t.indices.nbytes + t.indptr.nbytes)


def _knn_rows(x: sp.csr_matrix, items: np.ndarray, k: int, block: int = 512) -> sp.csr_matrix:
    """(len(items) x all items) cosine to each of ``items``' ``k`` nearest items (itself excluded)."""
    binary = x.copy()
    binary.data = np.ones_like(binary.data)
    from sklearn.preprocessing import normalize  # lazy: scikit-learn is for training only

    columns = sp.csc_matrix(normalize(binary, norm="l2", axis=0), dtype=np.float32)
    columns_t = sp.csr_matrix(columns.T)
    n_items = x.shape[1]
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    for start in range(0, len(items), block):
        chunk = items[start : start + block]
        slab = sp.csr_matrix(columns_t[chunk] @ columns)
        for n in range(len(chunk)):
            lo, hi = slab.indptr[n], slab.indptr[n + 1]
            other = slab.indices[lo:hi] != chunk[n]
            data, index = slab.data[lo:hi][other], slab.indices[lo:hi][other]
            if len(data) > k:
                keep = np.argpartition(-data, k - 1)[:k]
                data, index = data[keep], index[keep]
            positive = data > 0
            rows.append(np.full(int(positive.sum()), start + n, dtype=np.int64))
            cols.append(index[positive])
            vals.append(data[positive])
    if not rows:
        return sp.csr_matrix((len(items), n_items), dtype=np.float32)
    return sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(len(items), n_items),
        dtype=np.float32,
    )


def dense_fits(interactions: sp.csr_matrix) -> bool:
    """Whether exact EASE's dense solve fits: min(users, active items) up to ``DENSE_LIMIT``."""
    active = int(np.count_nonzero(np.diff(sp.csc_matrix(interactions).indptr)))
    return bool(min(interactions.shape[0], active) <= DENSE_LIMIT)


# Either collaborative model: the same item-item interface (see the module's docstring).
Collaborative = EASE | HeadTailEASE


def fit_collaborative(
    interactions: sp.csr_matrix, lam: float = DEFAULT_EASE_LAMBDA, head_items: int | None = None
) -> Collaborative:
    """Exact EASE when its solve fits, else the head/tail approximation.

    ``DENSE_LIMIT`` and ``HEAD_ITEMS`` are read at call time (a test forces a small catalog past them).
    """
    if dense_fits(interactions):
        return EASE(lam).fit(interactions)
    return HeadTailEASE(lam, head_items=HEAD_ITEMS if head_items is None else head_items).fit(interactions)


def collaborative_from_arrays(arrays: Mapping[str, Any], prefix: str = "ease_") -> Collaborative:
    """The model ``to_arrays`` wrote, exact or approximate (by its stored mode)."""
    if str(arrays[f"{prefix}mode"][0]) == "head_tail":
        return HeadTailEASE.from_arrays(arrays, prefix)
    return EASE.from_arrays(arrays, prefix)
