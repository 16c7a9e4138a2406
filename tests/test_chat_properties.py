"""A property of the assistant over /graphql (issue 19): whatever combination of filters a message
asks for (years, runtime, genres in and out, people, original language, TMDb or IMDb rating), the
turn understands each of them, every movie it returns satisfies every filter in force (less the
ones ``relaxed`` names), and the reply claims exactly the filters it applied: what it relaxed is
not said of the movies shown.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st

from bench.chat_http import movie_violations
from reelgraph.config import Settings
from tests.catalog_fixtures import unlimited_chat
from tests.helpers import GraphQLClient

CHAT = """
mutation Chat($m: String!) {
  chat(message: $m) {
    reply intent relaxed
    filters {
      genres { tmdbId } excludeGenres { tmdbId } people { tmdbId name } similarTo { tmdbId }
      yearFrom yearTo minImdbRating minVoteAverage runtimeMax originalLanguage keywords sort
    }
    movies {
      tmdbId title year runtime originalLanguage voteAverage imdbRating genres { tmdbId }
      cast(first: 500) { person { tmdbId } } crew { person { tmdbId } }
    }
    errors { code }
  }
}
"""


@dataclass(frozen=True)
class Ask:
    """One constraint: how the message says it and what ChatFilters must then hold."""

    words: str
    filters: tuple[tuple[str, Any], ...] = ()


# (words, genre id, the genre's name in replies)
GENRES = [
    ("comedy", 35, "comedy"),
    ("horror", 27, "horror"),
    ("science fiction", 878, "science fiction"),
    ("drama", 18, "drama"),
    ("action", 28, "action"),
    ("animated", 16, "animation"),
    ("crime", 80, "crime"),
]
PEOPLE = {"Tom Hanks": 31, "Keanu Reeves": 6384, "Meg Ryan": 5344, "Gérard Depardieu": 16927}

years = st.sampled_from(
    [
        Ask(""),
        Ask("from the 90s", (("yearFrom", 1990), ("yearTo", 1999))),
        Ask("from the 2000s", (("yearFrom", 2000), ("yearTo", 2009))),
        Ask("between 1985 and 1995", (("yearFrom", 1985), ("yearTo", 1995))),
        Ask("released after 2010", (("yearFrom", 2011),)),
        Ask("before 1980", (("yearTo", 1979),)),
    ]
)
runtimes = st.sampled_from([None, 80, 90, 100, 120, 150])
people = st.sampled_from(
    [[], ["Tom Hanks"], ["Keanu Reeves"], ["Tom Hanks", "Meg Ryan"], ["Gérard Depardieu"]]
)
languages = st.sampled_from([Ask(""), Ask("in French", (("originalLanguage", "fr"),))])
ratings = st.sampled_from(
    [
        Ask(""),
        Ask("rated 7+", (("minVoteAverage", 7.0),)),
        Ask("with an IMDb rating above 8", (("minImdbRating", 8.0),)),
    ]
)
genre_sets = st.lists(st.sampled_from(GENRES), max_size=2, unique=True)
excluded = st.sampled_from([None, ("horror", 27), ("romance", 10749), ("animation", 16)])


@pytest.fixture(scope="module")
async def chat(settings: Settings) -> AsyncIterator[GraphQLClient]:
    """An app of its own: the examples would exceed the default chat rate limit."""
    async with unlimited_chat(settings, 40020) as gql:
        yield gql


def _years_phrase(year_from: int | None, year_to: int | None) -> str | None:
    """How the reply says a year range (the rules' own wording, written out here)."""
    if year_from is not None and year_to is not None:
        if year_from % 10 == 0 and year_to == year_from + 9:
            return f"from the {year_from}s"
        return f"from {year_from} to {year_to}"
    if year_from is not None:
        return f"from {year_from} on"
    if year_to is not None:
        return f"up to {year_to}"
    return None


@given(
    genres=genre_sets,
    without=excluded,
    names=people,
    year=years,
    minutes=runtimes,
    language=languages,
    rating=ratings,
)
@examples(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
async def test_every_movie_keeps_every_filter_and_the_reply_claims_only_those_applied(
    chat: GraphQLClient,
    genres: list[tuple[str, int, str]],
    without: tuple[str, int] | None,
    names: list[str],
    year: Ask,
    minutes: int | None,
    language: Ask,
    rating: Ask,
) -> None:
    if without is not None and without[1] in {g for _, g, _ in genres}:
        without = None
    parts = [" ".join(w for w, _, _ in genres) + " movies"]
    if names:
        parts.append("with " + " and ".join(names))
    parts += [year.words, language.words, rating.words]
    if minutes is not None:
        parts.append(f"under {minutes} minutes")
    if without is not None:
        parts.append(f", no {without[0]}")
    message = " ".join(p for p in parts if p).strip()

    body = await chat(CHAT, {"m": message})
    assert "errors" not in body, body
    payload = body["data"]["chat"]
    assert payload["errors"] == []
    filters, relaxed = payload["filters"], payload["relaxed"]

    # understood: each constraint of the message is in force
    wanted: dict[str, Any] = dict((*year.filters, *language.filters, *rating.filters))
    wanted["runtimeMax"] = minutes
    for name in ("yearFrom", "yearTo", "originalLanguage", "minVoteAverage", "minImdbRating", "runtimeMax"):
        assert filters[name] == wanted.get(name), (message, name, filters)
    assert sorted(g["tmdbId"] for g in filters["genres"]) == sorted(g for _, g, _ in genres), message
    assert [g["tmdbId"] for g in filters["excludeGenres"]] == ([without[1]] if without else []), message
    assert sorted(p["tmdbId"] for p in filters["people"]) == sorted(PEOPLE[n] for n in names), message
    assert set(relaxed) <= {"minVoteAverage", "minImdbRating", "runtimeMax", "yearFrom", "yearTo", "people"}

    # consistent: every movie keeps every filter in force
    hidden: dict[str, Any] = {"runtime_min": None, "exclude_people": [], "exclude_ids": []}
    for movie in payload["movies"]:
        broken = movie_violations(movie, filters, relaxed, False, hidden)
        assert not broken, f"{message!r}: {movie['title']} ({movie['year']}) breaks {broken}"

    # honest: the reply's description of the movies shown names what was applied, and only that
    reply = payload["reply"]
    if not payload["movies"]:
        assert reply.startswith("I found nothing for"), reply
        return
    assert payload["movies"][0]["title"] in reply
    if relaxed:
        assert reply.startswith("No ") and "; here are " in reply, reply
        claimed = reply.split("; here are ", 1)[1]
    else:
        assert reply.startswith("Here are "), reply
        claimed = reply.removeprefix("Here are ")
    claimed = claimed.split(": “", 1)[0]  # the titles are not claims
    applied = {name: filters[name] for name in wanted if name not in relaxed}
    if minutes is not None:
        assert (f"under {minutes} minutes" in claimed) == ("runtimeMax" not in relaxed), reply
    phrase = _years_phrase(applied.get("yearFrom"), applied.get("yearTo"))
    if phrase is not None:
        assert phrase in claimed, reply
    if year.filters:
        stated = _years_phrase(filters["yearFrom"], filters["yearTo"])
        years_relaxed = bool({"yearFrom", "yearTo"} & set(relaxed))
        assert stated is not None and (stated in claimed) == (not years_relaxed), reply
    for name in names:
        assert (name in claimed) == ("people" not in relaxed), reply
    if filters["minVoteAverage"] is not None:
        claim = f"rated {filters['minVoteAverage']:g}+"
        assert (claim in claimed) == ("minVoteAverage" not in relaxed), reply
    if filters["minImdbRating"] is not None:
        claim = f"IMDb {filters['minImdbRating']:g}+"
        assert (claim in claimed) == ("minImdbRating" not in relaxed), reply
    for _, _, genre_name in genres:
        assert genre_name in claimed, reply
    if without is not None:
        assert f"without {without[0]}" in claimed, reply
    if language.filters:
        assert "in French" in claimed, reply
