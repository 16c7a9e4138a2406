"""The assistant over /graphql keeps what the user asked across turns, resolves the names it is
given, and asks instead of guessing (issue 19):

- SIMILAR and refinements keep the runtime limit, people, years and genres in force until the user
  drops them ("start over");
- people are found through the catalog's search however they are typed (typos, missing accents, a
  surname alone: the bearer with a body of work, a director first) and, when several are asked
  for, every movie credits all of them;
- "the second one" with nothing visible, "without him" with nobody named, an ordinal past the shown
  list, and a title several movies share ("Dracula") get intent CLARIFY, with choices where there
  are movies to offer, and the next turn answers by number, year or title.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from reelgraph.config import Settings
from tests.catalog_fixtures import unlimited_chat
from tests.helpers import GraphQLClient

CHAT = """
mutation Chat($m: String!, $s: ID, $v: [Int!]) {
  chat(message: $m, sessionId: $s, visibleMovieIds: $v) {
    session { id }
    reply intent relaxed
    choices { tmdbId title year }
    filters {
      genres { tmdbId } people { tmdbId name } similarTo { tmdbId title }
      yearFrom yearTo runtimeMax minVoteAverage
    }
    movies {
      tmdbId title year runtime voteAverage genres { tmdbId }
      cast(first: 500) { person { tmdbId } } crew { person { tmdbId } }
    }
    errors { code }
  }
}
"""
COMEDY, HORROR = 35, 27
TOM_HANKS, MEG_RYAN, ALFRED_HITCHCOCK, GERARD_DEPARDIEU = 31, 5344, 2636, 16927
CHRISTOPHER_NOLAN, KEANU_REEVES = 525, 6384
THE_MASK, DRACULA_1931 = 854, 138


@pytest.fixture(scope="module")
async def chat(settings: Settings) -> AsyncIterator[GraphQLClient]:
    """An app of its own: these conversations would exceed the default chat rate limit."""
    async with unlimited_chat(settings, 40019) as gql:
        yield gql


async def turn(gql: GraphQLClient, message: str, session: dict[str, Any] | None = None, **v: Any) -> Any:
    variables = {"m": message, "s": session["session"]["id"] if session else None, **v}
    body = await gql(CHAT, variables)
    assert "errors" not in body, body
    payload = body["data"]["chat"]
    assert payload["errors"] == [], payload
    return payload


def ids(items: list[dict[str, Any]]) -> list[int]:
    return [item["tmdbId"] for item in items]


def credited(movie: dict[str, Any]) -> set[int]:
    return {c["person"]["tmdbId"] for c in (*movie["cast"], *movie["crew"])}


# ------------------------------------------------------------------ constraints stay in force


async def test_similar_keeps_runtime_years_and_genres_in_force(chat: GraphQLClient) -> None:
    first = await turn(chat, "comedies from the 90s under 100 minutes")
    similar = await turn(chat, "something like The Mask", first)
    assert similar["intent"] == "SIMILAR"
    filters = similar["filters"]
    assert ids(filters["similarTo"]) == [THE_MASK]
    assert (filters["runtimeMax"], filters["yearFrom"], filters["yearTo"]) == (100, 1990, 1999)
    assert ids(filters["genres"]) == [COMEDY]
    assert similar["movies"], similar["reply"]
    # what the related movies cannot keep is relaxed in the stated order, and said
    relaxed = similar["relaxed"]
    assert relaxed in ([], ["runtimeMax"], ["runtimeMax", "yearFrom", "yearTo"]), relaxed
    for movie in similar["movies"]:
        assert COMEDY in ids(movie["genres"]) and movie["tmdbId"] != THE_MASK
        assert "runtimeMax" in relaxed or movie["runtime"] <= 100, movie
        assert "yearFrom" in relaxed or 1990 <= movie["year"] <= 1999, movie
    if relaxed:
        assert similar["reply"].startswith(
            "No comedy movies like “The Mask” from the 1990s, under 100 minutes"
        )
        assert "under 100 minutes" not in similar["reply"].split("; here are ")[1]
    else:
        assert "under 100 minutes" in similar["reply"]


async def test_refinements_keep_people_and_years_and_start_over_drops_them(chat: GraphQLClient) -> None:
    first = await turn(chat, "Tom Hanks movies from the 90s")
    shorter = await turn(chat, "something shorter", first)
    assert shorter["intent"] == "REFINE"
    assert ids(shorter["filters"]["people"]) == [TOM_HANKS]
    assert (shorter["filters"]["yearFrom"], shorter["filters"]["yearTo"]) == (1990, 1999)
    limit = shorter["filters"]["runtimeMax"]
    assert limit is not None
    for movie in shorter["movies"]:
        assert TOM_HANKS in credited(movie) and 1990 <= movie["year"] <= 1999
        assert "runtimeMax" in shorter["relaxed"] or movie["runtime"] <= limit
    fresh = await turn(chat, "start over, something like Alien", shorter)
    assert fresh["intent"] == "SIMILAR"
    assert fresh["filters"]["people"] == [] and fresh["filters"]["runtimeMax"] is None
    assert fresh["filters"]["yearFrom"] is None


# ---------------------------------------------------------------------------------- people


@pytest.mark.parametrize(
    ("message", "person"),
    [
        ("anything with Tom Hanx", TOM_HANKS),  # a typo TMDb's search does not forgive
        ("des films avec gerard depardieu", GERARD_DEPARDIEU),  # no accents
        ("Hitchcock thrillers", ALFRED_HITCHCOCK),  # a surname: the director, not a more popular actress
        ("Nolan", CHRISTOPHER_NOLAN),  # his ten movies, not a namesake TMDb finds far more popular
        ("Reeves movies", KEANU_REEVES),  # not a director of that name with a few credits
    ],
)
async def test_people_are_found_however_they_are_typed(
    chat: GraphQLClient, message: str, person: int
) -> None:
    payload = await turn(chat, message)
    assert ids(payload["filters"]["people"]) == [person]
    assert payload["movies"], payload["reply"]
    assert all(person in credited(movie) for movie in payload["movies"])


async def test_several_people_are_all_credited_in_every_movie(chat: GraphQLClient) -> None:
    payload = await turn(chat, "movies with Tom Hanks and Meg Ryan")
    assert sorted(ids(payload["filters"]["people"])) == sorted([TOM_HANKS, MEG_RYAN])
    assert payload["movies"], payload["reply"]
    for movie in payload["movies"]:
        assert {TOM_HANKS, MEG_RYAN} <= credited(movie), movie["title"]
    assert "Tom Hanks" in payload["reply"] and "Meg Ryan" in payload["reply"]


# ------------------------------------------------------------------------------- questions


async def test_the_second_one_with_nothing_visible_offers_the_last_answer(chat: GraphQLClient) -> None:
    first = await turn(chat, "horror movies")
    shown = first["movies"][:5]
    question = await turn(chat, "tell me about the second one", first)
    assert question["intent"] == "CLARIFY" and question["movies"] == []
    assert ids(question["choices"]) == ids(shown)
    assert ids(question["filters"]["genres"]) == [HORROR]  # the question keeps the filters
    assert "?" in question["reply"] and shown[0]["title"] in question["reply"]
    answer = await turn(chat, "2", question)
    assert answer["intent"] == "TITLE"
    assert ids(answer["filters"]["similarTo"]) == [shown[1]["tmdbId"]]


async def test_the_second_one_in_a_new_conversation_asks_for_a_title(chat: GraphQLClient) -> None:
    question = await turn(chat, "the second one")
    assert question["intent"] == "CLARIFY"
    assert question["choices"] == [] and question["movies"] == []
    assert "title" in question["reply"] and "?" in question["reply"]


async def test_an_ordinal_past_the_shown_movies_asks_among_them(chat: GraphQLClient) -> None:
    first = await turn(chat, "horror movies")
    visible = ids(first["movies"])[:2]
    question = await turn(chat, "tell me about the fifth one", first, v=visible)
    assert question["intent"] == "CLARIFY"
    assert ids(question["choices"]) == visible
    answer = await turn(chat, "the first one", question, v=visible)
    assert answer["intent"] == "TITLE" and ids(answer["filters"]["similarTo"]) == visible[:1]


async def test_him_with_nobody_named_asks_who_and_keeps_the_filters(chat: GraphQLClient) -> None:
    first = await turn(chat, "comedies from the 80s")
    question = await turn(chat, "without him", first)
    assert question["intent"] == "CLARIFY" and question["movies"] == []
    assert "Who" in question["reply"]
    assert ids(question["filters"]["genres"]) == [COMEDY]
    assert question["filters"]["people"] == []


async def test_a_shared_title_asks_and_is_answered_by_year_or_number(chat: GraphQLClient) -> None:
    question = await turn(chat, "Dracula")
    assert question["intent"] == "CLARIFY" and question["movies"] == []
    choices = question["choices"]
    assert len(choices) >= 2 and {c["title"] for c in choices} == {"Dracula"}
    assert len({c["year"] for c in choices}) == len(choices)
    assert DRACULA_1931 in ids(choices)
    by_year = await turn(chat, "the 1931 one", question)
    assert by_year["intent"] == "TITLE" and ids(by_year["filters"]["similarTo"]) == [DRACULA_1931]
    again = await turn(chat, "tell me about Dracula")
    by_number = await turn(chat, "2", again)
    assert by_number["intent"] == "TITLE"
    assert ids(by_number["filters"]["similarTo"]) == [again["choices"][1]["tmdbId"]]
