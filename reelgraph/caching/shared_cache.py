"""The shared cache (aiocache): in-process memory by default, Redis when REELGRAPH_CACHE_URL says so."""

from __future__ import annotations

from urllib.parse import urlparse

from aiocache import BaseCache, Cache
from aiocache.serializers import JsonSerializer

NAMESPACE = "reelgraph"


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
        return Cache(Cache.MEMORY, namespace=NAMESPACE)
    raise ValueError(f"Unsupported REELGRAPH_CACHE_URL scheme {parsed.scheme!r}: use memory:// or redis://")


async def cache_ready(cache: BaseCache) -> bool:
    """Readiness probe: a write and read round trip."""
    await cache.set("__ready__", 1, ttl=5)
    found: object = await cache.get("__ready__")
    return found == 1
