"""The catalog when upstreams are slow, failing, rate limiting or refusing our key, and the caches
that spare them: upstream call counts, stale fallback, database mirror, circuit breaker."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import httpx
import pytest

from reelgraph.config import Settings
from reelgraph.integrations.mock_upstream import FaultConfig, create_omdb_app, create_tmdb_app, reset_calls
from tests.catalog_fixtures import (
    MATRIX,
    MATRIX_IMDB,
    TRENDING,
    UNKNOWN_MOVIE,
    Switch,
    catalog,
    ids,
    isolated_app,
    nodes,
    tmdb_details_calls,
)
from tests.helpers import error_codes

TRENDING_PATH = "/3/trending/movie/week"
MATRIX_PATH = f"/3/movie/{MATRIX}"
RICH_TRENDING = """query($first: Int) { trending(first: $first) { edges { node {
  tmdbId title cast(first: 5) { person { name } } directors { name } imdbRating } } } }"""
MOVIE = "query($id: Int!) { movie(tmdbId: $id) { tmdbId title runtime imdbRating metascore } }"
FRENCH_OR_NOT = (
    "query($language: String) { movie(tmdbId: 603, language: $language) { title genres { name } } }"
)
# Failures are fast to provoke: one attempt per call, a breaker that opens after two failed calls.
FAST_FAILURE = {"upstream_max_attempts": 1, "upstream_breaker_threshold": 2}


def total(calls: Any) -> int:
    return sum(calls.values())


# -- caches spare the upstream ---------------------------------------------------------------------------


async def test_the_same_trending_query_twice_calls_tmdb_once(settings: Settings) -> None:
    async with isolated_app(settings) as env:
        reset_calls(env.tmdb)  # forget the start-up configuration call
        first = await env.gql(TRENDING, {"first": 20})
        assert env.tmdb_calls[TRENDING_PATH] == 1
        reset_calls(env.tmdb)
        second = await env.gql(TRENDING, {"first": 20})
        assert nodes(second["data"]["trending"]) == nodes(first["data"]["trending"])
        assert total(env.tmdb_calls) == 0
        # The cache holds upstream pages, not query results: a smaller page of the same list is free too.
        smaller = await env.gql(TRENDING, {"first": 5})
        assert ids(smaller["data"]["trending"]) == ids(first["data"]["trending"])[:5]
        assert total(env.tmdb_calls) == 0


async def test_fifty_rich_movies_cost_one_call_per_movie_cold_and_none_warm(settings: Settings) -> None:
    # omdb_max_age_days=0: scores mirrored in the database by earlier tests do not count as fresh,
    # so "cold" means cold whatever ran before on this database.
    async with isolated_app(settings, omdb_max_age_days=0) as env:
        reset_calls(env.tmdb)
        cold = await env.gql(RICH_TRENDING, {"first": 50})
        assert "errors" not in cold, cold["errors"]
        movies = [e["node"] for e in cold["data"]["trending"]["edges"]]
        shown = {m["tmdbId"] for m in movies}
        assert len(shown) == 50
        credited = {m.id for m in catalog().movies(shown) if m.cast_ids and m.director_ids}
        assert len(credited) >= 20  # the offline data credits only its IMDb top-1000 movies
        assert {m["tmdbId"] for m in movies if m["cast"] and m["directors"]} == credited
        assert sum(m["imdbRating"] is not None for m in movies) >= 10

        details = tmdb_details_calls(env.tmdb_calls)
        assert set(details) == {f"/3/movie/{i}" for i in shown}
        assert set(details.values()) == {1}  # one details call per movie, credits included
        with_imdb_ids = {m.imdb_id for m in catalog().movies(shown) if m.imdb_id}
        assert set(env.omdb_calls) == {f"/?i={imdb_id}" for imdb_id in with_imdb_ids}
        assert set(env.omdb_calls.values()) == {1}
        # Besides: three list pages, asked for at once; the genre names were read at start-up.
        # Cold: 53 TMDb calls and 50 OMDb calls.
        assert env.tmdb_calls[TRENDING_PATH] == 3 and env.tmdb_calls["/3/genre/movie/list"] == 0
        assert (total(env.tmdb_calls), total(env.omdb_calls)) == (53, 50)

        reset_calls(env.tmdb)
        reset_calls(env.omdb)
        warm = await env.gql(RICH_TRENDING, {"first": 50})
        assert warm == cold
        assert (total(env.tmdb_calls), total(env.omdb_calls)) == (0, 0)
        # Other fields of the same movies come from the same cached details.
        more = await env.gql("{ trending(first: 50) { nodes { runtime keywords metascore } } }")
        assert "errors" not in more
        assert (total(env.tmdb_calls), total(env.omdb_calls)) == (0, 0)


# -- failing upstreams ---------------------------------------------------------------------------------------


async def test_a_stale_copy_answers_when_the_upstream_fails(settings: Settings) -> None:
    tmdb = Switch(create_tmdb_app(catalog()))
    async with isolated_app(settings, tmdb=tmdb, cache_ttl_list_seconds=0, **FAST_FAILURE) as env:
        fresh = await env.gql(TRENDING, {"first": 5})
        assert "errors" not in fresh
        tmdb.down = True
        tried = tmdb.calls[TRENDING_PATH]
        stale = await env.gql(TRENDING, {"first": 5})
        assert "errors" not in stale
        assert nodes(stale["data"]["trending"]) == nodes(fresh["data"]["trending"])
        assert tmdb.calls[TRENDING_PATH] == tried + 1  # the entry was stale: the upstream was asked first
        # Without a stale copy the failure shows.
        never_cached = await env.gql(TRENDING, {"first": 5, "window": "DAY"})
        assert error_codes(never_cached) == ["UPSTREAM_UNAVAILABLE"]
        assert never_cached["data"] is None


async def test_movies_come_from_the_database_mirror_when_tmdb_is_down(settings: Settings) -> None:
    async with isolated_app(settings) as env:  # a first app sees the movie and mirrors it
        for language in ("en-US", "fr-FR"):
            seen = await env.gql(FRENCH_OR_NOT, {"language": language})
            assert seen["data"]["movie"]["title"] == "The Matrix"
    tmdb = Switch(create_tmdb_app(catalog()))
    tmdb.down = True
    async with isolated_app(settings, tmdb=tmdb, **FAST_FAILURE) as env:  # empty cache, TMDb down
        query = "query($id: Int!) { movie(tmdbId: $id) { title year runtime imdbId genres { tmdbId name } } }"
        body = await env.gql(query, {"id": MATRIX})
        assert "errors" not in body, body["errors"]
        assert body["data"]["movie"] == {
            "title": "The Matrix",
            "year": 1999,
            "runtime": 136,
            "imdbId": MATRIX_IMDB,
            "genres": [{"tmdbId": 28, "name": "Action"}, {"tmdbId": 878, "name": "Science Fiction"}],
        }
        # TMDb was tried (its two start-up reads failed, which opened the circuit): the movie came
        # from the mirror without waiting on it again.
        assert total(tmdb.calls) >= 2
        # A movie the mirror never saw cannot be told apart from a missing one: an error, not null.
        french = await env.gql(FRENCH_OR_NOT, {"language": "fr-FR"})
        assert [g["name"] for g in french["data"]["movie"]["genres"]] == ["Action", "Science-Fiction"]
        unknown = await env.gql(query, {"id": UNKNOWN_MOVIE})
        assert error_codes(unknown) == ["UPSTREAM_UNAVAILABLE"]


async def test_movies_fetched_together_are_all_mirrored(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    # Details of a page of movies are fetched (and mirrored) concurrently; the mirror writes of
    # movies sharing genres must neither fail nor wait on each other (PostgreSQL deadlocks did both).
    caplog.set_level(logging.WARNING, logger="reelgraph.catalog")
    async with isolated_app(settings) as env:
        body = await env.gql("{ trending(window: DAY, first: 25) { nodes { tmdbId runtime } } }")
        assert "errors" not in body, body["errors"]
        fetched = [m["tmdbId"] for m in body["data"]["trending"]["nodes"]]
    assert len(fetched) == 25
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    tmdb = Switch(create_tmdb_app(catalog()))
    tmdb.down = True
    async with isolated_app(settings, tmdb=tmdb, **FAST_FAILURE) as env:
        aliases = " ".join(f"m{i}: movie(tmdbId: {i}) {{ tmdbId title }}" for i in fetched)
        mirrored = await env.gql(f"{{ {aliases} }}")
        assert "errors" not in mirrored, mirrored["errors"][:3]
        assert sorted(m["tmdbId"] for m in mirrored["data"].values()) == sorted(fetched)


async def test_a_429_retry_after_is_honoured(settings: Settings) -> None:
    async with isolated_app(settings, tmdb_faults=FaultConfig(rate_limit=1)) as env:
        # Fill the mock's one-request-per-second window, then ask for a movie.
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=env.tmdb), base_url="http://t") as raw:
            await raw.get("/3/configuration")
        started = time.perf_counter()
        body = await env.gql(MOVIE, {"id": MATRIX})
        elapsed = time.perf_counter() - started
        assert "errors" not in body, body["errors"]
        assert body["data"]["movie"]["title"] == "The Matrix"
        assert env.tmdb_calls[MATRIX_PATH] == 2  # refused once with 429, then served
        assert elapsed >= 0.9  # waited the Retry-After second, not just a short backoff


async def test_the_breaker_opens_after_repeated_failures_and_recovers(settings: Settings) -> None:
    # Margins wide enough for a slow, shared machine: a down upstream answers after 1 s, and the
    # circuit stays open 2 s, far longer than the few fast requests checked while it is open.
    tmdb = Switch(create_tmdb_app(catalog()))
    tmdb.delay = 1.0
    async with isolated_app(
        settings, tmdb=tmdb, upstream_breaker_recovery_seconds=2.0, **FAST_FAILURE
    ) as env:
        tmdb.down = True
        for _ in range(2):
            failed = await env.gql(TRENDING, {"first": 3})
            assert error_codes(failed) == ["UPSTREAM_UNAVAILABLE"]
        reached = tmdb.calls[TRENDING_PATH]
        assert reached == 2

        started = time.perf_counter()
        short_circuited = await env.gql(TRENDING, {"first": 3})
        assert error_codes(short_circuited) == ["UPSTREAM_UNAVAILABLE"]
        assert time.perf_counter() - started < tmdb.delay  # failed fast, without waiting on TMDb
        assert tmdb.calls[TRENDING_PATH] == reached  # the open circuit did not call the upstream
        other = await env.gql(MOVIE, {"id": UNKNOWN_MOVIE})  # every TMDb call fails fast
        assert error_codes(other) == ["UPSTREAM_UNAVAILABLE"]
        assert total(tmdb.calls) == reached + 2  # + the start-up configuration and genre list calls

        tmdb.down = False  # the upstream is back, but the circuit stays open until its recovery time
        assert error_codes(await env.gql(TRENDING, {"first": 3})) == ["UPSTREAM_UNAVAILABLE"]
        assert tmdb.calls[TRENDING_PATH] == reached
        await asyncio.sleep(2.1)
        recovered = await env.gql(TRENDING, {"first": 3})
        assert "errors" not in recovered and len(ids(recovered["data"]["trending"])) == 3
        assert tmdb.calls[TRENDING_PATH] == reached + 1
        assert "errors" not in await env.gql(MOVIE, {"id": MATRIX})


async def test_a_timing_out_upstream_is_unavailable_not_a_hang(settings: Settings) -> None:
    faults = FaultConfig(timeout_rate=1.0, timeout_seconds=0.05, seed=1)
    async with isolated_app(settings, tmdb_faults=faults, upstream_max_attempts=2) as env:
        reset_calls(env.tmdb)
        body = await env.gql(TRENDING, {"first": 3})
        assert error_codes(body) == ["UPSTREAM_UNAVAILABLE"]
        assert env.tmdb_calls[TRENDING_PATH] == 2  # retried once, then gave up


async def test_configured_keys_are_sent_to_both_upstreams(settings: Settings) -> None:
    keys = {"tmdb_key": "tmdb-key-1", "omdb_key": "omdb-key-2"}
    async with isolated_app(
        settings, tmdb_api_key="tmdb-key-1", omdb_api_key="omdb-key-2", omdb_max_age_days=0, **keys
    ) as env:
        body = await env.gql(MOVIE, {"id": MATRIX})
        assert "errors" not in body, body["errors"]
        assert body["data"]["movie"] == {
            "tmdbId": MATRIX,
            "title": "The Matrix",
            "runtime": 136,
            "imdbRating": 8.7,
            "metascore": 73,
        }
        assert env.omdb_calls[f"/?i={MATRIX_IMDB}"] == 1


async def test_a_rejected_tmdb_key_is_unavailable_and_never_leaks(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "wrong-tmdb-key-7f3a9c51"
    async with isolated_app(settings, tmdb_key="the-right-key", tmdb_api_key=secret, **FAST_FAILURE) as env:
        for _ in range(3):  # 401s prove TMDb is up: they never open the breaker
            response = await env.http.post("/graphql", json={"query": TRENDING, "variables": {"first": 3}})
            body = response.json()
            assert error_codes(body) == ["UPSTREAM_UNAVAILABLE"]
            assert secret not in response.text
        assert env.tmdb_calls[TRENDING_PATH] == 3
        assert env.tmdb_calls["/3/configuration"] == 1
    assert "rejected our credentials" in caplog.text  # the operator is told...
    assert secret not in caplog.text  # ...without the key


async def test_a_rejected_omdb_key_leaves_scores_null_and_never_leaks(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "wrong-omdb-key-0c9e2b"
    async with isolated_app(
        settings, omdb_key="the-right-key", omdb_api_key=secret, omdb_max_age_days=0
    ) as env:
        response = await env.http.post("/graphql", json={"query": MOVIE, "variables": {"id": MATRIX}})
        body = response.json()
        assert "errors" not in body, body["errors"]
        assert body["data"]["movie"]["title"] == "The Matrix"
        assert body["data"]["movie"]["imdbRating"] is None and body["data"]["movie"]["metascore"] is None
        assert env.omdb_calls[f"/?i={MATRIX_IMDB}"] == 1
        assert secret not in response.text
    assert secret not in caplog.text


async def test_an_omdb_outage_leaves_scores_null(settings: Settings) -> None:
    omdb = create_omdb_app(catalog(), FaultConfig(error_rate=1.0, seed=1))
    async with isolated_app(settings, omdb=omdb, omdb_max_age_days=0, upstream_max_attempts=1) as env:
        body = await env.gql(MOVIE, {"id": MATRIX})
        assert "errors" not in body, body["errors"]
        assert body["data"]["movie"]["title"] == "The Matrix" and body["data"]["movie"]["runtime"] == 136
        assert body["data"]["movie"]["imdbRating"] is None
        assert env.omdb_calls[f"/?i={MATRIX_IMDB}"] == 1
