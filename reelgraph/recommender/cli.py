"""`reelgraph recs ...`: evaluate, tune, batch and train, as argparse sub-commands.

``add_recs_commands(subparsers)`` adds a ``recs`` command with its own sub-commands to the main
parser; each sets ``func`` like the other commands of ``reelgraph.cli``.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import sys
import time
from pathlib import Path
from typing import Any

DEFAULT_MODEL_DIR = Path("recommender-model")
TRAIN_BATCH_ROWS = 20_000
# Kept here (not imported from evaluation) so building the `reelgraph` parser stays free of
# numpy/scipy/scikit-learn imports; a test checks they match evaluation.DEFAULT_*. For the same
# reason every command imports what it runs inside its function: `reelgraph --help` stays fast.
DEFAULT_SEEDS = "42,43,44,45,46"
METHODS = (
    "HYBRID",
    "CONTENT",
    "COLLABORATIVE",
    "POPULAR",
    "HYBRID_MMR",
    "MostPop",
    "RecencyPop",
    "ItemKNN",
    "EASE500",
)
PROTOCOLS = ("random", "temporal", "both")


def _seeds(raw: str) -> list[int]:
    return [int(part) for part in raw.split(",") if part.strip()]


def _names(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


def _method_names(raw: str) -> list[str]:
    # Lazy: numpy & co. only when the command runs (see DEFAULT_SEEDS).
    from reelgraph.recommender.evaluation import (
        BASELINE_METHODS,
        DIVERSE_METHOD,
        NEXT_METHODS,
        STRATEGY_METHODS,
    )

    known = {m.upper(): m for m in (*STRATEGY_METHODS, DIVERSE_METHOD, *BASELINE_METHODS, *NEXT_METHODS)}
    out = []
    for name in _names(raw):
        if name.upper() not in known:
            raise argparse.ArgumentTypeError(
                f"unknown method {name!r}; choose from {', '.join(known.values())}"
            )
        out.append(known[name.upper()])
    return out


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _print_report(text: str, out: str | None) -> None:
    print(text)
    if out:
        Path(out).write_text(text + "\n", encoding="utf-8")


def _evaluate(args: argparse.Namespace) -> int:
    # Lazy: numpy & co. only when the command runs (see DEFAULT_SEEDS).
    from reelgraph.integrations.offline_catalog import OfflineCatalog
    from reelgraph.recommender.evaluation import evaluate
    from reelgraph.recommender.movielens import load_movielens_ratings

    started = time.perf_counter()
    table = load_movielens_ratings(args.ratings, args.links)
    report = evaluate(
        table,
        OfflineCatalog.load(),
        seeds=args.seeds,
        methods=args.strategies,
        cold_start=not args.no_cold_start,
        cold_start_ratings=args.cold_ratings,
        log=_log,
        protocol=args.protocol,
    )
    _print_report(report.markdown(), args.out)
    _log(f"evaluated {len(table)} ratings in {time.perf_counter() - started:.1f}s")
    return 0


def _tune(args: argparse.Namespace) -> int:
    # Lazy: numpy & co. only when the command runs (see DEFAULT_SEEDS).
    from reelgraph.integrations.offline_catalog import OfflineCatalog
    from reelgraph.recommender.movielens import load_movielens_ratings
    from reelgraph.recommender.tuning import tune, tune_time

    started = time.perf_counter()
    table = load_movielens_ratings(args.ratings, args.links)
    report: Any
    if args.time:
        report = tune_time(table, OfflineCatalog.load(), log=_log)
    else:
        report = tune(table, OfflineCatalog.load(), seeds=args.seeds, log=_log)
    _print_report(report.markdown(), args.out)
    _log(f"tuned in {time.perf_counter() - started:.1f}s")
    return 0


def _batch(args: argparse.Namespace) -> int:
    # Lazy: numpy & co. only when the command runs (see DEFAULT_SEEDS).
    from reelgraph.integrations.offline_catalog import OfflineCatalog
    from reelgraph.recommender.batch import recommend_batch
    from reelgraph.recommender.hybrid import Strategy
    from reelgraph.recommender.movielens import catalog_links, load_movielens_ratings

    catalog = OfflineCatalog.load()
    links: Any = args.links if args.links else catalog_links(catalog)
    table = load_movielens_ratings(args.train, links)
    users = [
        int(line.split(",")[0]) for line in Path(args.users).read_text().split() if line.strip().isdigit()
    ]
    rows = recommend_batch(table, catalog, users, k=args.k, strategy=Strategy(args.strategy.upper()))
    to_movielens = table.tmdb_to_movielens
    with open(args.out, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["userId", "movieId", "rank"])
        for user, tmdb_id, rank in rows:
            writer.writerow([user, to_movielens.get(tmdb_id, tmdb_id), rank])
    _log(f"wrote {len(rows)} rows for {len(set(users))} users to {args.out}")
    return 0


async def _read_local_data(
    database_url: str,
) -> tuple[list[tuple[int, int, float]], list[tuple[int, int, str]], list[float], list[float]]:
    # Lazy: SQLAlchemy and the models only when `recs train` runs (see DEFAULT_SEEDS).
    from sqlalchemy.ext.asyncio import AsyncSession

    from reelgraph.persistence import recommendations as repo
    from reelgraph.persistence.engine import create_engine

    engine = create_engine(database_url)
    ratings: list[tuple[int, int, float]] = []
    interactions: list[tuple[int, int, str]] = []
    rating_times: list[float] = []
    interaction_times: list[float] = []
    try:
        async with AsyncSession(engine) as session:
            seen = await repo.watermarks(session)
            async for batch in repo.rating_batches(session, seen.ratings, TRAIN_BATCH_ROWS):
                ratings.extend((int(row[0]), int(row[1]), float(row[2])) for row in batch)
                rating_times.extend(_epoch(row[3]) for row in batch)
            async for batch in repo.interaction_batches(session, seen.interactions, TRAIN_BATCH_ROWS):
                interactions.extend((int(row[0]), int(row[1]), str(row[2])) for row in batch)
                interaction_times.extend(_epoch(row[3]) for row in batch)
        return ratings, interactions, rating_times, interaction_times
    finally:
        await engine.dispose()


def _epoch(moment: Any) -> float:
    # Unix seconds of a stored time (SQLite hands back naive datetimes, written in UTC); none: now.
    from datetime import UTC, datetime

    if moment is None:
        return datetime.now(UTC).timestamp()
    return float((moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp())


def _train(args: argparse.Namespace) -> int:
    # Lazy: settings, numpy & co. only when the command runs (see DEFAULT_SEEDS).
    from reelgraph.config import get_settings
    from reelgraph.recommender.engine import RecommenderEngine
    from reelgraph.recommender.storage import CommunityPrior

    database_url = args.database_url or get_settings().database_url
    started = time.perf_counter()
    if database_url.startswith("sqlite") and ":memory:" not in database_url:
        # SQLite would create an empty file (or aiosqlite fail noisily in its thread): check first.
        path = Path(database_url.split(":///", 1)[-1])
        if not path.is_file():
            print(
                f"reelgraph recs train: no database at {path}; run `reelgraph migrate` first", file=sys.stderr
            )
            return 1
    try:
        ratings, interactions, rating_times, interaction_times = asyncio.run(_read_local_data(database_url))
    except Exception as exc:  # a missing or unmigrated database: say so, do not trace back
        print(f"reelgraph recs train: cannot read the database: {exc}", file=sys.stderr)
        return 1
    engine = RecommenderEngine()
    prior = CommunityPrior.empty() if args.no_prior else None
    version = engine.train(
        ratings, interactions, prior=prior, rating_times=rating_times, interaction_times=interaction_times
    )
    path = engine.save(args.out)
    stats = engine.model.stats
    print(
        f"model {version}: {stats['users']} users ({stats['local_users']} local), {stats['items']} items, "
        f"{stats['interactions']} interactions; trained in {time.perf_counter() - started:.1f}s -> {path}"
    )
    return 0


def add_recs_commands(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``recs`` (evaluate, tune, batch, train) to the ``reelgraph`` sub-command parsers."""
    recs: argparse.ArgumentParser = subparsers.add_parser(
        "recs", help="recommender: offline evaluation, batch, training"
    )
    commands = recs.add_subparsers(dest="recs_command", required=True)

    evaluate = commands.add_parser("evaluate", help="offline evaluation on MovieLens-format ratings")
    evaluate.add_argument("--ratings", required=True, help="ratings.csv (userId,movieId,rating,timestamp)")
    evaluate.add_argument("--links", required=True, help="links.csv (movieId,imdbId,tmdbId)")
    evaluate.add_argument("--seeds", type=_seeds, default=_seeds(DEFAULT_SEEDS), help="comma-separated")
    evaluate.add_argument(
        "--strategies",
        type=_method_names,
        default=list(METHODS),
        help="comma-separated: HYBRID,CONTENT,COLLABORATIVE,POPULAR, baselines "
        "MostPop,RecencyPop,ItemKNN,EASE500, and the unserved NEXT,HYBRID_NEXT",
    )
    evaluate.add_argument(
        "--protocol",
        choices=PROTOCOLS,
        default="random",
        help="random: 80/20 per user per seed; temporal: each user's latest 20%% by time, models "
        "trained on older ratings only (see reelgraph.recommender.evaluation); both",
    )
    evaluate.add_argument(
        "--no-cold-start", action="store_true", help="skip the few-ratings comparisons (and the cold slice)"
    )
    evaluate.add_argument(
        "--cold-ratings",
        type=_seeds,
        default=[3],
        help="ratings kept per user in the few-ratings runs, e.g. 3,10",
    )
    evaluate.add_argument("--out", help="also write the markdown table to this file")
    evaluate.set_defaults(func=_evaluate)

    tune = commands.add_parser("tune", help="grid-search the hybrid weights on validation splits")
    tune.add_argument("--ratings", required=True)
    tune.add_argument("--links", required=True)
    tune.add_argument("--seeds", type=_seeds, default=_seeds(DEFAULT_SEEDS))
    tune.add_argument(
        "--time",
        action="store_true",
        help="choose the half-lives and blend weights on the temporal protocol's validation split",
    )
    tune.add_argument("--out", help="also write the markdown grids to this file")
    tune.set_defaults(func=_tune)

    batch = commands.add_parser("batch", help="train on a ratings file, write top-k per listed user")
    batch.add_argument("--train", required=True, help="ratings.csv (userId,movieId,rating,timestamp)")
    batch.add_argument("--users", required=True, help="file with one userId per line")
    batch.add_argument("--k", type=int, default=20)
    batch.add_argument(
        "--strategy", default="hybrid", choices=["hybrid", "content", "collaborative", "popular"]
    )
    batch.add_argument("--links", help="links.csv; default: the MovieLens ids shipped in the catalog")
    batch.add_argument("--out", required=True, help="CSV to write: userId,movieId,rank")
    batch.set_defaults(func=_batch)

    train = commands.add_parser("train", help="train on the community prior + this server's database")
    train.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_MODEL_DIR,
        help="model directory to write; REELGRAPH_RECS_MODEL_DIR=DIR makes the server serve it",
    )
    train.add_argument("--database-url", help="default: REELGRAPH_DATABASE_URL")
    train.add_argument("--no-prior", action="store_true", help="train on local data only")
    train.set_defaults(func=_train)
    return recs
