"""TMDbClient / OMDbClient against the in-process mock upstream (httpx.ASGITransport, no network)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from reelgraph.integrations.errors import UpstreamAuthError, UpstreamUnavailable
from reelgraph.integrations.http_policy import PolicyConfig, UpstreamPolicy
from reelgraph.integrations.mock_upstream import FaultConfig, create_mock_upstream_app, reset_calls
from reelgraph.integrations.offline_catalog import OfflineCatalog
from reelgraph.integrations.omdb import OMDbClient
from reelgraph.integrations.tmdb import DiscoverQuery, TMDbClient, discover_params, image_url

MATRIX_ID = 603
MATRIX_IMDB = "tt0133093"


class SleepRecorder:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture(scope="module")
def catalog() -> OfflineCatalog:
    return OfflineCatalog.load()  # loaded once: ~1 s


@pytest.fixture(scope="module")
def app(catalog: OfflineCatalog) -> Any:
    return create_mock_upstream_app(catalog)


@pytest.fixture(autouse=True)
def _fresh_counts(app: Any) -> None:
    reset_calls(app)


def policy(name: str, sleep: SleepRecorder | None = None, **overrides: Any) -> UpstreamPolicy:
    cfg = PolicyConfig(**{"backoff_base": 0.001, "backoff_max": 0.002, **overrides})
    return UpstreamPolicy(name, cfg, sleep=sleep or SleepRecorder())


def tmdb_client(app: Any, **kwargs: Any) -> TMDbClient:
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://offline/3")
    return TMDbClient(http, kwargs.pop("policy", None) or policy("tmdb"), **kwargs)


def omdb_client(app: Any, api_key: str | None = None, pol: UpstreamPolicy | None = None) -> OMDbClient:
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://offline/omdb")
    return OMDbClient(http, pol or policy("omdb"), api_key)


async def test_movie_603_is_the_matrix_with_its_parts_appended_in_one_call(app: Any) -> None:
    movie = await tmdb_client(app).movie(MATRIX_ID)

    assert movie is not None
    assert movie["title"] == "The Matrix" and movie["release_date"].startswith("1999")
    assert any(c["name"] == "Keanu Reeves" for c in movie["credits"]["cast"])
    assert movie["external_ids"]["imdb_id"] == MATRIX_IMDB
    for part in ("videos", "keywords", "watch/providers"):
        assert part in movie
    # similar and recommendations are three quarters of a full body: they are pages of their own.
    assert "similar" not in movie and "recommendations" not in movie
    assert app.state.calls.total() == 1


async def test_unknown_movie_and_person_are_none(app: Any) -> None:
    tmdb = tmdb_client(app)
    assert await tmdb.movie(999_999_999) is None
    assert await tmdb.person(999_999_999) is None
    assert app.state.calls.total() == 2  # 404 is not retried


async def test_person_with_movie_credits(app: Any) -> None:
    tmdb = tmdb_client(app)
    movie = await tmdb.movie(MATRIX_ID, append=("credits",))
    assert movie is not None
    keanu = next(c for c in movie["credits"]["cast"] if c["name"] == "Keanu Reeves")

    person = await tmdb.person(keanu["id"])
    assert person is not None and person["name"] == "Keanu Reeves"
    assert any(c["id"] == MATRIX_ID for c in person["movie_credits"]["cast"])
    assert "external_ids" in person


async def test_lists_search_and_discover(app: Any) -> None:
    tmdb = tmdb_client(app)

    genres = await tmdb.genres()
    assert {"id": 28, "name": "Action"} in genres["genres"]
    for kind in ("popular", "top_rated", "upcoming", "now_playing"):
        assert (await tmdb.movie_list(kind))["results"]  # type: ignore[arg-type]
    assert (await tmdb.trending("week", 2))["page"] == 2

    found = await tmdb.search_movies("matrix", year=1999)
    assert MATRIX_ID in [m["id"] for m in found["results"]]
    assert (await tmdb.search_people("keanu"))["results"]

    params = discover_params(
        DiscoverQuery(
            genres=[28, 878], genre_match="ALL", year_from=1995, year_to=2005, sort="VOTE_AVERAGE_DESC"
        )
    )
    page = await tmdb.discover(params)
    assert page["results"]
    for movie in page["results"]:
        assert {28, 878} <= set(movie["genre_ids"])
        assert "1995-01-01" <= movie["release_date"] <= "2005-12-31"
    averages = [m["vote_average"] for m in page["results"]]
    assert averages == sorted(averages, reverse=True)


async def test_configuration_feeds_image_url(app: Any) -> None:
    config = await tmdb_client(app).configuration()
    base = config["images"]["secure_base_url"]
    assert image_url(base, "/abc.jpg", "MEDIUM") == "https://image.tmdb.org/t/p/w342/abc.jpg"


async def test_omdb_scores_for_the_matrix(app: Any) -> None:
    omdb = omdb_client(app)
    scores = await omdb.by_imdb_id(MATRIX_IMDB)
    assert scores is not None and scores.imdb_id == MATRIX_IMDB
    assert scores.imdb_rating is not None and 0 < scores.imdb_rating <= 10
    assert scores.imdb_votes is not None and scores.imdb_votes > 0
    assert await omdb.by_imdb_id("tt9999999999") is None


async def test_keys_required_by_the_mock(catalog: OfflineCatalog) -> None:
    app = create_mock_upstream_app(catalog, tmdb_key="right-key", omdb_key="right-omdb")

    assert await tmdb_client(app, api_key="right-key").movie(MATRIX_ID) is not None
    assert await tmdb_client(app, read_token="right-key").movie(MATRIX_ID) is not None
    with pytest.raises(UpstreamAuthError) as info:
        await tmdb_client(app, api_key="wrong-key").movie(MATRIX_ID)
    assert "wrong-key" not in str(info.value)

    assert await omdb_client(app, "right-omdb").by_imdb_id(MATRIX_IMDB) is not None
    with pytest.raises(UpstreamAuthError):
        await omdb_client(app, "wrong-omdb").by_imdb_id(MATRIX_IMDB)


async def test_faulty_upstream_retries_then_opens_the_breaker(catalog: OfflineCatalog) -> None:
    app = create_mock_upstream_app(catalog, faults=FaultConfig(error_rate=1.0, seed=1))
    sleeps = SleepRecorder()
    tmdb = tmdb_client(app, policy=policy("tmdb", sleeps, max_attempts=2, breaker_failure_threshold=2))

    for _ in range(2):
        with pytest.raises(UpstreamUnavailable, match="HTTP 503 after 2"):
            await tmdb.genres()
    assert app.state.calls.total() == 4 and len(sleeps.waits) == 2
    with pytest.raises(UpstreamUnavailable, match="circuit open"):
        await tmdb.genres()
    assert app.state.calls.total() == 4


async def test_mock_rate_limit_retry_after_is_honoured(catalog: OfflineCatalog) -> None:
    app = create_mock_upstream_app(catalog, faults=FaultConfig(rate_limit=1))
    sleeps = SleepRecorder()  # records the Retry-After wait instead of sleeping a real second
    tmdb = tmdb_client(app, policy=policy("tmdb", sleeps, max_attempts=2))

    await tmdb.genres()
    with pytest.raises(UpstreamUnavailable, match="HTTP 429"):
        await tmdb.genres()
    assert sleeps.waits == [1.0]
