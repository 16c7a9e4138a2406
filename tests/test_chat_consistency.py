"""Issue 19 over /graphql: every movie an answer returns keeps every filter in force (SIMILAR too),
a filter set that matches nothing is relaxed in the stated order and says so, and a reference that
cannot be resolved is asked about instead of guessed."""

from __future__ import annotations

from typing import Any

from tests.helpers import GraphQLClient

CHAT = """
mutation Chat($m: String!, $s: ID, $v: [Int!]) {
  chat(message: $m, sessionId: $s, visibleMovieIds: $v) {
    session { id }
    reply intent relaxed
    choices { tmdbId title year }
    filters { runtimeMax yearFrom yearTo similarTo { title } keywords }
    movies { tmdbId title year runtime }
  }
}
"""


async def turn(gql: GraphQLClient, message: str, **variables: Any) -> dict[str, Any]:
    body = await gql(CHAT, {"m": message, **variables})
    assert "errors" not in body, body
    return body["data"]["chat"]


async def test_similar_keeps_the_runtime_limit(gql: GraphQLClient) -> None:
    payload = await turn(gql, "Something like Inception, under 100 minutes")
    assert payload["intent"] == "SIMILAR"
    assert payload["filters"]["runtimeMax"] == 100
    assert payload["movies"], payload["reply"]
    if payload["relaxed"]:  # nothing like it is that short: the reply must say the limit went
        assert payload["relaxed"] == ["runtimeMax"] and payload["reply"].startswith("No ")
    else:
        for movie in payload["movies"]:
            assert movie["runtime"] is not None and movie["runtime"] <= 100, movie
        assert "The Prestige" not in payload["reply"]


async def test_movies_from_a_year_are_that_year(gql: GraphQLClient) -> None:
    payload = await turn(gql, "movies from 1994")
    assert (payload["filters"]["yearFrom"], payload["filters"]["yearTo"]) == (1994, 1994)
    assert payload["movies"] and {m["year"] for m in payload["movies"]} == {1994}


async def test_nothing_matching_relaxes_the_runtime_first_and_says_so(gql: GraphQLClient) -> None:
    payload = await turn(gql, "science fiction from the 90s with Keanu Reeves under 30 minutes")
    assert payload["filters"]["runtimeMax"] == 30
    assert payload["relaxed"] == ["runtimeMax"], payload["reply"]
    assert payload["movies"]
    assert payload["reply"].startswith("No "), payload["reply"]


async def test_the_second_one_with_nothing_visible_asks(gql: GraphQLClient) -> None:
    payload = await turn(gql, "the second one")
    assert payload["intent"] == "CLARIFY"
    assert payload["movies"] == []
    assert "?" in payload["reply"]
