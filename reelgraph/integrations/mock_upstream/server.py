"""The combined mock upstream (TMDb at ``/3``, OMDb at ``/omdb``, call counts) and its server."""

from __future__ import annotations

from collections import Counter
from typing import Literal

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from reelgraph.integrations.mock_upstream.calls import counted_app, omdb_call_key, reset_calls
from reelgraph.integrations.mock_upstream.faults import FaultConfig
from reelgraph.integrations.mock_upstream.omdb_app import create_omdb_app
from reelgraph.integrations.mock_upstream.quirks import NO_QUIRKS, RealApiQuirks
from reelgraph.integrations.mock_upstream.tmdb_app import create_tmdb_app
from reelgraph.integrations.offline_catalog import OfflineCatalog

CALLS_PATH = "/__calls"
OMDB_MOUNT = "/omdb"


class _OmdbSlashMiddleware:
    """``/omdb?i=..`` -> ``/omdb/?i=..``: clients join "/" onto the base URL differently."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == OMDB_MOUNT:
            scope = {**scope, "path": f"{OMDB_MOUNT}/", "raw_path": f"{OMDB_MOUNT}/".encode()}
        await self.app(scope, receive, send)


def _combined_call_key(scope: Scope) -> str:
    return omdb_call_key(scope) if scope["path"].startswith(OMDB_MOUNT) else scope["path"]


def create_mock_upstream_app(
    catalog: OfflineCatalog | None = None,
    faults: FaultConfig | None = None,
    tmdb_key: str | None = None,
    omdb_key: str | None = None,
    quirks: RealApiQuirks = NO_QUIRKS,
) -> Starlette:
    """TMDb at ``/3``, OMDb at ``/omdb``, call counts at ``GET /__calls`` (``DELETE`` resets).

    Faults apply once, here, in front of both APIs (``/__calls`` is exempt); ``quirks`` to both.
    """
    catalog = catalog or OfflineCatalog.load()
    tmdb = create_tmdb_app(catalog, required_key=tmdb_key, quirks=quirks)
    omdb = create_omdb_app(catalog, required_key=omdb_key, quirks=quirks)
    calls: Counter[str] = Counter()

    async def call_counts(request: Request) -> JSONResponse:
        if request.method == "DELETE":
            reset_calls(request.app)
            return JSONResponse({"total": 0, "calls": {}})
        return JSONResponse({"total": calls.total(), "calls": dict(sorted(calls.items()))})

    routes = [
        Route(CALLS_PATH, call_counts, methods=["GET", "DELETE"]),
        Mount(OMDB_MOUNT, app=omdb),
        Mount("", app=tmdb),
    ]
    app = counted_app(
        catalog,
        routes,
        faults,
        calls=calls,
        call_key=_combined_call_key,
        omdb_prefix=OMDB_MOUNT,
        exempt_paths=[CALLS_PATH],
        outer=[Middleware(_OmdbSlashMiddleware)],
    )
    app.state.children = (tmdb, omdb)
    return app


def run_mock_upstream(
    host: str,
    port: int,
    latency_ms: int,
    error_rate: float,
    rate_limit: int,
    *,
    timeout_rate: float = 0.0,
    seed: int | None = None,
    tmdb_key: str | None = None,
    omdb_key: str | None = None,
    quirks: RealApiQuirks = NO_QUIRKS,
    log_level: Literal["critical", "error", "warning", "info", "debug"] = "info",
) -> None:
    """Serve the combined mock upstream with uvicorn until interrupted (blocking)."""
    import uvicorn  # only the standalone server needs it

    faults = FaultConfig(
        latency_ms=latency_ms,
        error_rate=error_rate,
        rate_limit=rate_limit,
        timeout_rate=timeout_rate,
        seed=seed,
    )
    app = create_mock_upstream_app(faults=faults, tmdb_key=tmdb_key, omdb_key=omdb_key, quirks=quirks)
    uvicorn.run(app, host=host, port=port, log_level=log_level)
