"""The recommender engine: training, recommendations with reasons, cold start, persistence."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import numpy as np
import pytest

from reelgraph.integrations.offline_catalog import OfflineCatalog
from reelgraph.recommender.engine import NotTrainedError, RecommenderEngine
from reelgraph.recommender.explain import ReasonKind
from reelgraph.recommender.hybrid import Strategy
from reelgraph.recommender.profile import Preferences, UserProfile
from reelgraph.recommender.storage import CommunityPrior
from reelgraph.recommender.training import build_model

THE_MATRIX = 603
TOY_STORY = 862
TOY_STORY_2 = 863
PULP_FICTION = 680
INCEPTION = 27205
SCIENCE_FICTION = 878
HORROR = 27
ANIMATION = 16

# Two small "local" users, in TMDb ids, on top of the shipped prior.
LOCAL_RATINGS = [(1, THE_MATRIX, 5.0), (1, INCEPTION, 4.5), (2, TOY_STORY, 4.0), (2, TOY_STORY_2, 4.0)]
LOCAL_INTERACTIONS = [(1, PULP_FICTION, "LIKED"), (2, THE_MATRIX, "WATCH_LATER"), (2, 550, "NOT_INTERESTED")]


@pytest.fixture(scope="module")
def catalog() -> OfflineCatalog:
    return OfflineCatalog.load()


@pytest.fixture(scope="module")
def engine(catalog: OfflineCatalog) -> RecommenderEngine:
    engine = RecommenderEngine()
    engine.train(LOCAL_RATINGS, LOCAL_INTERACTIONS, catalog)
    return engine


def _genres(catalog: OfflineCatalog, tmdb_id: int) -> tuple[int, ...]:
    movie = catalog.movie(tmdb_id)
    assert movie is not None
    return movie.genre_ids


def test_shipped_prior_is_movielens_small_in_tmdb_ids() -> None:
    prior = CommunityPrior.load()
    assert len(prior) > 100_000
    assert len(np.unique(prior.users)) == 610
    assert prior.ratings.min() >= 0.5 and prior.ratings.max() <= 5.0
    assert np.all(np.isin([THE_MATRIX, TOY_STORY, PULP_FICTION], prior.tmdb_ids))
    assert (Path(__file__).parents[1] / "reelgraph/recommender/data/ATTRIBUTION.md").read_text().count(
        "GroupLens"
    ) >= 2


def test_untrained_engine_says_so() -> None:
    engine = RecommenderEngine()
    assert not engine.is_trained and engine.version is None
    with pytest.raises(NotTrainedError):
        engine.recommend(UserProfile())


def test_training_covers_prior_local_and_catalog(engine: RecommenderEngine, catalog: OfflineCatalog) -> None:
    stats = engine.model.stats
    assert stats["prior_users"] == 610 and stats["local_users"] == 2
    assert stats["items"] >= catalog.movie_count
    assert engine.version is not None and engine.version.startswith("r1-")


def test_version_is_a_hash_of_the_training_data(engine: RecommenderEngine, catalog: OfflineCatalog) -> None:
    # Another replica training on the same data gets the same version; other data, another one.
    replica = RecommenderEngine()
    assert replica.train(list(reversed(LOCAL_RATINGS)), LOCAL_INTERACTIONS, catalog) == engine.version
    other = RecommenderEngine()
    assert (
        other.train([*LOCAL_RATINGS, (3, PULP_FICTION, 2.0)], LOCAL_INTERACTIONS, catalog) != engine.version
    )


def test_recommendations_exclude_what_the_viewer_already_knows(engine: RecommenderEngine) -> None:
    profile = UserProfile(
        ratings={THE_MATRIX: 5.0, INCEPTION: 4.0},
        interactions={PULP_FICTION: {"SEEN"}, 550: {"NOT_INTERESTED"}, 155: {"WATCH_LATER"}},
        preferences=Preferences(favorite_movies=(TOY_STORY,)),
    )
    recs = engine.recommend(profile, k=50, exclude_ids=[13])
    ids = [r.tmdb_id for r in recs]
    assert len(ids) == 50 and len(set(ids)) == 50
    assert not {THE_MATRIX, INCEPTION, PULP_FICTION, 550, 155, TOY_STORY, 13} & set(ids)
    scores = [r.score for r in recs]
    assert scores == sorted(scores, reverse=True)
    for strategy in Strategy:
        assert len(engine.recommend(profile, k=10, strategy=strategy)) == 10


def test_because_you_liked_names_a_liked_movie_in_english_and_french(engine: RecommenderEngine) -> None:
    profile = UserProfile(ratings={THE_MATRIX: 5.0, TOY_STORY: 4.5, 13: 1.0})
    recs = engine.recommend(profile, k=20)
    because = [reason for r in recs for reason in r.reasons if reason.kind is ReasonKind.BECAUSE_YOU_LIKED]
    assert because, "a viewer with liked movies gets BECAUSE_YOU_LIKED reasons"
    # Only movies the viewer liked are named: never the one rated 1 star.
    assert {reason.movie_id for reason in because} <= {THE_MATRIX, TOY_STORY}
    matrix = next(reason for reason in because if reason.movie_id == THE_MATRIX)
    assert matrix.text("en") == "Because you liked The Matrix"
    assert matrix.text("fr-FR") == "Parce que vous avez aimé The Matrix"
    assert all(r.reasons for r in recs)
    assert all(1 <= len(r.reasons) <= 3 for r in recs)


def test_cold_start_is_popular_movies_in_the_favorite_genres(
    engine: RecommenderEngine, catalog: OfflineCatalog
) -> None:
    profile = UserProfile(preferences=Preferences(favorite_genres=(ANIMATION,), disliked_genres=(HORROR,)))
    recs = engine.recommend(profile, k=10)
    assert len(recs) == 10
    assert all(ANIMATION in _genres(catalog, r.tmdb_id) for r in recs)
    assert all(HORROR not in _genres(catalog, r.tmdb_id) for r in recs)
    first = recs[0].reasons
    # The genre is named where it moved a movie into the list (not for hits listed anyway).
    genre = next(reason for r in recs for reason in r.reasons if reason.kind is ReasonKind.FAVORITE_GENRE)
    assert genre.genre_id == ANIMATION
    assert genre.text("fr") == "Un de vos genres préférés : Animation"
    assert any(reason.kind is ReasonKind.POPULAR for reason in first)
    # Popular first: the list is far more popular than the genre's average movie.
    popularity = [catalog.movie(r.tmdb_id).popularity for r in recs]  # type: ignore[union-attr]
    genre_movies = [m.popularity for m in catalog.movies(catalog.popular()) if ANIMATION in m.genre_ids]
    assert np.median(popularity) > np.percentile(genre_movies, 90)


def test_no_profile_at_all_gets_popular_movies(engine: RecommenderEngine) -> None:
    recs = engine.recommend(UserProfile(), k=5)
    assert len(recs) == 5
    assert all(r.reasons[0].kind is ReasonKind.POPULAR for r in recs)
    assert [r.tmdb_id for r in recs] == [
        r.tmdb_id for r in engine.recommend(UserProfile(), k=5, strategy="POPULAR")
    ]


def test_disliked_genres_are_kept_out(engine: RecommenderEngine, catalog: OfflineCatalog) -> None:
    profile = UserProfile(
        ratings={THE_MATRIX: 5.0}, preferences=Preferences(disliked_genres=(SCIENCE_FICTION,))
    )
    recs = engine.recommend(profile, k=20)
    primary = [_genres(catalog, r.tmdb_id)[:1] for r in recs]
    assert all(SCIENCE_FICTION not in g for g in primary)


def test_favorite_person_reason(engine: RecommenderEngine, catalog: OfflineCatalog) -> None:
    nolan = next(p for p in catalog.search_people("Christopher Nolan") if p.directed_movie_ids)
    profile = UserProfile(ratings={THE_MATRIX: 5.0}, preferences=Preferences(favorite_people=(nolan.id,)))
    recs = engine.recommend(profile, k=20)
    person = [x for r in recs for x in r.reasons if x.kind is ReasonKind.FAVORITE_PERSON]
    assert person and person[0].person_id == nolan.id
    assert person[0].text() == "Directed by Christopher Nolan, one of your favorites"
    assert person[0].text("fr") == "Réalisé par Christopher Nolan, l'un de vos favoris"


def test_candidate_filter_as_a_set_or_a_predicate(engine: RecommenderEngine, catalog: OfflineCatalog) -> None:
    profile = UserProfile(ratings={THE_MATRIX: 5.0})
    allowed = {TOY_STORY, TOY_STORY_2, INCEPTION, THE_MATRIX}
    assert {r.tmdb_id for r in engine.recommend(profile, k=10, candidate_filter=allowed)} == allowed - {
        THE_MATRIX
    }

    def is_animation(tmdb_id: int) -> bool:
        return ANIMATION in _genres(catalog, tmdb_id)

    recs = engine.recommend(profile, k=15, candidate_filter=is_animation)
    assert len(recs) == 15 and all(is_animation(r.tmdb_id) for r in recs)
    assert engine.recommend(profile, k=5, candidate_filter=lambda _: False) == []


def test_similar_items(engine: RecommenderEngine) -> None:
    similar = [r.tmdb_id for r in engine.similar_items(TOY_STORY, 10)]
    assert len(similar) == 10 and TOY_STORY not in similar
    assert TOY_STORY_2 in similar[:3]
    assert engine.similar_items(-1, 10) == []


def test_save_and_load_round_trip(engine: RecommenderEngine, tmp_path: Path) -> None:
    engine.save(tmp_path / "model")
    loaded = RecommenderEngine.load(tmp_path / "model")
    assert loaded.version == engine.version
    profile = UserProfile(
        ratings={THE_MATRIX: 5.0, TOY_STORY: 2.0}, preferences=Preferences(favorite_genres=(35,))
    )
    original = engine.recommend(profile, k=10)
    again = loaded.recommend(profile, k=10)
    assert [r.tmdb_id for r in again] == [r.tmdb_id for r in original]
    assert [r.reasons for r in again] == [r.reasons for r in original]
    assert [r.tmdb_id for r in loaded.similar_items(THE_MATRIX, 5)] == [
        r.tmdb_id for r in engine.similar_items(THE_MATRIX, 5)
    ]


def test_a_200_rating_viewer_is_served_fast(engine: RecommenderEngine) -> None:
    prior = CommunityPrior.load()
    user = int(np.argmin(np.abs(np.bincount(prior.users) - 200)))
    rows = prior.users == user
    profile = UserProfile(
        ratings=dict(zip(prior.tmdb_ids[rows].tolist(), prior.ratings[rows].tolist(), strict=True))
    )
    engine.recommend(profile, k=20)
    samples = []
    for _ in range(15):
        started = time.perf_counter()
        engine.recommend(profile, k=20)
        samples.append(time.perf_counter() - started)
    # The target is 50 ms at p50 on a quiet machine; a loaded CI box gets some slack.
    assert float(np.median(samples)) < 0.15


async def test_training_runs_off_the_event_loop(catalog: OfflineCatalog) -> None:
    engine = RecommenderEngine()
    ticks = 0
    stop = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            await asyncio.sleep(0.005)

    task = asyncio.create_task(ticker())
    version = await engine.train_async(LOCAL_RATINGS, LOCAL_INTERACTIONS, catalog)
    stop.set()
    await task
    assert engine.version == version
    assert ticks >= 5, "the event loop kept running while the model trained"


def test_local_data_alone_trains_a_model(catalog: OfflineCatalog) -> None:
    model = build_model(LOCAL_RATINGS, LOCAL_INTERACTIONS, catalog, prior=CommunityPrior.empty())
    assert model.stats["prior_users"] == 0 and model.stats["local_users"] == 2
    engine = RecommenderEngine(model)
    recs = engine.recommend(UserProfile(ratings={THE_MATRIX: 5.0}), k=5, strategy="COLLABORATIVE")
    assert INCEPTION in [r.tmdb_id for r in recs]  # user 1 watched both


async def test_training_in_a_process_pool(catalog: OfflineCatalog) -> None:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    engine = RecommenderEngine()
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
        # The packaged catalog is accepted (the worker loads it itself); the model comes back pickled.
        version = await engine.train_async(LOCAL_RATINGS, LOCAL_INTERACTIONS, catalog, executor=pool)
    replica = RecommenderEngine()
    assert version == replica.train(LOCAL_RATINGS, LOCAL_INTERACTIONS, catalog)
    assert [r.tmdb_id for r in engine.recommend(UserProfile(ratings={THE_MATRIX: 5.0}), k=5)] == [
        r.tmdb_id for r in replica.recommend(UserProfile(ratings={THE_MATRIX: 5.0}), k=5)
    ]
