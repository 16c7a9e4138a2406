"""Offline evaluation on MovieLens-format ratings, with the protocol of the research anchors.

Protocol (``evaluate``), per seed:

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

``tune`` chooses the hybrid weights on validation splits carved out of each seed's training data
(``default_rng(seed + TUNE_SEED_OFFSET)``), never reading the test split.
"""

from __future__ import annotations

import csv
import itertools
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from os import PathLike

import numpy as np
import scipy.sparse as sp

from reelgraph.integrations.offline_catalog import OfflineCatalog
from reelgraph.recommender.collaborative import EASE, ItemKNN, MostPop, interaction_matrix
from reelgraph.recommender.content import ContentModel
from reelgraph.recommender.engine import RecommenderModel
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
    rating_weights,
    standardize,
)

TEST_FRACTION = 0.2
RELEVANT_RATING = 4.0
COLD_START_RATINGS = 3
COLD_START_FOLDS = 5
COLD_FOLD_SEED = 3  # user folds of the few-ratings scenarios: default_rng([seed, COLD_FOLD_SEED])
TUNE_SEED_OFFSET = 10_000
TUNE_TIE = 0.0005  # nDCG@10 differences below this are treated as ties when choosing weights
DEFAULT_SEEDS = (42, 43, 44, 45, 46)
METRICS = ("P@10", "R@20", "nDCG@10", "MAP@10", "HR@10", "Coverage@10")
STRATEGY_METHODS = tuple(s.value for s in Strategy)
BASELINE_METHODS = ("MostPop", "ItemKNN", "EASE500")
DEFAULT_METHODS = (*STRATEGY_METHODS, *BASELINE_METHODS)
COLD_METHODS = ("HYBRID", "COLLABORATIVE", "CONTENT", "MostPop")
LIST_LENGTH = 20


# ------------------------------------------------------------------------------------------- data


@dataclass(frozen=True, slots=True)
class RatingsTable:
    """Ratings mapped to TMDb ids, ordered by (user, TMDb id)."""

    users: np.ndarray  # int64 user ids as in the file
    movies: np.ndarray  # int64 TMDb ids
    values: np.ndarray  # float32 0.5-5
    tmdb_to_movielens: Mapping[int, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.users)

    def take(self, rows: np.ndarray) -> RatingsTable:
        return RatingsTable(self.users[rows], self.movies[rows], self.values[rows], self.tmdb_to_movielens)


def read_links(path: str | PathLike[str]) -> dict[int, int]:
    """MovieLens movieId -> TMDb id (movies without one are left out)."""
    with open(path, newline="", encoding="utf-8") as handle:
        return {
            int(row["movieId"]): int(row["tmdbId"]) for row in csv.DictReader(handle) if row["tmdbId"].strip()
        }


def catalog_links(catalog: OfflineCatalog) -> dict[int, int]:
    """MovieLens movieId -> TMDb id as shipped in the catalog (its ``movielens_id`` fields)."""
    return {
        m.movielens_id: m.id
        for i in catalog.popular()
        if (m := catalog.movie(i)) is not None and m.movielens_id
    }


def load_movielens_ratings(
    ratings: str | PathLike[str], links: str | PathLike[str] | Mapping[int, int]
) -> RatingsTable:
    """Read ``userId,movieId,rating,timestamp`` and map movies to TMDb ids (links.csv or a dict)."""
    link = dict(links) if isinstance(links, Mapping) else read_links(links)
    latest: dict[tuple[int, int], tuple[int, float]] = {}
    with open(ratings, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            tmdb_id = link.get(int(row["movieId"]))
            if tmdb_id is None:
                continue
            key = (int(row["userId"]), tmdb_id)
            stamp = int(row.get("timestamp") or 0)
            # Two MovieLens ids can share a TMDb id: keep the user's latest rating of it.
            if key not in latest or stamp >= latest[key][0]:
                latest[key] = (stamp, float(row["rating"]))
    keys = sorted(latest)
    reverse: dict[int, int] = {}
    for movielens_id, tmdb_id in sorted(link.items()):
        reverse.setdefault(tmdb_id, movielens_id)
    return RatingsTable(
        users=np.array([k[0] for k in keys], dtype=np.int64),
        movies=np.array([k[1] for k in keys], dtype=np.int64),
        values=np.array([latest[k][1] for k in keys], dtype=np.float32),
        tmdb_to_movielens=reverse,
    )


def split_ratings(
    table: RatingsTable, seed: int, fraction: float = TEST_FRACTION
) -> tuple[np.ndarray, np.ndarray]:
    """(test mask, train order): per user, a permutation's first round(fraction n) rows are test.

    ``train order`` holds, for train rows, their position in the user's shuffled train list (0 =
    first), and -1 for test rows; the 3-rating scenario keeps positions 0-2.
    """
    rng = np.random.default_rng(seed)
    _, starts, counts = np.unique(table.users, return_index=True, return_counts=True)
    test = np.zeros(len(table), dtype=bool)
    order = np.full(len(table), -1, dtype=np.int64)
    for start, n in zip(starts.tolist(), counts.tolist(), strict=True):
        held = max(1, round(fraction * n))
        perm = rng.permutation(n)
        test[start + perm[:held]] = True
        order[start + perm[held:]] = np.arange(n - held)
    return test, order


# ----------------------------------------------------------------------------------------- metrics


def ranking_metrics(top: np.ndarray, relevant: np.ndarray, n_relevant: np.ndarray) -> dict[str, np.ndarray]:
    """Per-user metrics from (users x >= 20) ranked columns and a dense (users x items) relevance."""
    hits = np.take_along_axis(relevant, top[:, :LIST_LENGTH], axis=1).astype(np.float64)
    h10 = hits[:, :10]
    discount = 1.0 / np.log2(np.arange(2, 12))
    ideal = np.cumsum(discount)[np.minimum(n_relevant, 10) - 1]
    precision_at = np.cumsum(h10, axis=1) / np.arange(1, 11)
    return {
        "P@10": h10.sum(axis=1) / 10,
        "R@20": hits.sum(axis=1) / n_relevant,
        "nDCG@10": (h10 * discount).sum(axis=1) / ideal,
        "MAP@10": (precision_at * h10).sum(axis=1) / np.minimum(n_relevant, 10),
        "HR@10": (h10.sum(axis=1) > 0).astype(np.float64),
    }


def top_columns(scores: np.ndarray, exclude: sp.csr_matrix, k: int = LIST_LENGTH) -> np.ndarray:
    """Best ``k`` columns per row, best first, never an excluded (user, item) cell."""
    scores = np.array(scores, dtype=np.float32, copy=True)
    rows, cols = exclude.nonzero()
    scores[rows, cols] = -np.inf
    k = min(k, scores.shape[1])
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(scores, part, axis=1), axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1)


# -------------------------------------------------------------------------------------- scenarios


@dataclass(slots=True)
class Fold:
    """One training matrix and the users scored against it."""

    item_ids: np.ndarray
    train: sp.csr_matrix  # all training users x items, binary
    inputs: sp.csr_matrix  # evaluated users' input ratings (values, 0 = none)
    relevant: np.ndarray  # evaluated users x items, bool
    n_relevant: np.ndarray


def _fold(
    table: RatingsTable, train_rows: np.ndarray, input_rows: np.ndarray, test_rows: np.ndarray
) -> Fold | None:
    """Build a fold: ``train_rows`` train the models, ``input_rows`` are the evaluated users' inputs."""
    item_ids = np.unique(table.movies[train_rows])
    user_ids, user_rows = np.unique(table.users[train_rows], return_inverse=True)
    train = interaction_matrix(
        user_rows,
        np.searchsorted(item_ids, table.movies[train_rows]),
        np.ones(len(train_rows)),
        (len(user_ids), len(item_ids)),
    )
    relevant_rows = test_rows[table.values[test_rows] >= RELEVANT_RATING]
    eval_users = np.intersect1d(np.unique(table.users[relevant_rows]), np.unique(table.users[input_rows]))
    if not len(eval_users):
        return None
    relevant_rows = relevant_rows[np.isin(table.users[relevant_rows], eval_users)]
    # Relevant test items the training data never saw cannot be ranked, but still count as missed.
    n_relevant = np.bincount(
        np.searchsorted(eval_users, table.users[relevant_rows]), minlength=len(eval_users)
    )
    rel_rows = relevant_rows[np.isin(table.movies[relevant_rows], item_ids)]
    relevant = np.zeros((len(eval_users), len(item_ids)), dtype=bool)
    relevant[
        np.searchsorted(eval_users, table.users[rel_rows]), np.searchsorted(item_ids, table.movies[rel_rows])
    ] = True
    in_rows = input_rows[np.isin(table.users[input_rows], eval_users)]
    inputs = interaction_matrix(
        np.searchsorted(eval_users, table.users[in_rows]),
        np.searchsorted(item_ids, table.movies[in_rows]),
        table.values[in_rows],
        (len(eval_users), len(item_ids)),
    )
    return Fold(item_ids, train, inputs, relevant, n_relevant.astype(np.int64))


def _weights(inputs: sp.csr_matrix, table: Sequence[float]) -> sp.csr_matrix:
    out = inputs.copy()
    out.data = rating_weights(out.data, table)
    out.eliminate_zeros()
    return out


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
            self._model = RecommenderModel.fit(self.fold.train, self.fold.item_ids, self.content, self.config)
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
            collab_rows = _weights(fold.inputs, self.config.collab_rating_weights)
            content_rows = _weights(fold.inputs, self.config.content_rating_weights)
            for strategy, scores in model.score_batch(collab_rows, content_rows, strategies).items():
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


def _summarise(
    per_user: list[dict[str, np.ndarray]], lists: list[np.ndarray], n_items: int
) -> dict[str, float]:
    merged = {
        m: float(np.concatenate([p[m] for p in per_user]).mean()) for m in METRICS if m != "Coverage@10"
    }
    merged["Coverage@10"] = len(np.unique(np.concatenate([lst.ravel() for lst in lists]))) / n_items
    merged["users"] = float(sum(len(p["HR@10"]) for p in per_user))
    return merged


# ------------------------------------------------------------------------------------------ report


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


def build_content(catalog: OfflineCatalog, table: RatingsTable) -> ContentModel:
    """Item vectors over the catalog plus every rated movie (TF-IDF fitted as on a server)."""
    ids = np.union1d(np.fromiter(catalog.popular(), dtype=np.int64), table.movies)
    return ContentModel.build(catalog, ids)


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
        fold = _fold(table, train_rows, train_rows, test_rows)
        assert fold is not None
        scorer = Scorer(fold, content, config)
        evaluated = _evaluate_fold(scorer.scores(methods), fold)
        for method, (metrics, lists) in evaluated.items():
            report.add("full", method, _summarise([metrics], [lists], len(fold.item_ids)))
        for name, seconds in scorer.timings.items():
            report.timings.setdefault(name, []).append(seconds)
        for kept_ratings in cold_start_ratings if cold_start else ():
            cold_methods = [m for m in COLD_METHODS if m in methods or m == "MostPop"]
            per_method = _cold_start(table, test, order, seed, content, config, cold_methods, kept_ratings)
            for method, (per_user, lists, n_items) in per_method.items():
                report.add(f"cold{kept_ratings}", method, _summarise(per_user, lists, n_items))
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
    folds = np.random.default_rng([seed, COLD_FOLD_SEED]).permutation(len(users)) % COLD_START_FOLDS
    user_fold = folds[np.searchsorted(users, table.users)]
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
        fold = _fold(table, train_rows, input_rows, test_rows[(in_fold & enough)[test_rows]])
        if fold is None:
            continue
        scores = Scorer(fold, content, config).scores(methods)
        for method, (metrics, lists) in _evaluate_fold(scores, fold).items():
            out[method][0].append(metrics)
            out[method][1].append(lists)
    return {m: (p, lst, all_items) for m, (p, lst, _) in out.items() if p}


# ------------------------------------------------------------------------------------------- tuning

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


def _hybrid_ndcg(
    fold: Fold, z_collab: np.ndarray, z_content: np.ndarray, popularity: np.ndarray, weights: HybridWeights
) -> np.ndarray:
    """nDCG@10 of one HYBRID blend with ``weights`` for every user (components standardised)."""
    config = HybridConfig(warm=weights, cold=weights)
    n_items = np.full(fold.inputs.shape[0], WARM_MIN_ITEMS)
    return _ndcg(fold, blend_standardized(Strategy.HYBRID, z_collab, z_content, popularity, n_items, config))


def _best(values: Mapping[tuple[float, ...], float], weights_from: int = 0) -> tuple[float, ...]:
    """The grid point to keep: scores within TUNE_TIE of the best are ties (the surface is a flat
    ridge), and among ties the smallest blend weights (``key[weights_from:]``) win, then the score."""
    top = max(values.values())
    ties = [k for k, v in values.items() if v >= top - TUNE_TIE]
    return min(ties, key=lambda k: (sum(k[weights_from:]), -values[k]))


@dataclass(slots=True)
class _TuneFold:
    fold: Fold
    model: RecommenderModel  # at the lambda being scored
    content: np.ndarray


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
    collab_rows = lambda fold: _weights(fold.inputs, config.collab_rating_weights)  # noqa: E731
    content_rows = lambda fold: _weights(fold.inputs, config.content_rating_weights)  # noqa: E731
    for seed in seeds:
        test, _ = split_ratings(table, seed)
        inner = table.take(np.flatnonzero(~test))  # the test split is dropped here, never read
        inner_test, inner_order = split_ratings(inner, seed + TUNE_SEED_OFFSET)
        inner_tables.append((inner, inner_test, inner_order, seed))
        rows_train, rows_test = np.flatnonzero(~inner_test), np.flatnonzero(inner_test)
        fold = _fold(inner, rows_train, rows_train, rows_test)
        assert fold is not None
        mostpop["warm"].append(_ndcg(fold, MostPop().fit(fold.train).scores(fold.inputs)))
        item_content = content.subset(fold.item_ids)
        cont = standardize(item_content.batch_scores(content_rows(fold)))
        folds.append((fold, cont))
        for lam in lambdas:
            model = RecommenderModel.fit(
                fold.train, fold.item_ids, item_content, replace(config, ease_lambda=lam)
            )
            collab = standardize(model.ease.scores(collab_rows(fold)))
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
        model = RecommenderModel.fit(fold.train, fold.item_ids, item_content, chosen)
        for p in popularity_grid:
            config_p = replace(chosen, content_popularity=p)
            scores = blend_standardized(Strategy.CONTENT, cont, cont, model.popularity, np.zeros(0), config_p)
            content_only.setdefault(p, []).append(_ndcg(fold, scores))
        for name, collab_table, content_table in RATING_TABLE_VARIANTS:
            collab = standardize(model.ease.scores(_weights(fold.inputs, collab_table)))
            variant_content = standardize(item_content.batch_scores(_weights(fold.inputs, content_table)))
            tables.setdefault(name, []).append(
                _hybrid_ndcg(fold, collab, variant_content, model.popularity, chosen.warm)
            )
    content_mean = {p: float(np.concatenate(v).mean()) for p, v in content_only.items()}
    best_content_pop = _best({(p,): v for p, v in content_mean.items()})[0]

    cold: dict[tuple[float, float], list[np.ndarray]] = {}
    for inner, inner_test, inner_order, seed in inner_tables:
        users = np.unique(inner.users)
        fold_of = np.random.default_rng([seed + TUNE_SEED_OFFSET, COLD_FOLD_SEED]).permutation(len(users))
        user_fold = (fold_of % COLD_START_FOLDS)[np.searchsorted(users, inner.users)]
        kept = (~inner_test) & (inner_order < COLD_START_RATINGS)
        for f in range(COLD_START_FOLDS):
            in_fold = user_fold == f
            train_rows = np.flatnonzero((~inner_test & ~in_fold) | (kept & in_fold))
            fold = _fold(
                inner, train_rows, np.flatnonzero(kept & in_fold), np.flatnonzero(inner_test & in_fold)
            )
            if fold is None:
                continue
            mostpop["cold"].append(_ndcg(fold, MostPop().fit(fold.train).scores(fold.inputs)))
            item_content = content.subset(fold.item_ids)
            model = RecommenderModel.fit(fold.train, fold.item_ids, item_content, chosen)
            collab = standardize(model.ease.scores(collab_rows(fold)))
            cont = standardize(item_content.batch_scores(content_rows(fold)))
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


# ------------------------------------------------------------------------------------------- batch


def recommend_batch(
    train: RatingsTable,
    catalog: OfflineCatalog,
    user_ids: Iterable[int],
    k: int = 20,
    strategy: Strategy = Strategy.HYBRID,
    config: HybridConfig = DEFAULT_CONFIG,
) -> list[tuple[int, int, int]]:
    """(userId, TMDb id, rank) for each listed user, trained on ``train`` only (rank from 1)."""
    all_rows = np.arange(len(train))
    wanted = np.array(sorted({int(u) for u in user_ids}), dtype=np.int64)
    item_ids = np.unique(train.movies)
    user_index, user_rows = np.unique(train.users, return_inverse=True)
    matrix = interaction_matrix(
        user_rows,
        np.searchsorted(item_ids, train.movies),
        np.ones(len(train)),
        (len(user_index), len(item_ids)),
    )
    content = ContentModel.build(
        catalog, np.union1d(np.fromiter(catalog.popular(), dtype=np.int64), item_ids)
    ).subset(item_ids)
    model = RecommenderModel.fit(matrix, item_ids, content, config)
    known = np.isin(wanted, user_index)
    rows_of = np.searchsorted(user_index, wanted[known])
    inputs = interaction_matrix(
        user_rows[all_rows], np.searchsorted(item_ids, train.movies), train.values, matrix.shape
    )[rows_of]
    out: list[tuple[int, int, int]] = []
    scores = model.score_batch(
        _weights(inputs, config.collab_rating_weights),
        _weights(inputs, config.content_rating_weights),
        [strategy],
    )[strategy]
    top = top_columns(scores, inputs, k)
    for user, cols in zip(wanted[known].tolist(), top, strict=True):
        out.extend((user, int(item_ids[c]), rank) for rank, c in enumerate(cols.tolist(), start=1))
    # Users absent from the training file get the popularity list.
    if (~known).any():
        pop = model.popularity
        order = np.argsort(-pop, kind="stable")[:k]
        for user in wanted[~known].tolist():
            out.extend((user, int(item_ids[c]), rank) for rank, c in enumerate(order.tolist(), start=1))
    out.sort(key=lambda r: (r[0], r[2]))
    return out
