"""Choose the diversity re-rank's weight on validation splits (never the test ratings).

For each seed, the random protocol's test split is dropped, the rest is split again with the
tuning offset (as ``recs tune`` does) into inner-train and validation; HYBRID is scored on the
inner fold and re-ranked with MMR for each weight of the grid. Printed per weight: validation
nDCG@10, intra-list similarity (ILS@10, mean pairwise content cosine of each top 10) and catalog
coverage@10. The rule: the largest weight whose nDCG@10 stays within 1% of no re-rank.

    .venv/bin/python -m bench.recs_diversity [--seeds 42 43]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from reelgraph.integrations.offline_catalog import OfflineCatalog
from reelgraph.recommender.diversity import intra_list_similarity, rerank_scores
from reelgraph.recommender.evaluation import Scorer
from reelgraph.recommender.hybrid import DEFAULT_CONFIG
from reelgraph.recommender.metrics import ranking_metrics, top_columns
from reelgraph.recommender.movielens import build_content, load_movielens_ratings
from reelgraph.recommender.splitting import make_fold, split_ratings
from reelgraph.recommender.tuning import TUNE_SEED_OFFSET

DATA = Path("/work/shared/datasets/movielens-latest-small")
GRID = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75)
TOLERANCE = 0.01


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 43])
    args = parser.parse_args()
    catalog = OfflineCatalog.load()
    table = load_movielens_ratings(DATA / "ratings.csv", DATA / "links.csv")
    content = build_content(catalog, table)
    results: dict[float, list[tuple[float, float, float]]] = {w: [] for w in GRID}
    for seed in args.seeds:
        started = time.perf_counter()
        test, _ = split_ratings(table, seed)
        inner = table.take(np.flatnonzero(~test))  # the test split is dropped here, never read
        inner_test, _ = split_ratings(inner, seed + TUNE_SEED_OFFSET)
        train_rows, valid_rows = np.flatnonzero(~inner_test), np.flatnonzero(inner_test)
        fold = make_fold(inner, train_rows, train_rows, valid_rows)
        assert fold is not None
        scorer = Scorer(fold, content, DEFAULT_CONFIG)
        hybrid = scorer.scores(["HYBRID"])["HYBRID"]
        vectors = scorer.content.matrix
        for weight in GRID:
            reranked = rerank_scores(hybrid, vectors, fold.inputs, 10, weight) if weight else hybrid
            top = top_columns(reranked, fold.inputs)
            ndcg = float(ranking_metrics(top, fold.relevant, fold.n_relevant)["nDCG@10"].mean())
            ils = float(intra_list_similarity(vectors, top[:, :10]).mean())
            coverage = len(np.unique(top[:, :10])) / len(fold.item_ids)
            results[weight].append((ndcg, ils, coverage))
        print(f"seed {seed}: {time.perf_counter() - started:.1f}s", flush=True)
    print("| weight | validation nDCG@10 | ILS@10 | Coverage@10 |")
    print("| --- | --- | --- | --- |")
    means = {w: np.mean(np.array(v), axis=0) for w, v in results.items()}
    for weight, (ndcg, ils, coverage) in means.items():
        print(f"| {weight} | {ndcg:.4f} | {ils:.4f} | {coverage:.4f} |")
    base = means[0.0][0]
    chosen = max(w for w, m in means.items() if m[0] >= (1 - TOLERANCE) * base)
    print(f"chosen weight: {chosen} (largest with nDCG@10 >= {1 - TOLERANCE:.2f} x no re-rank)")


if __name__ == "__main__":
    main()
