"""The cold path of a list page with ratings and cast: the list pages it spans go out together,
movie details go out as one burst, each movie's OMDb lookup starts when its own details arrive,
and details are one lean request.

Asserted on the order of events the upstream mocks record (requests arriving, answers leaving),
never on wall-clock thresholds."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Receive, Scope, Send

from reelgraph.config import Settings
from reelgraph.integrations.mock_upstream import create_omdb_app, create_tmdb_app
from tests.catalog_fixtures import DETAILS_PATH, catalog, isolated_app

DISCOVER_PATH = "/3/discover/movie"
PAGE = "{ discover(filter: {}, first: 30) { nodes { tmdbId title imdbRating cast(first: 3) { person { name } } } } }"
# How long every details answer takes: far less than the old limiter's spacing of 30 calls
# (10 at once, then one every 25 ms), far more than sending 30 requests takes.
DETAILS_LATENCY = 0.2
# Longest a held answer waits for what it waits for (then the test fails on the order, not hangs).
HOLD_LIMIT = 5.0


@dataclass
class Timeline:
    """What reached the upstream mocks, in order: ("arrived" | "answered", path)."""

    events: list[tuple[str, str]] = field(default_factory=list)
    omdb_asked: asyncio.Event = field(default_factory=asyncio.Event)

    def details(self, kind: str) -> list[int]:
        """Positions of the details requests' events of `kind` in the timeline."""
        return [i for i, (k, path) in enumerate(self.events) if k == kind and DETAILS_PATH.match(path)]

    def omdb(self, kind: str) -> list[int]:
        return [i for i, (k, path) in enumerate(self.events) if k == kind and path.startswith("omdb")]


class Recorded:
    """ASGI wrapper of a mock: records arrivals and answers, optionally holding some answers."""

    def __init__(self, app: ASGIApp, timeline: Timeline, name: str, hold: str = "") -> None:
        self.app, self.timeline, self.name, self.hold = app, timeline, name, hold
        self.state = app.state  # type: ignore[attr-defined]  # the mock's call counts, for isolated_app
        self.held: str | None = None
        self.queries: dict[str, list[str]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"] if self.name == "tmdb" else f"omdb{scope['path']}"
        self.queries[path] = parse_qs(scope.get("query_string", b"").decode()).get("append_to_response", [])
        self.timeline.events.append(("arrived", path))
        if self.name == "omdb":
            self.timeline.omdb_asked.set()
        elif DETAILS_PATH.match(path) or (self.hold == "latency" and path == DISCOVER_PATH):
            await self._wait(path)
        await self.app(scope, receive, send)
        self.timeline.events.append(("answered", path))

    async def _wait(self, path: str) -> None:
        if self.hold == "latency":
            await asyncio.sleep(DETAILS_LATENCY)
        elif self.hold == "first-until-omdb" and self.held is None:
            self.held = path  # the first movie's details wait until some OMDb lookup has started
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.timeline.omdb_asked.wait(), HOLD_LIMIT)


def recorded_mocks(hold: str) -> tuple[Timeline, Recorded, Recorded]:
    timeline = Timeline()
    tmdb = Recorded(create_tmdb_app(catalog()), timeline, "tmdb", hold)
    omdb = Recorded(create_omdb_app(catalog()), timeline, "omdb")
    return timeline, tmdb, omdb


async def cold_page(settings: Settings, hold: str) -> tuple[Timeline, Recorded, dict[str, Any]]:
    timeline, tmdb, omdb = recorded_mocks(hold)
    # omdb_max_age_days=0: scores other tests mirrored in this database do not count as fresh.
    async with isolated_app(settings, tmdb=tmdb, omdb=omdb, omdb_max_age_days=0) as env:
        timeline.events.clear()  # start-up (configuration) is not the page's
        body = await env.gql(PAGE)
    assert "errors" not in body, body["errors"]
    return timeline, tmdb, body


async def test_a_page_of_movie_details_goes_out_as_one_burst(settings: Settings) -> None:
    timeline, _, body = await cold_page(settings, "latency")
    assert len(body["data"]["discover"]["nodes"]) == 30
    arrived, answered = timeline.details("arrived"), timeline.details("answered")
    assert len(arrived) == 30
    # Every details request reached the upstream before the first one was answered: none waited
    # for a rate-limit slot or a concurrency slot freed by another.
    assert max(arrived) < min(answered)


async def test_the_list_pages_a_page_spans_go_out_together_and_genres_are_known(
    settings: Settings,
) -> None:
    timeline, _, body = await cold_page(settings, "latency")
    assert len(body["data"]["discover"]["nodes"]) == 30  # two upstream pages of about 20
    pages = [(kind, i) for i, (kind, path) in enumerate(timeline.events) if path == DISCOVER_PATH]
    arrived = [i for kind, i in pages if kind == "arrived"]
    answered = [i for kind, i in pages if kind == "answered"]
    assert len(arrived) == 2 and max(arrived) < min(answered)  # one round trip of wall time, not two
    # The genre names every list item carries were read at start-up, not on the page's path.
    assert not any(path == "/3/genre/movie/list" for _, path in timeline.events)


async def test_each_omdb_lookup_starts_when_its_own_details_arrive(settings: Settings) -> None:
    timeline, tmdb, body = await cold_page(settings, "first-until-omdb")
    nodes = body["data"]["discover"]["nodes"]
    assert sum(node["imdbRating"] is not None for node in nodes) >= 10
    assert tmdb.held is not None
    held_answer = timeline.events.index(("answered", tmdb.held))
    # OMDb was asked while one movie's details were still out: the others did not wait for it.
    assert timeline.omdb("arrived") and min(timeline.omdb("arrived")) < held_answer


async def test_details_are_one_lean_request_and_a_warm_page_costs_nothing(settings: Settings) -> None:
    timeline, tmdb, omdb = recorded_mocks("")
    async with isolated_app(settings, tmdb=tmdb, omdb=omdb, omdb_max_age_days=0) as env:
        timeline.events.clear()
        cold = await env.gql(PAGE)
        details = {path: parts for path, parts in tmdb.queries.items() if DETAILS_PATH.match(path)}
        assert len(details) == 30
        # The parts Movie's fields read from the details, without the two related-movie pages.
        assert set(map(tuple, details.values())) == {
            ("credits,videos,keywords,external_ids,watch/providers",)
        }

        timeline.events.clear()
        assert await env.gql(PAGE) == cold
        assert timeline.events == []  # warm: no upstream call
        movie = cold["data"]["discover"]["nodes"][0]["tmdbId"]
        more = await env.gql(
            "query($id: Int!) { movie(tmdbId: $id) { runtime keywords imdbId videos { key }"
            " watchProviders { region } directors { name } } }",
            {"id": movie},
        )
        assert "errors" not in more and more["data"]["movie"]["runtime"]
        assert timeline.events == []  # every other field of the lean shape: from the same details

        # Similar and recommended movies come in a request of their own, once.
        query = "query($id: Int!) { movie(tmdbId: $id) { similar(first: 3) { title } recommendations(first: 3) { title } } }"
        related = await env.gql(query, {"id": movie})
        assert "errors" not in related and len(related["data"]["movie"]["similar"]) == 3
        asked = [path for kind, path in timeline.events if kind == "arrived"]
        # (recommendations also read the details of this server's own item-item neighbours)
        lists = [path for path in asked if not DETAILS_PATH.match(path)]
        assert sorted(lists) == [f"/3/movie/{movie}/recommendations", f"/3/movie/{movie}/similar"]
        before = len(timeline.events)
        assert await env.gql(query, {"id": movie}) == related
        assert len(timeline.events) == before  # the second time: from the cache
