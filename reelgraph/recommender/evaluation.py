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
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from reelgraph.integrations.offline_catalog import OfflineCatalog
from reelgraph.recommender.collaborative import EASE, ItemKNN, MostPop
from reelgraph.recommender.content import ContentModel
from reelgraph.recommender.hybrid import DEFAULT_CONFIG, HybridConfig, Strategy, component_rows
from reelgraph.recommender.metrics import METRICS, ranking_metrics, summarise, top_columns
from reelgraph.recommender.model import RecommenderModel
from reelgraph.recommender.movielens import RatingsTable, build_content
from reelgraph.recommender.scoring import score_batch
from reelgraph.recommender.splitting import (
    COLD_START_FOLDS,
    COLD_START_RATINGS,
    Fold,
    make_fold,
    split_ratings,
    user_folds,
)
from reelgraph.recommender.training import fit_model

DEFAULT_SEEDS = (42, 43, 44, 45, 46)
STRATEGY_METHODS = tuple(s.value for s in Strategy)
BASELINE_METHODS = ("MostPop", "ItemKNN", "EASE500")
DEFAULT_METHODS = (*STRATEGY_METHODS, *BASELINE_METHODS)
COLD_METHODS = ("HYBRID", "COLLABORATIVE", "CONTENT", "MostPop")


class Scorer:
    """Scores every method on a fold, sharing the fitted models between strategies."""

    def __init__(self, fold: Fold, content: ContentModel, config: HybridConfig) -> None:
        self.fold = fold
        self.config = config
        self.content = content.subset(fold.item_ids)
        self.timings: dict[str, float] = {}
        self._model: RecommenderModel | None = None

    def model(self) -> RecommenderModel:
        if self._model is None:
            started = time.perf_counter()
            self._model = fit_model(self.fold.train, self.fold.item_ids, self.content, self.config)
            self.timings["model"] = time.perf_counter() - started
        return self._model

    def scores(self, methods: Sequence[str]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        fold = self.fold
        binary = fold.inputs.copy()
        binary.data = np.ones_like(binary.data)
        strategies = [Strategy(m) for m in methods if m in STRATEGY_METHODS]
        if strategies:
            model = self.model()
            started = time.perf_counter()
            collab_rows, content_rows = component_rows(fold.inputs, self.config)
            for strategy, scores in score_batch(model, collab_rows, content_rows, strategies).items():
                out[strategy.value] = scores
            self.timings["score_strategies"] = time.perf_counter() - started
        baselines: dict[str, Callable[[], np.ndarray]] = {
            "MostPop": lambda: MostPop().fit(fold.train).scores(binary),
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
    scores: Mapping[str, np.ndarray], fold: Fold
) -> dict[str, tuple[dict[str, np.ndarray], np.ndarray]]:
    result = {}
    for method, matrix in scores.items():
        top = top_columns(matrix, fold.inputs)
        result[method] = (ranking_metrics(top, fold.relevant, fold.n_relevant), fold.item_ids[top[:, :10]])
    return result


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
                    mean, sd = self.mean_sd(scenario, method, metric)
                    cells.append(f"{mean:.4f} ± {sd:.4f}")
                users = self.mean_sd(scenario, method, "users")[0]
                lines.append(f"| {method} | " + " | ".join(cells) + f" | {users:.0f} |")
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
) -> EvaluationReport:
    content = content or build_content(catalog, table)
    report = EvaluationReport(tuple(seeds))
    for seed in seeds:
        started = time.perf_counter()
        test, order = split_ratings(table, seed)
        train_rows, test_rows = np.flatnonzero(~test), np.flatnonzero(test)
        fold = make_fold(table, train_rows, train_rows, test_rows)
        assert fold is not None
        scorer = Scorer(fold, content, config)
        evaluated = _evaluate_fold(scorer.scores(methods), fold)
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
