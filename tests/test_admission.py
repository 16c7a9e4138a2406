"""Admission control: requests beyond the in-flight limit wait their turn, in order, and one that
would wait too long is refused at once with 503, Retry-After and RATE_LIMITED."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from reelgraph.admission import AdmissionControl
from reelgraph.app import create_app
from reelgraph.persistence.migrate import upgrade_to_head
from tests.conftest import make_settings


def gated_app(
    max_in_flight: int, max_wait_seconds: float
) -> tuple[AdmissionControl, asyncio.Event, list[str]]:
    """A /graphql endpoint that holds every request until `gate` opens, recording arrival order."""
    gate = asyncio.Event()
    started: list[str] = []

    async def graphql(request: Request) -> JSONResponse:
        started.append(request.query_params["n"])
        await gate.wait()
        return JSONResponse({"data": {"n": request.query_params["n"]}})

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    inner = Starlette(routes=[Route("/graphql", graphql), Route("/health", health)])
    return AdmissionControl(inner, max_in_flight, max_wait_seconds), gate, started


async def test_requests_over_the_limit_wait_and_run_in_arrival_order() -> None:
    app, gate, started = gated_app(max_in_flight=2, max_wait_seconds=5)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
        calls = []
        for n in range(5):
            calls.append(asyncio.create_task(http.get("/graphql", params={"n": str(n)})))
            await asyncio.sleep(0.05)
        assert started == ["0", "1"]  # two run, three wait
        # Health checks are never queued.
        assert (await http.get("/health")).status_code == 200
        gate.set()
        responses = await asyncio.gather(*calls)
    assert [r.json()["data"]["n"] for r in responses] == ["0", "1", "2", "3", "4"]
    assert started == ["0", "1", "2", "3", "4"]


async def test_a_request_that_would_wait_too_long_is_refused_at_once() -> None:
    app, gate, _ = gated_app(max_in_flight=1, max_wait_seconds=0.2)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
        first = asyncio.create_task(http.get("/graphql", params={"n": "0"}))
        await asyncio.sleep(0.05)
        refused = await http.get("/graphql", params={"n": "1"})
        assert refused.status_code == 503
        assert refused.headers["retry-after"] == "2"
        assert refused.json() == {
            "data": None,
            "errors": [
                {
                    "message": "The server is busy; retry in 2 s.",
                    "extensions": {"code": "RATE_LIMITED", "retryAfter": 2},
                }
            ],
        }
        gate.set()
        assert (await first).status_code == 200
        # The slot was given back: the next request runs.
        assert (await http.get("/graphql", params={"n": "2"})).status_code == 200


async def test_the_server_refuses_with_cors_headers_when_busy(tmp_path: Path) -> None:
    # Through the real app, with one slot and no waiting at all.
    settings = make_settings(tmp_path, max_in_flight=1, max_queue_seconds=0.0)
    await asyncio.to_thread(upgrade_to_head, settings.database_url)  # as `reelgraph serve` does
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http,
    ):
        ok = await http.post("/graphql", json={"query": "{ __typename }"})
        assert ok.json()["data"] == {"__typename": "Query"}
        # Hold the only slot with a request whose body never finishes arriving: a signed-in one (a
        # forged token counts as anonymous), as the edge reads anonymous bodies before admission.
        body_started = asyncio.Event()

        async def slow_body() -> AsyncIterator[bytes]:
            body_started.set()
            await asyncio.sleep(1)
            yield b'{"query": "{ __typename }"}'

        held = asyncio.create_task(
            http.post(
                "/graphql",
                content=slow_body(),
                headers={"content-type": "application/json", "authorization": "Bearer forged.token.value"},
            )
        )
        await body_started.wait()
        await asyncio.sleep(0.05)
        busy = await http.post(
            "/graphql", json={"query": "{ busy: __typename }"}, headers={"origin": "http://localhost:3000"}
        )
        assert busy.status_code == 503
        # An answer the response cache holds needs no slot: it is served meanwhile.
        cached = await http.post("/graphql", json={"query": "{ __typename }"})
        assert cached.status_code == 200 and cached.headers["x-reelgraph-cache"] == "hit"
        assert busy.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        assert busy.headers["access-control-allow-origin"] == "http://localhost:3000"
        assert busy.headers["x-request-id"]
        assert (await held).json()["data"] == {"__typename": "Query"}
