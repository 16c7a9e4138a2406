"""The top 10 is not ten near-copies: the MMR re-rank trades a little score for variety."""

from __future__ import annotations

import numpy as np
import pytest

from reelgraph.integrations.offline_catalog import OfflineCatalog
from reelgraph.recommender import scoring
from reelgraph.recommender.diversity import DIVERSITY_WEIGHT, SPREAD_OF, intra_list_similarity, mmr
from reelgraph.recommender.engine import RecommenderEngine
from reelgraph.recommender.profile import UserProfile

# A viewer who rated the first three Harry Potter films 5 stars and nothing else.
POTTER_FAN = UserProfile(ratings={671: 5.0, 672: 5.0, 673: 5.0})


@pytest.fixture(scope="module")
def catalog() -> OfflineCatalog:
    return OfflineCatalog.load()


@pytest.fixture(scope="module")
def engine(catalog: OfflineCatalog) -> RecommenderEngine:
    engine = RecommenderEngine()
    engine.train([], [], catalog)
    return engine


def potter(catalog: OfflineCatalog, ids: list[int]) -> int:
    return sum("Harry Potter" in catalog.movie(i).title for i in ids)  # type: ignore[union-attr]


def test_one_franchise_does_not_fill_the_list(
    engine: RecommenderEngine, catalog: OfflineCatalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    served = [r.tmdb_id for r in engine.recommend(POTTER_FAN, k=10)]
    with monkeypatch.context() as patch:
        patch.setattr(scoring, "DIVERSITY_WEIGHT", 0.0)
        by_score = engine.recommend(POTTER_FAN, k=10)
        relevance = {
            r.tmdb_id: r.score for r in engine.recommend(POTTER_FAN, k=10, candidate_filter=set(served))
        }
        pool = [r.score for r in engine.recommend(POTTER_FAN, k=SPREAD_OF)]
    plain = [r.tmdb_id for r in by_score]
    # By score alone the top is the other Potter films; re-ranked, they make room for other
    # movies: fewer of them in the list, or the same ones pushed further down it...
    assert potter(catalog, plain) >= 5, [catalog.movie(i).title for i in plain]  # type: ignore[union-attr]
    assert 1 <= potter(catalog, served) <= potter(catalog, plain)

    def potter_ranks(ids: list[int]) -> list[int]:
        return [n for n, i in enumerate(ids) if potter(catalog, [i])]

    # (same count, each Potter film at least as far down, one strictly further)
    if potter(catalog, served) == potter(catalog, plain):
        lower = list(zip(potter_ranks(served), potter_ranks(plain), strict=True))
        assert all(s >= p for s, p in lower) and any(s > p for s, p in lower), (served, plain)
    # ...the list is less alike (content cosine)...
    matrix = engine.model.content.matrix
    cols = [engine.model.columns(ids)[0] for ids in (plain, served)]
    plain_ils, served_ils = intra_list_similarity(matrix, np.array(cols))
    assert served_ils < plain_ils
    # ...and what replaced them scored close: a perfect copy costs the weight times the range of the best SPREAD_OF.
    assert min(relevance.values()) >= by_score[-1].score - DIVERSITY_WEIGHT * (max(pool) - min(pool))
    # The scores shown are the re-ranked values, best first.
    scores = [r.score for r in engine.recommend(POTTER_FAN, k=10)]
    assert scores == sorted(scores, reverse=True)


def test_mmr_takes_a_close_alternative_over_a_copy() -> None:
    scores = np.array([3.0, 2.95, 2.9], dtype=np.float32)
    similarity = np.array([[1.0, 0.95, 0.1], [0.95, 1.0, 0.1], [0.1, 0.1, 1.0]], dtype=np.float32)
    order, values = mmr(scores, similarity, 3, weight=0.9)
    assert order.tolist() == [0, 2, 1]
    assert values.tolist() == sorted(values.tolist(), reverse=True)
    # Far apart in score, the copy still wins: a copy costs at most the weight times the range.
    order, _ = mmr(np.array([3.0, 2.9, 1.0], dtype=np.float32), similarity, 2, weight=0.9)
    assert order.tolist() == [0, 1]
    assert mmr(scores, similarity, 3, weight=0.0)[0].tolist() == [0, 1, 2]


def test_a_shorter_list_is_the_prefix_of_a_longer_one(engine: RecommenderEngine) -> None:
    # A client asking first: 5 then first: 20 (or served a precomputed list in parts) sees one top.
    lists = {k: [r.tmdb_id for r in engine.recommend(POTTER_FAN, k=k)] for k in (5, 10, 20, 50, 100)}
    for k, ids in lists.items():
        assert ids == lists[100][:k], k
