"""The rate limits that need the parsed operation: account mutations, and operations over WebSocket.

The limits themselves live in reelgraph.throttling.request_limits; this extension applies them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from starlette.requests import HTTPConnection
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from reelgraph.errors import RateLimited
from reelgraph.schema.extensions.cost import reject
from reelgraph.throttling.request_limits import (
    auth_field_count,
    caller_key,
    client_ip,
    rate_limits,
    retry_after_message,
)


class RateLimitExtension(SchemaExtension):
    """The limits that need the parsed operation (account mutations), and the per-caller limit for
    operations over WebSocket (HTTP requests are counted by the view before anything else). Records
    the longest `retryAfter` of the response for the view's Retry-After header."""

    async def on_execute(self) -> AsyncIterator[None]:
        ec = self.execution_context
        connection: HTTPConnection | None = getattr(ec.context, "request", None)
        if ec.result is None and connection is not None and ec.graphql_document is not None:
            retry_after = await self._check(connection, ec)
            if retry_after is not None:
                reject(ec, RateLimited(retry_after_message(retry_after), retry_after))
        yield

    async def _check(self, connection: HTTPConnection, ec: Any) -> int | None:
        limits = rate_limits(connection)
        ip = client_ip(connection)
        if connection.scope["type"] == "websocket":
            codec = connection.app.state.services.codec
            caller = caller_key(ec.context.authorization(), ip, codec)
            if (retry_after := await limits.hit_caller(caller)) is not None:
                return retry_after
        if ec.operation_type == OperationType.MUTATION:
            count = auth_field_count(ec.graphql_document, ec.operation_name)
            if count:
                return await limits.hit_auth(ip, count)
        return None

    def on_operation(self) -> Iterator[None]:
        yield
        ec = self.execution_context
        connection = getattr(ec.context, "request", None)
        result = ec.result
        errors = getattr(getattr(result, "initial_result", None) or result, "errors", None)
        if connection is None or not errors:
            return
        waits = [
            error.original_error.retry_after
            for error in errors
            if isinstance(error.original_error, RateLimited)
        ]
        if waits:
            connection.state.retry_after = max(waits)
