"""Themes in the assistant over /graphql: words the rules map to no filter ("about time travel",
"un film de braquage") become ChatFilters.keywords in the user's words, are searched in the
catalog's keywords, taglines and overviews with the turn's other filters, named in the reply, and
relaxed (with the reply saying so) when nothing matches."""

from __future__ import annotations

import re
from typing import Any

from reelgraph.chat.themes import ThemeText, matches
from tests.helpers import GraphQLClient

CHAT = """
mutation Chat($m: String!, $s: ID, $v: [Int!]) {
  chat(message: $m, sessionId: $s, visibleMovieIds: $v) {
    session { id }
    reply intent relaxed
    filters { genres { tmdbId } yearFrom yearTo runtimeMax keywords }
    movies { tmdbId title year runtime genres { tmdbId } keywords tagline overview }
    errors { code }
  }
}
"""
COMEDY, CRIME, DRAMA, SCIFI = 35, 80, 18, 878


async def turn(gql: GraphQLClient, message: str, **variables: Any) -> dict[str, Any]:
    body = await gql(CHAT, {"m": message, **variables})
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["chat"]
    assert payload["errors"] == []
    return payload


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower())


def about(movie: dict[str, Any], *words: str) -> bool:
    """Every word (as a prefix: "travel" also finds "travels") in one keyword set or one passage,
    read straight from the movie as the API shows it."""
    keyword_words = [w for k in movie["keywords"] for w in _words(k)]
    places = [keyword_words, _words(movie["tagline"] or ""), _words(movie["overview"] or "")]
    return any(all(any(w.startswith(word) for w in place) for word in words) for place in places)


def about_time_travel(movie: dict[str, Any]) -> bool:
    return about(movie, "time", "travel") or about(movie, "time", "machine") or about(movie, "back", "time")


def genre_ids(movie: dict[str, Any]) -> set[int]:
    return {g["tmdbId"] for g in movie["genres"]}


async def test_an_english_theme_is_kept_searched_and_named(gql: GraphQLClient) -> None:
    payload = await turn(gql, "movies about time travel")
    assert payload["intent"] == "DISCOVER"
    assert payload["filters"]["keywords"] == ["time travel"]
    assert payload["relaxed"] == []
    titles = [m["title"] for m in payload["movies"]]
    assert len(titles) == 10
    assert all(about_time_travel(m) for m in payload["movies"]), titles
    assert "about time travel" in payload["reply"]
    assert titles[0] in payload["reply"]


async def test_a_french_theme_stays_french_and_finds_the_english_catalog(gql: GraphQLClient) -> None:
    payload = await turn(gql, "des films sur le voyage dans le temps")
    assert payload["filters"]["keywords"] == ["voyage dans le temps"]
    assert "voyage dans le temps" in payload["reply"] and payload["reply"].startswith("Voici")
    # searched as "time travel" in the English catalog
    assert len(payload["movies"]) == 10
    assert all(about_time_travel(m) for m in payload["movies"])
    english = await turn(gql, "movies about time travel")
    assert english["movies"][0]["tmdbId"] in [m["tmdbId"] for m in payload["movies"]]


async def test_other_french_themes_are_kept_as_written(gql: GraphQLClient) -> None:
    braquage = await turn(gql, "un film de braquage")
    assert braquage["filters"]["keywords"] == ["braquage"]
    assert braquage["movies"] and all(about(m, "heist") or about(m, "rob") for m in braquage["movies"])
    vraie = await turn(gql, "un drame tiré d'une histoire vraie")
    assert vraie["filters"]["keywords"] == ["histoire vraie"]
    assert [g["tmdbId"] for g in vraie["filters"]["genres"]] == [DRAMA]
    assert vraie["movies"] and all(DRAMA in genre_ids(m) for m in vraie["movies"])
    assert all(about(m, "true", "story") or about(m, "true", "event") for m in vraie["movies"])


async def test_a_theme_combines_with_years_and_genres(gql: GraphQLClient) -> None:
    payload = await turn(gql, "un film sur la mafia des années 70")
    filters = payload["filters"]
    assert filters["keywords"] == ["mafia"]
    assert [g["tmdbId"] for g in filters["genres"]] == [CRIME]
    assert (filters["yearFrom"], filters["yearTo"]) == (1970, 1979)
    titles = [m["title"] for m in payload["movies"]]
    assert "The Godfather" in titles, titles
    for movie in payload["movies"]:
        assert 1970 <= movie["year"] <= 1979 and CRIME in genre_ids(movie)
    assert "mafia" in payload["reply"] and "années 1970" in payload["reply"]

    heists = await turn(gql, "heist comedies from the 2000s")
    assert heists["filters"]["keywords"] == ["heist"]
    assert heists["movies"]
    for movie in heists["movies"]:
        assert 2000 <= movie["year"] <= 2009 and COMEDY in genre_ids(movie)
        assert about(movie, "heist") or about(movie, "rob"), movie["title"]


async def test_a_theme_in_the_order_asked(gql: GraphQLClient) -> None:
    payload = await turn(gql, "the newest time travel movies")
    assert payload["filters"]["keywords"] == ["time travel"]
    years = [m["year"] for m in payload["movies"]]
    assert len(years) == 10 and years == sorted(years, reverse=True), years
    assert all(about_time_travel(m) for m in payload["movies"])


async def test_a_theme_refined_over_turns_keeps_the_theme(gql: GraphQLClient) -> None:
    first = await turn(gql, "un film de braquage")
    second = await turn(
        gql, "des années 2000", s=first["session"]["id"], v=[m["tmdbId"] for m in first["movies"]]
    )
    assert second["intent"] == "REFINE"
    assert second["filters"]["keywords"] == ["braquage"]
    assert second["movies"] and all(2000 <= m["year"] <= 2009 for m in second["movies"])


async def test_an_unknown_theme_after_about_is_searched_as_written(gql: GraphQLClient) -> None:
    payload = await turn(gql, "a movie about a talking pig")
    assert payload["filters"]["keywords"] == ["talking pig"]
    assert "Babe" in [m["title"] for m in payload["movies"]]
    # where to watch is not a theme
    netflix = await turn(gql, "une comédie sur Netflix")
    assert netflix["filters"]["keywords"] == [] and netflix["movies"]


async def test_a_theme_that_matches_nothing_is_relaxed_and_said(gql: GraphQLClient) -> None:
    payload = await turn(gql, "a movie about quantum origami")
    assert payload["filters"]["keywords"] == ["quantum origami"]
    assert payload["relaxed"] == ["keywords"]
    assert payload["movies"]
    assert payload["reply"].startswith("No movies about quantum origami; here are movies:")


async def test_the_theme_stays_while_other_constraints_relax_first(gql: GraphQLClient) -> None:
    payload = await turn(gql, "vampire movies under 45 minutes")
    assert payload["filters"]["keywords"] == ["vampire"]
    assert payload["relaxed"] == ["runtimeMax"]
    assert payload["movies"] and all(about(m, "vampire") or about(m, "dracula") for m in payload["movies"])
    assert payload["reply"].startswith(
        "No movies about vampire, under 45 minutes; here are movies about vampire:"
    )


# ------------------------------------------------------------------------------ the theme check


def test_a_theme_of_several_words_needs_them_close_together() -> None:
    escape = ThemeText.of([], "", "Two inmates plan their escape from prison.")
    assert matches(escape, ["prison escape"])
    far = ThemeText.of(
        [],
        "",
        "He visits his brother in prison every week, and spends the rest of his days at the "
        "office, until a holiday lets him escape.",
    )
    assert not matches(far, ["prison escape"])
    tagged = ThemeText.of(["prison", "escape"], "", "")
    assert matches(tagged, ["prison escape"]) and matches(tagged, ["évasion de prison"])
    assert matches(ThemeText.of([], "", "Sent back in time to 1955."), ["voyage dans le temps"])
    assert not matches(ThemeText.of(["vampire"], "", ""), ["werewolf"])
