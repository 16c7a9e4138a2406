"""Validation sweep for the recommender's accuracy settings, both protocols, never the test ratings.

Usage::

    .venv/bin/python -m bench.recs_accuracy [--seed 42] [--datasets DIR]

Each protocol's test split is dropped first (random: seed ``--seed``'s 20% per user; temporal:
each user's latest 20%); the protocol is run again on what remains, so the scores below are
validation scores. One setting at a time (the others held at the current choice), a value is kept
when it raises the mean of the two protocols' HYBRID nDCG@10, each relative to its value before the
sweep, by more than ``KEEP_GAIN``. EASE(500) is scored on the same validation splits for the ratio.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from reelgraph.integrations.offline_catalog import OfflineCatalog
from reelgraph.recommender.evaluation import TEMPORAL, EvaluationReport, evaluate_temporal
from reelgraph.recommender.evaluation import evaluate as evaluate_random
from reelgraph.recommender.hybrid import DEFAULT_CONFIG, HybridConfig
from reelgraph.recommender.movielens import build_content, load_movielens_ratings
from reelgraph.recommender.splitting import split_ratings, temporal_split
from reelgraph.recommender.tuning import TUNE_SEED_OFFSET, _with

KEEP_GAIN = 0.002  # 0.2% relative: below it, a change is noise on one seed
GRID: tuple[tuple[str, tuple[float | None, ...]], ...] = (
    ("train_rating_scale", (None, 4.0, 5.0)),
    ("ease_lambda", (100.0, 150.0, 200.0, 300.0, 450.0)),
    ("warm.content", (0.0, 0.1, 0.25, 0.5)),
    ("warm.popularity", (0.0, 0.1, 0.25, 0.5)),
    ("profile_half_life_days", (None, 1460.0)),
    ("popularity_half_life_days", (None, 365.0)),
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--datasets", default=str(Path(__file__).resolve().parents[2] / "shared" / "datasets")
    )
    args = parser.parse_args()
    movielens = Path(args.datasets) / "movielens-latest-small"
    table = load_movielens_ratings(movielens / "ratings.csv", movielens / "links.csv")
    catalog = OfflineCatalog.load()
    content = build_content(catalog, table)
    random_test, _ = split_ratings(table, args.seed)
    random_inner = table.take(np.flatnonzero(~random_test))  # the test split is dropped, never read
    temporal_test, _ = temporal_split(table)
    temporal_inner = table.take(np.flatnonzero(~temporal_test))

    def score(config: HybridConfig) -> dict[str, float]:
        out: dict[str, float] = {}
        report = evaluate_random(
            random_inner,
            catalog,
            seeds=[args.seed + TUNE_SEED_OFFSET],
            methods=["HYBRID", "EASE500"],
            config=config,
            cold_start=False,
            content=content,
        )
        for method in ("HYBRID", "EASE500"):
            out[f"random {method}"] = float(report.results["full"][method][0]["nDCG@10"])
        temporal = EvaluationReport((0,))
        evaluate_temporal(temporal_inner, content, ["HYBRID", "EASE500"], config, temporal, cold_start=False)
        for method in ("HYBRID", "EASE500"):
            out[f"temporal {method}"] = float(temporal.results[TEMPORAL][method][0]["nDCG@10"])
        return out

    started = time.perf_counter()
    chosen = DEFAULT_CONFIG
    base = score(chosen)
    print(f"start: {_fmt(base)}", flush=True)

    def gain(result: dict[str, float]) -> float:
        return float(
            np.mean([result[f"{p} HYBRID"] / base[f"{p} HYBRID"] - 1.0 for p in ("random", "temporal")])
        )

    current = base
    print("| setting | value | random HYBRID | temporal HYBRID | temporal / EASE(500) | mean gain |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, values in GRID:
        best_value, best = None, current
        for value in values:
            candidate = _with(chosen, name, value)
            result = current if candidate == chosen else score(candidate)
            print(
                f"| {name} | {value} | {result['random HYBRID']:.4f} | {result['temporal HYBRID']:.4f} | "
                f"{result['temporal HYBRID'] / result['temporal EASE500']:.3f} | {gain(result):+.4f} |",
                flush=True,
            )
            if gain(result) > gain(best) + KEEP_GAIN:
                best_value, best = value, result
        if best is not current:
            chosen, current = _with(chosen, name, best_value), best
    print(f"\nchosen: {replace(chosen).as_dict()}")
    print(f"end: {_fmt(current)} ({time.perf_counter() - started:.0f}s)", file=sys.stderr)
    return 0


def _fmt(result: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.4f}" for k, v in result.items())


if __name__ == "__main__":
    raise SystemExit(main())
