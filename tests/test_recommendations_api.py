"""Recommendations over HTTP: strategies, reasons, hiding, filters and cold start."""

from __future__ import annotations

from typing import Any

import pytest

from reelgraph.integrations.offline_catalog import OfflineCatalog
from tests.helpers import GraphQLClient, error_codes, register

RECS = """
query Recs($s: RecommendationStrategy, $first: Int, $f: MovieFilter, $l: String) {
  recommendations(strategy: $s, first: $first, filter: $f, language: $l) {
    movie { tmdbId title year runtime genres { tmdbId } }
    score
    reasons { kind text becauseOf { tmdbId } genre { tmdbId } person { tmdbId } }
  }
}
"""
RATE = "mutation($m: Int!, $v: Float!) { rateMovie(movieId: $m, value: $v) { errors { code } } }"
SET = "mutation($m: Int!, $k: InteractionKind!) { setInteraction(movieId: $m, kind: $k) { errors { code } } }"
PREFS = "mutation($g: [Int!]) { updatePreferences(input: {favoriteGenres: $g}) { errors { code } } }"
LIKED = {603: 5.0, 27205: 4.5, 157336: 4.5, 155: 4.0}  # The Matrix, Inception, Interstellar, The Dark Knight


async def recs(gql: GraphQLClient, token: str, **variables: Any) -> list[dict[str, Any]]:
    body = await gql(RECS, variables, token=token)
    assert "errors" not in body, body
    found: list[dict[str, Any]] = body["data"]["recommendations"]
    return found


@pytest.fixture
async def fan(gql: GraphQLClient) -> str:
    token = str((await register(gql))["accessToken"])
    for movie, value in LIKED.items():
        assert (await gql(RATE, {"m": movie, "v": value}, token=token))["data"]["rateMovie"]["errors"] == []
    return token


async def test_anonymous_callers_must_sign_in(gql: GraphQLClient) -> None:
    assert error_codes(await gql(RECS, {})) == ["UNAUTHENTICATED"]


@pytest.mark.parametrize("strategy", ["HYBRID", "CONTENT", "COLLABORATIVE", "POPULAR"])
async def test_every_strategy_answers_with_explained_new_movies(
    gql: GraphQLClient, fan: str, strategy: str
) -> None:
    found = await recs(gql, fan, s=strategy, first=10)
    assert len(found) == 10
    ids = [r["movie"]["tmdbId"] for r in found]
    assert len(set(ids)) == 10
    assert not set(ids) & set(LIKED)  # never what the viewer already rated
    scores = [r["score"] for r in found]
    assert scores == sorted(scores, reverse=True)
    for r in found:
        assert r["reasons"], r
        for reason in r["reasons"]:
            assert reason["kind"] in {
                "BECAUSE_YOU_LIKED",
                "FAVORITE_GENRE",
                "FAVORITE_PERSON",
                "SIMILAR_USERS",
                "POPULAR",
            }
            assert reason["text"]
            if reason["kind"] == "BECAUSE_YOU_LIKED":
                assert reason["becauseOf"]["tmdbId"] in LIKED


async def test_personal_strategies_follow_taste(gql: GraphQLClient, fan: str) -> None:
    hybrid = await recs(gql, fan, s="HYBRID", first=20)
    popular = await recs(gql, fan, s="POPULAR", first=20)
    assert [r["movie"]["tmdbId"] for r in hybrid] != [r["movie"]["tmdbId"] for r in popular]
    reasons = {reason["kind"] for r in hybrid for reason in r["reasons"]}
    assert "BECAUSE_YOU_LIKED" in reasons
    # A science-fiction fan gets mostly science fiction and action from the content model.
    content = await recs(gql, fan, s="CONTENT", first=10)
    themed = [r for r in content if {878, 28, 12, 53} & {g["tmdbId"] for g in r["movie"]["genres"]}]
    assert len(themed) >= 7


async def test_reasons_name_their_movie_however_the_query_asks(gql: GraphQLClient, fan: str) -> None:
    """The named movie comes back through a fragment too, and the texts alone answer the same."""
    by_fragment = """
    query { recommendations(first: 10) { movie { tmdbId } reasons { ...Why } } }
    fragment Why on RecommendationReason { kind text becauseOf { tmdbId title } }
    """
    texts_only = "query { recommendations(first: 10) { movie { tmdbId } reasons { kind text } } }"
    named = (await gql(by_fragment, {}, token=fan))["data"]["recommendations"]
    plain = (await gql(texts_only, {}, token=fan))["data"]["recommendations"]
    liked = [x for r in named for x in r["reasons"] if x["kind"] == "BECAUSE_YOU_LIKED"]
    assert liked and all(x["becauseOf"]["tmdbId"] in LIKED and x["becauseOf"]["title"] for x in liked)
    assert [r["movie"]["tmdbId"] for r in plain] == [r["movie"]["tmdbId"] for r in named]
    assert [[x["text"] for x in r["reasons"]] for r in plain] == [
        [x["text"] for x in r["reasons"]] for r in named
    ]


async def test_reasons_in_french(gql: GraphQLClient, fan: str) -> None:
    found = await recs(gql, fan, first=5, l="fr-FR")
    texts = [reason["text"] for r in found for reason in r["reasons"]]
    assert any(text.startswith("Parce que vous avez aimé") for text in texts), texts


async def test_hidden_movies_never_appear(gql: GraphQLClient, fan: str) -> None:
    before = [r["movie"]["tmdbId"] for r in await recs(gql, fan, first=10)]
    for movie, kind in zip(before[:3], ["SEEN", "NOT_INTERESTED", "SEEN"], strict=True):
        assert (await gql(SET, {"m": movie, "k": kind}, token=fan))["data"]["setInteraction"]["errors"] == []
    after = [r["movie"]["tmdbId"] for r in await recs(gql, fan, first=10)]
    assert len(after) == 10
    assert not set(before[:3]) & set(after)


async def test_filters_apply(gql: GraphQLClient, fan: str) -> None:
    found = await recs(gql, fan, first=10, f={"genres": [16], "yearFrom": 2000, "runtimeMax": 110})
    assert found
    for r in found:
        assert 16 in [g["tmdbId"] for g in r["movie"]["genres"]]
        assert r["movie"]["year"] >= 2000
        assert r["movie"]["runtime"] is None or r["movie"]["runtime"] <= 110
    bad = await gql(RECS, {"f": {"yearFrom": 2010, "yearTo": 2000}}, token=fan)
    assert error_codes(bad) == ["BAD_USER_INPUT"]
    assert error_codes(await gql(RECS, {"first": 101}, token=fan)) == ["BAD_USER_INPUT"]


async def test_cold_start_uses_favorite_genres(gql: GraphQLClient) -> None:
    token = (await register(gql))["accessToken"]
    plain = await recs(gql, token, first=10)
    assert len(plain) == 10
    assert all(reason["kind"] == "POPULAR" for r in plain for reason in r["reasons"])
    assert (await gql(PREFS, {"g": [27]}, token=token))["data"]["updatePreferences"]["errors"] == []
    horror = await recs(gql, token, first=10)
    assert all(27 in [g["tmdbId"] for g in r["movie"]["genres"]] for r in horror)
    assert any(
        reason["kind"] == "FAVORITE_GENRE" and reason["genre"]["tmdbId"] == 27
        for r in horror
        for reason in r["reasons"]
    )


async def test_movie_recommendations_merge_local_neighbours(gql: GraphQLClient, fan: str) -> None:
    query = "query($m: Int!) { movie(tmdbId: $m) { recommendations(first: 10) { tmdbId } } }"
    merged = [m["tmdbId"] for m in (await gql(query, {"m": 603}))["data"]["movie"]["recommendations"]]
    assert len(merged) == 10 and len(set(merged)) == 10 and 603 not in merged
    # Not only TMDb's list (here the offline catalog's): the server's own neighbours are interleaved.
    tmdb_list = set(OfflineCatalog.load().recommendations(603)[:20])
    assert set(merged) - tmdb_list
    assert set(merged) & tmdb_list
