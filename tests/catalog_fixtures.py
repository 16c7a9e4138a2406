"""Shared pieces of the catalog HTTP tests: queries, an isolated app over counting upstream mocks,
a switch that takes an upstream down, and an admin helper.

The session app (`gql`) serves the offline catalog. Tests that count upstream calls or inject faults
build their own app with `isolated_app`: its own in-memory cache (never the shared Redis), its own
upstream mocks, and no whole-response cache unless asked for, so every request reaches the catalog.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.relay import GlobalID

from reelgraph.app import create_app
from reelgraph.config import Settings
from reelgraph.integrations.mock_upstream import (
    FaultConfig,
    create_omdb_app,
    create_tmdb_app,
    tmdb_error_response,
)
from reelgraph.integrations.offline_catalog import OfflineCatalog
from reelgraph.persistence.migrate import upgrade_to_head
from tests.helpers import GraphQLClient, register

MATRIX = 603
MATRIX_IMDB = "tt0133093"
SCIENCE_FICTION = 878
ACTION = 28
DRAMA = 18
UNKNOWN_MOVIE = 999_999_999

DETAILS_PATH = re.compile(r"^/3/movie/\d+$")

MOVIE_CARD = (
    "tmdbId title year releaseDate popularity voteAverage voteCount originalLanguage genres { tmdbId name }"
)
CONNECTION = f"""
  totalCount
  edges {{ cursor node {{ {MOVIE_CARD} }} }}
  pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }}
"""
TRENDING = f"""
query Trending($window: TimeWindow, $first: Int, $after: String, $language: String) {{
  trending(window: $window, first: $first, after: $after, language: $language) {{ {CONNECTION} }}
}}
"""
DISCOVER = f"""
query Discover($filter: MovieFilter!, $sort: MovieSort, $first: Int, $after: String) {{
  discover(filter: $filter, sort: $sort, first: $first, after: $after) {{ {CONNECTION} }}
}}
"""
MOVIES = f"""
query Movies($list: MovieList!, $first: Int, $after: String, $region: String) {{
  movies(list: $list, first: $first, after: $after, region: $region) {{ {CONNECTION} }}
}}
"""


def catalog() -> OfflineCatalog:
    """The bundled catalog, parsed once per process (OfflineCatalog.load caches it)."""
    return OfflineCatalog.load()


def ids(connection: dict[str, Any]) -> list[int]:
    return [edge["node"]["tmdbId"] for edge in connection["edges"]]


def nodes(connection: dict[str, Any]) -> list[dict[str, Any]]:
    return [edge["node"] for edge in connection["edges"]]


def tmdb_details_calls(calls: Counter[str]) -> Counter[str]:
    """Only the movie-details requests (/3/movie/<id>) of a TMDb mock's call counter."""
    return Counter({path: n for path, n in calls.items() if DETAILS_PATH.match(path)})


class Switch:
    """ASGI wrapper around an upstream mock: passes requests through, or answers TMDb's 503 while
    `down`. Counts every request that reaches it, including the failed ones."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.down = False
        self.delay = 0.0  # seconds a failing answer takes, like a struggling upstream
        self.calls: Counter[str] = Counter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.calls[scope["path"]] += 1
        if self.down:
            if self.delay:
                await asyncio.sleep(self.delay)
            response = tmdb_error_response(
                503, 9, "Service offline - This service is temporarily offline, try again later."
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


@dataclass
class Isolated:
    app: Starlette
    http: httpx.AsyncClient
    gql: GraphQLClient
    tmdb: ASGIApp
    omdb: ASGIApp

    @property
    def tmdb_calls(self) -> Counter[str]:
        return self.tmdb.state.calls  # type: ignore[attr-defined,no-any-return]

    @property
    def omdb_calls(self) -> Counter[str]:
        return self.omdb.state.calls  # type: ignore[attr-defined,no-any-return]


@asynccontextmanager
async def unlimited_chat(settings: Settings, port: int) -> AsyncIterator[GraphQLClient]:
    """An app of its own without the chat rate limit, for tests that hold many conversations."""
    app = create_app(settings.model_copy(update={"chat_rate_limit": "100000/minute"}))
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", port))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://test") as http,
    ):
        yield GraphQLClient(http)


async def fresh_database(directory: Path) -> str:
    """A migrated SQLite database of its own, for a test that must know no other test's data (the
    shared database mirrors every movie and score other tests read, and answers for the upstream)."""
    url = f"sqlite+aiosqlite:///{directory / 'own.db'}"
    await asyncio.to_thread(upgrade_to_head, url)
    return url


@asynccontextmanager
async def isolated_app(
    settings: Settings,
    *,
    tmdb: ASGIApp | None = None,
    omdb: ASGIApp | None = None,
    tmdb_faults: FaultConfig | None = None,
    tmdb_key: str | None = None,
    omdb_key: str | None = None,
    **overrides: Any,
) -> AsyncIterator[Isolated]:
    """An app of its own over counting upstream mocks (the offline catalog unless given others).

    `tmdb_key`/`omdb_key` are the keys the mocks require; pass `tmdb_api_key`/`omdb_api_key` in
    `overrides` for the keys the app sends.
    """
    tmdb_app = tmdb or create_tmdb_app(catalog(), tmdb_faults, required_key=tmdb_key)
    omdb_app = omdb or create_omdb_app(catalog(), required_key=omdb_key)
    values: dict[str, Any] = {
        "cache_url": "memory://",  # never the shared Redis: counts must not depend on other tests
        "response_cache_seconds": 0,
        **overrides,
    }
    application = create_app(
        settings.model_copy(update=values),
        tmdb_transport=httpx.ASGITransport(app=tmdb_app),
        omdb_transport=httpx.ASGITransport(app=omdb_app),
    )
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application, client=("127.0.0.1", 40001))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield Isolated(application, http, GraphQLClient(http), tmdb_app, omdb_app)


async def make_admin(gql: GraphQLClient, app: Starlette) -> dict[str, Any]:
    """A freshly registered user promoted to ADMIN; returns the register payload."""
    session = await register(gql, name="Catalog Admin")
    user_id = int(GlobalID.from_id(session["user"]["id"]).node_id)
    await app.state.services.admin.assign_role(user_id, "ADMIN")
    return session
