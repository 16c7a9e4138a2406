"""Admission control: at most N GraphQL HTTP requests run at once; the rest wait their turn.

A process on a few cores answers a fixed number of requests per second. Past that, letting every
request in makes them all share the event loop, the thread pools and the database pool, so each
one takes longer and the unlucky ones much longer: 200 clients without pause saw p50 2.9 s but
p99 20 s and requests timing out at 30 s. Admitted first come, first served, a request waits in
line and then runs at full speed; one that would wait longer than max_wait_seconds is refused at
once with HTTP 503, Retry-After and RATE_LIMITED (a load balancer or client can try another
replica or come back), instead of hanging.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Receive, Scope, Send

from reelgraph.errors import ErrorCode
from reelgraph.http import error_response

RETRY_AFTER_SECONDS = 2


class AdmissionControl:
    def __init__(
        self, app: ASGIApp, max_in_flight: int, max_wait_seconds: float, path: str = "/graphql"
    ) -> None:
        self.app = app
        self.path = path
        self.max_wait_seconds = max_wait_seconds
        # asyncio.Semaphore wakes its waiters in arrival order.
        self._slots = asyncio.Semaphore(max_in_flight) if max_in_flight > 0 else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # WebSockets (long-lived subscriptions), health checks and metrics are not queued.
        if self._slots is None or scope["type"] != "http" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        try:
            if self._slots.locked():  # no free slot, or others already waiting: join the line
                await asyncio.wait_for(self._slots.acquire(), self.max_wait_seconds)
            else:
                await self._slots.acquire()  # returns at once
        except TimeoutError:
            busy = error_response(
                503,
                f"The server is busy; retry in {RETRY_AFTER_SECONDS} s.",
                ErrorCode.RATE_LIMITED,
                retryAfter=RETRY_AFTER_SECONDS,
            )
            busy.headers["retry-after"] = str(RETRY_AFTER_SECONDS)
            await busy(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self._slots.release()
