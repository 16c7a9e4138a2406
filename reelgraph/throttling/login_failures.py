"""Rate-limit counters shared by every replica (Redis) or kept in-process (memory), via `limits`;
and the sign-in throttle built on them."""

from __future__ import annotations

import hashlib
import math
import time

from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter

from reelgraph.errors import RateLimited

# Failures are counted up to this many per window: far past the point where the wait stops growing.
_COUNT_CAP = 64
# The first wait, doubled at each further failure (2, 4, 8 ... seconds, up to the cap).
_FIRST_WAIT_SECONDS = 2
# How long an account remembers the addresses it signed in from, and its counter generation.
_MEMORY_SECONDS = 30 * 86_400


def create_limit_storage(cache_url: str) -> Storage:
    if cache_url.startswith(("redis://", "rediss://")):
        return RedisStorage(cache_url, implementation="redispy", key_prefix="reelgraph-limits")
    return MemoryStorage()


def _account_key(email: str) -> str:
    # Fixed-length and free of separators (emails may hold ':'), and no address in plain text.
    return hashlib.sha256(email.encode()).hexdigest()[:32]


class LoginThrottle:
    """Slows password guessing down without letting anyone lock the owner out (OWASP).

    Failures are counted over a moving window per (account, address) and per address. Past a free
    allowance, each failure makes that counter wait before the next attempt (RATE_LIMITED with
    retryAfter), the wait doubling with every further failure up to a cap. Nothing counts per
    account alone, so guessing from other addresses never holds up the owner's address. An address
    an account has signed in from is exempt from the per-address counter for that account, so one
    guesser behind an office's NAT does not hold up colleagues who already sign in from there. A
    password reset starts the account's counters afresh.
    """

    def __init__(
        self,
        storage: Storage,
        per_email: int,
        per_ip: int,
        window_seconds: int,
        max_wait_seconds: int,
    ) -> None:
        self._storage = storage
        self._limiter = MovingWindowRateLimiter(storage)
        self._window = RateLimitItemPerSecond(_COUNT_CAP, window_seconds)
        self._free = {"pair": per_email, "ip": per_ip}
        self._max_wait = max_wait_seconds

    async def check(self, email: str, ip: str) -> None:
        """RATE_LIMITED while a counter this attempt falls under is waiting."""
        pair = await self._pair(email, ip)
        scopes = [pair]
        if not await self._storage.get(f"{pair}:known"):
            scopes.append(f"ip:{ip}")
        for scope in scopes:
            if await self._storage.get(f"{scope}:wait"):
                retry_after = max(1, math.ceil(await self._storage.get_expiry(f"{scope}:wait") - time.time()))
                raise RateLimited("Too many failed sign-in attempts; try again later.", retry_after)

    async def record_failure(self, email: str, ip: str) -> None:
        for kind, scope in (("pair", await self._pair(email, ip)), ("ip", f"ip:{ip}")):
            await self._limiter.hit(self._window, "login-failures", scope)
            stats = await self._limiter.get_window_stats(self._window, "login-failures", scope)
            beyond = _COUNT_CAP - stats.remaining - self._free[kind]
            if beyond >= 0:
                wait = min(self._max_wait, _FIRST_WAIT_SECONDS * 2 ** min(beyond, 30))
                # A fresh key, so that its expiry is this wait (incr keeps an existing key's expiry).
                await self._storage.clear(f"{scope}:wait")
                await self._storage.incr(f"{scope}:wait", wait)

    async def record_success(self, email: str, ip: str) -> None:
        """The pair's failures are forgotten and the address is remembered; the address's own count
        stays (signing in to one account must not wipe guesses made at others)."""
        pair = await self._pair(email, ip)
        await self._limiter.clear(self._window, "login-failures", pair)
        await self._storage.clear(f"{pair}:wait")
        await self._storage.clear(f"{pair}:known")
        await self._storage.incr(f"{pair}:known", _MEMORY_SECONDS)

    async def forget_account(self, email: str) -> None:
        """After a password reset: every (account, address) counter and remembered address starts
        afresh. Their keys are unknown (any address), so the account's generation moves on instead."""
        await self._storage.incr(f"login-generation:{_account_key(email)}", _MEMORY_SECONDS)

    async def _pair(self, email: str, ip: str) -> str:
        account = _account_key(email)
        generation = await self._storage.get(f"login-generation:{account}")
        return f"pair:{account}:{generation}:{ip}"
