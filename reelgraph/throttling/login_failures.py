"""Rate-limit counters shared by every replica (Redis) or kept in-process (memory), via `limits`."""

from __future__ import annotations

import math
import time

from limits import parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter

from reelgraph.errors import RateLimited


def create_limit_storage(cache_url: str) -> Storage:
    if cache_url.startswith(("redis://", "rediss://")):
        return RedisStorage(cache_url, implementation="redispy", key_prefix="reelgraph-limits")
    return MemoryStorage()


class LoginThrottle:
    """Counts failed logins per email and per client address; too many -> RATE_LIMITED."""

    def __init__(self, storage: Storage, per_email: int, per_ip: int, window_seconds: int) -> None:
        self._limiter = MovingWindowRateLimiter(storage)
        self._per_email = parse(f"{per_email}/{window_seconds} seconds")
        self._per_ip = parse(f"{per_ip}/{window_seconds} seconds")

    async def check(self, email: str, ip: str) -> None:
        for item, key in ((self._per_email, f"email:{email}"), (self._per_ip, f"ip:{ip}")):
            if not await self._limiter.test(item, "login", key):
                stats = await self._limiter.get_window_stats(item, "login", key)
                retry_after = max(1, math.ceil(stats.reset_time - time.time()))
                raise RateLimited("Too many failed sign-in attempts; try again later.", retry_after)

    async def record_failure(self, email: str, ip: str) -> None:
        await self._limiter.hit(self._per_email, "login", f"email:{email}")
        await self._limiter.hit(self._per_ip, "login", f"ip:{ip}")

    async def record_success(self, email: str) -> None:
        await self._limiter.clear(self._per_email, "login", f"email:{email}")
