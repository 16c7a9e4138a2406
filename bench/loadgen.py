"""A small closed-loop HTTP load generator (bounded in time and requests, loopback only)."""

from __future__ import annotations

import asyncio
import socket
import statistics
import time
from dataclasses import dataclass
from urllib.parse import urlparse

import httpx

MAX_REQUESTS = 200_000


@dataclass
class LoadResult:
    name: str
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms) if self.latencies_ms else float("nan")

    def row(self) -> str:
        return (
            f"{self.name:<44} {self.rps:>9.0f} req/s   p50 {self.p50:>7.2f} ms   p99 {self.percentile(0.99):>7.2f} ms"
            f"   errors {self.errors}"
        )


def _check_loopback(url: str) -> None:
    host = urlparse(url).hostname or ""
    if not (host == "localhost" or host.startswith("127.") or host == "::1"):
        raise SystemExit(f"refusing to load {host}: benchmarks only target loopback")


async def run_load(
    name: str,
    url: str,
    *,
    json_body: dict | None = None,
    headers: dict[str, str] | None = None,
    concurrency: int = 8,
    seconds: float = 5.0,
    expect_status: int = 200,
) -> LoadResult:
    _check_loopback(url)
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=10) as client:

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < deadline and len(latencies) + errors < MAX_REQUESTS:
                started = time.perf_counter()
                try:
                    if json_body is None:
                        response = await client.get(url, headers=headers)
                    else:
                        response = await client.post(url, json=json_body, headers=headers)
                    ok = response.status_code == expect_status and b'"errors"' not in response.content[:200]
                except httpx.HTTPError:
                    ok = False
                if ok:
                    latencies.append((time.perf_counter() - started) * 1000)
                else:
                    errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return LoadResult(name, len(latencies), errors, elapsed, latencies)


def free_port() -> int:
    """A free TCP port on loopback, for a server a test or benchmark starts."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
