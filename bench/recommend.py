"""Benchmark the recommender: training time, one viewer's recommendations, memory.

    python -m bench.recommend [--runs 20] [--local-users 1000]

1. Trains on the shipped community prior (MovieLens small) plus ``--local-users`` synthetic local
   users (50 ratings each, drawn by popularity), as a server would; three times, median reported.
2. Saves the model, then a fresh process loads it and measures its resident memory (VmRSS) before
   and after loading, and ``recommend(first: 20)`` latency for viewers with ~200 ratings (each of
   the prior's users with 150-250 ratings, ``--runs`` times each) per strategy, and
   ``similar_items``; once with the default BLAS threads, once with OPENBLAS_NUM_THREADS=1.

Every figure printed is measured now, on this machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def _rss_mib() -> float:
    """Current resident set size (Linux /proc), else the peak from getrusage."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _synthetic_local(n_users: int, per_user: int, seed: int = 7) -> tuple[list[tuple[int, int, float]], list]:
    from reelgraph.recommender.storage import CommunityPrior

    prior = CommunityPrior.load()
    ids, counts = np.unique(prior.tmdb_ids, return_counts=True)
    rng = np.random.default_rng(seed)
    p = counts / counts.sum()
    ratings: list[tuple[int, int, float]] = []
    for user in range(1, n_users + 1):
        movies = rng.choice(ids, size=per_user, replace=False, p=p)
        values = rng.choice(np.arange(1, 11) / 2, size=per_user)
        ratings.extend((user, int(m), float(v)) for m, v in zip(movies, values, strict=True))
    return ratings, []


def _train(args: argparse.Namespace, out: Path) -> dict[str, object]:
    from reelgraph.integrations.offline_catalog import OfflineCatalog
    from reelgraph.recommender.engine import RecommenderEngine

    started = time.perf_counter()
    catalog = OfflineCatalog.load()
    catalog_seconds = time.perf_counter() - started
    ratings, interactions = _synthetic_local(args.local_users, 50)
    times = []
    engine = RecommenderEngine()
    for _ in range(3):
        started = time.perf_counter()
        engine.train(ratings, interactions, catalog)
        times.append(time.perf_counter() - started)
    engine.save(out)
    stats = engine.model.stats
    return {
        "catalog_load_s": round(catalog_seconds, 2),
        "train_s_median": round(statistics.median(times), 2),
        "train_s_all": [round(t, 2) for t in times],
        "users": stats["users"],
        "local_users": stats["local_users"],
        "items": stats["items"],
        "interactions": stats["interactions"],
        "ease_mode": stats["ease_mode"],
        "model_dir_bytes": sum(f.stat().st_size for f in out.iterdir()),
        "train_peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "version": engine.version,
    }


def _serve_check(model_dir: Path, runs: int) -> dict[str, object]:
    from reelgraph.recommender.engine import RecommenderEngine
    from reelgraph.recommender.profile import UserProfile
    from reelgraph.recommender.storage import CommunityPrior

    before = _rss_mib()
    started = time.perf_counter()
    engine = RecommenderEngine.load(model_dir)
    load_seconds = time.perf_counter() - started
    after = _rss_mib()

    prior = CommunityPrior.load()
    counts = np.bincount(prior.users)
    users = [int(u) for u in np.flatnonzero((counts >= 150) & (counts <= 250))]
    profiles = []
    for user in users:
        rows = prior.users == user
        profiles.append(
            UserProfile(
                ratings=dict(zip(prior.tmdb_ids[rows].tolist(), prior.ratings[rows].tolist(), strict=True))
            )
        )
    latencies: dict[str, dict[str, float]] = {}
    for strategy in ("HYBRID", "CONTENT", "COLLABORATIVE", "POPULAR"):
        engine.recommend(profiles[0], 20, strategy)  # warm caches
        samples = []
        for _ in range(runs):
            for profile in profiles:
                t = time.perf_counter()
                engine.recommend(profile, 20, strategy)
                samples.append((time.perf_counter() - t) * 1000)
        samples.sort()
        latencies[strategy] = {
            "p50_ms": round(statistics.median(samples), 2),
            "p95_ms": round(samples[int(0.95 * (len(samples) - 1))], 2),
        }
    movie_ids = engine.model.item_ids[:: max(1, len(engine.model.item_ids) // 200)]
    samples = []
    for movie_id in movie_ids.tolist():
        t = time.perf_counter()
        engine.similar_items(movie_id, 20)
        samples.append((time.perf_counter() - t) * 1000)
    return {
        "rss_before_load_mib": round(before, 1),
        "rss_after_load_mib": round(after, 1),
        "model_rss_mib": round(after - before, 1),
        "load_s": round(load_seconds, 2),
        "viewers": len(profiles),
        "mean_ratings": round(float(np.mean([len(p.ratings) for p in profiles])), 1),
        "recommend_first_20": latencies,
        "similar_items_p50_ms": round(statistics.median(samples), 2),
        "rss_after_requests_mib": round(_rss_mib(), 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="recommender benchmark")
    parser.add_argument("--runs", type=int, default=20, help="recommend calls per viewer and strategy")
    parser.add_argument(
        "--local-users", type=int, default=1000, help="synthetic local users (50 ratings each)"
    )
    parser.add_argument("--serve-check", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_check:
        print(json.dumps(_serve_check(args.serve_check, args.runs)))
        return 0
    print(f"load average (1, 5, 15 min) at the start: {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = Path(tmp) / "model"
        train = _train(args, model_dir)
        print("training:", json.dumps(train, indent=2))
        # Fresh processes, so the memory figure is the model's, not the trainer's leftovers; once
        # with the BLAS defaults and once single-threaded (per-request products are small, and
        # OpenBLAS threads fight other processes for the cores).
        command = [sys.executable, "-m", "bench.recommend", "--serve-check", str(model_dir)]
        for label, env in (
            ("default BLAS threads", {}),
            ("OPENBLAS_NUM_THREADS=1", {"OPENBLAS_NUM_THREADS": "1"}),
        ):
            result = subprocess.run(
                [*command, "--runs", str(args.runs)],
                check=True,
                capture_output=True,
                text=True,
                env={**os.environ, **env},
            )
            print(f"serving ({label}):", json.dumps(json.loads(result.stdout), indent=2))
    print(f"load average (1, 5, 15 min) at the end: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
