"""The upstream contract, proven on real TMDb bodies (../shared/datasets/tmdb-api-samples).

1. The mock upstream, with every real-API quirk on, answers each endpoint the TMDb client calls with
   the captured body's keys, JSON types and nesting, and nulls only where TMDb has nulls.
2. TMDbClient and OMDbClient parse the captured bodies (served by an httpx.MockTransport).
3. What the current clients do with the quirks: the ``xfail(strict=True)`` tests say what they
   should do and fail today; whoever fixes the client removes the marker.

The samples have no OMDb body, and none for /configuration, /search/person, /search/keyword,
/trending or /discover: trending items have the recommendations items' shape (``media_type``
included) and discover items the popular ones', as TMDb's reference documents them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from reelgraph.integrations.errors import UpstreamAuthError, UpstreamError, UpstreamUnavailable
from reelgraph.integrations.http_policy import PolicyConfig, UpstreamPolicy
from reelgraph.integrations.mock_upstream import RealApiQuirks, create_mock_upstream_app
from reelgraph.integrations.offline_catalog import OfflineCatalog
from reelgraph.integrations.omdb import OMDbClient
from reelgraph.integrations.tmdb import (
    DEFAULT_MOVIE_APPEND,
    PERSON_APPEND,
    MovieListKind,
    TMDbClient,
    image_url,
)
from reelgraph.tmdb_payloads import imdb_id_of

SAMPLES = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "tmdb-api-samples"
pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason="tmdb-api-samples not available")

FIGHT_CLUB = 550  # the movie of the captured details, credits, keywords, ids and providers
BRAD_PITT = 287  # the person of the captured details
IMAGE_BASE = "https://image.tmdb.org/t/p/"

# Nullable in TMDb's API reference though not null in any captured body (a missing logo, an unknown
# birthday, a movie without Facebook page...); the nulls of the captured bodies are added to these.
DOCUMENTED_NULLABLE = frozenset(
    {"logo_path", "facebook_id", "wikidata_id", "birthday", "place_of_birth", "profile_path"}
)
# Objects keyed by data, not by field name: watch providers by region.
KEYED_BY_DATA = frozenset({"results"})
# TMDb's reference 404 carries "success": false; the captured one does not. No client reads it.
TOLERATED_EXTRA = {"resource-not-found": frozenset({"success"})}

Json = Any


def sample(name: str) -> Json:
    return json.loads((SAMPLES / f"{name}.json").read_text())


def _null_keys(body: Json) -> set[str]:
    if isinstance(body, dict):
        found = {k for k, v in body.items() if v is None}
        for value in body.values():
            found |= _null_keys(value)
        return found
    if isinstance(body, list):
        return set().union(*(_null_keys(v) for v in body)) if body else set()
    return set()


def nullable_keys() -> frozenset[str]:
    """Keys TMDb sends as null somewhere: in a captured body, or in its reference."""
    found: set[str] = set(DOCUMENTED_NULLABLE)
    for path in SAMPLES.glob("*.json"):
        found |= _null_keys(json.loads(path.read_text()))
    return frozenset(found)


def json_kind(value: Json) -> str:
    """JSON's own types: an integer 0 and 6.8 are both numbers (TMDb sends `"vote_average": 0`)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def shape_differences(
    real: Json,
    mock: Json,
    nullable: frozenset[str],
    path: str = "$",
    *,
    extra_ok: frozenset[str] = frozenset(),
) -> list[str]:
    """Paths where ``mock`` differs from ``real`` in presence or JSON type, recursively.

    Lists are compared by their first elements (an empty one has nothing to compare); a null is fine
    where the real body has one or where the key is nullable; objects keyed by data (regions) are
    compared entry by entry with the union of the real entries, whose common keys are required.
    """
    key = path.rsplit(".", 1)[-1]
    real_kind, mock_kind = json_kind(real), json_kind(mock)
    if real_kind != mock_kind:
        if real_kind == "null" or (mock_kind == "null" and key in nullable):
            return []
        return [f"{path}: {real_kind} in TMDb, {mock_kind} in the mock"]
    if real_kind == "array":
        return shape_differences(real[0], mock[0], nullable, f"{path}[0]") if real and mock else []
    if real_kind != "object":
        return []
    if key in KEYED_BY_DATA:
        return _keyed_by_data_differences(real, mock, nullable, path)
    found = [f"{path}.{k}: missing in the mock" for k in real if k not in mock]
    found += [f"{path}.{k}: not in TMDb's body" for k in mock if k not in real and k not in extra_ok]
    for k in real.keys() & mock.keys():
        found += shape_differences(real[k], mock[k], nullable, f"{path}.{k}")
    return found


def _keyed_by_data_differences(
    real: Mapping[str, Json], mock: Mapping[str, Json], nullable: frozenset[str], path: str
) -> list[str]:
    entries = list(real.values())
    if not entries or not all(isinstance(e, dict) for e in entries):
        return []
    union: dict[str, Json] = {}
    for entry in entries:
        for k, v in entry.items():
            union.setdefault(k, v)
    required = set.intersection(*(set(e) for e in entries))
    found: list[str] = []
    for name, entry in mock.items():
        where = f"{path}.{name}"
        if not isinstance(entry, dict):
            found.append(f"{where}: object in TMDb, {json_kind(entry)} in the mock")
            continue
        found += [f"{where}.{k}: missing in the mock" for k in sorted(required - set(entry))]
        found += [f"{where}.{k}: not in TMDb's body" for k in entry if k not in union]
        for k in union.keys() & entry.keys():
            found += shape_differences(union[k], entry[k], nullable, f"{where}.{k}")
    return found


def without_id(body: Mapping[str, Json]) -> dict[str, Json]:
    """A sub-resource as append_to_response nests it: without the movie id."""
    return {k: v for k, v in body.items() if k != "id"}


def movie_with_appends() -> dict[str, Json]:
    """What TMDb answers /movie/550 with the client's append_to_response, from the captured parts."""
    parts = {
        "credits": without_id(sample("movie-credits")),
        "videos": without_id(sample("movie-videos")),
        "keywords": without_id(sample("movie-keywords")),
        "external_ids": without_id(sample("movie-external-ids")),
        "watch/providers": without_id(sample("movie-watch-providers")),
    }
    assert set(parts) == set(DEFAULT_MOVIE_APPEND), "a part the client asks for has no sample here"
    return {**sample("movie-details"), **parts}


# -------------------------------------------------------------------- the mock against real bodies


@pytest.fixture(scope="module")
def catalog() -> OfflineCatalog:
    return OfflineCatalog.load()


@pytest.fixture(scope="module")
def quirky_app(catalog: OfflineCatalog) -> Starlette:
    return create_mock_upstream_app(catalog, quirks=RealApiQuirks.every())


@pytest.fixture
async def upstream(quirky_app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=quirky_app), base_url="http://up") as http:
        yield http


async def _person_id(upstream: httpx.AsyncClient, name: str) -> int:
    found = (await upstream.get("/3/search/person", params={"query": name})).json()["results"]
    return next((p["id"] for p in found if p["name"] == name), BRAD_PITT)


MOVIE_APPEND = ",".join(DEFAULT_MOVIE_APPEND)
# (sample or samples' composition, mock path, query parameters, expected HTTP status)
ENDPOINTS: list[tuple[str, Callable[[], Json], str, dict[str, str], int]] = [
    ("genre-movie-list", lambda: sample("genre-movie-list"), "/3/genre/movie/list", {}, 200),
    ("movie-popular", lambda: sample("movie-popular"), "/3/movie/popular", {}, 200),
    ("movie-top-rated", lambda: sample("movie-top-rated"), "/3/movie/top_rated", {}, 200),
    ("movie-now-playing", lambda: sample("movie-now-playing"), "/3/movie/now_playing", {}, 200),
    ("movie-upcoming", lambda: sample("movie-upcoming"), "/3/movie/upcoming", {}, 200),
    ("trending", lambda: sample("movie-recommendations"), "/3/trending/movie/week", {}, 200),
    ("discover", lambda: sample("movie-popular"), "/3/discover/movie", {"with_genres": "18"}, 200),
    ("search-movie", lambda: sample("search-movie"), "/3/search/movie", {"query": "fight club"}, 200),
    ("movie-details", lambda: sample("movie-details"), f"/3/movie/{FIGHT_CLUB}", {}, 200),
    (
        "movie-details+append",
        movie_with_appends,
        f"/3/movie/{FIGHT_CLUB}",
        {"append_to_response": MOVIE_APPEND},
        200,
    ),
    ("movie-credits", lambda: sample("movie-credits"), f"/3/movie/{FIGHT_CLUB}/credits", {}, 200),
    ("movie-videos", lambda: sample("movie-videos"), f"/3/movie/{FIGHT_CLUB}/videos", {}, 200),
    ("movie-keywords", lambda: sample("movie-keywords"), f"/3/movie/{FIGHT_CLUB}/keywords", {}, 200),
    (
        "movie-external-ids",
        lambda: sample("movie-external-ids"),
        f"/3/movie/{FIGHT_CLUB}/external_ids",
        {},
        200,
    ),
    (
        "movie-watch-providers",
        lambda: sample("movie-watch-providers"),
        f"/3/movie/{FIGHT_CLUB}/watch/providers",
        {},
        200,
    ),
    ("movie-similar", lambda: sample("movie-similar"), f"/3/movie/{FIGHT_CLUB}/similar", {}, 200),
    (
        "movie-release-dates",
        lambda: sample("movie-release-dates"),
        f"/3/movie/{FIGHT_CLUB}/release_dates",
        {},
        200,
    ),
    (
        "movie-details+release_dates",
        lambda: {**sample("movie-details"), "release_dates": without_id(sample("movie-release-dates"))},
        f"/3/movie/{FIGHT_CLUB}",
        {"append_to_response": "release_dates"},
        200,
    ),
    (
        "certification-movie-list",
        lambda: sample("certification-movie-list"),
        "/3/certification/movie/list",
        {},
        200,
    ),
    (
        "movie-recommendations",
        lambda: sample("movie-recommendations"),
        f"/3/movie/{FIGHT_CLUB}/recommendations",
        {},
        200,
    ),
    ("resource-not-found", lambda: sample("resource-not-found"), "/3/movie/999999999", {}, 404),
    ("validation-error", lambda: sample("validation-error"), "/3/search/movie", {"query": ""}, 422),
    ("validation-error page 0", lambda: sample("validation-error"), "/3/movie/popular", {"page": "0"}, 422),
    (
        "validation-error page 501",
        lambda: sample("validation-error"),
        "/3/discover/movie",
        {"page": "501"},
        422,
    ),
]


@pytest.mark.parametrize(
    ("name", "real_body", "path", "params", "status"), ENDPOINTS, ids=[e[0] for e in ENDPOINTS]
)
async def test_mock_answers_in_the_real_shape(
    upstream: httpx.AsyncClient,
    name: str,
    real_body: Callable[[], Json],
    path: str,
    params: dict[str, str],
    status: int,
) -> None:
    response = await upstream.get(path, params=params)
    assert response.status_code == status, response.text
    extra_ok = TOLERATED_EXTRA.get(name, frozenset())
    assert shape_differences(real_body(), response.json(), nullable_keys(), extra_ok=extra_ok) == []


async def test_person_details_in_the_real_shape(upstream: httpx.AsyncClient) -> None:
    person = await _person_id(upstream, "Brad Pitt")
    response = await upstream.get(
        f"/3/person/{person}", params={"append_to_response": ",".join(PERSON_APPEND)}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(PERSON_APPEND) <= set(body)  # no captured body for these two parts
    base = {k: v for k, v in body.items() if k not in PERSON_APPEND}
    assert shape_differences(sample("person-details"), base, nullable_keys()) == []


async def test_person_movie_credits_in_the_real_shape(upstream: httpx.AsyncClient) -> None:
    """No capture of a person's movie_credits: its items are movie list items (search-movie's) with
    the credit's own fields typed as credit-details.json types them; Person.credits reads these."""
    credit = sample("credit-details")
    movie_item = sample("search-movie")["results"][0]
    cast_item = {
        **movie_item,
        "character": credit["media"]["character"],
        "credit_id": credit["id"],
        "order": 0,
    }
    crew_item = {
        **movie_item,
        "credit_id": credit["id"],
        "department": credit["department"],
        "job": credit["job"],
    }
    person = await _person_id(upstream, "Clint Eastwood")  # cast and crew credits
    body = (await upstream.get(f"/3/person/{person}/movie_credits")).json()
    assert body["cast"] and body["crew"]
    real = {"id": person, "cast": [cast_item], "crew": [crew_item]}
    assert shape_differences(real, body, nullable_keys()) == []


async def test_find_by_imdb_id_answers_tmdb_lists(upstream: httpx.AsyncClient) -> None:
    """/find, as TMDb's reference shapes it (no capture): a result list per kind, the movie as a
    list item with its media_type; an unknown id is empty lists, not a 404."""
    found = (await upstream.get("/3/find/tt0137523", params={"external_source": "imdb_id"})).json()
    assert set(found) == {
        "movie_results",
        "person_results",
        "tv_results",
        "tv_episode_results",
        "tv_season_results",
    }
    real_item = {**sample("search-movie")["results"][0], "media_type": "movie"}
    assert [m["id"] for m in found["movie_results"]] == [FIGHT_CLUB]
    assert shape_differences(real_item, found["movie_results"][0], nullable_keys()) == []
    person = (await upstream.get("/3/find/nm0000093", params={"external_source": "imdb_id"})).json()
    assert [p["id"] for p in person["person_results"]] == [BRAD_PITT] and person["movie_results"] == []
    unknown = await upstream.get("/3/find/tt9999999", params={"external_source": "imdb_id"})
    assert unknown.status_code == 200 and all(v == [] for v in unknown.json().values())


async def test_invalid_key_in_the_real_shape(catalog: OfflineCatalog) -> None:
    app = create_mock_upstream_app(catalog, tmdb_key="right", quirks=RealApiQuirks.every())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://up") as http:
        response = await http.get("/3/movie/popular", params={"api_key": "wrong"})
    assert response.status_code == 401
    assert shape_differences(sample("invalid-api-key"), response.json(), nullable_keys()) == []


async def test_the_quirks_show_in_the_compared_bodies(upstream: httpx.AsyncClient) -> None:
    """The comparison above saw the quirky values, not bodies that merely lack them."""
    providers = (await upstream.get(f"/3/movie/{FIGHT_CLUB}/watch/providers")).json()["results"]
    assert {"ads", "free", "flatrate", "rent", "buy"} <= set(providers["US"])
    popular = (await upstream.get("/3/movie/popular")).json()
    assert len(popular["results"]) == 21
    assert any(m["vote_count"] == 0 and m["vote_average"] == 0 for m in popular["results"])


def test_the_helper_reports_presence_type_and_null_differences() -> None:
    real: Json = {"a": 1, "b": "x", "c": [{"d": True}], "poster_path": "/p.jpg", "e": None, "results": {}}
    mock: Json = {
        "a": 1.5,
        "b": None,
        "c": [{"d": "yes"}],
        "poster_path": None,
        "e": "set",
        "f": 0,
        "results": {},
    }
    assert sorted(shape_differences(real, mock, frozenset({"poster_path"}))) == [
        "$.b: string in TMDb, null in the mock",
        "$.c[0].d: boolean in TMDb, string in the mock",
        "$.f: not in TMDb's body",
    ]
    regions_real = {"results": {"ES": {"link": "l", "ads": [{"provider_id": 1}]}, "FR": {"link": "l"}}}
    regions_mock = {"results": {"US": {"ads": [{"provider_id": "1"}], "rent": []}}}
    assert sorted(shape_differences(regions_real, regions_mock, frozenset())) == [
        "$.results.US.ads[0].provider_id: number in TMDb, string in the mock",
        "$.results.US.link: missing in the mock",
        "$.results.US.rent: not in TMDb's body",
    ]


# --------------------------------------------------------------- the clients on the captured bodies


def _served(routes: Mapping[str, tuple[int, Json]]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        status, body = routes.get(request.url.path, (404, sample("resource-not-found")))
        return httpx.Response(status, json=body)

    return httpx.MockTransport(handler)


def _policy(name: str) -> UpstreamPolicy:
    return UpstreamPolicy(name, PolicyConfig(max_attempts=1))


def tmdb_client(routes: Mapping[str, tuple[int, Json]]) -> TMDbClient:
    http = httpx.AsyncClient(transport=_served(routes), base_url="https://api.themoviedb.org/3")
    return TMDbClient(http, _policy("tmdb"), api_key="0d15ea5e")


def omdb_client(routes: Mapping[str, tuple[int, Json]]) -> tuple[OMDbClient, UpstreamPolicy]:
    policy = _policy("omdb")
    http = httpx.AsyncClient(transport=_served(routes), base_url="https://www.omdbapi.com")
    return OMDbClient(http, policy, api_key="0d15ea5e"), policy


@pytest.fixture(scope="module")
def captured() -> TMDbClient:
    return tmdb_client(
        {
            "/3/genre/movie/list": (200, sample("genre-movie-list")),
            "/3/movie/popular": (200, sample("movie-popular")),
            "/3/movie/top_rated": (200, sample("movie-top-rated")),
            "/3/movie/upcoming": (200, sample("movie-upcoming")),
            "/3/movie/now_playing": (200, sample("movie-now-playing")),
            "/3/search/movie": (200, sample("search-movie")),
            f"/3/movie/{FIGHT_CLUB}": (200, movie_with_appends()),
            f"/3/movie/{FIGHT_CLUB}/similar": (200, sample("movie-similar")),
            f"/3/movie/{FIGHT_CLUB}/recommendations": (200, sample("movie-recommendations")),
            f"/3/person/{BRAD_PITT}": (200, sample("person-details")),
            "/3/movie/1": (404, sample("resource-not-found")),
            "/3/search/person": (422, sample("validation-error")),
        }
    )


async def test_client_parses_the_captured_lists(captured: TMDbClient) -> None:
    genres = await captured.genres()
    assert {"id": 878, "name": "Science Fiction"} in genres["genres"]
    kinds: tuple[MovieListKind, ...] = ("popular", "top_rated", "upcoming", "now_playing")
    for kind in kinds:
        page = await captured.movie_list(kind)
        assert page["page"] == 1 and len(page["results"]) == 20 and page["total_results"] > 20
        assert all(isinstance(m["id"], int) and m["title"] for m in page["results"])
    assert (await captured.movie_list("now_playing"))["dates"]["minimum"] == "2023-12-20"
    found = await captured.search_movies("RRRrrrr!!!")
    assert [m["id"] for m in found["results"]] == [21778]


async def test_client_parses_the_captured_movie(captured: TMDbClient) -> None:
    movie = await captured.movie(FIGHT_CLUB)
    assert movie is not None and movie["title"] == "Fight Club" and imdb_id_of(movie) == "tt0137523"
    assert image_url(IMAGE_BASE, movie["poster_path"], "MEDIUM") == f"{IMAGE_BASE}w342{movie['poster_path']}"
    assert movie["credits"]["cast"][0]["character"] == "Narrator"
    assert {c["job"] for c in movie["credits"]["crew"]} >= {"Director", "Screenplay"}
    assert movie["videos"]["results"][0]["site"] == "YouTube"
    assert movie["keywords"]["keywords"] and movie["external_ids"]["instagram_id"] is None
    assert {"ads", "free"} <= set(movie["watch/providers"]["results"]["ES"])
    assert "recommendations" not in movie and "similar" not in movie  # pages of their own
    assert len((await captured.similar(FIGHT_CLUB))["results"]) == 20
    recommended = (await captured.recommendations(FIGHT_CLUB))["results"]
    assert len(recommended) == 21 and recommended[0]["vote_count"] == 0  # not 20: TMDb's pages vary
    assert await captured.movie(1) is None


async def test_client_parses_the_captured_person(captured: TMDbClient) -> None:
    person = await captured.person(BRAD_PITT)
    assert person is not None and person["name"] == "Brad Pitt" and person["deathday"] is None
    assert person["known_for_department"] == "Acting" and person["imdb_id"] == "nm0000093"


async def test_client_rejected_key_keeps_tmdb_message() -> None:
    client = tmdb_client({"/3/movie/popular": (401, sample("invalid-api-key"))})
    with pytest.raises(UpstreamAuthError) as raised:
        await client.movie_list("popular")
    assert raised.value.detail == "Invalid API key: You must be granted a valid key."


async def test_client_validation_error_is_a_rejected_request(captured: TMDbClient) -> None:
    with pytest.raises(UpstreamUnavailable) as raised:
        await captured.search_people("")
    assert raised.value.status == 422


async def test_client_keeps_the_validation_errors_detail(
    captured: TMDbClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG), pytest.raises(UpstreamError) as raised:
        await captured.search_people("")
    assert "query must be provided" in f"{raised.value.detail} {caplog.text}"


async def test_omdb_client_movie_not_found_is_none() -> None:
    client, _ = omdb_client({"/": (200, {"Response": "False", "Error": "Movie not found!"})})
    assert await client.by_imdb_id("tt9999998") is None


async def test_omdb_client_error_getting_data_is_not_found() -> None:
    client, _ = omdb_client({"/": (200, {"Response": "False", "Error": "Error getting data."})})
    assert await client.by_imdb_id("tt9999998") is None


async def test_omdb_client_quota_keeps_the_bad_key_alert(caplog: pytest.LogCaptureFixture) -> None:
    quota, policy = omdb_client({"/": (401, {"Response": "False", "Error": "Request limit reached!"})})
    with caplog.at_level(logging.ERROR, logger="reelgraph.integrations.http_policy"):
        with pytest.raises(UpstreamError):
            await quota.by_imdb_id("tt0137523")
        assert "rejected our credentials" not in caplog.text
        # The same policy, later, a key that is really bad: that one must still be alerted.
        bad_key = OMDbClient(
            httpx.AsyncClient(
                transport=_served({"/": (401, {"Response": "False", "Error": "Invalid API key!"})}),
                base_url="https://www.omdbapi.com",
            ),
            policy,
            api_key="0d15ea5e",
        )
        with pytest.raises(UpstreamAuthError):
            await bad_key.by_imdb_id("tt0137523")
    assert "rejected our credentials" in caplog.text
