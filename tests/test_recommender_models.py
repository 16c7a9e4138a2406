"""The recommender's building blocks: EASE, baselines, item vectors, blending."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from reelgraph.integrations.offline_catalog import OfflineCatalog
from reelgraph.recommender.collaborative import EASE, ItemKNN, MostPop, interaction_matrix
from reelgraph.recommender.content import ContentModel, genre_position_weight
from reelgraph.recommender.hybrid import (
    COLD_MAX_ITEMS,
    DEFAULT_CONFIG,
    WARM_MIN_ITEMS,
    HybridConfig,
    HybridWeights,
    Strategy,
    blend,
    blend_standardized,
    rating_weights,
    standardize,
)


@pytest.fixture(scope="module")
def interactions() -> sp.csr_matrix:
    matrix = sp.random(40, 60, density=0.12, random_state=3, format="lil", dtype=np.float32)
    matrix[:, 7] = 0  # an item nobody interacted with
    csr = sp.csr_matrix(matrix)
    csr.data[:] = 1.0
    return csr


def _closed_form(x: np.ndarray, lam: float) -> np.ndarray:
    p = np.linalg.inv(x.T @ x + lam * np.eye(x.shape[1]))
    b = np.eye(x.shape[1]) - p / np.diag(p)
    return b


def test_ease_dual_and_primal_match_the_closed_form(interactions: sp.csr_matrix) -> None:
    expected = interactions.toarray() @ _closed_form(interactions.toarray().astype(np.float64), 5.0)
    dual = EASE(5.0, solver="dual").fit(interactions)
    primal = EASE(5.0, solver="primal").fit(interactions)
    assert dual.mode == "dual" and primal.mode == "primal"
    assert np.allclose(dual.scores(interactions), expected, atol=1e-4)
    assert np.allclose(primal.scores(interactions), expected, atol=1e-4)
    # The auto solver takes the dual when there are fewer users than items.
    assert EASE(5.0).fit(interactions).mode == "dual"
    assert EASE(5.0).fit(sp.csr_matrix(interactions.T)).mode == "primal"


def test_ease_rows_blocks_and_persistence_agree(interactions: sp.csr_matrix) -> None:
    b = _closed_form(interactions.toarray().astype(np.float64), 5.0)
    rows, cols = np.array([0, 7, 12]), np.array([3, 7, 12, 59])
    for solver in ("dual", "primal"):
        model = EASE(5.0, solver=solver).fit(interactions)  # type: ignore[arg-type]
        assert np.allclose(model.item_rows(rows), b[rows], atol=1e-4)
        assert np.allclose(model.block(rows, cols), b[np.ix_(rows, cols)], atol=1e-4)
        assert np.allclose(np.diag(model.item_rows(np.arange(60))), 0.0, atol=1e-5)
        restored = EASE.from_arrays(model.to_arrays())
        assert restored.mode == model.mode
        assert np.allclose(restored.scores(interactions[:5]), model.scores(interactions[:5]))
        # An item without interactions recommends nothing and is recommended by nothing.
        assert np.allclose(model.item_rows(np.array([7])), 0.0, atol=1e-6)
        assert np.allclose(model.scores(interactions)[:, 7], 0.0, atol=1e-6)


def test_interaction_matrix_keeps_the_largest_duplicate() -> None:
    matrix = interaction_matrix(np.array([0, 0, 1]), np.array([2, 2, 0]), np.array([0.3, 1.0, 0.5]), (2, 3))
    assert matrix.toarray().tolist() == [[0.0, 0.0, 1.0], [0.5, 0.0, 0.0]]


def test_mostpop_and_itemknn(interactions: sp.csr_matrix) -> None:
    counts = MostPop().fit(interactions).scores(interactions[:2])
    assert counts.shape == (2, 60) and np.array_equal(counts[0], np.asarray(interactions.sum(axis=0)).ravel())
    knn = ItemKNN(k=5).fit(interactions)
    assert knn.similarity.shape == (60, 60)
    assert knn.similarity.diagonal().sum() == 0
    assert np.diff(knn.similarity.indptr).max() <= 5
    assert knn.scores(interactions[:3]).shape == (3, 60)


@pytest.fixture(scope="module")
def content() -> ContentModel:
    catalog = OfflineCatalog.load()
    return ContentModel.build(catalog, np.array(sorted(catalog.popular()), dtype=np.int64))


def test_item_vectors_find_sequels_and_weight_genres_by_position(content: ContentModel) -> None:
    row = int(np.searchsorted(content.item_ids, 862))  # Toy Story
    neighbours = content.item_ids[np.argsort(-content.neighbours(row))[:4]]
    assert neighbours[0] == 862 and 863 in neighbours  # Toy Story 2
    assert genre_position_weight(0) == 1.0 > genre_position_weight(1) > genre_position_weight(9) > 0
    # The raw genre matrix keeps position weights: The Matrix is Action (28) first, then Sci-Fi (878).
    matrix_row = int(np.searchsorted(content.item_ids, 603))
    action, scifi = content.genre_column(28), content.genre_column(878)
    assert action is not None and scifi is not None
    assert content.genre_matrix[matrix_row, action] > content.genre_matrix[matrix_row, scifi] > 0


def test_profiles_from_stated_preferences(content: ContentModel) -> None:
    horror = content.genre_column(27)
    assert horror is not None
    scores = content.scores(content.profile(np.zeros(0, np.int64), np.zeros(0), favorite_genres=[27]))
    top = np.argsort(-scores)[:50]
    assert all(content.genre_matrix[i, horror] > 0 for i in top)


def test_subset_keeps_rows_and_zeroes_unknown_ids(content: ContentModel) -> None:
    subset = content.subset(np.array([-5, 603, 862]))
    assert subset.matrix.shape[0] == 3 and subset.matrix[0].nnz == 0
    full = content.matrix[int(np.searchsorted(content.item_ids, 603))]
    assert np.allclose(subset.matrix[1].toarray(), full.toarray())
    restored = ContentModel.from_arrays(subset.to_arrays())
    assert np.allclose(restored.matrix.toarray(), subset.matrix.toarray())


def test_rating_weights_and_standardize() -> None:
    table = DEFAULT_CONFIG.collab_rating_weights
    weights = rating_weights(np.array([5.0, 4.0, 0.5]), table)
    assert weights[0] >= weights[1] == 1.0 > weights[2] > 0
    assert np.array_equal(standardize(np.ones((2, 4))), np.zeros((2, 4)))
    z = standardize(np.array([[1.0, 2.0, 3.0]]))
    assert abs(float(z.mean())) < 1e-6 and abs(float(z.std()) - 1) < 1e-5


def test_blend_weights_move_from_cold_to_warm() -> None:
    config = HybridConfig(warm=HybridWeights(1, 0.1, 0.1), cold=HybridWeights(1, 1, 5))
    assert config.weights_for(0) == config.weights_for(COLD_MAX_ITEMS) == config.cold
    assert config.weights_for(WARM_MIN_ITEMS) == config.weights_for(500) == config.warm
    middle = config.weights_for(10)
    assert config.warm.popularity < middle.popularity < config.cold.popularity
    assert HybridConfig.from_dict(config.as_dict()) == config


def test_blend_strategies() -> None:
    rng = np.random.default_rng(0)
    collab, content = rng.normal(size=(2, 30)), rng.normal(size=(2, 30))
    pop = standardize(rng.normal(size=30))[0]
    n = np.array([3, 100])
    popular = blend(Strategy.POPULAR, collab, content, pop, n, DEFAULT_CONFIG)
    assert np.array_equal(popular[0], pop) and np.array_equal(popular[1], pop)
    collaborative = blend(Strategy.COLLABORATIVE, collab, content, pop, n, DEFAULT_CONFIG)
    assert np.array_equal(np.argsort(collaborative[0]), np.argsort(standardize(collab)[0] + 1e-3 * pop))
    hybrid = blend(Strategy.HYBRID, collab, content, pop, n, DEFAULT_CONFIG)
    w = DEFAULT_CONFIG.weights_for(100)
    expected = (
        w.collaborative * standardize(collab)[1] + w.content * standardize(content)[1] + w.popularity * pop
    )
    assert np.allclose(hybrid[1], expected / (w.collaborative + w.content + w.popularity), atol=1e-5)
    for strategy in Strategy:
        direct = blend(strategy, collab, content, pop, n, DEFAULT_CONFIG)
        z = blend_standardized(strategy, standardize(collab), standardize(content), pop, n, DEFAULT_CONFIG)
        assert np.allclose(direct, z, atol=1e-5), strategy


def test_single_thread_blas_restores_the_setting_once() -> None:
    from reelgraph.recommender.collaborative import SingleThreadBlas

    calls: list[str] = []

    class Limiter:
        def restore_original_limits(self) -> None:
            calls.append("restore")

    class Controller:
        def limit(self, limits: int, user_api: str) -> Limiter:
            assert (limits, user_api) == (1, "blas")
            calls.append("limit")
            return Limiter()

    guard = SingleThreadBlas()
    guard._controller = Controller()  # a fake: other threads of the test process use the real one
    with guard:
        with guard:  # nested (or concurrent) uses share one limit
            assert calls == ["limit"]
        assert calls == ["limit"]
    assert calls == ["limit", "restore"]
    with guard:
        pass
    assert calls == ["limit", "restore", "limit", "restore"]
