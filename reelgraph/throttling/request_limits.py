"""Request rate limits, on the `limits` storage shared with reelgraph.throttling.login_failures (Redis across replicas).

- Every HTTP request to /graphql (and every operation over WebSocket) counts against
  REELGRAPH_RATE_LIMIT, per signed-in user (a valid access token) or else per client address.
- The account mutations (AUTH_FIELDS) also count against REELGRAPH_AUTH_RATE_LIMIT per address,
  once per field, so aliases cannot batch sign-in attempts.
- Chat turns have their own budget (REELGRAPH_CHAT_RATE_LIMIT, in the chat service).

A refused request gets a RATE_LIMITED error with `extensions.retryAfter` seconds (HTTP 200, like
every GraphQL error, so clients see it where they see the others) and a `Retry-After` header.

The general limit is counted in memory from leases: a caller's hit takes a lease of several hits
from the shared counter at once (one storage call, Redis across replicas), and the following hits
use it up without a call. A lease is as large as the caller's hits in the last sync period
(REELGRAPH_RATE_LIMIT_SYNC_SECONDS), at most a twentieth of the limit and one hit when the counter
cannot spare more: the shared count never exceeds the limit, and what a replica holds unused is at
most one period of that caller's traffic (counted a little early, never forgiven). A slow caller
takes leases of one hit, which is the exact count.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionSetNode,
    get_operation_ast,
)
from limits import RateLimitItem, parse
from limits.aio.storage import Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from starlette.requests import HTTPConnection

from reelgraph.auth.tokens import InvalidToken, TokenCodec
from reelgraph.auth.viewer import decode_access_token

AUTH_FIELDS = frozenset({"login", "register", "requestPasswordReset", "resetPassword", "refreshToken"})

log = logging.getLogger("reelgraph.ratelimit")

MAX_LEASES = 100_000  # callers remembered; past that the idle ones are dropped (their leases unused)


@dataclass(slots=True)
class _Lease:
    left: int  # hits taken from the shared counter, not used yet
    period_start: float
    hits_this_period: int = 0
    next_size: int = 1  # hits seen in the last period: the size of the next lease


class RateLimits:
    def __init__(self, storage: Storage, general: str, auth: str, sync_seconds: float = 1.0) -> None:
        # Sliding-window counters: two numbers per key, whatever the limit (a moving window keeps
        # one entry per hit, too much for a per-request limit).
        self._limiter = SlidingWindowCounterRateLimiter(storage)
        self._general = parse(general)
        self._auth = parse(auth)
        self._warned_at = -math.inf
        self._sync_seconds = sync_seconds
        self._max_lease = max(1, self._general.amount // 20) if sync_seconds > 0 else 1
        self._leases: dict[str, _Lease] = {}

    async def hit_caller(self, caller: str) -> int | None:
        """Counts one request; the seconds to wait when it is over the limit, else None."""
        now = time.monotonic()
        lease = self._leases.get(caller)
        if lease is None:
            if len(self._leases) >= MAX_LEASES:
                self._forget_idle(now)
            lease = self._leases[caller] = _Lease(0, now)
        elif now - lease.period_start >= self._sync_seconds:
            lease.next_size = max(1, min(lease.hits_this_period, self._max_lease))
            lease.hits_this_period, lease.period_start = 0, now
        lease.hits_this_period += 1
        if lease.left > 0:
            lease.left -= 1
            return None
        size = lease.next_size
        if size > 1:
            # All or nothing: when the counter cannot spare a whole lease, fall back to one hit.
            taken = await self._take(self._general, "requests", caller, size)
            if taken is None:
                lease.left += size - 1
                return None
        return await self._hit(self._general, "requests", caller, 1)

    async def hit_auth(self, ip: str, count: int) -> int | None:
        return await self._hit(self._auth, "auth", ip, count)

    def _forget_idle(self, now: float) -> None:
        idle = [key for key, lease in self._leases.items() if now - lease.period_start > self._sync_seconds]
        for key in idle or list(self._leases):
            del self._leases[key]

    async def _take(self, item: RateLimitItem, namespace: str, key: str, cost: int) -> bool | None:
        """None when `cost` hits were counted; False when refused (the caller tries one hit)."""
        try:
            return None if await self._limiter.hit(item, namespace, key, cost=cost) else False
        except Exception:
            return False  # _hit tries again and reports the store as down

    async def _hit(self, item: RateLimitItem, namespace: str, key: str, cost: int) -> int | None:
        try:
            if await self._limiter.hit(item, namespace, key, cost=cost):
                return None
            stats = await self._limiter.get_window_stats(item, namespace, key)
        except Exception:
            # The counters' store (Redis) is down: serve rather than refuse everyone. Said once a
            # minute; /health/ready reports the cache as unavailable meanwhile.
            if time.monotonic() - self._warned_at > 60:
                self._warned_at = time.monotonic()
                log.warning("rate-limit counters unavailable; requests are not limited", exc_info=True)
            return None
        return max(1, math.ceil(stats.reset_time - time.time()))


def rate_limits(connection: HTTPConnection) -> RateLimits:
    """The app's limits, made on first use from the services its lifespan opened."""
    return app_rate_limits(connection.app.state)


def app_rate_limits(state: Any) -> RateLimits:
    """rate_limits() from the app's state (for pure ASGI middleware, which has no connection)."""
    services = state.services
    limits: RateLimits | None = getattr(state, "rate_limits", None)
    if limits is None or getattr(state, "rate_limits_services", None) is not services:
        settings = services.settings
        limits = RateLimits(
            services.limit_storage,
            settings.rate_limit,
            settings.auth_rate_limit,
            sync_seconds=settings.rate_limit_sync_seconds,
        )
        state.rate_limits, state.rate_limits_services = limits, services
    return limits


def client_ip(connection: HTTPConnection) -> str:
    # Behind a proxy, uvicorn's --proxy-headers (on in `reelgraph serve`) puts the real client here
    # for the addresses in FORWARDED_ALLOW_IPS.
    return connection.client.host if connection.client else "unknown"


def caller_key(authorization: str | None, ip: str, codec: TokenCodec) -> str:
    """`user:<id>` for a valid access token (signature and expiry only: no database), else `ip:<addr>`."""
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            try:
                return f"user:{decode_access_token(codec, token.strip()).user_id}"
            except InvalidToken:
                pass
    return f"ip:{ip}"


def retry_after_message(seconds: int) -> str:
    return f"Too many requests; try again in {seconds} seconds."


def auth_field_count(document: DocumentNode, operation_name: str | None) -> int:
    """How many account mutations (AUTH_FIELDS, aliases included) the operation runs."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return 0
    fragments = {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }

    def count(selection_set: SelectionSetNode, seen: frozenset[str]) -> int:
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += selection.name.value in AUTH_FIELDS
            elif isinstance(selection, InlineFragmentNode):
                total += count(selection.selection_set, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name in fragments and name not in seen:
                    total += count(fragments[name].selection_set, seen | {name})
        return total

    return count(operation.selection_set, frozenset())
