"""Age-appropriate lists through HTTP: a minor (by their profile's date of birth) never sees adult
titles or movies certified above their age, in any list, search, recommendation or chat answer;
includeAdult is refused to them; adults, anonymous viewers and viewers without a date of birth
are not gated, and pay no upstream call for it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from reelgraph.certifications import age_of, discover_bounds
from reelgraph.config import Settings
from reelgraph.integrations.mock_upstream import create_tmdb_app
from reelgraph.integrations.mock_upstream.release_dates import certification_of
from tests.catalog_fixtures import catalog, isolated_app
from tests.helpers import GraphQLClient, error_codes, register
from tests.library_fixtures import SET
from tests.test_certifications import FIGHT_CLUB, SAMPLES, CapturedReleaseDates

DEADPOOL = 293660  # offline: US R, third in trending
WHIPLASH = 244786  # offline: India's A (adults only)
ACTION = 28

PROFILE = """
mutation($birth: Date, $region: String) {
  updateProfile(input: {dateOfBirth: $birth, region: $region}) { user { dateOfBirth region } errors { code } }
}
"""
TRENDING = "query($first: Int, $hidden: Boolean) { trending(first: $first, includeHidden: $hidden) { nodes { tmdbId } } }"
POPULAR = "query($first: Int) { movies(list: POPULAR, first: $first) { nodes { tmdbId } } }"
DISCOVER = """
query($filter: MovieFilter!, $first: Int) { discover(filter: $filter, first: $first) { nodes { tmdbId } } }
"""
SEARCH = "query($q: String!) { search(query: $q, first: 20) { nodes { ... on Movie { tmdbId } } } }"
RECOMMENDATIONS = """
query($first: Int, $filter: MovieFilter) {
  recommendations(strategy: POPULAR, first: $first, filter: $filter) { movie { tmdbId } }
}
"""
CHAT = "mutation($m: String!) { chat(message: $m) { reply movies { tmdbId title } errors { code } } }"
RELATED = "query($id: Int!) { movie(tmdbId: $id) { recommendations(first: 10) { tmdbId } similar(first: 10) { tmdbId } } }"


def born(age: int) -> str:
    """A date of birth that makes someone `age` today (and a few months)."""
    today = datetime.now(UTC).date()
    return (today - timedelta(days=int(365.25 * age) + 100)).isoformat()


async def viewer(gql: GraphQLClient, age: int | None, region: str | None = "US") -> str:
    token: str = (await register(gql, name="Viewer"))["accessToken"]
    body = await gql(
        PROFILE, {"birth": born(age) if age is not None else None, "region": region}, token=token
    )
    assert body["data"]["updateProfile"]["errors"] == [], body
    return token


def offline_age(movie_id: int) -> int | None:
    """The age the offline catalog's certificate admits (its IMDb certificate), or None."""
    movie = catalog().movie(movie_id)
    certified = certification_of(movie) if movie else None
    return age_of(*certified) if certified else None


def admitted_at(age: int, ids: list[int]) -> bool:
    return all((known := offline_age(i)) is not None and known <= age for i in ids)


async def movie_ids(gql: GraphQLClient, query: str, token: str | None, **variables: Any) -> list[int]:
    body = await gql(query, variables, token=token)
    assert "errors" not in body, body
    data = next(iter(body["data"].values()))
    items = data["nodes"] if isinstance(data, dict) else data
    return [item["movie"]["tmdbId"] if "movie" in item else item["tmdbId"] for item in items if item]


@pytest.fixture
async def teen(gql: GraphQLClient) -> str:
    return await viewer(gql, 15)


async def test_a_minor_never_sees_an_r_movie_and_lists_still_fill(gql: GraphQLClient, teen: str) -> None:
    adult = await viewer(gql, 30)
    assert DEADPOOL in await movie_ids(gql, TRENDING, adult, first=5)
    assert DEADPOOL in await movie_ids(gql, TRENDING, None, first=5)
    for query in (TRENDING, POPULAR):
        shown = await movie_ids(gql, query, teen, first=10)
        assert len(shown) == 10  # refilled from further pages
        assert DEADPOOL not in shown and WHIPLASH not in shown
        assert admitted_at(15, shown)
    # includeHidden shows hidden movies, never what the age does not admit.
    assert admitted_at(15, await movie_ids(gql, TRENDING, teen, first=10, hidden=True))


async def test_hidden_and_gated_together_still_fill_first(gql: GraphQLClient, teen: str) -> None:
    first_two = await movie_ids(gql, TRENDING, teen, first=2)
    for movie in first_two:
        body = await gql(SET, {"movie": movie, "kind": "SEEN"}, token=teen)
        assert body["data"]["setInteraction"]["errors"] == [], body
    shown = await movie_ids(gql, TRENDING, teen, first=8)
    assert len(shown) == 8 and not set(first_two) & set(shown)
    assert admitted_at(15, shown)


async def test_discover_is_filtered_by_certification(gql: GraphQLClient, teen: str) -> None:
    adult = await viewer(gql, 40)
    action = {"genres": [ACTION]}
    assert DEADPOOL in await movie_ids(gql, DISCOVER, adult, filter=action, first=20)
    shown = await movie_ids(gql, DISCOVER, teen, filter=action, first=5)
    assert len(shown) == 5 and DEADPOOL not in shown
    # TMDb is asked for the US certifications a 15-year-old may watch.
    assert all(
        certification_of(catalog().movie(i)) in {("US", "G"), ("US", "PG"), ("US", "PG-13")} for i in shown
    )  # type: ignore[arg-type]


async def test_include_adult_is_forbidden_to_a_minor(gql: GraphQLClient, teen: str) -> None:
    adult = await viewer(gql, 25)
    filter = {"includeAdult": True}
    assert error_codes(await gql(DISCOVER, {"filter": filter, "first": 5}, token=teen)) == ["FORBIDDEN"]
    assert error_codes(await gql(RECOMMENDATIONS, {"filter": filter, "first": 5}, token=teen)) == [
        "FORBIDDEN"
    ]
    assert "errors" not in await gql(DISCOVER, {"filter": filter, "first": 5}, token=adult)


async def test_search_recommendations_related_and_chat(gql: GraphQLClient, teen: str) -> None:
    adult = await viewer(gql, 20)
    assert DEADPOOL in await movie_ids(gql, SEARCH, adult, q="Deadpool")
    found = await movie_ids(gql, SEARCH, teen, q="Deadpool")
    assert DEADPOOL not in found and admitted_at(15, found)

    adults_picks = await movie_ids(gql, RECOMMENDATIONS, adult, first=10)
    assert not admitted_at(15, adults_picks)  # the POPULAR list holds movies a minor may not see
    picks = await movie_ids(gql, RECOMMENDATIONS, teen, first=10)
    assert len(picks) == 10 and admitted_at(15, picks)

    related = (await gql(RELATED, {"id": DEADPOOL}, token=teen))["data"]["movie"]
    assert admitted_at(15, [m["tmdbId"] for m in related["recommendations"] + related["similar"]])

    for message in ("Deadpool", "action movies", "what is trending"):
        body = await gql(CHAT, {"m": message}, token=teen)
        movies = body["data"]["chat"]["movies"]
        assert admitted_at(15, [m["tmdbId"] for m in movies]), (message, movies)
        assert "Deadpool" not in body["data"]["chat"]["reply"]
    adults_chat = (await gql(CHAT, {"m": "what is trending"}, token=adult))["data"]["chat"]["movies"]
    assert not admitted_at(15, [m["tmdbId"] for m in adults_chat])
    adults_title = (await gql(CHAT, {"m": "Deadpool"}, token=adult))["data"]["chat"]["movies"]
    assert DEADPOOL in [m["tmdbId"] for m in adults_title]


async def test_no_date_of_birth_or_grown_up_is_not_gated(gql: GraphQLClient) -> None:
    for token in (await viewer(gql, None), await viewer(gql, 18)):
        assert DEADPOOL in await movie_ids(gql, TRENDING, token, first=5)
    # Seventeen: R admitted in the US, NC-17 and India's A are not.
    seventeen = await viewer(gql, 17)
    shown = await movie_ids(gql, TRENDING, seventeen, first=5)
    assert DEADPOOL in shown and WHIPLASH not in shown


async def test_only_minors_pay_for_release_dates(settings: Settings) -> None:
    async with isolated_app(settings) as env:

        def release_date_calls() -> int:
            return sum(n for path, n in env.tmdb_calls.items() if path.endswith("/release_dates"))

        adult = await viewer(env.gql, 35)
        await movie_ids(env.gql, TRENDING, None, first=20)
        await movie_ids(env.gql, TRENDING, adult, first=20)
        await movie_ids(env.gql, SEARCH, adult, q="batman")
        assert release_date_calls() == 0
        teen = await viewer(env.gql, 14)
        await movie_ids(env.gql, DISCOVER, teen, filter={"genres": [ACTION]}, first=20)
        assert release_date_calls() == 0  # TMDb's certification filter did it
        await movie_ids(env.gql, TRENDING, teen, first=10)
        once = release_date_calls()
        assert once > 0
        await movie_ids(env.gql, TRENDING, teen, first=10)
        assert release_date_calls() == once  # cached per movie


@pytest.fixture
async def captured(settings: Settings) -> AsyncIterator[GraphQLClient]:
    """Fight Club's release dates as TMDb has them: FR 16, US R, DE 18..."""
    async with isolated_app(settings, tmdb=CapturedReleaseDates(create_tmdb_app(catalog()))) as env:
        yield env.gql


async def test_the_region_decides_which_system_applies(captured: GraphQLClient) -> None:
    french_sixteen = await viewer(captured, 16, "FR")
    american_sixteen = await viewer(captured, 16, "US")
    french_fifteen = await viewer(captured, 15, "FR")
    unknown_region_sixteen = await viewer(captured, 16, None)  # judged as in the US
    assert FIGHT_CLUB in await movie_ids(captured, SEARCH, french_sixteen, q="Fight Club")
    for token in (american_sixteen, french_fifteen, unknown_region_sixteen):
        assert FIGHT_CLUB not in await movie_ids(captured, SEARCH, token, q="Fight Club")


def test_born_gives_the_age_asked() -> None:
    today = datetime.now(UTC).date()
    birth = date.fromisoformat(born(15))
    assert today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day)) == 15


def test_discover_bounds_select_exactly_what_an_age_admits() -> None:
    systems = json.loads((SAMPLES / "certification-movie-list.json").read_text(encoding="utf-8"))[
        "certifications"
    ]
    assert discover_bounds(systems["US"], "US", 15) == ("G", "PG-13")  # not NR, TMDb's order 0
    assert discover_bounds(systems["US"], "US", 17) == ("G", "R")
    assert discover_bounds(systems["FR"], "FR", 16) == ("TP", "16")
    # Spain files 12 and 16 at the same order: no range admits 12 without 16, so each movie is checked.
    assert discover_bounds(systems["ES"], "ES", 12) is None
    assert discover_bounds(systems["DE"], "DE", 5) == ("0", "0")
