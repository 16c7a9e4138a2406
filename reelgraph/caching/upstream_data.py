"""Cache-aside over the shared cache, with single-flight and a stale fallback.

Each entry keeps its value with a "fresh until" time and lives in the cache much longer than that,
so when the upstream fails, a stale copy still answers instead of an error.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiocache import BaseCache

from reelgraph.errors import UpstreamUnavailableError
from reelgraph.integrations.call_budget import UpstreamBudgetExceeded, spend_upstream
from reelgraph.integrations.errors import UpstreamUnavailable

log = logging.getLogger("reelgraph.cache")

T = TypeVar("T")


def cache_key(kind: str, *parts: Any) -> str:
    """A short, stable key; long inputs (search text, filters) are hashed."""
    raw = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    if len(raw) > 80:
        raw = hashlib.sha256(raw.encode()).hexdigest()[:32]
    return f"{kind}:{raw}"


class CachedFetcher:
    def __init__(self, cache: BaseCache, stale_seconds: int) -> None:
        self._cache = cache
        self._stale_seconds = stale_seconds
        self._in_flight: dict[str, asyncio.Future[Any]] = {}
        self.hits = 0
        self.misses = 0
        self.stale_served = 0

    async def get(self, key: str, ttl: int, fetch: Callable[[], Awaitable[T]]) -> T:
        entry = await self._read(key)
        if entry is not None and entry["fresh_until"] > time.time():
            self.hits += 1
            fresh: T = entry["value"]
            return fresh
        self.misses += 1
        try:
            value = await self._single_flight(key, fetch)
        except UpstreamBudgetExceeded:
            if entry is not None:  # out of lookups for this operation: a stale copy will do
                self.stale_served += 1
                stale: T = entry["value"]
                return stale
            raise
        except UpstreamUnavailable as exc:
            if entry is not None:
                # Better an old answer than none: the upstream is down, the data rarely changes.
                self.stale_served += 1
                log.warning("serving stale %s: %s", key, exc)
                kept: T = entry["value"]
                return kept
            raise UpstreamUnavailableError(
                f"{exc.service.upper()} is unavailable right now; try again later."
            ) from exc
        await self._write(key, value, ttl)
        return value

    async def peek_many(self, keys: list[str]) -> list[Any | None]:
        """Cached values (fresh or stale) for many keys in one round trip, without fetching."""
        if not keys:
            return []
        try:
            entries = await self._cache.multi_get(keys)
        except Exception:
            log.exception("cache multi-read failed")
            return [None] * len(keys)
        return [
            entry["value"] if isinstance(entry, dict) and "fresh_until" in entry else None
            for entry in entries
        ]

    async def put(self, key: str, value: Any, ttl: int) -> None:
        await self._write(key, value, ttl)

    async def delete(self, key: str) -> None:
        try:
            await self._cache.delete(key)
        except Exception:
            log.exception("cache delete failed for %s", key)

    async def clear(self) -> None:
        try:
            await self._cache.clear()
        except Exception:
            log.exception("cache clear failed")

    async def _single_flight(self, key: str, fetch: Callable[[], Awaitable[T]]) -> T:
        # Concurrent requests for the same key share one upstream call. It runs as a task of its
        # own that every request awaits through a shield: when the request that started it is
        # cancelled (a sibling field failed), the call goes on for the others, who would otherwise
        # receive that CancelledError, and it escapes GraphQL execution as an HTTP 500.
        pending = self._in_flight.get(key)
        if pending is None:
            spend_upstream()  # before the shared call: another request never inherits this refusal
            pending = asyncio.ensure_future(fetch())
            self._in_flight[key] = pending
            pending.add_done_callback(lambda done: self._landed(key, done))
        result: T = await asyncio.shield(pending)
        return result

    def _landed(self, key: str, done: asyncio.Future[Any]) -> None:
        if self._in_flight.get(key) is done:
            del self._in_flight[key]
        if not done.cancelled():
            done.exception()  # retrieved: whoever awaits it re-raises it; nobody may be left

    async def _read(self, key: str) -> dict[str, Any] | None:
        try:
            entry = await self._cache.get(key)
        except Exception:  # a cache outage degrades to upstream calls, never to errors
            log.exception("cache read failed for %s", key)
            return None
        return entry if isinstance(entry, dict) and "fresh_until" in entry else None

    async def _write(self, key: str, value: Any, ttl: int) -> None:
        entry = {"value": value, "fresh_until": time.time() + ttl}
        try:
            await self._cache.set(key, entry, ttl=max(ttl, 1) + self._stale_seconds)
        except Exception:
            log.exception("cache write failed for %s", key)
