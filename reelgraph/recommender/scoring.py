"""Ranking movies with a trained model: one viewer's recommendations, similar items, batches.

One viewer's recommendations are a handful of sparse/dense vector products over ~10,000 items: no
Python loop over items. The best candidates are then re-ranked for diversity (``diversity``) and
explained (``explain``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp

from reelgraph.recommender.collaborative import single_thread_blas
from reelgraph.recommender.diversity import DIVERSITY_WEIGHT, CandidateSimilarity, mmr, pool_size
from reelgraph.recommender.explain import Components, Reason, explain_top
from reelgraph.recommender.hybrid import Strategy, blend
from reelgraph.recommender.model import RecommenderModel
from reelgraph.recommender.profile import Preferences, UserProfile

# similar_items: collaborative and content neighbours, each scaled to its best one (chosen by
# inspection of well-known movies, not tuned offline); popularity only separates near-ties.
SIMILAR_COLLAB_WEIGHT = 1.0
SIMILAR_CONTENT_WEIGHT = 1.0
SIMILAR_POPULARITY_WEIGHT = 0.02
# Viewers with no positive item but favourite genres: popular movies in those genres first.
COLD_GENRE_BOOST = 3.0

CandidateFilter = Callable[[int], bool] | Collection[int]


@dataclass(frozen=True, slots=True)
class Recommendation:
    tmdb_id: int
    score: float
    reasons: tuple[Reason, ...] = ()


def score_batch(
    model: RecommenderModel,
    collab_rows: sp.csr_matrix,
    content_rows: sp.csr_matrix,
    strategies: Sequence[Strategy],
) -> dict[Strategy, np.ndarray]:
    """Scores of many users at once (offline evaluation); no preferences, no exclusions."""
    collab, content = model.ease.scores(collab_rows), model.content.batch_scores(content_rows)
    n_items = np.diff(sp.csr_matrix(collab_rows > 0).indptr)
    return {s: blend(s, collab, content, model.popularity, n_items, model.config) for s in strategies}


def recommend(
    model: RecommenderModel,
    profile: UserProfile,
    k: int = 20,
    strategy: Strategy = Strategy.HYBRID,
    exclude_ids: Iterable[int] = (),
    candidate_filter: CandidateFilter | None = None,
) -> list[Recommendation]:
    """The ``k`` best movies for the viewer, best first, each with a score and reasons."""
    with single_thread_blas:  # one viewer's products are small (see SingleThreadBlas)
        return _recommend(model, profile, k, Strategy(strategy), exclude_ids, candidate_filter)


def _recommend(
    model: RecommenderModel,
    profile: UserProfile,
    k: int,
    strategy: Strategy,
    exclude_ids: Iterable[int],
    candidate_filter: CandidateFilter | None,
) -> list[Recommendation]:
    prefs = profile.preferences
    vectors = model.user_vectors(profile)
    n_all = len(model.item_ids)
    # Only the components the strategy blends are computed (POPULAR needs neither).
    collab = np.zeros((1, n_all), dtype=np.float32)
    if strategy in (Strategy.HYBRID, Strategy.COLLABORATIVE) and len(vectors.collab_cols):
        collab = model.ease.scores(model.row(vectors.collab_cols, vectors.collab_weights))
    # The content score is the part the viewer's movies give plus the part stated favourites give;
    # explanations take the movies' part apart, so the two are kept separate.
    content_movies: np.ndarray = np.zeros(n_all, dtype=np.float32)
    if strategy in (Strategy.HYBRID, Strategy.CONTENT) and len(vectors.content_cols):
        content_movies = model.content.scores(
            model.content.profile(vectors.content_cols, vectors.content_weights)
        )

    excluded = np.zeros(n_all, dtype=bool)
    excluded[vectors.exclude_cols] = True
    extra_cols, extra_found = model.columns(int(i) for i in exclude_ids)
    excluded[extra_cols[extra_found]] = True
    if candidate_filter is not None and not callable(candidate_filter):
        excluded |= ~np.isin(model.item_ids, np.fromiter(candidate_filter, dtype=np.int64))
    accept = candidate_filter if callable(candidate_filter) else None

    def ranked_list(
        stated: Preferences,
    ) -> tuple[FinalScores, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The list for the viewer with these stated preferences: scorer, content part, scores, picks."""
        final = FinalScores(model, strategy, stated)
        content_stated = _stated_content(model, strategy, stated)
        content = (content_movies + content_stated)[None, :]
        scores = final(collab, content, np.array([vectors.n_items]))[0]
        ranked = np.where(excluded, -np.inf, scores)
        # The diversity re-rank picks from the best candidates.
        pool = top_k(ranked, model.item_ids, pool_size(k), accept)
        if not len(pool) or k <= 0:
            return final, content_stated, scores, pool[:0], np.zeros(0, dtype=np.float32)
        similarity = CandidateSimilarity(model.content.matrix, pool)
        order, values = mmr(ranked[pool], similarity, k, DIVERSITY_WEIGHT)
        return final, content_stated, scores, pool[order], values

    final, content_stated, scores, top, values = ranked_list(prefs)
    if not len(top):
        return []
    # Which movies a stated preference moved into the list: those missing from the list the same
    # viewer gets without it (each kind of preference on its own), with what it added to the score.
    moved_in: dict[str, dict[int, float]] = {}
    if strategy is not Strategy.COLLABORATIVE:
        for kind, stated in (
            ("genre", replace(prefs, favorite_genres=())),
            ("person", replace(prefs, favorite_people=())),
        ):
            if stated != prefs:
                _, _, plain_scores, plain_top, _ = ranked_list(stated)
                new = set(top.tolist()) - set(plain_top.tolist())
                moved_in[kind] = {c: float(scores[c] - plain_scores[c]) for c in new}
    reasons = explain_top(
        model,
        strategy,
        vectors,
        Components(collab[0], content_movies, content_stated, scores),
        top,
        moved_in,
        final,
    )
    return [
        Recommendation(int(model.item_ids[c]), float(v), reasons[n])
        for n, (c, v) in enumerate(zip(top, values, strict=True))
    ]


def _stated_content(model: RecommenderModel, strategy: Strategy, prefs: Preferences) -> np.ndarray:
    """What stated favourite genres and people add to the content score of every movie."""
    if strategy not in (Strategy.HYBRID, Strategy.CONTENT) or not (
        prefs.favorite_genres or prefs.favorite_people
    ):
        return np.zeros(len(model.item_ids), dtype=np.float32)
    empty = np.zeros(0, dtype=np.int64)
    profile = model.content.profile(
        empty, empty.astype(np.float32), prefs.favorite_genres, prefs.favorite_people
    )
    return model.content.scores(profile)


class FinalScores:
    """A viewer's final scores from their component rows: the blend, then stated preferences.

    Called once for the viewer and again, by the explanations, for the same viewer with one movie
    left out (several rows at once, each with its own number of profile movies).
    """

    def __init__(self, model: RecommenderModel, strategy: Strategy, prefs: Preferences) -> None:
        self.model = model
        self.strategy = strategy
        self.prefs = prefs
        n_all = len(model.item_ids)
        config = model.config
        self.genre_match: np.ndarray = np.zeros(n_all, dtype=np.float32)
        self.person_boost: np.ndarray = np.zeros(n_all, dtype=np.float32)
        self.penalty: np.ndarray = np.zeros(n_all, dtype=np.float32)
        # Stated preferences shape every strategy but the purely collaborative one.
        if strategy is not Strategy.COLLABORATIVE:
            if prefs.favorite_genres:
                self.genre_match = model.genre_match(prefs.favorite_genres)
            if prefs.favorite_people:
                self.person_boost = config.favorite_person_boost * model.person_match(prefs.favorite_people)
        if prefs.disliked_genres:
            self.penalty = config.disliked_genre_penalty * model.genre_match(prefs.disliked_genres)

    def genre_boost(self, n_items: int) -> np.ndarray:
        config = self.model.config
        boost: np.ndarray = (
            COLD_GENRE_BOOST if n_items == 0 else config.favorite_genre_boost
        ) * self.genre_match
        return boost

    def extras(self, n_items: int) -> np.ndarray:
        """What stated preferences add to the blend for a viewer with ``n_items`` profile movies."""
        extra: np.ndarray = self.genre_boost(n_items) + self.person_boost - self.penalty
        return extra

    def __call__(self, collab: np.ndarray, content: np.ndarray, n_items: np.ndarray) -> np.ndarray:
        model = self.model
        out = blend(self.strategy, collab, content, model.popularity, n_items, model.config)
        for row, n in enumerate(n_items.tolist()):
            out[row] += self.extras(int(n))
        return out


def similar_items(model: RecommenderModel, tmdb_id: int, k: int = 20) -> list[Recommendation]:
    """Item-item neighbours of a movie (collaborative + content), best first, without reasons."""
    with single_thread_blas:
        return _similar_items(model, tmdb_id, k)


def _similar_items(model: RecommenderModel, tmdb_id: int, k: int) -> list[Recommendation]:
    cols, found = model.columns([tmdb_id])
    if not found[0]:
        return []
    col = int(cols[0])
    # Each component is scaled by its best neighbour: EASE rows are heavy-tailed, so z-scores
    # would let them drown the content neighbours (sequels, same director, same themes).
    content = model.content.neighbours(col)
    content[col] = 0.0
    scores = SIMILAR_CONTENT_WEIGHT * content / max(float(content.max()), 1e-6)
    if model.counts[col] > 0:
        collab = model.ease.item_rows(np.array([col]))[0]
        collab[col] = 0.0
        scores = scores + SIMILAR_COLLAB_WEIGHT * collab / max(float(collab.max()), 1e-6)
    scores = scores + SIMILAR_POPULARITY_WEIGHT * model.popularity
    scores[col] = -np.inf
    top = top_k(scores, model.item_ids, k, None)
    return [Recommendation(int(model.item_ids[c]), float(scores[c])) for c in top]


def top_k(
    scores: np.ndarray, item_ids: np.ndarray, k: int, accept: Callable[[int], bool] | None
) -> np.ndarray:
    """Columns of the ``k`` best finite scores, best first; ``accept`` is asked lazily, in order."""
    finite = int(np.count_nonzero(np.isfinite(scores)))
    if k <= 0 or finite == 0:
        return np.zeros(0, dtype=np.int64)
    # A filter may reject many: widen the partition geometrically instead of sorting everything.
    want = min(finite, k if accept is None else 4 * k)
    chosen: list[int] = []
    done = 0
    while True:
        part = np.argpartition(-scores, want - 1)[:want] if want < len(scores) else np.arange(len(scores))
        ranked: np.ndarray = part[np.argsort(-scores[part], kind="stable")]
        ranked = ranked[np.isfinite(scores[ranked])]
        if accept is None:
            return ranked[:k]
        for col in ranked[done:]:
            if accept(int(item_ids[col])):
                chosen.append(int(col))
                if len(chosen) == k:
                    return np.array(chosen, dtype=np.int64)
        done = len(ranked)
        if want >= finite:
            return np.array(chosen, dtype=np.int64)
        want = min(finite, want * 4)
