"""Builds the TMDb and OMDb clients: real HTTP with keys, the in-process offline catalog without.

Offline and online differ only in the httpx transport: the same clients, policies and parsing run.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import httpx

from reelgraph.config import Settings
from reelgraph.integrations.http_policy import PolicyConfig, UpstreamPolicy
from reelgraph.integrations.mock_upstream import create_omdb_app, create_tmdb_app
from reelgraph.integrations.offline_catalog import OfflineCatalog
from reelgraph.integrations.omdb import OMDbClient
from reelgraph.integrations.tmdb import TMDbClient
from reelgraph.observability.upstream_http import InstrumentedTransport, UpstreamHttpStats

log = logging.getLogger("reelgraph.upstream")

OFFLINE_TMDB_BASE = "http://offline-tmdb/3"
OFFLINE_OMDB_BASE = "http://offline-omdb"
# Connections kept open per upstream: a cold page's burst of details reuses them instead of paying a
# TCP (and TLS) handshake each. httpx keeps 20 for 5 s: fewer than a page needs, for less than the
# time between two pages a user reads (httpcore checks that the server has not closed one on reuse).
UPSTREAM_POOL = httpx.Limits(max_connections=100, max_keepalive_connections=50, keepalive_expiry=20.0)


@dataclass
class Upstreams:
    tmdb: TMDbClient
    omdb: OMDbClient
    tmdb_policy: UpstreamPolicy
    omdb_policy: UpstreamPolicy
    offline_tmdb: bool
    offline_omdb: bool
    _clients: tuple[httpx.AsyncClient, ...]
    http_stats: tuple[UpstreamHttpStats, ...] = ()  # per-attempt counts and latency, for /metrics

    async def close(self) -> None:
        for client in self._clients:
            await client.aclose()


def policy_config(settings: Settings) -> PolicyConfig:
    return PolicyConfig(
        connect_timeout=settings.upstream_connect_timeout_seconds,
        read_timeout=settings.upstream_read_timeout_seconds,
        max_attempts=settings.upstream_max_attempts,
        rate_limit_per_second=settings.upstream_rate_limit_per_second,
        rate_limit_burst=settings.upstream_rate_limit_burst,
        breaker_failure_threshold=settings.upstream_breaker_threshold,
        breaker_recovery_time=settings.upstream_breaker_recovery_seconds,
    )


async def _offline_transports() -> tuple[httpx.AsyncBaseTransport, httpx.AsyncBaseTransport]:
    # Decompressing and indexing the catalog is CPU work: keep it off the event loop.
    catalog = await asyncio.to_thread(OfflineCatalog.load)
    return httpx.ASGITransport(app=create_tmdb_app(catalog)), httpx.ASGITransport(
        app=create_omdb_app(catalog)
    )


async def create_upstreams(
    settings: Settings,
    tmdb_transport: httpx.AsyncBaseTransport | None = None,
    omdb_transport: httpx.AsyncBaseTransport | None = None,
) -> Upstreams:
    """Clients for TMDb and OMDb. Explicit transports (tests, benchmarks) win over everything."""
    config = policy_config(settings)
    offline_tmdb = tmdb_transport is None and settings.offline_catalog
    offline_omdb = omdb_transport is None and (settings.offline_catalog or not settings.omdb_api_key)
    if offline_tmdb or offline_omdb:
        offline_tmdb_transport, offline_omdb_transport = await _offline_transports()
        if offline_tmdb:
            tmdb_transport = offline_tmdb_transport
        if offline_omdb:
            omdb_transport = offline_omdb_transport
        log.info(
            "upstream: TMDb %s, OMDb %s",
            "offline" if offline_tmdb else "live",
            "offline" if offline_omdb else "live",
        )
    # Live: httpx's own transport with our pool (a client's `limits` would not reach a given transport).
    tmdb_transport = tmdb_transport or httpx.AsyncHTTPTransport(limits=UPSTREAM_POOL)
    omdb_transport = omdb_transport or httpx.AsyncHTTPTransport(limits=UPSTREAM_POOL)
    tmdb_base = OFFLINE_TMDB_BASE if offline_tmdb else settings.tmdb_base_url
    omdb_base = OFFLINE_OMDB_BASE if offline_omdb else settings.omdb_base_url
    # Instrumented: every attempt (retries included) is counted and timed by endpoint.
    tmdb_instrumented = InstrumentedTransport("tmdb", tmdb_transport, tmdb_base)
    omdb_instrumented = InstrumentedTransport("omdb", omdb_transport, omdb_base)
    tmdb_http = httpx.AsyncClient(base_url=tmdb_base, transport=tmdb_instrumented, timeout=config.timeout)
    omdb_http = httpx.AsyncClient(base_url=omdb_base, transport=omdb_instrumented, timeout=config.timeout)
    tmdb_policy = UpstreamPolicy("tmdb", config)
    omdb_policy = UpstreamPolicy("omdb", config)
    return Upstreams(
        tmdb=TMDbClient(
            tmdb_http, tmdb_policy, api_key=settings.tmdb_api_key, read_token=settings.tmdb_read_token
        ),
        omdb=OMDbClient(omdb_http, omdb_policy, api_key=None if offline_omdb else settings.omdb_api_key),
        tmdb_policy=tmdb_policy,
        omdb_policy=omdb_policy,
        offline_tmdb=offline_tmdb,
        offline_omdb=offline_omdb,
        _clients=(tmdb_http, omdb_http),
        http_stats=(tmdb_instrumented.stats, omdb_instrumented.stats),
    )
