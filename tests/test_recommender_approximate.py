"""The head/tail approximation of EASE for catalogs past the dense solve's reach."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from reelgraph.recommender import approximate
from reelgraph.recommender.approximate import HeadTailEASE, fit_collaborative
from reelgraph.recommender.collaborative import EASE


def power_law(n_users: int, n_items: int, seed: int = 0) -> sp.csr_matrix:
    rng = np.random.default_rng(seed)
    p = 1.0 / (np.arange(n_items) + 5.0)
    rows = [
        rng.choice(n_items, size=int(rng.integers(5, 30)), replace=False, p=p / p.sum())
        for _ in range(n_users)
    ]
    users = np.repeat(np.arange(n_users), [len(r) for r in rows])
    return sp.csr_matrix(
        (np.ones(len(users), np.float32), (users, np.concatenate(rows))), shape=(n_users, n_items)
    )


def test_head_items_are_scored_by_exact_ease_on_the_head_and_the_tail_by_neighbours() -> None:
    x = power_law(300, 400)
    model = HeadTailEASE(100.0, head_items=100, k=10).fit(x)
    assert len(model.head) == 100 and len(model.tail) > 0
    counts = np.diff(x.tocsc().indptr)
    assert counts[model.head].min() >= counts[model.tail].max()  # the most-interacted items
    scores = model.scores(x[:20])
    exact_head = EASE(100.0).fit(x[:, model.head]).scores(x[:20][:, model.head])
    np.testing.assert_allclose(scores[:, model.head], exact_head, rtol=1e-4, atol=1e-5)
    # A tail item shares users with what the viewer has: it gets a positive score.
    assert np.count_nonzero(scores[:, model.tail] > 0) > 0


def test_training_picks_the_exact_solve_while_it_fits(monkeypatch: pytest.MonkeyPatch) -> None:
    x = power_law(200, 300)
    assert isinstance(fit_collaborative(x), EASE)
    monkeypatch.setattr(approximate, "DENSE_LIMIT", 100)
    assert isinstance(fit_collaborative(x), HeadTailEASE)
