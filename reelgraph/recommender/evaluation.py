"""Offline evaluation on MovieLens-format ratings, with the protocol of the research anchors.

Protocol (``evaluate``; data in ``movielens``, splits in ``splitting``, metrics in ``metrics``),
per seed:

* ratings are mapped to TMDb ids with ``links.csv`` (unlinked movies dropped; a user's duplicate
  TMDb id keeps the latest rating) and ordered by (user, TMDb id);
* one ``numpy.random.default_rng(seed)`` walks the users in ascending id order and permutes each
  user's ratings; the first ``round(0.2 n)`` (at least 1) are the test set, the rest train;
* every train rating is an interaction (models see them all; EASE baselines see them as 1s);
* relevant = test rating >= 4; users with no relevant test item are not evaluated;
* each user's list ranks every item that has a train interaction, except the user's own;
* P@10, R@20 (hits / relevant), nDCG@10 (binary gain, log2 discount, ideal = min(relevant, 10)
  hits), MAP@10 (sum of precision at hits / min(relevant, 10)), HR@10 and catalog coverage@10
  (distinct items in all top-10 lists / items ranked), mean and sd over seeds.

"Users with only 3 ratings": each evaluated user keeps the first 3 of their shuffled train
ratings. Users are split into 5 folds (``default_rng([seed, 3])``); the models of a fold train on
everyone else's full train ratings plus the fold's 3-rating users, so no user's discarded ratings
help their own list. Test sets are unchanged.

The community prior is the training split itself here (never the shipped file, which contains the
test ratings). Popularity is counted on the training split (the catalog's popularity is derived
from all MovieLens ratings, so it is not used). Item content comes from the bundled catalog.

``tuning.tune`` chooses the hybrid weights on validation splits carved out of each seed's training data
(``default_rng(seed + TUNE_SEED_OFFSET)``), never reading the test split.

Temporal protocol (``--protocol temporal``; ``splitting.temporal_split`` and ``temporal_buckets``),
deterministic, no seed. Why not a global time split: on ml-latest-small most users rate in one
session (median span 78 minutes), so a cut at the 80th time percentile leaves 28 users rated on
both sides. Instead:

* each user's latest ``round(0.2 n)`` (>= 1) ratings by timestamp (ties by TMDb id) are test;
* users whose test starts before 20% of all ratings exist are not evaluated; the rest are cut into
  10 chronological buckets by their test start; a bucket's models (EASE, content, popularity and
  every baseline) train on every rating strictly older than the bucket's earliest test start,
  anyone's, so nothing at or after any of its test ratings is ever trained on;
* inputs are the users' own train ratings; the ones on movies the models never saw (newer than the
  cutoff) and relevant test movies the models never saw count as missed, as above;
* cold slice (users with <= 5 train ratings): each user keeps their 5 latest train ratings as
  input, and their other ratings leave the bucket's training data;
* baselines computed on the same buckets: MostPop, RecencyPop (MostPop with each interaction
  weighted by ``time_decay.decay`` from the newest training rating, the configuration's popularity
  half-life) and EASE(500) on binary rows.

``tuning.tune_time`` chooses the half-lives and blend weights on the temporal protocol run again
over the training side (each user's latest 20% dropped first). NEXT and HYBRID_NEXT measure the
"what people watch next" component (``transitions``); they are not served.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from reelgraph.integrations.offline_catalog import OfflineCatalog
from reelgraph.recommender.collaborative import EASE, ItemKNN, MostPop
from reelgraph.recommender.content import ContentModel
from reelgraph.recommender.diversity import DIVERSITY_WEIGHT, intra_list_similarity, rerank_scores
from reelgraph.recommender.hybrid import (
    DEFAULT_CONFIG,
    HybridConfig,
    Strategy,
    component_rows,
    standardize,
    training_values,
)
from reelgraph.recommender.metrics import LIST_LENGTH, METRICS, ranking_metrics, summarise, top_columns
from reelgraph.recommender.model import RecommenderModel
from reelgraph.recommender.movielens import RatingsTable, build_content
from reelgraph.recommender.scoring import score_batch
from reelgraph.recommender.splitting import (
    COLD_SLICE_RATINGS,
    COLD_START_FOLDS,
    COLD_START_RATINGS,
    Fold,
    make_fold,
    split_ratings,
    temporal_buckets,
    temporal_split,
    user_folds,
)
from reelgraph.recommender.time_decay import decay_matrix, decayed_rows, recency_counts
from reelgraph.recommender.training import fit_model
from reelgraph.recommender.transitions import fit_transitions, next_scores, recency_rank_weights

DEFAULT_SEEDS = (42, 43, 44, 45, 46)
STRATEGY_METHODS = tuple(s.value for s in Strategy)
BASELINE_METHODS = ("MostPop", "RecencyPop", "ItemKNN", "EASE500")
# Measured beside the served strategies: the transition component alone and added to HYBRID.
NEXT_METHODS = ("NEXT", "HYBRID_NEXT")
NEXT_WEIGHT = 0.5  # z-score weight of the transition component in HYBRID_NEXT
# HYBRID_MMR: HYBRID re-ranked for diversity, as served (recommend's MMR, diversity.DIVERSITY_WEIGHT).
DIVERSE_METHOD = "HYBRID_MMR"
DEFAULT_METHODS = (*STRATEGY_METHODS, DIVERSE_METHOD, *BASELINE_METHODS)
SERVED_NOTE = (
    f"{DIVERSE_METHOD} is the list the API serves (HYBRID re-ranked for diversity, weight "
    f"{DIVERSITY_WEIGHT}); HYBRID is the same scores before the re-rank."
)
COLD_METHODS = ("HYBRID", "COLLABORATIVE", "CONTENT", "MostPop", "RecencyPop")
PROTOCOLS = ("random", "temporal", "both")
# RecencyPop's half-life when the configuration has none (the one chosen for HYBRID otherwise).
RECENCY_POP_HALF_LIFE_DAYS = 30.0


class Scorer:
    """Scores every method on a fold, sharing the fitted models between strategies."""

    def __init__(self, fold: Fold, content: ContentModel, config: HybridConfig) -> None:
        self.fold = fold
        self.config = config
        self.content = content.subset(fold.item_ids)
        self.timings: dict[str, float] = {}
        self.next_weight = NEXT_WEIGHT
        self._model: RecommenderModel | None = None

    def model(self) -> RecommenderModel:
        if self._model is None:
            started = time.perf_counter()
            fold, config = self.fold, self.config
            train = fold.train
            if fold.train_ratings is not None:
                train = training_values(fold.train_ratings, train, config.train_rating_scale)
            if config.train_half_life_days is not None and fold.train_ages is not None:
                train = decayed_rows(train, decay_matrix(fold.train_ages, config.train_half_life_days))
            counts = None
            if config.popularity_half_life_days is not None and len(fold.train_times):
                counts = self.recency_counts(config.popularity_half_life_days)
            self._model = fit_model(train, fold.item_ids, self.content, config, popularity_counts=counts)
            self.timings["model"] = time.perf_counter() - started
        return self._model

    def recency_counts(self, half_life_days: float) -> np.ndarray:
        fold = self.fold
        return recency_counts(fold.train_item_cols, fold.train_times, len(fold.item_ids), half_life_days)

    def input_rows(self) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        """The evaluated users' collaborative and content rows, time-decayed if configured."""
        collab_rows, content_rows = component_rows(self.fold.inputs, self.config)
        half_life = self.config.profile_half_life_days
        if half_life is not None and self.fold.input_ages is not None:
            weights = decay_matrix(self.fold.input_ages, half_life)
            collab_rows, content_rows = (
                decayed_rows(collab_rows, weights),
                decayed_rows(content_rows, weights),
            )
        return collab_rows, content_rows

    def scores(self, methods: Sequence[str]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        fold = self.fold
        binary = fold.inputs.copy()
        binary.data = np.ones_like(binary.data)
        strategies = [Strategy(m) for m in methods if m in STRATEGY_METHODS]
        if strategies:
            model = self.model()
            started = time.perf_counter()
            collab_rows, content_rows = self.input_rows()
            for strategy, scores in score_batch(model, collab_rows, content_rows, strategies).items():
                out[strategy.value] = scores
            self.timings["score_strategies"] = time.perf_counter() - started
        if any(m in NEXT_METHODS for m in methods) and fold.input_ages is not None:
            transitions = fit_transitions(
                fold.train_user_rows, fold.train_item_cols, fold.train_times, len(fold.item_ids)
            )
            z_next = standardize(next_scores(transitions, recency_rank_weights(fold.input_ages)))
            if "NEXT" in methods:
                out["NEXT"] = z_next
            if "HYBRID_NEXT" in methods:
                hybrid = out.get("HYBRID")
                if hybrid is None:
                    hybrid = self.scores(["HYBRID"])["HYBRID"]
                out["HYBRID_NEXT"] = hybrid + self.next_weight * z_next
        if DIVERSE_METHOD in methods:
            hybrid = out.get("HYBRID")
            if hybrid is None:
                hybrid = self.scores(["HYBRID"])["HYBRID"]
            # The whole scored list (top 20, R@20 too) is the served one: MMR picks 20, as for
            # `recommendations(first: 20)`, and its first 10 are the same as when it picks 10.
            out[DIVERSE_METHOD] = rerank_scores(
                hybrid, self.content.matrix, fold.inputs, LIST_LENGTH, DIVERSITY_WEIGHT
            )
        recency_half_life = self.config.popularity_half_life_days or RECENCY_POP_HALF_LIFE_DAYS
        baselines: dict[str, Callable[[], np.ndarray]] = {
            "MostPop": lambda: MostPop().fit(fold.train).scores(binary),
            "RecencyPop": lambda: np.broadcast_to(
                self.recency_counts(recency_half_life), binary.shape
            ).copy(),
            "ItemKNN": lambda: ItemKNN(50).fit(fold.train).scores(binary),
            "EASE500": lambda: EASE(500.0).fit(fold.train).scores(binary),
        }
        for method in methods:
            if method in baselines:
                started = time.perf_counter()
                out[method] = baselines[method]()
                self.timings[method] = time.perf_counter() - started
        return out


def _evaluate_fold(
    scores: Mapping[str, np.ndarray], fold: Fold, item_vectors: sp.csr_matrix | None = None
) -> dict[str, tuple[dict[str, np.ndarray], np.ndarray]]:
    result = {}
    for method, matrix in scores.items():
        top = top_columns(matrix, fold.inputs)
        metrics = ranking_metrics(top, fold.relevant, fold.n_relevant)
        if item_vectors is not None:  # diversity: mean pairwise content cosine of each top 10
            metrics["ILS@10"] = intra_list_similarity(item_vectors, top[:, :10])
        result[method] = (metrics, fold.item_ids[top[:, :10]])
    return result


TEMPORAL = "temporal"
TEMPORAL_COLD = f"temporal-cold{COLD_SLICE_RATINGS}"
TEMPORAL_TITLES = {
    TEMPORAL: "Temporal: each user's latest 20% by time, models trained on the past only",
    TEMPORAL_COLD: f"Temporal, cold slice: users keep their {COLD_SLICE_RATINGS} latest train ratings",
}


@dataclass(slots=True)
class EvaluationReport:
    seeds: tuple[int, ...]
    # scenario -> method -> one metrics dict per seed
    results: dict[str, dict[str, list[dict[str, float]]]] = field(default_factory=dict)
    timings: dict[str, list[float]] = field(default_factory=dict)

    def add(self, scenario: str, method: str, metrics: dict[str, float]) -> None:
        self.results.setdefault(scenario, {}).setdefault(method, []).append(metrics)

    def mean_sd(self, scenario: str, method: str, metric: str) -> tuple[float, float]:
        values = np.array([r[metric] for r in self.results[scenario][method]])
        return float(values.mean()), float(values.std(ddof=1)) if len(values) > 1 else 0.0

    def markdown(self) -> str:
        lines: list[str] = []
        for scenario, methods in self.results.items():
            if scenario in TEMPORAL_TITLES:
                lines.append(f"### {TEMPORAL_TITLES[scenario]} (deterministic: no seed)")
            else:
                title = (
                    "All users (80/20 split per user)"
                    if scenario == "full"
                    else f"Users with only {scenario.removeprefix('cold')} ratings"
                )
                lines.append(f"### {title} (seeds {', '.join(map(str, self.seeds))})")
            lines.append("")
            lines.append("| method | " + " | ".join(METRICS) + " | users |")
            lines.append("| --- | " + " | ".join("---" for _ in METRICS) + " | --- |")
            for method in methods:
                cells = []
                for metric in METRICS:
                    if metric not in self.results[scenario][method][0]:  # ILS@10: random protocol only
                        cells.append("-")
                        continue
                    mean, sd = self.mean_sd(scenario, method, metric)
                    cells.append(f"{mean:.4f} ± {sd:.4f}")
                users = self.mean_sd(scenario, method, "users")[0]
                lines.append(f"| {method} | " + " | ".join(cells) + f" | {users:.0f} |")
            lines.append("")
            if DIVERSE_METHOD in methods:
                lines.append(SERVED_NOTE)
                lines.append("")
        if self.timings:
            lines.append(
                "Mean seconds per seed: "
                + ", ".join(f"{name} {np.mean(values):.2f}" for name, values in sorted(self.timings.items()))
            )
            lines.append("")
        return "\n".join(lines)


def evaluate(
    table: RatingsTable,
    catalog: OfflineCatalog,
    seeds: Sequence[int] = DEFAULT_SEEDS,
    methods: Sequence[str] = DEFAULT_METHODS,
    config: HybridConfig = DEFAULT_CONFIG,
    cold_start: bool = True,
    content: ContentModel | None = None,
    log: Callable[[str], None] | None = None,
    cold_start_ratings: Sequence[int] = (COLD_START_RATINGS,),
    protocol: str = "random",
) -> EvaluationReport:
    """Scores ``methods`` under the random protocol (per seed), the temporal one, or both."""
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown protocol {protocol!r}; choose from {', '.join(PROTOCOLS)}")
    content = content or build_content(catalog, table)
    report = EvaluationReport(tuple(seeds))
    if protocol in ("temporal", "both"):
        evaluate_temporal(table, content, methods, config, report, cold_start=cold_start, log=log)
    for seed in seeds if protocol in ("random", "both") else ():
        started = time.perf_counter()
        test, order = split_ratings(table, seed)
        train_rows, test_rows = np.flatnonzero(~test), np.flatnonzero(test)
        fold = make_fold(table, train_rows, train_rows, test_rows)
        assert fold is not None
        scorer = Scorer(fold, content, config)
        evaluated = _evaluate_fold(scorer.scores(methods), fold, scorer.content.matrix)
        for method, (metrics, top_list) in evaluated.items():
            report.add("full", method, summarise([metrics], [top_list], len(fold.item_ids)))
        for name, seconds in scorer.timings.items():
            report.timings.setdefault(name, []).append(seconds)
        for kept_ratings in cold_start_ratings if cold_start else ():
            cold_methods = [m for m in COLD_METHODS if m in methods or m == "MostPop"]
            per_method = _cold_start(table, test, order, seed, content, config, cold_methods, kept_ratings)
            for method, (per_user, lists, n_items) in per_method.items():
                report.add(f"cold{kept_ratings}", method, summarise(per_user, lists, n_items))
        if log:
            full = report.results["full"]
            summary = ", ".join(f"{m} {full[m][-1]['nDCG@10']:.4f}" for m in full)
            log(f"seed {seed}: nDCG@10 {summary} ({time.perf_counter() - started:.1f}s)")
    return report


def _cold_start(
    table: RatingsTable,
    test: np.ndarray,
    order: np.ndarray,
    seed: int,
    content: ContentModel,
    config: HybridConfig,
    methods: Sequence[str],
    kept_ratings: int = COLD_START_RATINGS,
) -> dict[str, tuple[list[dict[str, np.ndarray]], list[np.ndarray], int]]:
    """Each user keeps ``kept_ratings`` train ratings; models train without the rest (see module doc)."""
    users = np.unique(table.users)
    user_fold = user_folds(table, seed)
    test_rows = np.flatnonzero(test)
    # Users with fewer train ratings than that are left out of the scenario.
    train_counts = np.bincount(np.searchsorted(users, table.users[~test]), minlength=len(users))
    enough = (train_counts >= kept_ratings)[np.searchsorted(users, table.users)]
    kept = (~test) & (order < kept_ratings) & enough
    out: dict[str, tuple[list[dict[str, np.ndarray]], list[np.ndarray], int]] = {
        m: ([], [], 0) for m in methods
    }
    all_items = len(np.unique(table.movies[~test]))
    for f in range(COLD_START_FOLDS):
        in_fold = user_fold == f
        train_rows = np.flatnonzero((~test & ~in_fold) | (kept & in_fold))
        input_rows = np.flatnonzero(kept & in_fold)
        fold = make_fold(table, train_rows, input_rows, test_rows[(in_fold & enough)[test_rows]])
        if fold is None:
            continue
        scores = Scorer(fold, content, config).scores(methods)
        for method, (metrics, top_list) in _evaluate_fold(scores, fold).items():
            out[method][0].append(metrics)
            out[method][1].append(top_list)
    return {m: (p, lst, all_items) for m, (p, lst, _) in out.items() if p}


def evaluate_temporal(
    table: RatingsTable,
    content: ContentModel,
    methods: Sequence[str],
    config: HybridConfig,
    report: EvaluationReport,
    *,
    cold_start: bool = True,
    log: Callable[[str], None] | None = None,
) -> None:
    """The temporal protocol (``splitting.temporal_buckets``) into ``report``'s temporal scenarios."""
    started = time.perf_counter()
    test, recency = temporal_split(table)
    slices: list[tuple[str, Sequence[str], int | None]] = [(TEMPORAL, methods, None)]
    if cold_start:
        cold_methods = [m for m in COLD_METHODS if m in methods or m in ("MostPop", "RecencyPop")]
        slices.append((TEMPORAL_COLD, cold_methods, COLD_SLICE_RATINGS))
    for scenario, slice_methods, kept in slices:
        per_method: dict[str, tuple[list[dict[str, np.ndarray]], list[np.ndarray]]] = {}
        n_items = 0
        for bucket in temporal_buckets(table, test, recency, kept_ratings=kept):
            fold = make_fold(table, bucket.train_rows, bucket.input_rows, bucket.test_rows)
            if fold is None:
                continue
            n_items = max(n_items, len(fold.item_ids))
            scores = Scorer(fold, content, config).scores(slice_methods)
            for method, (metrics, top_list) in _evaluate_fold(scores, fold).items():
                per_user, lists = per_method.setdefault(method, ([], []))
                per_user.append(metrics)
                lists.append(top_list)
        for method, (per_user, lists) in per_method.items():
            report.add(scenario, method, summarise(per_user, lists, n_items))
    if log and TEMPORAL in report.results:
        temporal = report.results[TEMPORAL]
        summary = ", ".join(f"{m} {temporal[m][-1]['nDCG@10']:.4f}" for m in temporal)
        log(f"temporal: nDCG@10 {summary} ({time.perf_counter() - started:.1f}s)")
