"""Response-cache hits answered at the edge (reelgraph.edge) keep what the full path gives: the
request id, security headers, CORS for cross-origin callers, cache-control and vary, the body limit;
the rate-limit counter's leases keep limits across replicas; access lines are capped per second."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from limits.aio.storage import MemoryStorage

from reelgraph.app import create_app
from reelgraph.caching.responses import CachedResponse, ResponseCache
from reelgraph.config import Settings
from reelgraph.observability import JsonFormatter
from reelgraph.observability.middleware import RequestObserver
from reelgraph.throttling.request_limits import RateLimits

ORIGIN = "http://localhost:3000"  # one of the test settings' CORS origins
SECURITY = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
}


def query() -> dict[str, str]:
    return {"query": f"query Edge{uuid.uuid4().hex[:8]} {{ genres {{ name }} }}"}


def assert_secured(response: httpx.Response) -> None:
    for name, value in SECURITY.items():
        assert response.headers[name] == value, name


async def test_a_hit_keeps_request_id_security_headers_and_no_store(client: httpx.AsyncClient) -> None:
    body = query()
    miss = await client.post("/graphql", json=body)
    hit = await client.post("/graphql", json=body, headers={"x-request-id": "edge-test-1"})
    assert "x-reelgraph-cache" not in miss.headers
    assert hit.headers["x-reelgraph-cache"] == "hit"
    assert hit.content == miss.content and hit.json()["data"]["genres"]
    assert hit.headers["x-request-id"] == "edge-test-1"
    assert len(miss.headers["x-request-id"]) == 32  # generated when the client sends none
    assert hit.headers["cache-control"] == "no-store"
    assert hit.headers["vary"] == miss.headers["vary"] == "Origin"
    assert hit.headers["content-type"] == "application/json"
    assert int(hit.headers["content-length"]) == len(hit.content)
    assert_secured(hit)


async def test_a_cross_origin_hit_gets_the_cors_headers_of_a_miss(client: httpx.AsyncClient) -> None:
    body = query()
    miss = await client.post("/graphql", json=body, headers={"origin": ORIGIN})
    hit = await client.post("/graphql", json=body, headers={"origin": ORIGIN})
    assert hit.headers["x-reelgraph-cache"] == "hit"
    for name in ("access-control-allow-origin", "access-control-expose-headers", "vary"):
        assert hit.headers[name] == miss.headers[name], name
    assert hit.headers["access-control-allow-origin"] == ORIGIN
    assert "X-Request-ID" in hit.headers["access-control-expose-headers"]
    # An origin that is not allowed gets no grant, hit or not.
    other = await client.post("/graphql", json=body, headers={"origin": "https://elsewhere.example"})
    assert other.headers["x-reelgraph-cache"] == "hit"
    assert "access-control-allow-origin" not in other.headers


async def test_a_get_hit_is_public_and_varies_like_the_miss(client: httpx.AsyncClient) -> None:
    params = query()
    miss = await client.get("/graphql", params=params, headers={"origin": ORIGIN})
    hit = await client.get("/graphql", params=params, headers={"origin": ORIGIN})
    plain_hit = await client.get("/graphql", params=params)
    assert hit.headers["x-reelgraph-cache"] == plain_hit.headers["x-reelgraph-cache"] == "hit"
    assert miss.headers["cache-control"] == hit.headers["cache-control"] == "public, max-age=30"
    assert miss.headers["vary"] == hit.headers["vary"] == "Accept-Language, Authorization, Origin"
    assert plain_hit.headers["vary"] == "Accept-Language, Authorization, Origin"
    assert hit.headers["access-control-allow-origin"] == ORIGIN
    # Another language is another entry.
    french = await client.get("/graphql", params=params, headers={"accept-language": "fr"})
    assert "x-reelgraph-cache" not in french.headers


async def test_signed_in_requests_never_get_an_anonymous_hit(client: httpx.AsyncClient) -> None:
    body = query()
    anonymous = await client.post("/graphql", json=body)
    signed = await client.post("/graphql", json=body, headers={"authorization": "Bearer forged.token.value"})
    assert "x-reelgraph-cache" not in signed.headers
    assert signed.json() != anonymous.json()  # the token is looked at (and refused), not bypassed


@pytest.fixture(scope="module")
async def small_body_app(settings: Settings) -> AsyncIterator[Any]:
    app = create_app(settings.model_copy(update={"max_body_bytes": 200}))
    async with app.router.lifespan_context(app):
        yield app


async def test_oversized_bodies_are_refused_with_a_coded_413(small_body_app: Any) -> None:
    transport = httpx.ASGITransport(app=small_body_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        padded = {"query": "{ __typename }", "variables": {"pad": "x" * 300}}
        declared = await http.post("/graphql", json=padded, headers={"origin": ORIGIN})

        async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it streams
            payload = json.dumps(padded).encode()
            for start in range(0, len(payload), 50):
                yield payload[start : start + 50]

        streamed = await http.post("/graphql", content=chunks(), headers={"content-type": "application/json"})
        small = await http.post("/graphql", json={"query": "{ __typename }"})
    for refused in (declared, streamed):
        assert refused.status_code == 413
        assert refused.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert "200 bytes" in refused.json()["errors"][0]["message"]
        assert refused.headers["x-request-id"]
        assert_secured(refused)
    assert declared.headers["access-control-allow-origin"] == ORIGIN
    assert small.json()["data"] == {"__typename": "Query"}


async def test_leases_keep_the_limit_across_replicas_sharing_the_counter() -> None:
    shared = MemoryStorage()  # stands for Redis: both replicas count on it
    limit = 400
    replicas = [RateLimits(shared, f"{limit}/minute", "30/minute", sync_seconds=60) for _ in range(2)]
    served = 0
    for _ in range(12):  # a busy caller on both replicas, period after period, three limits' worth
        for index in range(limit // 4):
            served += await replicas[index % 2].hit_caller("ip:10.9.9.9") is None
        for replica in replicas:  # the next hits start a new period (leases sized by the last one)
            for lease in replica._leases.values():
                lease.period_start -= 61
    assert served <= limit  # never more than the limit, whichever replica answers
    # Unused leases are counted early, at most a twentieth of the limit per replica.
    assert served >= limit - 2 * (limit // 20)
    refused = await replicas[0].hit_caller("ip:10.9.9.9")
    assert refused is not None and 1 <= refused <= 60


async def test_a_slow_caller_is_counted_exactly() -> None:
    shared = MemoryStorage()
    replicas = [RateLimits(shared, "5/minute", "30/minute", sync_seconds=0) for _ in range(2)]
    answers = [await replicas[index % 2].hit_caller("ip:10.9.9.8") for index in range(6)]
    assert answers[:5] == [None] * 5
    assert answers[5] is not None


async def test_the_counter_is_not_asked_while_a_lease_lasts() -> None:
    calls = 0

    class Counting(MemoryStorage):
        async def acquire_sliding_window_entry(self, *args: Any, **kwargs: Any) -> bool:
            nonlocal calls
            calls += 1
            return await super().acquire_sliding_window_entry(*args, **kwargs)

    limits = RateLimits(Counting(), "100000/minute", "30/minute", sync_seconds=60)
    await limits.hit_caller("ip:10.9.9.7")
    limits._leases["ip:10.9.9.7"].period_start -= 61  # one period of 1 hit seen: next lease is 1
    for _ in range(50):
        await limits.hit_caller("ip:10.9.9.7")
    limits._leases["ip:10.9.9.7"].period_start -= 61  # 50 hits seen: the next lease covers 50
    before = calls
    for _ in range(50):
        assert await limits.hit_caller("ip:10.9.9.7") is None
    assert calls - before == 1


def test_access_lines_are_capped_per_second(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    access = logging.getLogger("reelgraph.access")
    access.addHandler(handler)
    previous = access.level
    access.setLevel(logging.INFO)
    now = [1000.0]
    monkeypatch.setattr("reelgraph.observability.middleware.time.monotonic", lambda: now[0])
    try:
        observer = RequestObserver(None, access_log_per_second=3)
        for status in (200, 200, 200, 200, 200, 500, 200):
            observer.finished("POST", "/graphql", status, 0.001)
        now[0] += 1
        observer.finished("POST", "/graphql", 200, 0.001)
    finally:
        access.removeHandler(handler)
        access.setLevel(previous)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["status"] for line in lines] == [200, 200, 200, 500, 200]  # server errors always
    assert lines[3]["skipped"] == 2  # the two 200s left out before it
    assert lines[4]["skipped"] == 1 and "skipped" not in lines[0]


async def test_every_request_of_a_burst_is_counted_in_metrics(client: httpx.AsyncClient) -> None:
    body = query()
    name = body["query"].split()[1]
    await asyncio.gather(*(client.post("/graphql", json=body) for _ in range(5)))
    await client.post("/graphql", json=body)
    text = (await client.get("/metrics")).text
    line = next(
        line
        for line in text.splitlines()
        if line.startswith("reelgraph_graphql_request_duration_seconds_count") and f'"{name}"' in line
    )
    assert float(line.rsplit(" ", 1)[1]) == 6


def test_the_cache_forgets_expired_and_oldest_entries(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [50.0]
    monkeypatch.setattr("reelgraph.caching.responses.time.monotonic", lambda: now[0])
    cache = ResponseCache(ttl_seconds=30, max_entries=8)
    keys = [cache.key("POST", b"", f"{index}".encode(), "") for index in range(10)]
    for key in keys:
        cache.put(key, CachedResponse.of(b"{}"))
    assert cache.get(keys[-1]) is not None  # the newest stay
    assert cache.get(keys[0]) is None  # the oldest made room
    assert len(cache._entries) <= 8
    now[0] += 31
    assert cache.get(keys[-1]) is None  # expired
