"""OMDb parsers (every format, garbage never raises) and OMDbClient error handling. No network."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from reelgraph.integrations.errors import UpstreamAuthError, UpstreamUnavailable
from reelgraph.integrations.http_policy import PolicyConfig, UpstreamPolicy
from reelgraph.integrations.omdb import (
    OMDbClient,
    OmdbScores,
    parse_imdb_rating,
    parse_metascore,
    parse_percent,
    parse_scores,
    parse_votes,
)

API_KEY = "omdb-key-789"

MATRIX = {
    "Title": "The Matrix",
    "Year": "1999",
    "Rated": "R",
    "Ratings": [
        {"Source": "Internet Movie Database", "Value": "8.7/10"},
        {"Source": "Rotten Tomatoes", "Value": "83%"},
        {"Source": "Metacritic", "Value": "73/100"},
    ],
    "Metascore": "73",
    "imdbRating": "8.7",
    "imdbVotes": "2,097,177",
    "imdbID": "tt0133093",
    "Type": "movie",
    "Response": "True",
}

GARBAGE: list[Any] = [None, "", "N/A", "n/a", "abc", [], {}, 12.5j, "1e999", "nan", "-1", "--5"]


# -- parsers ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "expected"), [("8.7", 8.7), ("8.7/10", 8.7), ("10", 10.0), ("0.0", 0.0)])
def test_parse_imdb_rating(raw: str, expected: float) -> None:
    assert parse_imdb_rating(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"), [("2,097,177", 2097177), ("999", 999), ("0", 0), (" 1,000 ", 1000)]
)
def test_parse_votes(raw: str, expected: int) -> None:
    assert parse_votes(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [("87%", 87), ("87", 87), ("0%", 0), ("100%", 100)])
def test_parse_percent(raw: str, expected: int) -> None:
    assert parse_percent(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [("74", 74), ("74/100", 74), ("100", 100)])
def test_parse_metascore(raw: str, expected: int) -> None:
    assert parse_metascore(raw) == expected


@pytest.mark.parametrize("raw", [*GARBAGE, "8.7/5", "11", "8,7", 8.7, "8.7/10/10", "\u0668.\u0667"])
def test_parse_imdb_rating_garbage(raw: Any) -> None:
    assert parse_imdb_rating(raw) is None


@pytest.mark.parametrize("raw", [*GARBAGE, "1,2,3", "12,34", "2.5", "1,000,00", 1000, "1 000", "\u00b2"])
def test_parse_votes_garbage(raw: Any) -> None:
    assert parse_votes(raw) is None


@pytest.mark.parametrize("raw", [*GARBAGE, "101%", "%", "87%%", "8.7/10", 87])
def test_parse_percent_garbage(raw: Any) -> None:
    assert parse_percent(raw) is None


@pytest.mark.parametrize("raw", [*GARBAGE, "74/10", "101", "74/100/100", 74])
def test_parse_metascore_garbage(raw: Any) -> None:
    assert parse_metascore(raw) is None


def test_parse_scores_full_answer() -> None:
    assert parse_scores(MATRIX) == OmdbScores(
        imdb_id="tt0133093",
        imdb_rating=8.7,
        imdb_votes=2097177,
        metascore=73,
        rotten_tomatoes=83,
        rated="R",
    )


def test_parse_scores_falls_back_to_ratings_array() -> None:
    data = {
        **MATRIX,
        "imdbRating": "N/A",
        "Metascore": "N/A",
        "Rated": "N/A",
        "imdbVotes": "N/A",
        "Ratings": [
            {"Source": "Internet Movie Database", "Value": "7.9/10"},
            {"Source": "Metacritic", "Value": "61/100"},
        ],
    }
    assert parse_scores(data) == OmdbScores(
        imdb_id="tt0133093", imdb_rating=7.9, imdb_votes=None, metascore=61, rotten_tomatoes=None, rated=None
    )


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"Ratings": "nope", "imdbRating": 9, "Metascore": None, "imdbVotes": ["1"], "Rated": 5},
        {"Ratings": [None, 3, {"Source": 1}, {"Value": "80%"}, {"Source": "Rotten Tomatoes", "Value": "x"}]},
    ],
)
def test_parse_scores_garbage_never_raises(data: dict[str, Any]) -> None:
    scores = parse_scores(data, "tt0000001")
    assert scores == OmdbScores(imdb_id="tt0000001")


# -- client ----------------------------------------------------------------------------------------


class Omdb:
    def __init__(self, status: int = 200, payload: Any = None) -> None:
        self.status = status
        self.payload = payload if payload is not None else MATRIX
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(self.status, json=self.payload)


async def _no_sleep(_: float) -> None:
    return None


def make_client(upstream: Omdb, api_key: str | None = API_KEY) -> OMDbClient:
    policy = UpstreamPolicy("omdb", PolicyConfig(max_attempts=2, backoff_base=0.001), sleep=_no_sleep)
    http = httpx.AsyncClient(transport=httpx.MockTransport(upstream), base_url="http://offline/omdb")
    return OMDbClient(http, policy, api_key)


async def test_by_imdb_id_request_and_parse() -> None:
    upstream = Omdb()
    scores = await make_client(upstream).by_imdb_id("tt0133093")

    assert scores is not None and scores.imdb_rating == 8.7 and scores.rotten_tomatoes == 83
    request = upstream.requests[0]
    assert request.url.path == "/omdb/"
    assert dict(request.url.params) == {"i": "tt0133093", "apikey": API_KEY}


async def test_no_apikey_param_without_a_key() -> None:
    upstream = Omdb()
    await make_client(upstream, api_key=None).by_imdb_id("tt0133093")
    assert dict(upstream.requests[0].url.params) == {"i": "tt0133093"}


@pytest.mark.parametrize("error", ["Movie not found!", "Incorrect IMDb ID.", "Series or episode not found!"])
async def test_response_false_not_found_is_none(error: str) -> None:
    upstream = Omdb(payload={"Response": "False", "Error": error})
    assert await make_client(upstream).by_imdb_id("tt9999999") is None
    assert len(upstream.requests) == 1


@pytest.mark.parametrize("bad_id", ["", "   ", "0133093", "tt12", "nm0000206", "tt0133093; DROP"])
async def test_malformed_ids_skip_the_request(bad_id: str) -> None:
    upstream = Omdb()
    assert await make_client(upstream).by_imdb_id(bad_id) is None
    assert upstream.requests == []


async def test_http_404_is_none() -> None:
    upstream = Omdb(status=404, payload={"Response": "False", "Error": "Not found"})
    assert await make_client(upstream).by_imdb_id("tt0133093") is None


@pytest.mark.parametrize("status", [200, 401])
async def test_invalid_key_is_auth_error_logged_once(status: int, caplog: pytest.LogCaptureFixture) -> None:
    upstream = Omdb(status=status, payload={"Response": "False", "Error": "Invalid API key!"})
    omdb = make_client(upstream)
    caplog.set_level(logging.INFO)

    for _ in range(2):
        with pytest.raises(UpstreamAuthError) as info:
            await omdb.by_imdb_id("tt0133093")
        assert API_KEY not in str(info.value)

    assert len(upstream.requests) == 2  # never retried
    assert len([r for r in caplog.records if r.levelno >= logging.ERROR]) == 1
    assert "Invalid API key!" in caplog.text
    assert API_KEY not in caplog.text


async def test_daily_limit_is_unavailable_not_auth() -> None:
    upstream = Omdb(status=401, payload={"Response": "False", "Error": "Request limit reached!"})
    with pytest.raises(UpstreamUnavailable, match="daily request limit") as info:
        await make_client(upstream).by_imdb_id("tt0133093")
    assert not isinstance(info.value, UpstreamAuthError)


async def test_other_response_false_is_unavailable_and_key_is_scrubbed() -> None:
    upstream = Omdb(payload={"Response": "False", "Error": f"Error getting data for {API_KEY}."})
    with pytest.raises(UpstreamUnavailable) as info:
        await make_client(upstream).by_imdb_id("tt0133093")
    assert API_KEY not in str(info.value) and API_KEY not in (info.value.detail or "")


async def test_server_error_is_retried_then_unavailable() -> None:
    upstream = Omdb(status=503, payload={"Response": "False", "Error": "down"})
    with pytest.raises(UpstreamUnavailable):
        await make_client(upstream).by_imdb_id("tt0133093")
    assert len(upstream.requests) == 2  # max_attempts=2


async def test_non_object_answer_is_unavailable() -> None:
    upstream = Omdb(payload=["not", "an", "object"])
    with pytest.raises(UpstreamUnavailable, match="unexpected response"):
        await make_client(upstream).by_imdb_id("tt0133093")
