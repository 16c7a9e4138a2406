"""The recommender's cost curve: exact EASE against the head/tail approximation, by size.

Synthetic power-law data (numpy): item popularity ~ 1 / (rank + 10), user history lengths
log-normal (median 20, 5-500). For items 10k / 30k / 60k and users 1k / 100k / 1M:

* exact EASE: its solve inverts an (n x n) matrix, n = min(users, active items) (primal or dual,
  see ``collaborative``). Solves are timed for real up to ``MEASURE_MAX`` (n = 1000, 2000, 4000 once
  as the calibration, and every configuration whose n is that small); larger ones are NOT run:
  their time is estimated as ``a n^3`` and their peak memory as ``m n^2``, both from the largest
  measured solve. A configuration "fits" under 2 GB and 60 s.
* head/tail (``approximate.HeadTailEASE``): trained for real on at most ``MAX_USERS`` generated
  users; for more users (100k, 1M) the whole fit time on the subsample is scaled by users /
  sampled users (marked ``~``: an upper bound, the head's solve does not grow with users; the
  Gram and kNN products do, linearly). Peak memory and size are the subsample's.

Per configuration: training seconds, peak traced memory (tracemalloc, numpy's allocations),
model size, p50 latency of scoring one user (200 single-user calls). Then the accuracy check on
ml-latest-small (random protocol, seed 42): exact EASE(500) against the approximation.

    .venv/bin/python -m bench.recs_scale [--max-users 20000]
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from reelgraph.recommender.approximate import DENSE_LIMIT, HeadTailEASE
from reelgraph.recommender.collaborative import EASE, single_thread_blas

ITEMS = (10_000, 30_000, 60_000)
USERS = (1_000, 100_000, 1_000_000)
CALIBRATION = (1_000, 2_000, 4_000)
MEASURE_MAX = 4_000
MAX_USERS = 20_000
MEMORY_LIMIT = 2 * 1024**3
TIME_LIMIT = 60.0
LAMBDA = 500.0
DATA = Path("/work/shared/datasets/movielens-latest-small")


def synthetic(n_users: int, n_items: int, seed: int = 0) -> sp.csr_matrix:
    """Binary (users x items) interactions with power-law item popularity."""
    rng = np.random.default_rng(seed)
    weights = 1.0 / (np.arange(n_items) + 10.0)
    cdf = np.cumsum(weights / weights.sum())
    lengths = np.clip(rng.lognormal(np.log(20), 0.8, n_users).astype(np.int64), 5, 500)
    users = np.repeat(np.arange(n_users, dtype=np.int32), lengths)
    items = np.minimum(np.searchsorted(cdf, rng.random(len(users))), n_items - 1).astype(np.int32)
    items = rng.permutation(n_items).astype(np.int32)[items]  # popular items anywhere in the id range
    matrix = sp.csr_matrix((np.ones(len(users), dtype=np.float32), (users, items)), shape=(n_users, n_items))
    matrix.data[:] = 1.0  # duplicates were summed
    return matrix


def traced(fit: Callable[[], Any]) -> tuple[Any, float, int]:
    tracemalloc.start()
    started = time.perf_counter()
    result = fit()
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return result, seconds, peak


def model_bytes(model: EASE | HeadTailEASE) -> int:
    if isinstance(model, HeadTailEASE):
        return model.nbytes()
    return sum(int(np.asarray(a).nbytes) for a in model.to_arrays().values())


def p50_ms(model: EASE | HeadTailEASE, x: sp.csr_matrix, n: int = 200) -> float:
    times = []
    with single_thread_blas:
        for user in range(min(n, x.shape[0])):
            row = x[user]
            started = time.perf_counter()
            model.scores(row)
            times.append(time.perf_counter() - started)
    return float(np.median(times) * 1000)


def calibrate() -> tuple[float, float]:
    """``(a, m)``: seconds = a n^3 and peak bytes = m n^2 for the dense solve, from primal solves
    at ``CALIBRATION`` sizes (the largest one: small solves are dominated by overheads)."""
    a = m = 0.0
    for n in CALIBRATION:
        x = synthetic(3 * n, n, seed=n)
        _, seconds, peak = traced(lambda x=x: EASE(LAMBDA, solver="primal").fit(x))
        a, m = seconds / n**3, peak / n**2
        print(f"calibration: dense solve n={n}: {seconds:.2f}s, peak {peak / 2**20:.0f} MiB", flush=True)
    return a, m


def human(n_bytes: float) -> str:
    return f"{n_bytes / 2**30:.2f} GiB" if n_bytes >= 2**30 else f"{n_bytes / 2**20:.0f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--max-users", type=int, default=MAX_USERS)
    args = parser.parse_args()
    a, m = calibrate()
    dense_limit = int(min((TIME_LIMIT / a) ** (1 / 3), (MEMORY_LIMIT / m) ** 0.5))
    rows = []
    for n_items in ITEMS:
        for n_users in USERS:
            sampled = min(n_users, args.max_users)
            scale = n_users / sampled
            x = synthetic(sampled, n_items, seed=n_items + sampled)
            active = int(np.count_nonzero(np.diff(x.tocsc().indptr)))
            # Exact EASE: n = min(users, active items); with every user the active items only grow.
            n = min(n_users, active)
            if n <= MEASURE_MAX and sampled == n_users:
                ease, seconds, peak = traced(lambda x=x: EASE(LAMBDA).fit(x))
                exact = (
                    f"{seconds:.1f}",
                    human(peak),
                    human(model_bytes(ease)),
                    f"{p50_ms(ease, x):.1f}",
                    "yes",
                )
            else:
                seconds = a * n**3
                memory = m * n**2
                fits = "yes" if seconds <= TIME_LIMIT and memory <= MEMORY_LIMIT else "no"
                exact = (f"est {seconds:,.0f}", f"est {human(memory)}", f"est {human(4.0 * n**2)}", "-", fits)
            model, seconds, peak = traced(lambda x=x: HeadTailEASE(LAMBDA).fit(x))
            approx_seconds = f"{seconds:.1f}" if scale == 1 else f"~{seconds * scale:.0f}"
            approx = (approx_seconds, human(peak), human(model_bytes(model)), f"{p50_ms(model, x):.1f}")
            rows.append((n_items, n_users, x.nnz * scale, n, *exact, *approx))
            print(f"done items={n_items} users={n_users} ({sampled} generated)", flush=True)
    print()
    print(
        f"Dense solve: {a * 1e9:.3f} s per 1e9 n^3, peak {m:.1f} bytes per n^2 (n = {CALIBRATION[-1]}); "
        f"the 2 GB / 60 s limit is n = {dense_limit:,}"
    )
    print(f"(approximate.DENSE_LIMIT = {DENSE_LIMIT:,}; above it training uses the head/tail model)")
    print()
    print(
        "| items | users | interactions | EASE n | EASE train s | EASE peak | EASE size | EASE p50 ms | fits "
        "| head/tail train s | head/tail peak | head/tail size | head/tail p50 ms |"
    )
    print("| " + " | ".join(["---"] * 13) + " |")
    for row in rows:
        n_items, n_users, nnz, n, *cells = row
        print(f"| {n_items:,} | {n_users:,} | {nnz:,.0f} | {n:,} | " + " | ".join(cells) + " |")
    accuracy()


def accuracy() -> None:
    from reelgraph.recommender.metrics import ranking_metrics, top_columns
    from reelgraph.recommender.movielens import load_movielens_ratings
    from reelgraph.recommender.splitting import make_fold, split_ratings

    table = load_movielens_ratings(DATA / "ratings.csv", DATA / "links.csv")
    test, _ = split_ratings(table, 42)
    train_rows, test_rows = np.flatnonzero(~test), np.flatnonzero(test)
    fold = make_fold(table, train_rows, train_rows, test_rows)
    assert fold is not None
    binary = fold.inputs.copy()
    binary.data[:] = 1.0

    def ndcg(model: EASE | HeadTailEASE) -> float:
        top = top_columns(model.scores(binary), fold.inputs)
        return float(ranking_metrics(top, fold.relevant, fold.n_relevant)["nDCG@10"].mean())

    exact = ndcg(EASE(LAMBDA).fit(fold.train))
    approx = ndcg(HeadTailEASE(LAMBDA).fit(fold.train))
    print()
    print(
        f"ml-latest-small, random protocol seed 42: nDCG@10 EASE(500) {exact:.4f}, head/tail {approx:.4f} ({approx / exact - 1:+.1%})"
    )


if __name__ == "__main__":
    main()
