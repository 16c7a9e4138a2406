"""Reasons that are true: "Because you liked X" names the movie that produced the score.

For every BECAUSE_YOU_LIKED reason of a fixed profile, removing the named movie from the profile
lowers that recommendation's score more than removing any other of the viewer's movies. Scores are
read back from the engine with the same profile minus one movie (``candidate_filter`` keeps just the
recommendation, so the diversity re-rank does not touch its score).
"""

from __future__ import annotations

from typing import Any

import pytest

from reelgraph.integrations.offline_catalog import OfflineCatalog
from reelgraph.recommender.engine import RecommenderEngine
from reelgraph.recommender.explain import ReasonKind
from reelgraph.recommender.profile import Preferences, UserProfile
from reelgraph.services.container import Services
from tests.helpers import GraphQLClient, register

THE_MATRIX, DARK_KNIGHT, INCEPTION, INTERSTELLAR, FELLOWSHIP = 603, 155, 27205, 157336, 120
SHAWSHANK, FORREST_GUMP = 278, 13
# The profile of the report: five 5-star ratings.
FIVE_STARS = {m: 5.0 for m in (THE_MATRIX, DARK_KNIGHT, INCEPTION, INTERSTELLAR, FELLOWSHIP)}
SEVEN_STARS = {**FIVE_STARS, SHAWSHANK: 5.0, FORREST_GUMP: 5.0}
# A warm viewer with mixed ratings: liked, lukewarm and disliked movies, several genres.
MIXED = {
    THE_MATRIX: 5.0,
    DARK_KNIGHT: 4.5,
    INCEPTION: 4.0,
    862: 4.5,  # Toy Story
    863: 4.0,  # Toy Story 2
    680: 3.0,  # Pulp Fiction
    550: 2.0,  # Fight Club
    597: 1.0,  # Titanic
    85: 4.5,  # Raiders of the Lost Ark
    11: 5.0,  # Star Wars
    1891: 4.0,  # The Empire Strikes Back
    105: 3.5,  # Back to the Future
    807: 2.5,  # Se7en
    12: 4.0,  # Finding Nemo
    585: 4.5,  # Monsters, Inc.
    2062: 3.0,  # Ratatouille
    24428: 4.0,  # The Avengers
    19995: 2.0,  # Avatar
    274: 1.5,  # The Silence of the Lambs
    8587: 4.5,  # The Lion King
    329: 3.5,  # Jurassic Park
    280: 4.0,  # Terminator 2
}


@pytest.fixture(scope="module")
def engine() -> RecommenderEngine:
    engine = RecommenderEngine()
    engine.train([], [], OfflineCatalog.load())
    return engine


def score_of(engine: RecommenderEngine, profile: UserProfile, movie: int, strategy: str) -> float:
    (only,) = engine.recommend(profile, k=1, strategy=strategy, candidate_filter={movie})
    return only.score


def without(profile: UserProfile, movie: int) -> UserProfile:
    ratings = {m: v for m, v in profile.ratings.items() if m != movie}
    rated_at = {m: t for m, t in profile.rated_at.items() if m != movie}
    return UserProfile(ratings=ratings, preferences=profile.preferences, rated_at=rated_at)


def assert_named_movies_contribute_most(
    engine: RecommenderEngine,
    profile: UserProfile,
    recommendations: list[tuple[int, list[int]]],
    strategy: str,
) -> int:
    """For each (movie, named movies): the named one's removal costs the most. Returns the count."""
    checked = 0
    for movie, named in recommendations:
        if not named:
            continue
        full = score_of(engine, profile, movie, strategy)
        drops = {m: full - score_of(engine, without(profile, m), movie, strategy) for m in profile.ratings}
        for name in named:
            others = {m: d for m, d in drops.items() if m != name}
            assert drops[name] > max(others.values()), (movie, name, drops)
            checked += 1
    return checked


# The mixed viewer rated one movie a quarter-year apart, the latest first: recent ones weigh more.
YEAR = 365.25 * 86400
WHEN = {m: 1.5e9 - n * YEAR / 4 for n, m in enumerate(MIXED)}


@pytest.mark.parametrize("timed", [False, True], ids=["untimed", "time-decayed"])
@pytest.mark.parametrize(
    ("ratings", "strategy"),
    [
        (FIVE_STARS, "HYBRID"),
        (SEVEN_STARS, "HYBRID"),
        (MIXED, "HYBRID"),
        (MIXED, "COLLABORATIVE"),
        (MIXED, "CONTENT"),
    ],
    ids=["five-stars", "seven-stars", "mixed", "mixed-collaborative", "mixed-content"],
)
def test_because_you_liked_names_the_movie_whose_removal_costs_most(
    engine: RecommenderEngine, ratings: dict[int, float], strategy: str, timed: bool
) -> None:
    profile = UserProfile(ratings=ratings, rated_at={m: WHEN.get(m, 1.5e9) for m in ratings} if timed else {})
    recs = engine.recommend(profile, k=10, strategy=strategy)
    assert len(recs) == 10
    named = [
        (r.tmdb_id, [x.movie_id for x in r.reasons if x.kind is ReasonKind.BECAUSE_YOU_LIKED and x.movie_id])
        for r in recs
    ]
    checked = assert_named_movies_contribute_most(engine, profile, named, strategy)
    if strategy != "CONTENT":  # content shares are small next to popularity: a reason is not owed
        assert checked >= 5, named
    for r in recs:
        # Only liked movies are named, and reasons come largest contribution first.
        assert all(ratings[x.movie_id] >= 4.0 for x in r.reasons if x.movie_id is not None)
        weights = [x.weight for x in r.reasons]
        assert weights == sorted(weights, reverse=True), r.reasons


def test_a_lukewarm_movie_that_drives_a_score_is_not_called_liked(engine: RecommenderEngine) -> None:
    # Pulp Fiction rated 3 still counts for the collaborative score; when it is the movie that
    # contributes most, no other movie is named in its place.
    profile = UserProfile(ratings=MIXED)
    for r in engine.recommend(profile, k=20):
        named = [x.movie_id for x in r.reasons if x.kind is ReasonKind.BECAUSE_YOU_LIKED]
        full = score_of(engine, profile, r.tmdb_id, "HYBRID")
        drops = {m: full - score_of(engine, without(profile, m), r.tmdb_id, "HYBRID") for m in MIXED}
        top = max(drops, key=lambda m: drops[m])
        if MIXED[top] < 4.0:
            assert named == [], (r.tmdb_id, top, named)


def test_similar_users_only_when_the_collaborative_part_dominates(engine: RecommenderEngine) -> None:
    # A five-rating viewer is scored mostly by popularity (cold blend): SIMILAR_USERS is claimed
    # only where the collaborative share outweighs popularity's, so not everywhere; the same viewer
    # on the collaborative strategy is scored by EASE alone: the claim is true for every movie.
    profile = UserProfile(ratings=FIVE_STARS)
    hybrid = engine.recommend(profile, k=10)
    for r in hybrid:
        shares = {x.kind: x.weight for x in r.reasons}
        if ReasonKind.SIMILAR_USERS in shares:
            assert shares[ReasonKind.SIMILAR_USERS] >= shares.get(ReasonKind.POPULAR, 0.0), r.reasons
    assert any(r.reasons[0].kind is ReasonKind.POPULAR for r in hybrid)
    assert not all(any(x.kind is ReasonKind.SIMILAR_USERS for x in r.reasons) for r in hybrid)
    collaborative = engine.recommend(profile, k=10, strategy="COLLABORATIVE")
    assert all(any(x.kind is ReasonKind.SIMILAR_USERS for x in r.reasons) for r in collaborative)


def test_favorite_genre_is_named_only_when_it_moved_the_movie_into_the_list(
    engine: RecommenderEngine,
) -> None:
    drama = 18
    catalog = OfflineCatalog.load()
    plain = UserProfile(ratings=MIXED)
    stated = UserProfile(ratings=MIXED, preferences=Preferences(favorite_genres=(drama,)))
    before = {r.tmdb_id for r in engine.recommend(plain, k=10)}
    after = engine.recommend(stated, k=10)
    claimed = {r.tmdb_id for r in after if any(x.kind is ReasonKind.FAVORITE_GENRE for x in r.reasons)}
    # Movies the viewer got anyway (the same list without the stated genre) owe nothing to it...
    assert not claimed & before
    # ...and the dramas the preference brought in each say so.
    newcomers = {r.tmdb_id for r in after} - before
    dramas = {m for m in newcomers if drama in catalog.movie(m).genre_ids}  # type: ignore[union-attr]
    assert dramas and dramas == claimed


RECS = """
query { recommendations(first: 10) {
  movie { tmdbId title } score reasons { kind text becauseOf { tmdbId title } }
} }
"""
RATE = "mutation($m: Int!, $v: Float!) { rateMovie(movieId: $m, value: $v) { errors { code } } }"


async def test_reasons_over_graphql_name_what_produced_the_score(gql: GraphQLClient, app: Any) -> None:
    token = (await register(gql))["accessToken"]
    for movie, value in FIVE_STARS.items():
        assert (await gql(RATE, {"m": movie, "v": value}, token=token))["data"]["rateMovie"]["errors"] == []
    body = await gql(RECS, token=token)
    assert "errors" not in body, body
    recs = body["data"]["recommendations"]
    assert len(recs) == 10
    services: Services = app.state.services
    engine = await services.recommendations.ready_engine()
    named: list[tuple[int, list[int]]] = []
    for r in recs:
        assert r["reasons"], r
        because = [reason for reason in r["reasons"] if reason["kind"] == "BECAUSE_YOU_LIKED"]
        for reason in because:
            assert reason["text"] == f"Because you liked {reason['becauseOf']['title']}"
        named.append((r["movie"]["tmdbId"], [reason["becauseOf"]["tmdbId"] for reason in because]))
    checked = assert_named_movies_contribute_most(engine, UserProfile(ratings=FIVE_STARS), named, "HYBRID")
    assert checked >= 5, named
