"""Collaborative filtering: EASE (the model the engine uses) and the MostPop and item-kNN baselines.

Every model works on a (users x items) interaction matrix whose columns are the engine's item
index; a user unknown at training time is scored from their own row alone (EASE and item-kNN are
item-item models), so new viewers get collaborative recommendations without retraining.

EASE (Steck 2019, "Embarrassingly Shallow Autoencoders"): ``B = I - P diag(1/diag(P))`` with
``P = (X'X + lambda I)^-1`` and ``diag(B) = 0``; a user's scores are ``x B``. Inverting an
items x items matrix costs ``items^3``; when there are fewer users than items (MovieLens small: 610
users, ~9,700 items) the Woodbury identity gives the same ``P`` from a users x users inverse,
``P = (I - X' (XX' + lambda I)^-1 X) / lambda``, and ``B`` never needs to be materialised:
``x B = x - (x P) / diag(P)``. Either way the answer is exact; the dual needs ~1 s and a few MB on
MovieLens small where the primal needs ~8 s and 400 MB.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
from threadpoolctl import ThreadpoolController

Solver = Literal["auto", "dual", "primal"]
# Below this size a dense inverse is faster on one BLAS thread than on several.
SINGLE_THREAD_MAX_DIM = 2048
DEFAULT_EASE_LAMBDA = 300.0  # chosen by `reelgraph recs tune` (see hybrid.HybridConfig)


class SingleThreadBlas:
    """Context manager: BLAS on one thread for small products (per request, small inverses).

    OpenBLAS worker threads spin while they wait; on a busy machine two of them fighting other
    processes for the cores made one 600 x 600 inverse take seconds instead of 50 ms, and one
    recommendation 25 ms instead of 9. Nested and concurrent uses are counted so the original
    setting is restored once, when the last one leaves.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._limiter: Any = None
        self._controller: Any = None

    def __enter__(self) -> None:
        with self._lock:
            if self._depth == 0:
                if self._controller is None:
                    self._controller = ThreadpoolController()
                self._limiter = self._controller.limit(limits=1, user_api="blas")
            self._depth += 1

    def __exit__(self, *_: object) -> None:
        with self._lock:
            self._depth -= 1
            if self._depth == 0 and self._limiter is not None:
                self._limiter.restore_original_limits()
                self._limiter = None


single_thread_blas = SingleThreadBlas()


def interaction_matrix(
    user_rows: np.ndarray, item_cols: np.ndarray, values: np.ndarray, shape: tuple[int, int]
) -> sp.csr_matrix:
    """CSR (users x items) float32; duplicate (user, item) pairs keep the largest value."""
    if len(user_rows) == 0:
        return sp.csr_matrix(shape, dtype=np.float32)
    order = np.lexsort((-np.asarray(values), item_cols, user_rows))
    u, i, v = user_rows[order], item_cols[order], np.asarray(values, dtype=np.float32)[order]
    first = np.ones(len(u), dtype=bool)
    first[1:] = (u[1:] != u[:-1]) | (i[1:] != i[:-1])
    return sp.csr_matrix((v[first], (u[first], i[first])), shape=shape, dtype=np.float32)


def _dense(matrix: sp.spmatrix | np.ndarray) -> np.ndarray:
    if isinstance(matrix, np.ndarray):
        return np.asarray(matrix, dtype=np.float32)
    return np.asarray(matrix.toarray(), dtype=np.float32)


class MostPop:
    """Number of users who interacted with each item; the same list for everyone."""

    def __init__(self) -> None:
        self.counts = np.zeros(0, dtype=np.float32)

    def fit(self, interactions: sp.csr_matrix) -> MostPop:
        binary = interactions.copy()
        binary.data = (binary.data > 0).astype(np.float32)
        self.counts = np.asarray(binary.sum(axis=0), dtype=np.float32).ravel()
        return self

    def scores(self, user_rows: sp.csr_matrix) -> np.ndarray:
        return np.broadcast_to(self.counts, (user_rows.shape[0], len(self.counts))).copy()


class ItemKNN:
    """Item-based kNN: cosine between item columns, ``k`` neighbours kept per item (baseline)."""

    def __init__(self, k: int = 50, block: int = 1024) -> None:
        self.k = k
        self.block = block
        self.similarity = sp.csr_matrix((0, 0), dtype=np.float32)

    def fit(self, interactions: sp.csr_matrix) -> ItemKNN:
        binary = interactions.copy()
        binary.data = np.ones_like(binary.data, dtype=np.float32)
        from sklearn.preprocessing import normalize  # lazy: scikit-learn is for training only

        columns = sp.csc_matrix(normalize(binary, norm="l2", axis=0), dtype=np.float32)
        columns_t = sp.csr_matrix(columns.T)
        n_items = binary.shape[1]
        k = min(self.k, max(n_items - 1, 1))
        rows: list[np.ndarray] = []
        cols: list[np.ndarray] = []
        vals: list[np.ndarray] = []
        # Blocks of rows keep the dense similarity slab small (block x items).
        for start in range(0, n_items, self.block):
            stop = min(start + self.block, n_items)
            slab = _dense(columns_t[start:stop] @ columns)
            slab[np.arange(stop - start), np.arange(start, stop)] = 0.0
            top = (
                np.argpartition(-slab, k - 1, axis=1)[:, :k]
                if n_items > k
                else np.tile(np.arange(n_items), (stop - start, 1))
            )
            top_vals = np.take_along_axis(slab, top, axis=1)
            keep = top_vals > 0
            rows.append(np.repeat(np.arange(start, stop), k)[keep.ravel()])
            cols.append(top.ravel()[keep.ravel()])
            vals.append(top_vals.ravel()[keep.ravel()])
        self.similarity = sp.csr_matrix(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
            shape=(n_items, n_items),
            dtype=np.float32,
        )
        return self

    def scores(self, user_rows: sp.csr_matrix) -> np.ndarray:
        # score(u, i) = sum of sim(i, j) over the user's items j among i's k neighbours.
        return _dense(user_rows @ self.similarity.T)


class EASE:
    """EASE with float32 state; ``solver="auto"`` takes the dual when users < items."""

    def __init__(self, lam: float = DEFAULT_EASE_LAMBDA, solver: Solver = "auto") -> None:
        self.lam = float(lam)
        self.solver: Solver = solver
        self.n_items = 0
        # dual state
        self._x = sp.csr_matrix((0, 0), dtype=np.float32)
        self._xt = sp.csr_matrix((0, 0), dtype=np.float32)
        self._k = np.zeros((0, 0), dtype=np.float32)
        self._diag_p = np.zeros(0, dtype=np.float32)
        # primal state: B over the active (interacted-with) items only
        self._b = np.zeros((0, 0), dtype=np.float32)
        self._active = np.zeros(0, dtype=np.int64)

    @property
    def mode(self) -> Literal["dual", "primal"]:
        return "primal" if self._b.size else "dual"

    def fit(self, interactions: sp.csr_matrix) -> EASE:
        x = sp.csr_matrix(interactions, dtype=np.float32)
        self.n_items = x.shape[1]
        active = np.flatnonzero(np.diff(x.tocsc().indptr) > 0)
        use_dual = self.solver == "dual" or (self.solver == "auto" and x.shape[0] <= len(active))
        if use_dual:
            self._fit_dual(x)
        else:
            self._fit_primal(x, active)
        return self

    def _fit_dual(self, x: sp.csr_matrix) -> None:
        gram = (x @ x.T).toarray().astype(np.float64)
        gram[np.diag_indices_from(gram)] += self.lam
        if len(gram) <= SINGLE_THREAD_MAX_DIM:
            with single_thread_blas:
                k = sla.inv(gram, check_finite=False, overwrite_a=True)  # users x users, float64 is cheap
        else:
            k = sla.inv(gram, check_finite=False, overwrite_a=True)
        self._k = k.astype(np.float32)
        self._x = x
        self._xt = sp.csr_matrix(x.T)
        kx = self._xt @ self._k  # (items x users) = (K X)'
        # diag(P) = (1 - diag(X' K X)) / lambda, column by column without forming X' K X.
        quad = np.asarray(x.multiply(kx.T).sum(axis=0), dtype=np.float64).ravel()
        self._diag_p = ((1.0 - quad) / self.lam).astype(np.float32)
        self._b = np.zeros((0, 0), dtype=np.float32)
        self._active = np.zeros(0, dtype=np.int64)

    def _fit_primal(self, x: sp.csr_matrix, active: np.ndarray) -> None:
        xa = x[:, active]
        gram = (xa.T @ xa).toarray().astype(np.float32)
        gram[np.diag_indices_from(gram)] += np.float32(self.lam)
        # Cholesky (potrf + potri) inverts an SPD matrix ~2.5x faster than a general inverse.
        chol, info = sla.lapack.spotrf(gram, lower=1, clean=0, overwrite_a=1)
        if info != 0:
            raise np.linalg.LinAlgError(f"EASE: Gram matrix not positive definite (info={info})")
        p, info = sla.lapack.spotri(chol, lower=1, overwrite_c=1)
        if info != 0:
            raise np.linalg.LinAlgError(f"EASE: inversion failed (info={info})")
        p = np.tril(p) + np.tril(p, -1).T
        diag = np.diag(p).copy()
        b = -p / diag  # B = I - P diag(1/diag P); diagonal forced to 0 below
        np.fill_diagonal(b, 0.0)
        self._b = b.astype(np.float32, copy=False)
        self._active = active
        self._x = sp.csr_matrix((0, 0), dtype=np.float32)
        self._xt = sp.csr_matrix((0, 0), dtype=np.float32)
        self._k = np.zeros((0, 0), dtype=np.float32)
        self._diag_p = np.zeros(0, dtype=np.float32)

    # ------------------------------------------------------------------------------------ scoring

    def scores(self, user_rows: sp.csr_matrix) -> np.ndarray:
        """(n x items) scores ``x B`` for n user rows (weights of the user's items)."""
        rows = sp.csr_matrix(user_rows, dtype=np.float32)
        if self.mode == "primal":
            out = np.zeros((rows.shape[0], self.n_items), dtype=np.float32)
            out[:, self._active] = _dense(rows[:, self._active] @ self._b)
            return out
        # x P = (x - (x X') K X) / lambda; the sparse products stay sparse as long as possible.
        xxt = _dense(rows @ self._xt)  # n x users
        xp = _dense(self._xt @ (xxt @ self._k).T).T  # n x items: (K X)' applied to (x X' K)'
        xp = (_dense(rows) - xp) / np.float32(self.lam)
        scores: np.ndarray = _dense(rows) - xp / self._diag_p
        return scores

    def item_rows(self, items: np.ndarray) -> np.ndarray:
        """Rows ``B[items, :]``: how much each of ``items`` pushes every other item."""
        items = np.asarray(items, dtype=np.int64)
        if self.mode == "primal":
            out = np.zeros((len(items), self.n_items), dtype=np.float32)
            position = np.full(self.n_items, -1, dtype=np.int64)
            position[self._active] = np.arange(len(self._active))
            known = position[items] >= 0
            block = np.zeros((len(items), len(self._active)), dtype=np.float32)
            block[known] = self._b[position[items[known]]]
            out[:, self._active] = block
            return out
        unit = sp.csr_matrix(
            (np.ones(len(items), dtype=np.float32), (np.arange(len(items)), items)),
            shape=(len(items), self.n_items),
        )
        return self.scores(unit)

    def times(self, values: np.ndarray) -> np.ndarray:
        """``B v`` for a dense vector ``v`` over all items (``scores`` gives ``x B``).

        With ``B = I - P D^-1`` (``d = diag(P)``), ``B v = v - P (v / d)``; the primal model keeps ``B``.
        """
        v = np.asarray(values, dtype=np.float32)
        if self.mode == "primal":
            out = np.zeros(self.n_items, dtype=np.float32)
            out[self._active] = self._b @ v[self._active]
            return out
        # P w = (w - X' K X w) / lambda (the dual's users x users K): three small products.
        w = (v / self._diag_p).astype(np.float32)
        pw = (w - self._xt @ (self._k @ (self._x @ w))) / np.float32(self.lam)
        result: np.ndarray = (v - pw).astype(np.float32)
        return result

    def block(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """``B[rows][:, cols]`` (len(rows) x len(cols)), cheap for a few rows and columns."""
        rows = np.asarray(rows, dtype=np.int64)
        cols = np.asarray(cols, dtype=np.int64)
        if self.mode == "primal":
            position = np.full(self.n_items, -1, dtype=np.int64)
            position[self._active] = np.arange(len(self._active))
            pr, pc = position[rows], position[cols]
            out = self._b[np.maximum(pr, 0)][:, np.maximum(pc, 0)]
            return np.where((pr[:, None] >= 0) & (pc[None, :] >= 0), out, 0.0).astype(np.float32)
        same = (rows[:, None] == cols[None, :]).astype(np.float32)
        # X_rows' K X_cols from the sparse side: the few columns are sparse user lists, so K is
        # touched only where they have users (K is symmetric: (X_cols' K)' = K X_cols).
        right = _dense(self._xt[cols] @ self._k).T  # users x len(cols)
        p = (same - _dense(self._xt[rows] @ right)) / np.float32(self.lam)
        result: np.ndarray = same - p / self._diag_p[cols]
        return result

    # ------------------------------------------------------------------------------ persistence

    def to_arrays(self, prefix: str = "ease_") -> dict[str, Any]:
        arrays: dict[str, Any] = {
            f"{prefix}lam": np.array([self.lam]),
            f"{prefix}n_items": np.array([self.n_items], dtype=np.int64),
            f"{prefix}mode": np.array([self.mode]),
        }
        if self.mode == "primal":
            arrays[f"{prefix}b"] = self._b
            arrays[f"{prefix}active"] = self._active
        else:
            arrays[f"{prefix}x_data"] = self._x.data
            arrays[f"{prefix}x_indices"] = self._x.indices
            arrays[f"{prefix}x_indptr"] = self._x.indptr
            arrays[f"{prefix}x_shape"] = np.array(self._x.shape, dtype=np.int64)
            arrays[f"{prefix}k"] = self._k
            arrays[f"{prefix}diag_p"] = self._diag_p
        return arrays

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, Any], prefix: str = "ease_") -> EASE:
        model = cls(float(arrays[f"{prefix}lam"][0]))
        model.n_items = int(arrays[f"{prefix}n_items"][0])
        if str(arrays[f"{prefix}mode"][0]) == "primal":
            model._b = np.asarray(arrays[f"{prefix}b"], dtype=np.float32)
            model._active = np.asarray(arrays[f"{prefix}active"], dtype=np.int64)
            return model
        model._x = sp.csr_matrix(
            (arrays[f"{prefix}x_data"], arrays[f"{prefix}x_indices"], arrays[f"{prefix}x_indptr"]),
            shape=tuple(int(v) for v in arrays[f"{prefix}x_shape"]),
            dtype=np.float32,
        )
        model._xt = sp.csr_matrix(model._x.T)
        model._k = np.asarray(arrays[f"{prefix}k"], dtype=np.float32)
        model._diag_p = np.asarray(arrays[f"{prefix}diag_p"], dtype=np.float32)
        return model
