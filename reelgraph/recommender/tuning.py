"""``reelgraph recs tune``: choose the hybrid weights on validation splits, never the test split.

For each seed the test split is dropped first; the remaining training ratings are split again
with the same protocol (``default_rng(seed + TUNE_SEED_OFFSET)``) into inner-train and
validation, and the grid of ``hybrid`` (EASE lambda, content and popularity weights) is scored by
nDCG@10 on the validation users, then the rating-to-weight tables at the chosen weights.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar

import numpy as np

from reelgraph.integrations.offline_catalog import OfflineCatalog
from reelgraph.recommender.collaborative import MostPop
from reelgraph.recommender.content import ContentModel
from reelgraph.recommender.evaluation import (
    DEFAULT_SEEDS,
    TEMPORAL,
    TEMPORAL_COLD,
    EvaluationReport,
    evaluate_temporal,
)
from reelgraph.recommender.hybrid import (
    COLLAB_RATING_WEIGHTS,
    CONTENT_RATING_WEIGHTS,
    DEFAULT_CONFIG,
    GRID_CONTENT,
    GRID_EASE_LAMBDA,
    GRID_POPULARITY,
    RATING_KNOTS,
    WARM_MIN_ITEMS,
    HybridConfig,
    HybridWeights,
    Strategy,
    blend_standardized,
    component_rows,
    standardize,
    weighted_rows,
)
from reelgraph.recommender.metrics import ranking_metrics, top_columns
from reelgraph.recommender.movielens import RatingsTable, build_content
from reelgraph.recommender.splitting import (
    COLD_START_FOLDS,
    COLD_START_RATINGS,
    Fold,
    make_fold,
    split_ratings,
    temporal_split,
    user_folds,
)
from reelgraph.recommender.training import fit_model

TUNE_SEED_OFFSET = 10_000
TUNE_TIE = 0.0005  # nDCG@10 differences below this are treated as ties when choosing weights

BINARY_RATING_WEIGHTS = (1.0,) * len(RATING_KNOTS)
# Rating-to-weight tables compared at the chosen weights: (name, collaborative table, content table).
RATING_TABLE_VARIANTS: tuple[tuple[str, tuple[float, ...], tuple[float, ...]], ...] = (
    ("binary / binary", BINARY_RATING_WEIGHTS, BINARY_RATING_WEIGHTS),
    ("graded / graded", COLLAB_RATING_WEIGHTS, COLLAB_RATING_WEIGHTS),
    ("graded / centred (chosen)", COLLAB_RATING_WEIGHTS, CONTENT_RATING_WEIGHTS),
)


@dataclass(slots=True)
class TuneReport:
    warm: dict[tuple[float, float, float], float]  # (lambda, content, popularity) -> nDCG@10
    cold: dict[tuple[float, float], float]  # (content, popularity) -> nDCG@10 at 3 ratings
    content_only: dict[float, float]  # CONTENT strategy: popularity weight -> nDCG@10
    rating_tables: dict[str, float]  # variant -> HYBRID nDCG@10 at the chosen weights
    mostpop_warm: float
    mostpop_cold: float
    best_lambda: float
    best_warm: HybridWeights
    best_cold: HybridWeights
    best_content_popularity: float

    def markdown(self) -> str:
        lines = ["#### All users: HYBRID nDCG@10 on validation (collaborative weight 1)", ""]
        for lam in sorted({k[0] for k in self.warm}):
            lines.append(f"EASE lambda = {lam:g} (rows: content weight, columns: popularity weight)")
            lines.append("")
            lines.extend(_grid_table({(c, p): v for (lm, c, p), v in self.warm.items() if lm == lam}))
            lines.append("")
        lines.append(
            f"#### Users with {COLD_START_RATINGS} ratings: HYBRID nDCG@10 (lambda {self.best_lambda:g})"
        )
        lines.append("")
        lines.extend(_grid_table(self.cold))
        lines.append("")
        lines.append("#### CONTENT strategy: popularity weight (content weight 1)")
        lines.append("")
        lines.append("| popularity | " + " | ".join(f"{p:g}" for p in self.content_only) + " |")
        lines.append("| --- | " + " | ".join("---" for _ in self.content_only) + " |")
        lines.append("| nDCG@10 | " + " | ".join(f"{v:.4f}" for v in self.content_only.values()) + " |")
        lines.append("")
        lines.append("#### Rating-to-weight tables (collaborative / content), HYBRID at the chosen weights")
        lines.append("")
        lines.append("| tables | nDCG@10 |")
        lines.append("| --- | --- |")
        lines.extend(f"| {name} | {v:.4f} |" for name, v in self.rating_tables.items())
        lines.append("")
        lines.append(
            f"MostPop on the same validation splits: {self.mostpop_warm:.4f} (all users), "
            f"{self.mostpop_cold:.4f} ({COLD_START_RATINGS} ratings)"
        )
        lines.append("")
        lines.append(
            f"Chosen: EASE lambda {self.best_lambda:g}; warm {self.best_warm.as_dict()}; "
            f"cold {self.best_cold.as_dict()}; CONTENT popularity {self.best_content_popularity:g}"
        )
        return "\n".join(lines)


def _grid_table(values: Mapping[tuple[float, float], float]) -> list[str]:
    contents = sorted({k[0] for k in values})
    pops = sorted({k[1] for k in values})
    best = max(values.values())
    lines = ["| content \\ popularity | " + " | ".join(f"{p:g}" for p in pops) + " |"]
    lines.append("| --- | " + " | ".join("---" for _ in pops) + " |")
    for c in contents:
        cells = []
        for p in pops:
            v = values[(c, p)]
            cells.append(f"**{v:.4f}**" if v == best else f"{v:.4f}")
        lines.append(f"| {c:g} | " + " | ".join(cells) + " |")
    return lines


def _ndcg(fold: Fold, scores: np.ndarray) -> np.ndarray:
    return ranking_metrics(top_columns(scores, fold.inputs), fold.relevant, fold.n_relevant)["nDCG@10"]


def _mostpop_ndcg(fold: Fold) -> np.ndarray:
    return _ndcg(fold, MostPop().fit(fold.train).scores(fold.inputs))


def _hybrid_ndcg(
    fold: Fold, z_collab: np.ndarray, z_content: np.ndarray, popularity: np.ndarray, weights: HybridWeights
) -> np.ndarray:
    """nDCG@10 of one HYBRID blend with ``weights`` for every user (components standardised)."""
    config = HybridConfig(warm=weights, cold=weights)
    n_items = np.full(fold.inputs.shape[0], WARM_MIN_ITEMS)
    return _ndcg(fold, blend_standardized(Strategy.HYBRID, z_collab, z_content, popularity, n_items, config))


GridPoint = TypeVar("GridPoint", bound=tuple[float, ...])


def _best(values: Mapping[GridPoint, float], weights_from: int = 0) -> GridPoint:
    """The grid point to keep: scores within TUNE_TIE of the best are ties (the surface is a flat
    ridge), and among ties the smallest blend weights (``key[weights_from:]``) win, then the score."""
    top = max(values.values())
    ties = [k for k, v in values.items() if v >= top - TUNE_TIE]
    return min(ties, key=lambda k: (sum(k[weights_from:]), -values[k]))


def tune(
    table: RatingsTable,
    catalog: OfflineCatalog,
    seeds: Sequence[int] = DEFAULT_SEEDS,
    config: HybridConfig = DEFAULT_CONFIG,
    lambdas: Sequence[float] = GRID_EASE_LAMBDA,
    content_grid: Sequence[float] = GRID_CONTENT,
    popularity_grid: Sequence[float] = GRID_POPULARITY,
    content: ContentModel | None = None,
    log: Callable[[str], None] | None = None,
) -> TuneReport:
    """Grid-search the blend on validation splits of each seed's training data.

    For each seed the test split is dropped first; the remaining training ratings are split again
    with the same protocol (seed + TUNE_SEED_OFFSET) into inner-train and validation.
    """
    content = content or build_content(catalog, table)
    grid = list(itertools.product(content_grid, popularity_grid))
    warm: dict[tuple[float, float, float], list[np.ndarray]] = {}
    mostpop: dict[str, list[np.ndarray]] = {"warm": [], "cold": []}
    folds: list[tuple[Fold, np.ndarray]] = []  # (inner fold, standardised content scores) per seed
    inner_tables: list[tuple[RatingsTable, np.ndarray, np.ndarray, int]] = []
    for seed in seeds:
        test, _ = split_ratings(table, seed)
        inner = table.take(np.flatnonzero(~test))  # the test split is dropped here, never read
        inner_test, inner_order = split_ratings(inner, seed + TUNE_SEED_OFFSET)
        inner_tables.append((inner, inner_test, inner_order, seed))
        rows_train, rows_test = np.flatnonzero(~inner_test), np.flatnonzero(inner_test)
        fold = make_fold(inner, rows_train, rows_train, rows_test)
        assert fold is not None
        mostpop["warm"].append(_mostpop_ndcg(fold))
        item_content = content.subset(fold.item_ids)
        collab_rows, content_rows = component_rows(fold.inputs, config)
        cont = standardize(item_content.batch_scores(content_rows))
        folds.append((fold, cont))
        for lam in lambdas:
            model = fit_model(fold.train, fold.item_ids, item_content, replace(config, ease_lambda=lam))
            collab = standardize(model.ease.scores(collab_rows))
            for c, p in grid:
                weights = HybridWeights(1.0, c, p)
                warm.setdefault((lam, c, p), []).append(
                    _hybrid_ndcg(fold, collab, cont, model.popularity, weights)
                )
        if log:
            log(f"tune seed {seed}: all-users grid done")
    warm_mean = {k: float(np.concatenate(v).mean()) for k, v in warm.items()}
    best_lam, best_c, best_p = _best(warm_mean, weights_from=1)
    chosen = replace(config, ease_lambda=best_lam, warm=HybridWeights(1.0, best_c, best_p))

    # Second pass at the chosen lambda: the CONTENT strategy's popularity and the rating tables.
    content_only: dict[float, list[np.ndarray]] = {}
    tables: dict[str, list[np.ndarray]] = {}
    for fold, cont in folds:
        item_content = content.subset(fold.item_ids)
        model = fit_model(fold.train, fold.item_ids, item_content, chosen)
        for p in popularity_grid:
            config_p = replace(chosen, content_popularity=p)
            scores = blend_standardized(Strategy.CONTENT, cont, cont, model.popularity, np.zeros(0), config_p)
            content_only.setdefault(p, []).append(_ndcg(fold, scores))
        for name, collab_table, content_table in RATING_TABLE_VARIANTS:
            collab = standardize(model.ease.scores(weighted_rows(fold.inputs, collab_table)))
            variant_content = standardize(
                item_content.batch_scores(weighted_rows(fold.inputs, content_table))
            )
            tables.setdefault(name, []).append(
                _hybrid_ndcg(fold, collab, variant_content, model.popularity, chosen.warm)
            )
    content_mean = {p: float(np.concatenate(v).mean()) for p, v in content_only.items()}
    best_content_pop = _best({(p,): v for p, v in content_mean.items()})[0]

    cold: dict[tuple[float, float], list[np.ndarray]] = {}
    for inner, inner_test, inner_order, seed in inner_tables:
        user_fold = user_folds(inner, seed + TUNE_SEED_OFFSET)
        kept = (~inner_test) & (inner_order < COLD_START_RATINGS)
        for f in range(COLD_START_FOLDS):
            in_fold = user_fold == f
            train_rows = np.flatnonzero((~inner_test & ~in_fold) | (kept & in_fold))
            fold = make_fold(
                inner, train_rows, np.flatnonzero(kept & in_fold), np.flatnonzero(inner_test & in_fold)
            )
            if fold is None:
                continue
            mostpop["cold"].append(_mostpop_ndcg(fold))
            item_content = content.subset(fold.item_ids)
            model = fit_model(fold.train, fold.item_ids, item_content, chosen)
            collab_rows, content_rows = component_rows(fold.inputs, config)
            collab = standardize(model.ease.scores(collab_rows))
            cont = standardize(item_content.batch_scores(content_rows))
            for c, p in grid:
                weights = HybridWeights(1.0, c, p)
                cold.setdefault((c, p), []).append(
                    _hybrid_ndcg(fold, collab, cont, model.popularity, weights)
                )
        if log:
            log(f"tune seed {seed}: {COLD_START_RATINGS}-rating grid done")
    cold_mean = {k: float(np.concatenate(v).mean()) for k, v in cold.items()}
    cold_c, cold_p = _best(cold_mean)
    return TuneReport(
        warm=warm_mean,
        cold=cold_mean,
        content_only=content_mean,
        rating_tables={k: float(np.concatenate(v).mean()) for k, v in tables.items()},
        mostpop_warm=float(np.concatenate(mostpop["warm"]).mean()),
        mostpop_cold=float(np.concatenate(mostpop["cold"]).mean()),
        best_lambda=best_lam,
        best_warm=HybridWeights(1.0, best_c, best_p),
        best_cold=HybridWeights(1.0, cold_c, cold_p),
        best_content_popularity=best_content_pop,
    )


# ------------------------------------------------------------------ time decay (temporal protocol)

# Values ``tune_time`` tries for each setting, one setting at a time (the others held), in order.
TIME_GRID: tuple[tuple[str, tuple[float | None, ...]], ...] = (
    ("popularity_half_life_days", (None, 30.0, 90.0, 180.0, 365.0, 730.0)),
    ("profile_half_life_days", (None, 90.0, 365.0, 1460.0)),
    ("train_half_life_days", (None, 365.0, 1460.0)),
    ("warm.content", (0.25, 0.5, 1.0)),
    ("warm.popularity", (0.0, 0.5, 1.0)),
    ("cold.content", (0.25, 0.5, 1.0, 1.5)),
    ("cold.popularity", (0.5, 1.0, 2.0, 5.0, 20.0)),
)


@dataclass(slots=True)
class TimeTuneReport:
    steps: list[tuple[str, float | None, float]]  # (setting, value, validation nDCG@10)
    chosen: HybridConfig

    def markdown(self) -> str:
        lines = ["#### Temporal validation: HYBRID nDCG@10, one setting at a time", ""]
        lines.append("| setting | value | nDCG@10 |")
        lines.append("| --- | --- | --- |")
        lines.extend(f"| {name} | {value} | {score:.4f} |" for name, value, score in self.steps)
        lines.append("")
        c = self.chosen
        lines.append(
            f"Chosen: popularity half-life {c.popularity_half_life_days} days, profile half-life "
            f"{c.profile_half_life_days}, training half-life {c.train_half_life_days}; warm "
            f"{c.warm.as_dict()}; cold {c.cold.as_dict()}"
        )
        return "\n".join(lines)


def _with(config: HybridConfig, name: str, value: float | None) -> HybridConfig:
    if name.startswith(("warm.", "cold.")):
        group, weight = name.split(".")
        return replace(config, **{group: replace(getattr(config, group), **{weight: value})})
    changes: dict[str, Any] = {name: value}
    return replace(config, **changes)


def tune_time(
    table: RatingsTable,
    catalog: OfflineCatalog,
    config: HybridConfig = DEFAULT_CONFIG,
    content: ContentModel | None = None,
    grid: Sequence[tuple[str, Sequence[float | None]]] = TIME_GRID,
    log: Callable[[str], None] | None = None,
) -> TimeTuneReport:
    """Choose half-lives and blend weights on the temporal protocol's validation split.

    The test split (each user's latest 20%) is dropped first; the temporal protocol is run again
    on what remains, so its test ratings are each user's latest 20% of their train ratings. Warm
    settings are scored on all users, ``cold.*`` on the cold slice. A value must beat the current
    one by more than TUNE_TIE to be kept.
    """
    content = content or build_content(catalog, table)
    test, _ = temporal_split(table)
    inner = table.take(np.flatnonzero(~test))  # the test split is dropped here, never read

    def score(candidate: HybridConfig, cold: bool) -> float:
        report = EvaluationReport((0,))
        evaluate_temporal(inner, content, ["HYBRID"], candidate, report, cold_start=cold)
        return report.results[TEMPORAL_COLD if cold else TEMPORAL]["HYBRID"][0]["nDCG@10"]

    steps: list[tuple[str, float | None, float]] = []
    chosen = config
    for name, values in grid:
        cold = name.startswith("cold.")
        current = score(chosen, cold)
        best_value, best_score = None, current
        for value in values:
            candidate = _with(chosen, name, value)
            result = current if candidate == chosen else score(candidate, cold)
            steps.append((name, value, result))
            if result > best_score + TUNE_TIE:
                best_value, best_score = value, result
        if best_score > current:
            chosen = _with(chosen, name, best_value)
        if log:
            log(f"tune-time {name}: {best_score:.4f} (was {current:.4f})")
    return TimeTuneReport(steps, chosen)
