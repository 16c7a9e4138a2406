"""TMDbClient requests (paths, params, auth), discover_params mapping and image_url. No network."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from reelgraph.integrations.errors import UpstreamNotFound
from reelgraph.integrations.http_policy import PolicyConfig, UpstreamPolicy
from reelgraph.integrations.tmdb import (
    DEFAULT_MOVIE_APPEND,
    DiscoverQuery,
    TMDbClient,
    discover_params,
    image_url,
)

API_KEY = "v3-key-abc"
TOKEN = "v4-token-xyz"


class Recorder:
    """Answers every request with `status`/`payload` and keeps the requests."""

    def __init__(self, status: int = 200, payload: Any = None) -> None:
        self.status = status
        self.payload = payload if payload is not None else {"page": 1, "results": []}
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(self.status, json=self.payload)

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]

    def params(self) -> dict[str, str]:
        return dict(self.last.url.params)


async def _no_sleep(_: float) -> None:
    return None


def make_client(
    recorder: Recorder, api_key: str | None = API_KEY, read_token: str | None = None
) -> TMDbClient:
    policy = UpstreamPolicy(
        "tmdb",
        PolicyConfig(max_attempts=2, backoff_base=0.001, backoff_max=0.002, breaker_recovery_time=0.05),
        sleep=_no_sleep,
    )
    http = httpx.AsyncClient(transport=httpx.MockTransport(recorder), base_url="http://offline/3")
    return TMDbClient(http, policy, api_key=api_key, read_token=read_token)


# -- auth ------------------------------------------------------------------------------------------


async def test_v3_api_key_goes_in_query() -> None:
    rec = Recorder()
    await make_client(rec, api_key=API_KEY).genres("fr-FR")
    assert rec.params() == {"language": "fr-FR", "api_key": API_KEY}
    assert "authorization" not in rec.last.headers
    assert rec.last.url.path == "/3/genre/movie/list"


async def test_v4_token_goes_in_bearer_header_and_wins_over_api_key() -> None:
    rec = Recorder()
    await make_client(rec, api_key=API_KEY, read_token=TOKEN).genres()
    assert rec.last.headers["authorization"] == f"Bearer {TOKEN}"
    assert "api_key" not in rec.params()


async def test_no_credentials_for_the_offline_mock() -> None:
    rec = Recorder()
    await make_client(rec, api_key=None).configuration()
    assert rec.last.url.path == "/3/configuration"
    assert rec.params() == {}
    assert "authorization" not in rec.last.headers


# -- endpoints -------------------------------------------------------------------------------------


async def test_list_endpoints_paths_and_params() -> None:
    rec = Recorder()
    tmdb = make_client(rec, api_key=None)

    await tmdb.trending("day", 2, "de-DE")
    assert rec.last.url.path == "/3/trending/movie/day"
    assert rec.params() == {"page": "2", "language": "de-DE"}

    await tmdb.movie_list("now_playing", 3, "fr-FR", region="fr")
    assert rec.last.url.path == "/3/movie/now_playing"
    assert rec.params() == {"page": "3", "language": "fr-FR", "region": "FR"}

    await tmdb.movie_list("top_rated")
    assert rec.params() == {"page": "1", "language": "en-US"}

    await tmdb.search_movies("the matrix", 1, "en-US", year=1999)
    assert rec.last.url.path == "/3/search/movie"
    assert rec.params() == {
        "query": "the matrix",
        "page": "1",
        "language": "en-US",
        "include_adult": "false",
        "primary_release_year": "1999",
    }

    await tmdb.search_people("keanu", 2)
    assert rec.last.url.path == "/3/search/person"
    assert rec.params()["query"] == "keanu" and rec.params()["page"] == "2"

    await tmdb.search_keywords("cyberpunk")
    assert rec.last.url.path == "/3/search/keyword"
    assert rec.params() == {"query": "cyberpunk", "page": "1"}

    await tmdb.similar(603, 2, "en-US")
    assert rec.last.url.path == "/3/movie/603/similar"
    await tmdb.recommendations(603)
    assert rec.last.url.path == "/3/movie/603/recommendations"
    assert rec.params() == {"page": "1", "language": "en-US"}


async def test_discover_sends_mapped_params_page_and_language() -> None:
    rec = Recorder()
    params = discover_params(DiscoverQuery(genres=[28, 878], genre_match="ALL", year_from=1990))
    await make_client(rec, api_key=None).discover(params, 4, "en-GB")
    assert rec.last.url.path == "/3/discover/movie"
    assert rec.params() == {
        "include_adult": "false",
        "sort_by": "popularity.desc",
        "with_genres": "28,878",
        "primary_release_date.gte": "1990-01-01",
        "page": "4",
        "language": "en-GB",
    }


async def test_movie_uses_one_call_with_append_to_response() -> None:
    rec = Recorder(payload={"id": 603, "title": "The Matrix", "credits": {"cast": []}})
    movie = await make_client(rec).movie(603, "fr-FR")

    assert movie is not None and movie["title"] == "The Matrix"
    assert len(rec.requests) == 1
    assert rec.last.url.path == "/3/movie/603"
    params = rec.params()
    assert params["append_to_response"] == "credits,videos,keywords,external_ids,watch/providers"
    assert params["append_to_response"].split(",") == list(DEFAULT_MOVIE_APPEND)
    assert params["language"] == "fr-FR"
    assert params["include_video_language"] == "fr,en,null"
    assert params["api_key"] == API_KEY


async def test_movie_custom_append_and_limit() -> None:
    rec = Recorder()
    tmdb = make_client(rec)
    await tmdb.movie(603, append=("credits", "credits", "images"))
    assert rec.params()["append_to_response"] == "credits,images"
    assert "include_video_language" not in rec.params()

    await tmdb.movie(603, append=())
    assert "append_to_response" not in rec.params()

    with pytest.raises(ValueError, match="at most 20"):
        await tmdb.movie(603, append=[f"part{i}" for i in range(21)])
    assert len(rec.requests) == 2


async def test_person_appends_credits_and_external_ids() -> None:
    rec = Recorder(payload={"id": 6384, "name": "Keanu Reeves"})
    person = await make_client(rec).person(6384)
    assert person == {"id": 6384, "name": "Keanu Reeves"}
    assert rec.last.url.path == "/3/person/6384"
    assert rec.params()["append_to_response"] == "movie_credits,external_ids"


async def test_404_is_none_for_single_entities() -> None:
    rec = Recorder(status=404, payload={"status_code": 34, "status_message": "not found"})
    tmdb = make_client(rec)
    assert await tmdb.movie(999999999) is None
    assert await tmdb.person(999999999) is None
    assert len(rec.requests) == 2  # no retries on 404
    with pytest.raises(UpstreamNotFound):
        await tmdb.similar(999999999)


@pytest.mark.parametrize("page", [0, -1, 501])
async def test_page_is_validated_locally(page: int) -> None:
    rec = Recorder()
    tmdb = make_client(rec)
    for call in (
        tmdb.trending("week", page),
        tmdb.movie_list("popular", page),
        tmdb.discover({}, page),
        tmdb.search_movies("x", page),
        tmdb.search_people("x", page),
        tmdb.similar(603, page),
        tmdb.recommendations(603, page),
    ):
        with pytest.raises(ValueError, match="page"):
            await call
    assert rec.requests == []


async def test_bad_arguments_fail_before_any_request() -> None:
    rec = Recorder()
    tmdb = make_client(rec)
    with pytest.raises(ValueError):
        await tmdb.trending("month")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        await tmdb.movie_list("latest")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        await tmdb.movie(0)
    assert rec.requests == []


# -- discover_params -------------------------------------------------------------------------------


def test_discover_params_defaults() -> None:
    assert discover_params(DiscoverQuery()) == {"include_adult": "false", "sort_by": "popularity.desc"}


def test_discover_params_every_field() -> None:
    q = DiscoverQuery(
        genres=[28, 878, 28],
        genre_match="ANY",
        exclude_genres=[27, 10749],
        year_from=1995,
        year_to=2005,
        min_vote_average=7.5,
        min_vote_count=1000,
        runtime_min=90,
        runtime_max=150,
        original_language="en",
        with_people=[6384, 2975],
        keyword_ids=[310, 4565],
        watch_providers=[8, 337],
        watch_region="fr",
        sort="RELEASE_DATE_DESC",
    )
    assert discover_params(q) == {
        "include_adult": "false",
        "sort_by": "primary_release_date.desc",
        "with_genres": "28|878",
        "without_genres": "27,10749",
        "primary_release_date.gte": "1995-01-01",
        "primary_release_date.lte": "2005-12-31",
        "vote_average.gte": "7.5",
        "vote_count.gte": "1000",
        "with_runtime.gte": "90",
        "with_runtime.lte": "150",
        "with_original_language": "en",
        "with_people": "6384|2975",
        "with_keywords": "310|4565",
        "with_watch_providers": "8|337",
        "watch_region": "FR",
    }


@pytest.mark.parametrize(("match", "expected"), [("ALL", "28,878"), ("ANY", "28|878"), ("PRIMARY", "28|878")])
def test_discover_params_genre_match(match: Any, expected: str) -> None:
    assert discover_params(DiscoverQuery(genres=[28, 878], genre_match=match))["with_genres"] == expected


@pytest.mark.parametrize(
    ("sort", "sort_by"),
    [
        ("POPULARITY_DESC", "popularity.desc"),
        ("RELEASE_DATE_DESC", "primary_release_date.desc"),
        ("RELEASE_DATE_ASC", "primary_release_date.asc"),
        ("VOTE_AVERAGE_DESC", "vote_average.desc"),
        ("TITLE_ASC", "title.asc"),
        ("IMDB_RATING_DESC", "popularity.desc"),  # caller re-sorts by OMDb rating
    ],
)
def test_discover_params_sort(sort: Any, sort_by: str) -> None:
    params = discover_params(DiscoverQuery(sort=sort))
    assert params["sort_by"] == sort_by
    # Only the vote-average sort gets the vote-count floor.
    assert ("vote_count.gte" in params) == (sort == "VOTE_AVERAGE_DESC")


def test_vote_average_sort_floor_yields_to_explicit_count() -> None:
    assert discover_params(DiscoverQuery(sort="VOTE_AVERAGE_DESC"))["vote_count.gte"] == "50"
    explicit = DiscoverQuery(sort="VOTE_AVERAGE_DESC", min_vote_count=5)
    assert discover_params(explicit)["vote_count.gte"] == "5"


def test_discover_params_watch_region() -> None:
    assert discover_params(DiscoverQuery(watch_providers=[8]))["watch_region"] == "US"
    only_region = discover_params(DiscoverQuery(watch_region="gb"))
    assert only_region["watch_region"] == "GB" and "with_watch_providers" not in only_region


def test_discover_params_single_bounds_and_formats() -> None:
    params = discover_params(DiscoverQuery(year_to=1999, min_vote_average=7.0, runtime_max=100))
    assert params["primary_release_date.lte"] == "1999-12-31"
    assert "primary_release_date.gte" not in params
    assert params["vote_average.gte"] == "7"
    assert params["with_runtime.lte"] == "100" and "with_runtime.gte" not in params


@pytest.mark.parametrize(
    "bad",
    [
        DiscoverQuery(year_from=2010, year_to=2000),
        DiscoverQuery(runtime_min=200, runtime_max=90),
        DiscoverQuery(sort="RANDOM"),  # type: ignore[arg-type]
        DiscoverQuery(genre_match="SOME"),  # type: ignore[arg-type]
    ],
)
def test_discover_params_rejects_nonsense(bad: DiscoverQuery) -> None:
    with pytest.raises(ValueError):
        discover_params(bad)


# -- image_url -------------------------------------------------------------------------------------

BASE = "https://image.tmdb.org/t/p/"


@pytest.mark.parametrize(
    ("kind", "sizes"),
    [
        ("poster", ["w185", "w342", "w780", "original"]),
        ("profile", ["w45", "w185", "h632", "original"]),
        ("backdrop", ["w300", "w780", "w1280", "original"]),
    ],
)
def test_image_url_sizes(kind: Any, sizes: list[str]) -> None:
    for ours, theirs in zip(["SMALL", "MEDIUM", "LARGE", "ORIGINAL"], sizes, strict=True):
        assert image_url(BASE, "/abc.jpg", ours, kind) == f"https://image.tmdb.org/t/p/{theirs}/abc.jpg"


def test_image_url_edge_cases() -> None:
    assert image_url(BASE, None, "SMALL") is None
    assert image_url(BASE, "", "SMALL") is None
    assert image_url("https://image.tmdb.org/t/p", "abc.jpg", "medium") == (
        "https://image.tmdb.org/t/p/w342/abc.jpg"
    )
    assert image_url(BASE, "/abc.jpg", "w500") == "https://image.tmdb.org/t/p/w500/abc.jpg"
    with pytest.raises(ValueError):
        image_url(BASE, "/abc.jpg", "HUGE")
    with pytest.raises(ValueError):
        image_url(BASE, "/abc.jpg", "SMALL", "logo")  # type: ignore[arg-type]
