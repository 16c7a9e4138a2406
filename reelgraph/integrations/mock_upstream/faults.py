"""Fault injection in front of the mock apps: latency, random 503s, "timeouts", a 429 rate limit."""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from reelgraph.integrations.mock_upstream.errors import omdb_error_response, tmdb_error_response


@dataclass(frozen=True, slots=True)
class FaultConfig:
    """Faults injected in front of the mock apps.

    ``error_rate``/``timeout_rate`` are probabilities per request (drawn from ``random.Random(seed)``
    in arrival order, so a seed makes a run reproducible); ``rate_limit`` is requests per second over
    a sliding one-second window (0 = off); a "timeout" sleeps ``timeout_seconds`` then answers 504.
    """

    latency_ms: int = 0
    error_rate: float = 0.0
    rate_limit: int = 0
    timeout_rate: float = 0.0
    seed: int | None = None
    timeout_seconds: float = 30.0

    @property
    def active(self) -> bool:
        return bool(self.latency_ms or self.error_rate or self.rate_limit or self.timeout_rate)


def _fault_response(
    omdb: bool,
    http_status: int,
    tmdb_code: int,
    tmdb_message: str,
    omdb_message: str,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    if omdb:
        return omdb_error_response(omdb_message, http_status, headers)
    return tmdb_error_response(http_status, tmdb_code, tmdb_message, headers)


class FaultMiddleware:
    """Pure ASGI middleware applying a ``FaultConfig``; answers in TMDb or OMDb error shape."""

    def __init__(
        self,
        app: ASGIApp,
        config: FaultConfig,
        omdb_prefix: str | None = None,
        exempt_paths: Sequence[str] = (),
    ) -> None:
        self.app = app
        self.config = config
        self.omdb_prefix = omdb_prefix  # paths under it get OMDb-shaped errors
        self.exempt_paths = frozenset(exempt_paths)
        self._rng = random.Random(config.seed)
        self._recent: deque[float] = deque()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.exempt_paths:
            await self.app(scope, receive, send)
            return
        omdb = self.omdb_prefix is not None and scope["path"].startswith(self.omdb_prefix)
        config = self.config
        retry_after = self._over_rate_limit()
        if retry_after is not None:
            message = f"Your request count (#) is over the allowed limit of ({config.rate_limit})."
            headers = {"Retry-After": str(retry_after)}
            response = _fault_response(omdb, 429, 25, message, "Request limit reached!", headers)
            await response(scope, receive, send)
            return
        # Draw both numbers on every request so the sequence depends only on the seed.
        error_draw, timeout_draw = self._rng.random(), self._rng.random()
        if config.latency_ms:
            await asyncio.sleep(config.latency_ms / 1000)
        if error_draw < config.error_rate:
            response = _fault_response(
                omdb,
                503,
                9,
                "Service offline - This service is temporarily offline, try again later.",
                "Service temporarily unavailable.",
            )
        elif timeout_draw < config.timeout_rate:
            await asyncio.sleep(config.timeout_seconds)
            response = _fault_response(
                omdb,
                504,
                24,
                "Your request to the backend server timed out. Try again.",
                "Request timed out.",
            )
        else:
            await self.app(scope, receive, send)
            return
        await response(scope, receive, send)

    def _over_rate_limit(self) -> int | None:
        """Seconds to wait if this request is over the limit, else None (and count it)."""
        limit = self.config.rate_limit
        if limit <= 0:
            return None
        now = time.monotonic()
        while self._recent and now - self._recent[0] >= 1.0:
            self._recent.popleft()
        if len(self._recent) >= limit:
            return max(1, math.ceil(1.0 - (now - self._recent[0])))
        self._recent.append(now)
        return None
