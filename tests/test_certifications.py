"""Release dates, certifications and certification systems through HTTP: offline (the session app,
whose mock TMDb answers from the offline catalog) and against TMDb's captured bodies."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reelgraph.config import Settings
from reelgraph.integrations.mock_upstream import RealApiQuirks, create_tmdb_app
from tests.catalog_fixtures import catalog, isolated_app, tmdb_details_calls
from tests.helpers import GraphQLClient, error_codes

FIGHT_CLUB = 550  # the movie of the captured release dates; offline: IMDb certificate "A" (India)
DEADPOOL = 293660  # offline: US R
CASINO_ROYALE = 36557  # offline: US PG-13, a British production
STARGATE = 2164  # offline: no certificate and only a release year
MOCK_KEY = "certifications-test-key"
SAMPLES = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "tmdb-api-samples"

RELEASES = """
query($id: Int!, $region: String, $certRegion: String) {
  movie(tmdbId: $id) {
    tmdbId
    releaseDates(region: $region) { region type date certification note }
    certification(region: $certRegion)
  }
}
"""
CERTIFICATIONS = "query($region: String!) { certifications(region: $region) { certification meaning order } }"


def sample(name: str) -> Any:
    return json.loads((SAMPLES / f"{name}.json").read_text())


class CapturedReleaseDates:
    """The mock TMDb, except that Fight Club's release dates are TMDb's captured body, asked for
    alone or appended to the details."""

    def __init__(self, inner: ASGIApp) -> None:
        self.inner = inner
        self.state = getattr(inner, "state", None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        captured = without_id(sample("movie-release-dates"))
        if scope["type"] == "http" and scope["path"] == f"/3/movie/{FIGHT_CLUB}/release_dates":
            await JSONResponse({"id": FIGHT_CLUB, **captured})(scope, receive, send)
            return
        if scope["type"] != "http" or scope["path"] != f"/3/movie/{FIGHT_CLUB}":
            await self.inner(scope, receive, send)
            return
        chunks: list[bytes] = []
        status = 200

        async def keep(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.inner(scope, receive, keep)
        body = json.loads(b"".join(chunks))
        if "release_dates" in body:
            body["release_dates"] = captured
        await JSONResponse(body, status_code=status)(scope, receive, send)


def without_id(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "id"}


@pytest.fixture(params=["offline", "mock-upstream"])
async def api(
    request: pytest.FixtureRequest, gql: GraphQLClient, settings: Settings
) -> AsyncIterator[GraphQLClient]:
    if request.param == "offline":
        yield gql
        return
    tmdb = create_tmdb_app(catalog(), required_key=MOCK_KEY, quirks=RealApiQuirks.every())
    async with isolated_app(settings, tmdb=tmdb, tmdb_api_key=MOCK_KEY) as env:
        yield env.gql


@pytest.fixture
async def captured(settings: Settings) -> AsyncIterator[GraphQLClient]:
    async with isolated_app(settings, tmdb=CapturedReleaseDates(create_tmdb_app(catalog()))) as env:
        yield env.gql


async def releases(gql: GraphQLClient, movie: int, **variables: Any) -> dict[str, Any]:
    body = await gql(RELEASES, {"id": movie, **variables})
    assert "errors" not in body, body
    movie_data: dict[str, Any] = body["data"]["movie"]
    return movie_data


async def test_offline_release_dates_come_from_the_catalog(api: GraphQLClient) -> None:
    deadpool = await releases(api, DEADPOOL, certRegion="US")
    assert deadpool["certification"] == "R"
    us = [r for r in deadpool["releaseDates"] if r["region"] == "US"]
    assert us == [
        {"region": "US", "type": "THEATRICAL", "date": "2016-02-09", "certification": "R", "note": None}
    ]
    # A British production: the catalog's date in GB, the MPAA rating in the US.
    casino = await releases(api, CASINO_ROYALE)
    assert {(r["region"], r["certification"]) for r in casino["releaseDates"]} >= {("US", "PG-13")}
    assert casino["certification"] == "PG-13"  # region defaults to US


async def test_one_region_or_none(api: GraphQLClient) -> None:
    fight_club = await releases(api, FIGHT_CLUB, region="IN", certRegion="IN")
    assert [r["region"] for r in fight_club["releaseDates"]] == ["IN"]
    assert fight_club["certification"] == "A"
    assert (await releases(api, FIGHT_CLUB, region="us"))["releaseDates"] == []
    assert (await releases(api, FIGHT_CLUB, certRegion="US"))["certification"] is None


async def test_a_movie_the_sources_know_nothing_about_has_no_release_dates(api: GraphQLClient) -> None:
    movie = await releases(api, STARGATE, certRegion="US")
    assert movie["releaseDates"] == [] and movie["certification"] is None


async def test_bad_regions_are_bad_user_input(gql: GraphQLClient) -> None:
    for variables in ({"region": "USA"}, {"certRegion": "1"}, {"region": ""}):
        body = await gql(RELEASES, {"id": DEADPOOL, **variables})
        assert error_codes(body) == ["BAD_USER_INPUT"], body
    body = await gql(CERTIFICATIONS, {"region": "France"})
    assert error_codes(body) == ["BAD_USER_INPUT"]


async def test_tmdb_release_dates_per_region(captured: GraphQLClient) -> None:
    everything = await releases(captured, FIGHT_CLUB, certRegion="FR")
    real = sample("movie-release-dates")["results"]
    assert len(everything["releaseDates"]) == sum(len(r["release_dates"]) for r in real)
    assert everything["certification"] == "16"  # France's theatrical release
    assert (await releases(captured, FIGHT_CLUB))["certification"] == "R"
    us = (await releases(captured, FIGHT_CLUB, region="US"))["releaseDates"]
    assert {r["type"] for r in us} <= {
        "PREMIERE",
        "THEATRICAL_LIMITED",
        "THEATRICAL",
        "DIGITAL",
        "PHYSICAL",
        "TV",
    }
    assert "THEATRICAL" in {r["type"] for r in us}
    assert all(r["region"] == "US" for r in us)
    assert [r["date"] for r in us] == sorted(r["date"] for r in us)


async def test_certification_systems_youngest_first(api: GraphQLClient) -> None:
    body = await api(CERTIFICATIONS, {"region": "US"})
    us = body["data"]["certifications"]
    assert [c["certification"] for c in us] == ["NR", "G", "PG", "PG-13", "R", "NC-17"]
    assert [c["order"] for c in us] == sorted(c["order"] for c in us)
    assert all(c["meaning"] for c in us)
    france = (await api(CERTIFICATIONS, {"region": "fr"}))["data"]["certifications"]
    assert [c["certification"] for c in france] == ["TP", "12", "16", "18"]
    assert (await api(CERTIFICATIONS, {"region": "ZZ"}))["data"]["certifications"] == []


async def test_certification_list_is_read_once_a_day(settings: Settings) -> None:
    async with isolated_app(settings) as env:
        for region in ("US", "FR", "DE"):
            assert (await env.gql(CERTIFICATIONS, {"region": region}))["data"]["certifications"]
        assert env.tmdb_calls["/3/certification/movie/list"] == 1


async def test_release_dates_come_with_the_details_only_when_asked(settings: Settings) -> None:
    async with isolated_app(settings) as env:
        await env.gql("{ trending(first: 10) { nodes { title runtime } } }")
        plain = tmdb_details_calls(env.tmdb_calls)
        assert len(plain) == 10
        assert not [path for path in env.tmdb_calls if path.endswith("/release_dates")]
        # Asked for: the details request appends them (one request per movie, not two).
        await env.gql('{ trending(first: 10, language: "fr-FR") { nodes { runtime certification } } }')
        assert not [path for path in env.tmdb_calls if path.endswith("/release_dates")]
        assert sum(tmdb_details_calls(env.tmdb_calls).values()) == 20
        # Cached per movie, whatever the language: English readers ask TMDb nothing more.
        before = sum(env.tmdb_calls.values())
        body = await env.gql("{ trending(first: 10) { nodes { releaseDates { date } } } }")
        assert "errors" not in body and sum(env.tmdb_calls.values()) == before
