"""The shared cache (aiocache): in-process memory by default, Redis when REELGRAPH_CACHE_URL says so."""

from __future__ import annotations

import json
import sys
from typing import Any
from urllib.parse import parse_qs, urlparse

from aiocache import BaseCache, Cache, SimpleMemoryCache
from aiocache.serializers import JsonSerializer

NAMESPACE = "reelgraph"
# The in-process store's bound, in bytes of its values as JSON (what Redis would hold); the
# Python objects take a few times that. ``memory://?max_bytes=N`` changes it.
DEFAULT_MEMORY_MAX_BYTES = 8 * 1024 * 1024


def create_cache(cache_url: str) -> BaseCache:
    parsed = urlparse(cache_url)
    if parsed.scheme in ("redis", "rediss"):
        db = int(parsed.path.lstrip("/") or 0)
        return Cache(
            Cache.REDIS,
            endpoint=parsed.hostname or "127.0.0.1",
            port=parsed.port or 6379,
            db=db,
            password=parsed.password,
            namespace=NAMESPACE,
            serializer=JsonSerializer(),  # JSON, not pickle: a shared store must never run code
            timeout=2,
        )
    if parsed.scheme == "memory":
        # Values are kept by reference: callers treat cached data as read-only.
        bound = parse_qs(parsed.query).get("max_bytes", [str(DEFAULT_MEMORY_MAX_BYTES)])[0]
        return BoundedMemoryCache(max_bytes=int(bound), namespace=NAMESPACE)
    raise ValueError(f"Unsupported REELGRAPH_CACHE_URL scheme {parsed.scheme!r}: use memory:// or redis://")


def _size(value: object) -> int:
    try:
        return len(json.dumps(value, separators=(",", ":"), default=str))
    except (TypeError, ValueError):
        return sys.getsizeof(value)


class BoundedMemoryCache(SimpleMemoryCache):  # type: ignore[misc]  # aiocache is untyped
    """aiocache's memory backend with a total size: past ``max_bytes``, the entries written
    longest ago go first (entries otherwise live as long as their TTL, days for stale copies)."""

    def __init__(self, *, max_bytes: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_bytes = max_bytes
        self._sizes: dict[str, int] = {}
        self.total_bytes = 0

    async def _set(
        self, key: str, value: Any, ttl: float | None = None, _cas_token: Any = None, _conn: Any = None
    ) -> Any:
        size = _size(value)
        if size > self.max_bytes:
            self._forget(key)
            return True  # too big to keep: as if written and evicted at once
        if _cas_token is None:
            self._cache.pop(key, None)  # re-inserted last: the newest write
        done = await super()._set(key, value, ttl=ttl, _cas_token=_cas_token, _conn=_conn)
        if done:
            self.total_bytes += size - self._sizes.get(key, 0)
            self._sizes[key] = size
            while self.total_bytes > self.max_bytes and self._cache:
                self._forget(next(iter(self._cache)))
        return done

    async def _increment(self, key: str, delta: int, _conn: Any = None) -> Any:
        value = await super()._increment(key, delta, _conn=_conn)
        self._sizes.setdefault(key, 0)
        return value

    async def _clear(self, namespace: str | None = None, _conn: Any = None) -> Any:
        done = await super()._clear(namespace, _conn=_conn)
        if not namespace:
            self._sizes.clear()
            self.total_bytes = 0
        return done

    def _SimpleMemoryBackend__delete(self, key: str) -> int:  # the parent's private delete
        self.total_bytes -= self._sizes.pop(key, 0)
        deleted: int = super()._SimpleMemoryBackend__delete(key)
        return deleted

    def _forget(self, key: str) -> None:
        self._SimpleMemoryBackend__delete(key)


async def cache_ready(cache: BaseCache) -> bool:
    """Readiness probe: a write and read round trip."""
    await cache.set("__ready__", 1, ttl=5)
    found: object = await cache.get("__ready__")
    return found == 1
