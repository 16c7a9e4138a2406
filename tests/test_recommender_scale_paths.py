"""Training picks exact EASE or the head/tail approximation by size; both serve, explain and persist.

The real community prior (MovieLens small, ~9,700 items) is trained twice: as shipped (exact EASE)
and with the dense limit forced below its size, so the same data trains ``HeadTailEASE`` with a
500-item head. Each model must recommend with true "Because you liked" reasons (removing the named
movie costs that recommendation the most), list similar movies, and come back from its stored
bytes and directory scoring exactly the same.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from reelgraph.integrations.offline_catalog import OfflineCatalog
from reelgraph.recommender import approximate
from reelgraph.recommender.approximate import HeadTailEASE
from reelgraph.recommender.engine import RecommenderEngine
from reelgraph.recommender.explain import ReasonKind
from reelgraph.recommender.profile import UserProfile
from reelgraph.recommender.storage import load_model, model_from_bytes, model_to_bytes, save_model

THE_MATRIX, MATRIX_RELOADED = 603, 604
MIXED = {
    603: 5.0,  # The Matrix
    155: 4.5,  # The Dark Knight
    27205: 4.0,  # Inception
    862: 4.5,  # Toy Story
    863: 4.0,  # Toy Story 2
    680: 3.0,  # Pulp Fiction
    597: 1.0,  # Titanic
    85: 4.5,  # Raiders of the Lost Ark
    11: 5.0,  # Star Wars
    1891: 4.0,  # The Empire Strikes Back
    12: 4.0,  # Finding Nemo
    8587: 4.5,  # The Lion King
}


@pytest.fixture(scope="module", params=["exact", "approximate"])
def engine(request: pytest.FixtureRequest) -> RecommenderEngine:
    with pytest.MonkeyPatch.context() as patch:
        if request.param == "approximate":
            patch.setattr(approximate, "DENSE_LIMIT", 100)
            patch.setattr(approximate, "HEAD_ITEMS", 500)
        engine = RecommenderEngine()
        engine.train([], [], OfflineCatalog.load())
    assert engine.model.ease.mode == ("head_tail" if request.param == "approximate" else "dual")
    return engine


def score_of(engine: RecommenderEngine, profile: UserProfile, movie: int) -> float:
    (only,) = engine.recommend(profile, k=1, candidate_filter={movie})
    return only.score


def test_the_named_movie_is_the_one_whose_removal_costs_most(engine: RecommenderEngine) -> None:
    profile = UserProfile(ratings=MIXED)
    recs = engine.recommend(profile, k=10)
    assert len(recs) == 10
    checked = 0
    for rec in recs:
        named = [r.movie_id for r in rec.reasons if r.kind is ReasonKind.BECAUSE_YOU_LIKED and r.movie_id]
        if not named:
            continue
        full = score_of(engine, profile, rec.tmdb_id)
        drops = {
            m: full
            - score_of(engine, UserProfile(ratings={k: v for k, v in MIXED.items() if k != m}), rec.tmdb_id)
            for m in MIXED
        }
        for name in named:
            assert drops[name] > max(d for m, d in drops.items() if m != name), (rec.tmdb_id, name, drops)
            checked += 1
    assert checked >= 5


def test_similar_movies_are_served(engine: RecommenderEngine) -> None:
    similar = [r.tmdb_id for r in engine.similar_items(THE_MATRIX, k=10)]
    assert len(similar) == 10 and THE_MATRIX not in similar
    assert MATRIX_RELOADED in similar


def test_the_stored_model_scores_and_explains_the_same(engine: RecommenderEngine, tmp_path: Path) -> None:
    profile = UserProfile(ratings=MIXED)
    expected = engine.recommend(profile, k=20)
    for restored in (
        model_from_bytes(model_to_bytes(engine.model)),
        load_model(save_model(engine.model, tmp_path)),
    ):
        assert restored.ease.mode == engine.model.ease.mode
        assert restored.version == engine.model.version
        again = RecommenderEngine(restored).recommend(profile, k=20)
        assert [(r.tmdb_id, r.reasons) for r in again] == [(r.tmdb_id, r.reasons) for r in expected]
        np.testing.assert_allclose([r.score for r in again], [r.score for r in expected], rtol=1e-5)


def test_the_approximation_is_one_item_item_matrix() -> None:
    # scores = x B, item_rows = B[items], block = B[rows][:, cols], times = B v: one B, head and tail.
    rng = np.random.default_rng(1)
    p = 1.0 / (np.arange(300) + 5.0)
    rows = [rng.choice(300, size=int(rng.integers(5, 30)), replace=False, p=p / p.sum()) for _ in range(200)]
    users = np.repeat(np.arange(200), [len(r) for r in rows])
    x = sp.csr_matrix((np.ones(len(users), np.float32), (users, np.concatenate(rows))), shape=(200, 300))
    model = HeadTailEASE(50.0, head_items=60, k=10).fit(x)
    assert len(model.tail) > 0
    everything = np.arange(300)
    b = model.item_rows(everything)
    np.testing.assert_allclose(model.scores(x[:15]), x[:15].toarray() @ b, rtol=1e-4, atol=1e-5)
    picks = np.concatenate([model.head[:5], model.tail[:5]])
    np.testing.assert_allclose(
        model.block(picks, picks[::-1]), b[picks][:, picks[::-1]], rtol=1e-4, atol=1e-5
    )
    v = rng.standard_normal(300).astype(np.float32)
    np.testing.assert_allclose(model.times(v), b @ v, rtol=1e-3, atol=1e-4)
    assert np.count_nonzero(b[:, model.tail]) > 0  # the tail is scored, not left at zero
    restored = HeadTailEASE.from_arrays(model.to_arrays())
    np.testing.assert_allclose(restored.item_rows(everything), b, rtol=1e-6)
