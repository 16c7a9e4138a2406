"""Each operation has a budget of uncached TMDb/OMDb lookups: past it, the fields that need more
fail with QUERY_TOO_COMPLEX, the rest of the answer stands, and cached data costs nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from reelgraph.config import Settings
from reelgraph.integrations.mock_upstream import reset_calls
from reelgraph.persistence.migrate import upgrade_to_head
from tests.catalog_fixtures import isolated_app

RUNTIMES = "{ trending(first: 10) { nodes { title runtime } } }"


def detail_calls(calls: dict[str, int]) -> int:
    return sum(count for path, count in calls.items() if path.startswith("/3/movie/"))


def budget_errors(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in body.get("errors", []) if e["extensions"]["code"] == "QUERY_TOO_COMPLEX"]


async def test_lookups_past_the_budget_fail_field_by_field(settings: Settings) -> None:
    async with isolated_app(settings, max_upstream_calls=5) as env:
        reset_calls(env.tmdb)
        first = await env.gql(RUNTIMES)
        nodes = first["data"]["trending"]["nodes"]
        assert len(nodes) == 10 and all(node["title"] for node in nodes)
        refused = budget_errors(first)
        # The list page took 1 (the genre names were read at start-up): 4 details fitted.
        assert len(refused) == 6
        assert {e["extensions"]["maxUpstreamCalls"] for e in refused} == {5}
        assert refused[0]["message"].startswith("This operation needs more than 5 TMDb/OMDb lookups")
        assert all(e["path"][:2] == ["trending", "nodes"] and e["path"][3] == "runtime" for e in refused)
        assert sum(node["runtime"] is not None for node in nodes) == 4
        assert detail_calls(env.tmdb_calls) == 4

        # Cached lookups are free: asking again gets further, then everything.
        second = await env.gql(RUNTIMES)
        assert len(budget_errors(second)) == 1
        third = await env.gql(RUNTIMES)
        assert "errors" not in third
        assert all(node["runtime"] for node in third["data"]["trending"]["nodes"])
        assert detail_calls(env.tmdb_calls) == 10  # each movie fetched once in all


async def test_omdb_scores_are_refused_as_one_batch(settings: Settings, tmp_path: Path) -> None:
    query = "{ trending(first: 3) { nodes { title imdbRating } } }"
    # A database of its own: scores other tests mirrored there would be answered without OMDb.
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'budget.db'}"
    await asyncio.to_thread(upgrade_to_head, database_url)
    async with isolated_app(settings, max_upstream_calls=5, database_url=database_url) as env:
        reset_calls(env.omdb)
        # The list page and 3 details use 4 of the 5: no room for the 3 scores, one batch or none.
        body = await env.gql(query)
        assert [node["imdbRating"] for node in body["data"]["trending"]["nodes"]] == [None] * 3
        assert len(budget_errors(body)) == 3
        assert sum(env.omdb_calls.values()) == 0
        # With the details cached, the 3 scores fit.
        again = await env.gql(query)
        assert "errors" not in again
        assert sum(env.omdb_calls.values()) == 3


async def test_the_default_budget_answers_a_big_page_in_full(settings: Settings) -> None:
    query = "{ trending(first: 100) { nodes { runtime imdbRating } } }"
    async with isolated_app(settings) as env:
        body = await env.gql(query)
        assert "errors" not in body
        assert len(body["data"]["trending"]["nodes"]) == 100
