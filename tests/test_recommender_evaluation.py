"""Offline evaluation protocol, tuning, the prior build and the `reelgraph recs` commands.

The data is a small sample of the shipped prior (MovieLens users, TMDb ids), written back as
MovieLens-format CSV files with an identity links.csv; the full evaluation is not run here.
"""

from __future__ import annotations

import asyncio
import csv
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from reelgraph.cli import main
from reelgraph.integrations.offline_catalog import OfflineCatalog
from reelgraph.recommender import cli as recs_cli
from reelgraph.recommender import evaluation as ev
from reelgraph.recommender import metrics as rank_metrics
from reelgraph.recommender import movielens, splitting, tuning
from reelgraph.recommender.engine import RecommenderEngine
from reelgraph.recommender.storage import CommunityPrior

REPO = Path(__file__).resolve().parents[1]
DATASETS = REPO.parent / "shared" / "datasets"


@pytest.fixture(scope="module")
def sample_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """60 prior users with 20-80 ratings each, as ratings.csv + links.csv (movieId = TMDb id)."""
    prior = CommunityPrior.load()
    counts = np.bincount(prior.users)
    users = np.flatnonzero((counts >= 20) & (counts <= 80))[:60]
    rows = np.flatnonzero(np.isin(prior.users, users))
    folder = tmp_path_factory.mktemp("ml")
    ratings, links = folder / "ratings.csv", folder / "links.csv"
    with ratings.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["userId", "movieId", "rating", "timestamp"])
        for r in rows.tolist():
            writer.writerow([int(prior.users[r]), int(prior.tmdb_ids[r]), float(prior.ratings[r]), 1_000 + r])
    with links.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["movieId", "imdbId", "tmdbId"])
        for movie in np.unique(prior.tmdb_ids[rows]).tolist():
            writer.writerow([movie, "", movie])
    return ratings, links


@pytest.fixture(scope="module")
def table(sample_files: tuple[Path, Path]) -> movielens.RatingsTable:
    return movielens.load_movielens_ratings(*sample_files)


def test_metrics_by_hand() -> None:
    relevant = np.zeros((1, 30), dtype=bool)
    relevant[0, [0, 2, 25]] = True
    top = np.arange(20)[None, :]  # items 0..19 ranked in order: hits at ranks 1 and 3
    metrics = rank_metrics.ranking_metrics(top, relevant, np.array([3]))
    assert metrics["P@10"][0] == pytest.approx(0.2)
    assert metrics["R@20"][0] == pytest.approx(2 / 3)
    dcg = 1 + 1 / np.log2(4)
    idcg = 1 + 1 / np.log2(3) + 1 / np.log2(4)
    assert metrics["nDCG@10"][0] == pytest.approx(dcg / idcg)
    assert metrics["MAP@10"][0] == pytest.approx((1 + 2 / 3) / 3)
    assert metrics["HR@10"][0] == 1.0


def test_loading_maps_to_tmdb_and_keeps_the_latest_duplicate(tmp_path: Path) -> None:
    (tmp_path / "r.csv").write_text(
        "userId,movieId,rating,timestamp\n1,10,4.0,5\n1,11,2.0,9\n1,12,5.0,1\n2,99,3.0,1\n2,10,1.5,1\n"
    )
    (tmp_path / "l.csv").write_text("movieId,imdbId,tmdbId\n10,1,603\n11,2,603\n12,3,862\n99,4,\n")
    table = movielens.load_movielens_ratings(tmp_path / "r.csv", tmp_path / "l.csv")
    assert table.users.tolist() == [1, 1, 2]
    assert table.movies.tolist() == [603, 862, 603]
    assert table.values.tolist() == [2.0, 5.0, 1.5]  # movies 10 and 11 are both 603: latest wins
    assert table.tmdb_to_movielens[603] == 10


def test_split_holds_out_a_fifth_per_user_deterministically(table: movielens.RatingsTable) -> None:
    test, order = splitting.split_ratings(table, 42)
    for user in np.unique(table.users)[:10]:
        rows = table.users == user
        assert test[rows].sum() == max(1, round(0.2 * rows.sum()))
        assert sorted(order[rows & ~test].tolist()) == list(range(int((rows & ~test).sum())))
    again, _ = splitting.split_ratings(table, 42)
    other, _ = splitting.split_ratings(table, 43)
    assert np.array_equal(test, again) and not np.array_equal(test, other)


def test_folds_never_train_on_test_ratings(table: movielens.RatingsTable) -> None:
    test, _ = splitting.split_ratings(table, 1)
    train_rows, test_rows = np.flatnonzero(~test), np.flatnonzero(test)
    fold = splitting.make_fold(table, train_rows, train_rows, test_rows)
    assert fold is not None
    users = np.unique(table.users[train_rows])
    trained = fold.train.toarray() > 0
    for r in test_rows.tolist():
        if table.movies[r] in fold.item_ids:
            u = int(np.searchsorted(users, table.users[r]))
            assert not trained[u, int(np.searchsorted(fold.item_ids, table.movies[r]))]


def test_evaluate_reports_every_method_without_the_shipped_prior(
    table: movielens.RatingsTable, monkeypatch: pytest.MonkeyPatch
) -> None:
    def forbidden(*_: object) -> CommunityPrior:
        raise AssertionError("the evaluation must not read the shipped prior (it holds the test ratings)")

    monkeypatch.setattr(CommunityPrior, "load", forbidden)
    report = ev.evaluate(table, OfflineCatalog.load(), seeds=(1, 2), methods=ev.DEFAULT_METHODS)
    full = report.results["full"]
    assert set(full) == set(ev.DEFAULT_METHODS)
    for method, runs in full.items():
        assert len(runs) == 2
        for run in runs:
            assert all(0.0 <= run[m] <= 1.0 for m in rank_metrics.METRICS), method
    # POPULAR is the recency-weighted MostPop (the served popularity decays) under another name.
    assert full["POPULAR"][0]["nDCG@10"] == pytest.approx(full["RecencyPop"][0]["nDCG@10"])
    assert {"HYBRID", "MostPop"} <= set(report.results["cold3"])
    text = report.markdown()
    assert "| HYBRID |" in text and "nDCG@10" in text and "Users with only 3 ratings" in text


def test_tune_picks_weights_from_the_grid(table: movielens.RatingsTable) -> None:
    report = tuning.tune(
        table,
        OfflineCatalog.load(),
        seeds=(5,),
        lambdas=(50.0, 200.0),
        content_grid=(0.0, 1.0),
        popularity_grid=(0.0, 2.0),
    )
    assert report.best_lambda in (50.0, 200.0)
    assert report.best_warm.content in (0.0, 1.0) and report.best_cold.popularity in (0.0, 2.0)
    assert len(report.warm) == 8 and len(report.cold) == 4
    # Components are standardised before blending: a little popularity barely moves the pure
    # collaborative ranking, and a lot of it turns the blend into MostPop.
    lam = report.best_lambda
    assert (
        abs(report.warm[(lam, 0.0, 0.0)] - report.warm[(lam, 0.0, 2.0)])
        < 0.5 * abs(report.warm[(lam, 0.0, 0.0)] - report.mostpop_warm) + 1e-9
    )
    assert "Chosen: EASE lambda" in report.markdown()


def test_cli_defaults_match_the_evaluation() -> None:
    assert recs_cli._seeds(recs_cli.DEFAULT_SEEDS) == list(ev.DEFAULT_SEEDS)
    assert tuple(recs_cli.METHODS) == ev.DEFAULT_METHODS


def test_cli_evaluate(sample_files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    ratings, links = sample_files
    code = main(
        [
            *("recs", "evaluate", "--ratings", str(ratings), "--links", str(links), "--seeds", "3"),
            *("--strategies", "hybrid,MostPop", "--no-cold-start"),
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "| HYBRID |" in out and "| MostPop |" in out and "seeds 3" in out


def test_cli_batch(sample_files: tuple[Path, Path], tmp_path: Path, table: movielens.RatingsTable) -> None:
    ratings, links = sample_files
    users = np.unique(table.users)[:3].tolist()
    (tmp_path / "users.txt").write_text("\n".join(map(str, [*users, 999_999])) + "\n")
    out = tmp_path / "recs.csv"
    users_file, train = str(tmp_path / "users.txt"), str(ratings)
    args = ["recs", "batch", "--train", train, "--links", str(links), "--users", users_file, "--k", "5"]
    code = main([*args, "--strategy", "hybrid", "--out", str(out)])
    assert code == 0
    rows = list(csv.DictReader(out.open()))
    assert rows[0].keys() == {"userId", "movieId", "rank"}
    assert len(rows) == 5 * 4  # the unknown user gets the popular list
    for user in users:
        mine = [r for r in rows if int(r["userId"]) == user]
        assert [int(r["rank"]) for r in mine] == [1, 2, 3, 4, 5]
        rated = set(table.movies[table.users == user].tolist())
        assert not rated & {int(r["movieId"]) for r in mine}


def test_cli_train_reads_the_database(tmp_path: Path) -> None:
    from sqlmodel import Session, create_engine

    from reelgraph.persistence.migrate import upgrade_to_head
    from reelgraph.persistence.models import InteractionRow, MovieRow, RatingRow, UserRow

    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"
    upgrade_to_head(url)
    engine = create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    with Session(engine) as session:
        session.add(UserRow(id=1, email="a@example.com", name="A", password_hash="x"))
        session.add_all([MovieRow(tmdb_id=603, title="The Matrix"), MovieRow(tmdb_id=862, title="Toy Story")])
        session.flush()
        session.add(RatingRow(user_id=1, movie_id=603, value=4.5))
        session.add(InteractionRow(user_id=1, movie_id=862, kind="LIKED"))
        session.commit()
    engine.dispose()
    code = main(["recs", "train", "--out", str(tmp_path / "model"), "--database-url", url])
    assert code == 0
    loaded = RecommenderEngine.load(tmp_path / "model")
    assert loaded.model.stats["local_users"] == 1 and loaded.model.stats["prior_users"] == 610
    missing = f"sqlite+aiosqlite:///{tmp_path / 'missing.sqlite'}"
    assert main(["recs", "train", "--out", str(tmp_path / "m2"), "--database-url", missing]) == 1
    (tmp_path / "blank.sqlite").write_bytes(b"")  # a file without tables: not migrated
    blank = f"sqlite+aiosqlite:///{tmp_path / 'blank.sqlite'}"
    assert main(["recs", "train", "--out", str(tmp_path / "m3"), "--database-url", blank]) == 1
    assert not (tmp_path / "missing.sqlite").exists() and not (tmp_path / "m3").exists()


def test_read_local_data_returns_plain_tuples(tmp_path: Path) -> None:
    from reelgraph.persistence.migrate import upgrade_to_head

    url = f"sqlite+aiosqlite:///{tmp_path / 'empty.sqlite'}"
    upgrade_to_head(url)
    assert asyncio.run(recs_cli._read_local_data(url)) == (
        [],
        [],
        [],
        [],
    )  # ratings, interactions, their times


@pytest.mark.skipif(not DATASETS.is_dir(), reason="datasets not available")
def test_shipped_prior_is_a_deterministic_build_of_the_datasets(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location(
        "build_community_prior", REPO / "scripts" / "build_community_prior.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_community_prior"] = module
    spec.loader.exec_module(module)
    out = tmp_path / "community_prior.npz"
    module.build(DATASETS, out)
    shipped = REPO / "reelgraph" / "recommender" / "data" / "community_prior.npz"
    assert out.read_bytes() == shipped.read_bytes()
    assert (tmp_path / "ATTRIBUTION.md").read_text() == (shipped.parent / "ATTRIBUTION.md").read_text()
