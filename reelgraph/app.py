"""The Starlette application factory; the lifespan opens the engine, cache and clients once."""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from reelgraph.admission import AdmissionControl
from reelgraph.config import Settings, get_settings
from reelgraph.edge import Edge
from reelgraph.graphiql import STATIC_DIR, STATIC_PATH
from reelgraph.http import GraphQLView, download, health, ready
from reelgraph.jobs.engine import JobEngine
from reelgraph.jobs.metrics import JobCollector
from reelgraph.mail import Mailer
from reelgraph.observability import install_observability
from reelgraph.schema.root import build_schema
from reelgraph.security import check_settings
from reelgraph.services.container import Services


def _return_freed_memory() -> None:
    """Gives the allocator's free pages back to the system (glibc keeps what loading the catalog
    and the model freed: tens of MiB of RSS otherwise)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return
    with contextlib.suppress(OSError, AttributeError):  # not glibc (musl, macOS): nothing to trim
        ctypes.CDLL(name).malloc_trim(0)


def create_app(
    settings: Settings | None = None,
    mailer: Mailer | None = None,
    *,
    tmdb_transport: httpx.AsyncBaseTransport | None = None,
    omdb_transport: httpx.AsyncBaseTransport | None = None,
) -> Starlette:
    """The ASGI app. Transports override the upstream connections (tests and benchmarks)."""
    settings = settings or get_settings()
    # Fail at start-up, not at the first request, when production lacks a secret.
    settings.resolved_jwt_secret()
    check_settings(settings)  # production: no wildcard or development CORS origins

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        services = await Services.open(
            settings, mailer=mailer, tmdb_transport=tmdb_transport, omdb_transport=omdb_transport
        )
        app.state.services = services
        # The composition root connects the services' job queue to the engine: in-process runs and
        # schedules without a broker, enqueue-only with one (workers and the scheduler run them).
        jobs = JobEngine(services)
        await jobs.start(schedules=settings.broker_url is None and settings.job_schedules)
        app.state.jobs = jobs
        # The assistant's theme index (TF-IDF over the catalog, with scikit-learn: ~60 MiB) is not
        # built here: the first theme a user asks about builds it, in a thread (0.6-2.4 s).
        if getattr(app.state, "metrics", None) is not None:
            app.state.metrics.registry.register(JobCollector(jobs.stats))
        if settings.freeze_startup_objects:
            # What startup loaded (catalog, models, schema: ~300,000 objects) lives as long as the
            # process; frozen, full garbage collections stop walking it (0.2-0.4 s pauses).
            gc.collect()
            gc.freeze()
        _return_freed_memory()
        try:
            yield
        finally:
            await jobs.close()  # in-flight runs finish (bounded wait) or are handed back
            await services.close()

    view = GraphQLView(
        build_schema(settings),
        graphql_ide="graphiql" if settings.graphiql_enabled else None,
        allow_queries_via_get=True,
        allowed_origins=settings.cors_origins,  # cross-origin WebSocket handshakes, as for CORS
        multipart_uploads_enabled=True,  # importLibrary's file; CSRF-guarded in GraphQLView
    )
    routes = [
        Route("/graphql", view, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", view),  # subscriptions: graphql-transport-ws and graphql-ws
        Route("/health", health),
        Route("/health/ready", ready),
        Route("/downloads/{token}", download),  # exports, behind signed expiring links
    ]
    if settings.graphiql_enabled:
        # The playground's pinned, vendored assets (reelgraph/graphiql): no CDN.
        routes.append(Mount(STATIC_PATH, StaticFiles(directory=STATIC_DIR), name="graphiql-static"))
    cors: dict[str, Any] = {
        "allow_origins": settings.cors_origins,
        "allow_methods": ["GET", "POST", "OPTIONS"],
        "allow_headers": [
            "Authorization",
            "Content-Type",
            "Accept-Language",
            "Apollo-Require-Preflight",
            "X-Request-ID",
        ],
        # Browsers may read these from cross-origin answers: tracing ids and rate-limit hints.
        "expose_headers": ["X-Request-ID", "Retry-After"],
        "max_age": 600,
    }
    middleware = [
        Middleware(CORSMiddleware, **cors),
        # Innermost: a 503 for a busy server still gets CORS and security headers.
        Middleware(
            AdmissionControl,
            max_in_flight=settings.max_in_flight,
            max_wait_seconds=settings.max_queue_seconds,
        ),
    ]
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    metrics = install_observability(app, settings)  # the metrics and GET /metrics
    # Outermost, one pass: request ids, error guard, security headers, body limit, metrics and
    # access log, rate limit and response-cache hits (answered before CORS, admission and routing).
    app.add_middleware(Edge, settings=settings, metrics=metrics, cors=cors)
    return app
