"""Per-attempt statistics of upstream HTTP calls, from an httpx transport wrapper.

`InstrumentedTransport` sits under each upstream's httpx client (TMDb, OMDb), so it sees every
attempt, retries included, with its latency (to the response headers) and outcome. It keeps plain
counters; the Prometheus collector reads them at scrape time. No GraphQL, no Prometheus here.
"""

from __future__ import annotations

import bisect
import re
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx

from reelgraph.observability import tracing

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
MAX_ENDPOINTS = 64  # per upstream; later unseen endpoints are counted as "other"
_ID_SEGMENT = re.compile(r"^(?:\d+|tt\d+|nm\d+)$")
_OMDB_KEYS = ("i", "t", "s")


@dataclass
class LatencyHistogram:
    counts: list[int] = field(default_factory=lambda: [0] * (len(LATENCY_BUCKETS) + 1))
    total: float = 0.0

    def observe(self, seconds: float) -> None:
        self.counts[bisect.bisect_left(LATENCY_BUCKETS, seconds)] += 1
        self.total += seconds

    def cumulative(self) -> list[tuple[str, int]]:
        """Prometheus buckets: (upper bound, observations <= bound), ending with +Inf."""
        buckets, running = [], 0
        for bound, count in zip((*LATENCY_BUCKETS, float("inf")), self.counts, strict=True):
            running += count
            buckets.append(("+Inf" if bound == float("inf") else repr(bound), running))
        return buckets


class UpstreamHttpStats:
    """Attempts by (endpoint, outcome) and latency by endpoint, for one upstream."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.requests: Counter[tuple[str, str]] = Counter()
        self.latency: dict[str, LatencyHistogram] = {}

    def observe(self, endpoint: str, outcome: str, seconds: float) -> None:
        if endpoint not in self.latency and len(self.latency) >= MAX_ENDPOINTS:
            endpoint = "other"
        self.requests[(endpoint, outcome)] += 1
        histogram = self.latency.get(endpoint)
        if histogram is None:
            histogram = self.latency[endpoint] = LatencyHistogram()
        histogram.observe(seconds)


def endpoint_label(url: httpx.URL, base_path: str = "") -> str:
    """A low-cardinality name for a request: the path below the base URL, ids replaced by {id};
    OMDb's single path gets the kind of lookup (`/?i`, `/?t`, `/?s`)."""
    path = url.path
    if base_path and path.startswith(base_path):
        path = path[len(base_path) :]
    segments = [
        "{id}" if _ID_SEGMENT.match(segment) else ("{value}" if len(segment) > 40 else segment)
        for segment in path.strip("/").split("/")
    ]
    label = "/" + "/".join(segment for segment in segments if segment)
    if label == "/":
        for key in _OMDB_KEYS:
            if key in url.params:
                return f"/?{key}"
    return label


def outcome_of(status: int) -> str:
    if status == 429:
        return "429"
    return f"{status // 100}xx"


class InstrumentedTransport(httpx.AsyncBaseTransport):
    """Wraps a transport (or httpx's default one) and records every request into `stats`."""

    def __init__(
        self, upstream: str, inner: httpx.AsyncBaseTransport | None = None, base_url: str = ""
    ) -> None:
        self.inner = inner if inner is not None else httpx.AsyncHTTPTransport()
        self.stats = UpstreamHttpStats(upstream)
        self._base_path = httpx.URL(base_url).path.rstrip("/") if base_url else ""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        endpoint = endpoint_label(request.url, self._base_path)
        outcome = "error"
        started = time.perf_counter()
        with tracing.client_span(
            f"{self.stats.upstream} {request.method} {endpoint}",
            {"peer.service": self.stats.upstream, "http.request.method": request.method},
        ) as span:
            try:
                response = await self.inner.handle_async_request(request)
                outcome = outcome_of(response.status_code)
                span.set_attribute("http.response.status_code", response.status_code)
                return response
            except httpx.TimeoutException:
                outcome = "timeout"
                raise
            except BaseException as exc:
                outcome = "cancelled" if not isinstance(exc, Exception) else "error"
                raise
            finally:
                self.stats.observe(endpoint, outcome, time.perf_counter() - started)

    async def aclose(self) -> None:
        await self.inner.aclose()
