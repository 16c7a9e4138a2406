"""Time-aware recommendations: recent ratings lead, the temporal protocol never trains on the future.

Small synthetic data: two clusters of catalog movies (animation, horror) liked by two groups of
local users, and random timelines for the protocol.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select, update

from reelgraph.cli import main
from reelgraph.integrations.offline_catalog import OfflineCatalog
from reelgraph.persistence.models import InteractionRow, RatingRow, UserRow
from reelgraph.recommender import evaluation as ev
from reelgraph.recommender import movielens, splitting
from reelgraph.recommender.engine import RecommenderEngine
from reelgraph.recommender.profile import UserProfile
from reelgraph.recommender.storage import CommunityPrior
from reelgraph.recommender.time_decay import SECONDS_PER_DAY, decay
from tests.helpers import GraphQLClient, register

ANIMATION, HORROR = 16, 27
YEAR = 365 * SECONDS_PER_DAY
T_OLD = 1_262_304_000  # 2010-01-01
T_NEW = T_OLD + 12 * YEAR


def _cluster(catalog: OfflineCatalog, genre: int, other: int, n: int) -> list[int]:
    movies = (catalog.movie(i) for i in catalog.popular())
    return [m.id for m in movies if m and m.genre_ids[:1] == (genre,) and other not in m.genre_ids][:n]


@pytest.fixture(scope="module")
def clusters() -> tuple[list[int], list[int]]:
    catalog = OfflineCatalog.load()
    return _cluster(catalog, ANIMATION, HORROR, 30), _cluster(catalog, HORROR, ANIMATION, 30)


@pytest.fixture(scope="module")
def engine(clusters: tuple[list[int], list[int]]) -> RecommenderEngine:
    rng = np.random.default_rng(7)
    ratings = []
    for user in range(60):
        cluster = clusters[user % 2]
        for movie in rng.choice(cluster, 15, replace=False).tolist():
            ratings.append((user, int(movie), float(rng.choice([4.0, 4.5, 5.0]))))
    engine = RecommenderEngine()
    engine.train(ratings, [], OfflineCatalog.load(), prior=CommunityPrior.empty())
    return engine


def _kinds(
    engine: RecommenderEngine, profile: UserProfile, clusters: tuple[list[int], list[int]]
) -> tuple[int, int]:
    top = [r.tmdb_id for r in engine.recommend(profile, k=10)]
    return sum(t in clusters[0] for t in top), sum(t in clusters[1] for t in top)


def test_recent_ratings_decide_the_kind_of_recommendations(
    engine: RecommenderEngine, clusters: tuple[list[int], list[int]]
) -> None:
    animation, horror = clusters[0][:5], clusters[1][:5]
    ratings = {m: 5.0 for m in (*animation, *horror)}
    # The same ratings; only when they were given differs.
    recent_animation = UserProfile(
        ratings=ratings, rated_at={**{m: T_OLD for m in horror}, **{m: T_NEW for m in animation}}
    )
    recent_horror = UserProfile(
        ratings=ratings, rated_at={**{m: T_NEW for m in horror}, **{m: T_OLD for m in animation}}
    )
    a, h = _kinds(engine, recent_animation, clusters)
    assert a > h
    a, h = _kinds(engine, recent_horror, clusters)
    assert h > a


def test_decay_halves_at_the_half_life() -> None:
    weights = decay(np.array([0.0, 365.0, 730.0, -3.0]), 365.0)
    assert weights.tolist() == pytest.approx([1.0, 0.5, 0.25, 1.0])
    assert decay(np.array([1e4]), None).tolist() == [1.0]


def _timeline_table(seed: int = 3) -> movielens.RatingsTable:
    rng = np.random.default_rng(seed)
    users, movies, stamps = [], [], []
    for user in range(1, 81):
        n = int(rng.integers(10, 40))
        start = T_OLD + int(rng.integers(0, 8 * YEAR))
        users += [user] * n
        movies += rng.choice(np.arange(1, 300), n, replace=False).tolist()
        stamps += (start + np.sort(rng.integers(0, 2 * YEAR, n))).tolist()
    order = np.lexsort((movies, users))
    return movielens.RatingsTable(
        users=np.array(users, dtype=np.int64)[order],
        movies=np.array(movies, dtype=np.int64)[order],
        values=rng.choice([2.0, 3.0, 4.0, 5.0], len(users)).astype(np.float32)[order],
        timestamps=np.array(stamps, dtype=np.int64)[order],
    )


@pytest.mark.parametrize("kept", [None, splitting.COLD_SLICE_RATINGS])
def test_temporal_protocol_never_trains_on_the_future(kept: int | None) -> None:
    table = _timeline_table()
    test, recency = splitting.temporal_split(table)
    for user in np.unique(table.users):
        rows = table.users == user
        # Each user's test ratings are their latest ones.
        assert table.timestamps[rows & test].min() >= table.timestamps[rows & ~test].max()
    buckets = splitting.temporal_buckets(table, test, recency, kept_ratings=kept)
    assert len(buckets) > 3
    evaluated = set()
    for bucket in buckets:
        first_test = table.timestamps[bucket.test_rows].min()
        assert table.timestamps[bucket.train_rows].max() < bucket.cutoff <= first_test
        assert not np.isin(bucket.input_rows, bucket.test_rows).any()
        bucket_users = np.unique(table.users[bucket.test_rows])
        assert not evaluated & set(bucket_users.tolist())  # a user is evaluated once
        evaluated |= set(bucket_users.tolist())
        if kept is not None:
            assert np.bincount(table.users[bucket.input_rows]).max() <= kept
            # The cold users' dropped ratings teach the models nothing.
            own = np.isin(table.users[bucket.train_rows], bucket_users)
            assert np.isin(bucket.train_rows[own], bucket.input_rows).all()


def test_temporal_evaluation_reports_the_baselines_and_the_cold_slice() -> None:
    table = _timeline_table()
    catalog = OfflineCatalog.load()
    # Real catalog ids so the content model has something to read.
    ids = np.array(list(catalog.popular())[:300], dtype=np.int64)
    table = movielens.RatingsTable(
        table.users, ids[table.movies - 1], table.values, timestamps=table.timestamps
    )
    order = np.lexsort((table.movies, table.users))
    table = table.take(order)
    report = ev.evaluate(
        table, catalog, seeds=(1,), methods=["HYBRID", "MostPop", "RecencyPop", "EASE500"], protocol="both"
    )
    assert {"HYBRID", "MostPop", "RecencyPop", "EASE500"} <= set(report.results[ev.TEMPORAL])
    assert {"HYBRID", "MostPop", "RecencyPop"} <= set(report.results[ev.TEMPORAL_COLD])
    assert "full" in report.results
    text = report.markdown()
    assert "Temporal" in text and "cold slice" in text


def test_recs_batch_reads_movielens_files_with_timestamps(tmp_path: Path) -> None:
    catalog = OfflineCatalog.load()
    ids = list(catalog.popular())[:40]
    ratings, links, users, out = (tmp_path / n for n in ("ratings.csv", "links.csv", "users.txt", "out.csv"))
    with ratings.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["userId", "movieId", "rating", "timestamp"])
        for user in range(1, 11):
            for n, movie in enumerate(ids[user : user + 12]):
                writer.writerow([user, movie, 4.0 + (n % 3) / 2, T_OLD + user * 1000 + n])
    links.write_text("movieId,imdbId,tmdbId\n" + "".join(f"{m},,{m}\n" for m in ids))
    users.write_text("1\n2\n")
    args = ["recs", "batch", "--train", str(ratings), "--links", str(links), "--users", str(users)]
    assert main([*args, "--k", "3", "--out", str(out)]) == 0
    rows = list(csv.DictReader(out.open()))
    assert [(r["userId"], r["rank"]) for r in rows] == [(u, str(k)) for u in ("1", "2") for k in (1, 2, 3)]
    rated_by_1 = {str(m) for m in ids[1:13]}
    assert not {r["movieId"] for r in rows if r["userId"] == "1"} & rated_by_1


RECS = "query { recommendations(first: 10) { movie { tmdbId } } }"
RATE = "mutation($m: Int!, $v: Float!) { rateMovie(movieId: $m, value: $v) { errors { code } } }"


async def _backdate(app: Any, email: str, movies: list[int], years: int) -> None:
    """The viewer's ratings (and the SEEN a rating records) of ``movies`` as if ``years`` ago."""
    moment = datetime.now(UTC) - timedelta(days=365 * years)
    async with app.state.services.sessions() as session:
        user_id = (await session.execute(select(UserRow.id).where(UserRow.email == email))).scalar_one()
        mine = (RatingRow.user_id == user_id, RatingRow.movie_id.in_(movies))
        await session.execute(update(RatingRow).where(*mine).values(updated_at=moment))
        seen = (InteractionRow.user_id == user_id, InteractionRow.movie_id.in_(movies))
        await session.execute(update(InteractionRow).where(*seen).values(created_at=moment))
        await session.commit()


async def test_over_http_the_viewers_recent_ratings_lead(app: Any, gql: GraphQLClient) -> None:
    catalog = OfflineCatalog.load()
    animation = _cluster(catalog, ANIMATION, HORROR, 6)
    horror = _cluster(catalog, HORROR, ANIMATION, 6)
    lists = []
    for old in (horror, animation):
        account = await register(gql)
        for movie in (*animation, *horror):
            body = await gql(RATE, {"m": movie, "v": 5.0}, token=account["accessToken"])
            assert body["data"]["rateMovie"]["errors"] == [], body
        await _backdate(app, account["user"]["email"], old, years=12)
        body = await gql(RECS, {}, token=account["accessToken"])
        top = [r["movie"]["tmdbId"] for r in body["data"]["recommendations"]]
        primary = [catalog.movie(t).genre_ids[:1] for t in top]  # type: ignore[union-attr]
        lists.append({g: primary.count((g,)) for g in (ANIMATION, HORROR)})
    recent_animation, recent_horror = lists
    # The same ratings: whichever kind was rated recently gains places in the list.
    assert recent_animation[ANIMATION] > recent_horror[ANIMATION], lists
    assert recent_horror[HORROR] > recent_animation[HORROR], lists


def test_tune_time_chooses_from_the_grid_on_the_training_side(monkeypatch: pytest.MonkeyPatch) -> None:
    from reelgraph.recommender import tuning

    table = _timeline_table()
    catalog = OfflineCatalog.load()
    ids = np.array(list(catalog.popular())[:300], dtype=np.int64)
    table = movielens.RatingsTable(
        table.users, ids[table.movies - 1], table.values, timestamps=table.timestamps
    )
    table = table.take(np.lexsort((table.movies, table.users)))
    test, _ = splitting.temporal_split(table)
    latest_test = int(table.timestamps[test].max())
    seen: list[int] = []
    real = tuning.evaluate_temporal

    def spy(inner: movielens.RatingsTable, *args: Any, **kwargs: Any) -> None:
        seen.append(int(inner.timestamps.max()))
        real(inner, *args, **kwargs)

    monkeypatch.setattr(tuning, "evaluate_temporal", spy)
    grid = (("popularity_half_life_days", (None, 30.0)), ("cold.popularity", (1.0, 5.0)))
    report = tuning.tune_time(table, catalog, grid=grid)
    assert report.chosen.popularity_half_life_days in (None, 30.0)
    assert report.chosen.cold.popularity in (1.0, 5.0)
    assert [name for name, _, _ in report.steps] == [n for n, values in grid for _ in values]
    assert "Chosen: popularity half-life" in report.markdown()
    # The test split is never read: every validation run sees the train side only.
    assert seen and max(seen) < latest_test
