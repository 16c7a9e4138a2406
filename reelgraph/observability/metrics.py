"""Prometheus metrics, one registry per app (so several apps in one process never collide).

Recorded as requests go (by the Edge middleware's RequestObserver): GraphQL request duration by operation,
GraphQL errors by code, HTTP requests by route and status, requests in flight, WebSocket
connections. Read at scrape time (by StateCollector) from the live services: cache hits and
misses, upstream HTTP attempts and latency by endpoint, upstream policy counters and breaker state.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest
from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response

DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
MAX_OPERATION_NAMES = 200  # client-chosen names: bounded, later ones are counted as "other"
BREAKER_STATES = ("closed", "half-open", "open")


class Metrics:
    """The registry and the metrics recorded per request."""

    def __init__(self, app: Any | None = None, *, max_operation_names: int = MAX_OPERATION_NAMES) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.max_operation_names = max_operation_names
        self._operation_names: set[str] = set()
        registry = self.registry
        self.graphql_duration = Histogram(
            "reelgraph_graphql_request_duration_seconds",
            "Time to answer a GraphQL HTTP request, by operation name and type "
            "(response-cache hits included).",
            ["operation_name", "operation_type"],
            buckets=DURATION_BUCKETS,
            registry=registry,
        )
        self.graphql_errors = Counter(
            "reelgraph_graphql_errors",
            "Top-level GraphQL errors in responses, by extensions.code and operation name.",
            ["code", "operation_name"],
            registry=registry,
        )
        self.http_requests = Counter(
            "reelgraph_http_requests",
            "HTTP requests by method, route and status.",
            ["method", "route", "status"],
            registry=registry,
        )
        self.in_flight = Gauge(
            "reelgraph_http_requests_in_flight", "HTTP requests being handled.", registry=registry
        )
        self.websockets = Gauge(
            "reelgraph_websocket_connections", "Open WebSocket (subscription) connections.", registry=registry
        )
        self.websocket_total = Counter(
            "reelgraph_websocket_connections_opened", "WebSocket connections accepted.", registry=registry
        )
        if app is not None:
            registry.register(StateCollector(app))

    def operation_label(self, name: str) -> str:
        """`name` while fewer than max_operation_names distinct names were seen, else "other"."""
        if name in self._operation_names:
            return name
        if len(self._operation_names) >= self.max_operation_names:
            return "other"
        self._operation_names.add(name)
        return name

    def render(self) -> bytes:
        return generate_latest(self.registry)


class StateCollector(Collector):
    """Reads counters the services keep anyway (no bookkeeping on the request path)."""

    def __init__(self, app: Any) -> None:
        self._app = app

    def describe(self) -> list[Metric]:
        return []  # collected lazily; the services do not exist before the lifespan starts

    def collect(self) -> Iterator[Metric]:
        services = getattr(self._app.state, "services", None)
        if services is None:
            return
        yield from _cache_metrics(services)
        yield from _upstream_metrics(getattr(services, "upstreams", None))


def _cache_metrics(services: Any) -> Iterator[Metric]:
    sources: list[tuple[str, Any]] = []
    catalog = getattr(services, "catalog", None)
    if catalog is not None and getattr(catalog, "fetcher", None) is not None:
        sources.append(("shared", catalog.fetcher))
    if getattr(services, "response_cache", None) is not None:
        sources.append(("response", services.response_cache))
    hits = CounterMetricFamily(
        "reelgraph_cache_hits", "Cache lookups answered from the cache.", labels=["cache"]
    )
    misses = CounterMetricFamily("reelgraph_cache_misses", "Cache lookups that missed.", labels=["cache"])
    ratio = GaugeMetricFamily(
        "reelgraph_cache_hit_ratio",
        "hits / (hits + misses) since start (0 before any lookup).",
        labels=["cache"],
    )
    stale = CounterMetricFamily(
        "reelgraph_cache_stale_served",
        "Stale shared-cache entries served because the upstream failed.",
        labels=["cache"],
    )
    for name, cache in sources:
        hit, miss = int(cache.hits), int(cache.misses)
        hits.add_metric([name], hit)
        misses.add_metric([name], miss)
        ratio.add_metric([name], hit / (hit + miss) if hit + miss else 0.0)
        if hasattr(cache, "stale_served"):
            stale.add_metric([name], int(cache.stale_served))
    yield from (hits, misses, ratio, stale)


def _upstream_metrics(upstreams: Any) -> Iterator[Metric]:
    if upstreams is None:
        return
    policies = [
        p for p in (getattr(upstreams, "tmdb_policy", None), getattr(upstreams, "omdb_policy", None)) if p
    ]
    counters = {
        "calls": "Upstream calls (one per client request, retries excluded).",
        "retries": "Upstream retry attempts.",
        "failures": "Upstream calls that failed after retries.",
        "short_circuits": "Upstream calls refused by an open circuit breaker.",
    }
    for attribute, help_text in counters.items():
        family = CounterMetricFamily(f"reelgraph_upstream_{attribute}", help_text, labels=["upstream"])
        for policy in policies:
            family.add_metric([policy.name], int(getattr(policy, attribute, 0)))
        yield family
    breaker = GaugeMetricFamily(
        "reelgraph_upstream_breaker_state",
        "Circuit breaker state per upstream: 1 for the current state, 0 for the others.",
        labels=["upstream", "state"],
    )
    for policy in policies:
        current = policy.breaker_state
        for state in BREAKER_STATES:
            breaker.add_metric([policy.name, state], 1.0 if state == current else 0.0)
    yield breaker

    requests = CounterMetricFamily(
        "reelgraph_upstream_http_requests",
        "Upstream HTTP attempts (retries included) by endpoint and outcome (2xx, 4xx, 429, 5xx, timeout, error).",
        labels=["upstream", "endpoint", "outcome"],
    )
    latency = HistogramMetricFamily(
        "reelgraph_upstream_http_request_duration_seconds",
        "Upstream HTTP attempt latency (to the response headers) by endpoint.",
        labels=["upstream", "endpoint"],
    )
    for stats in getattr(upstreams, "http_stats", ()):
        for (endpoint, outcome), count in sorted(stats.requests.items()):
            requests.add_metric([stats.upstream, endpoint, outcome], count)
        for endpoint, histogram in sorted(stats.latency.items()):
            latency.add_metric([stats.upstream, endpoint], histogram.cumulative(), histogram.total)
    yield requests
    yield latency


def metrics_endpoint(metrics: Metrics) -> Any:
    async def endpoint(request: Request) -> Response:
        return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)

    return endpoint
