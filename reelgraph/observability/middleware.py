"""One pure-ASGI middleware, outermost: request id, metrics, access log and tracing per request.

For GraphQL requests it reads the operation name from the request (operationName, else the
document's first operation) and the error codes from the response body, where CodedErrors has
already made them final; response-cache hits, size limits and malformed bodies are counted too.
"""

from __future__ import annotations

import json
import logging
import re
import time
from typing import Any
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reelgraph.observability import tracing
from reelgraph.observability.context import (
    REQUEST_ID_HEADER,
    new_request_id,
    request_id_var,
    sane_request_id,
)
from reelgraph.observability.logs import ACCESS_LOGGER
from reelgraph.observability.metrics import Metrics

access_log = logging.getLogger(ACCESS_LOGGER)

MAX_REQUEST_CAPTURE = 256 * 1024  # enough for any document worth naming
MAX_RESPONSE_CAPTURE = 4 * 1024 * 1024  # larger answers are timed but not searched for errors
_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]{0,99}$")
_OPERATION = re.compile(r"\b(query|mutation|subscription)\b\s*([_A-Za-z][_0-9A-Za-z]*)?")
_KNOWN_ROUTES = frozenset({"/graphql", "/health", "/health/ready", "/metrics"})


def parse_operation(payload: Any) -> tuple[str, str]:
    """(operation name, operation type) of a GraphQL request payload; "anonymous" without a name."""
    if isinstance(payload, list):
        return "batch", "unknown"
    if not isinstance(payload, dict):
        return "invalid", "unknown"
    query = payload.get("query")
    name = payload.get("operationName")
    if isinstance(name, str) and name:
        if not _NAME.match(name):
            return "invalid", "unknown"
        kind = "unknown"
        if isinstance(query, str):
            match = re.search(rf"\b(query|mutation|subscription)\s+{name}\b", query)
            kind = match.group(1) if match else "unknown"
        return name, kind
    if not isinstance(query, str):
        return "anonymous", "unknown"  # e.g. a persisted-query hash without a name
    match = _OPERATION.search(query)
    if match is None:
        return "anonymous", "query" if query.lstrip().startswith("{") else "unknown"
    return match.group(2) or "anonymous", match.group(1)


def error_codes(body: bytes) -> list[str]:
    """extensions.code of each top-level error in a JSON GraphQL response."""
    # Cheap pre-check: only a non-empty "errors" list (top-level or a payload's) is worth parsing.
    if b'"errors":[{' not in body and b'"errors": [{' not in body:
        return []
    try:
        decoded = json.loads(body)
    except (ValueError, RecursionError):  # the view refused it already; nothing to record
        return []
    errors = decoded.get("errors") if isinstance(decoded, dict) else None
    if not isinstance(errors, list):
        return []
    codes = []
    for error in errors:
        extensions = error.get("extensions") if isinstance(error, dict) else None
        code = extensions.get("code") if isinstance(extensions, dict) else None
        codes.append(code if isinstance(code, str) and _NAME.match(code) else "UNKNOWN")
    return codes


class ObservabilityMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics | None = None, graphql_path: str = "/graphql") -> None:
        self.app = app
        self.metrics = metrics
        self.graphql_path = graphql_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or ())
        request_id = sane_request_id(headers.get(REQUEST_ID_HEADER.encode())) or new_request_id()
        token = request_id_var.set(request_id)
        try:
            if scope["type"] == "http":
                await self._http(scope, receive, send, request_id, headers)
            else:
                await self._websocket(scope, receive, send, request_id)
        finally:
            request_id_var.reset(token)

    async def _http(
        self, scope: Scope, receive: Receive, send: Send, request_id: str, headers: dict[bytes, bytes]
    ) -> None:
        metrics = self.metrics
        path: str = scope["path"]
        method: str = scope["method"]
        graphql = path == self.graphql_path
        request_chunks: list[bytes] = []
        request_size = 0
        response_chunks: list[bytes] = []
        response_size = 0
        status = 500
        json_response = False
        header_value = request_id.encode()

        async def capture_receive() -> Message:
            nonlocal request_size
            message = await receive()
            if message["type"] == "http.request" and request_size < MAX_REQUEST_CAPTURE:
                chunk = message.get("body", b"")
                request_size += len(chunk)
                request_chunks.append(chunk)
            return message

        async def capture_send(message: Message) -> None:
            nonlocal status, json_response, response_size
            if message["type"] == "http.response.start":
                status = message["status"]
                response_headers = list(message.get("headers", ()))
                response_headers.append((REQUEST_ID_HEADER.encode(), header_value))
                message = {**message, "headers": response_headers}
                content_type = next((v for k, v in response_headers if k.lower() == b"content-type"), b"")
                json_response = graphql and content_type.startswith(b"application/json")
            elif message["type"] == "http.response.body" and json_response:
                chunk = message.get("body", b"")
                response_size += len(chunk)
                if response_size <= MAX_RESPONSE_CAPTURE:
                    response_chunks.append(chunk)
            await send(message)

        started = time.perf_counter()
        if metrics is not None:
            metrics.in_flight.inc()
        raised = False
        with tracing.server_span(
            f"{method} {path if path in _KNOWN_ROUTES else 'other'}",
            headers,
            {"http.request.method": method, "url.path": path},
        ) as span:
            try:
                await self.app(scope, capture_receive if graphql else receive, capture_send)
            except BaseException:
                raised = True
                status = 500
                raise
            finally:
                elapsed = time.perf_counter() - started
                operation, kind, codes = "", "", []
                if graphql:
                    operation, kind = self._operation(scope, method, request_chunks, request_size)
                    if raised:
                        codes = ["INTERNAL_SERVER_ERROR"]
                    elif json_response and response_size <= MAX_RESPONSE_CAPTURE:
                        codes = error_codes(b"".join(response_chunks))
                    span.set_attribute("graphql.operation.name", operation)
                    span.set_attribute("graphql.operation.type", kind)
                span.set_attribute("http.response.status_code", status)
                if metrics is not None:
                    metrics.in_flight.dec()
                    self._record(metrics, method, path, status, elapsed, operation, kind, codes)
                self._log(scope, method, path, status, elapsed, operation, kind, codes)

    def _operation(self, scope: Scope, method: str, chunks: list[bytes], size: int) -> tuple[str, str]:
        if method == "GET":
            params = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            if "query" not in params and "operationName" not in params:
                return "graphiql", "none"
            payload: Any = {key: values[0] for key, values in params.items()}
        elif size > MAX_REQUEST_CAPTURE or not chunks:
            return ("oversized" if chunks else "none"), "unknown"
        else:
            try:
                payload = json.loads(b"".join(chunks))
            except (ValueError, RecursionError):  # too deep: the view answered 400
                return "invalid", "unknown"
        return parse_operation(payload)

    def _record(
        self,
        metrics: Metrics,
        method: str,
        path: str,
        status: int,
        elapsed: float,
        operation: str,
        kind: str,
        codes: list[str],
    ) -> None:
        route = path if path in _KNOWN_ROUTES else "other"
        metrics.http_requests.labels(method, route, str(status)).inc()
        if operation and operation not in ("graphiql", "none"):
            label = metrics.operation_label(operation)
            metrics.graphql_duration.labels(label, kind).observe(elapsed)
            for code in codes:
                metrics.graphql_errors.labels(code, label).inc()

    def _log(
        self,
        scope: Scope,
        method: str,
        path: str,
        status: int,
        elapsed: float,
        operation: str,
        kind: str,
        codes: list[str],
    ) -> None:
        if not access_log.isEnabledFor(logging.INFO):
            return
        client = scope.get("client")
        extra: dict[str, Any] = {
            "method": method,
            "path": path,
            "status": status,
            "duration_ms": round(elapsed * 1000, 2),
            "client": client[0] if client else None,
        }
        if operation:
            extra["operation"] = operation
            extra["operation_type"] = kind
        if codes:
            extra["error_codes"] = codes
        suffix = f" {operation}" if operation else ""
        access_log.info("%s %s %d %.1fms%s", method, path, status, elapsed * 1000, suffix, extra=extra)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send, request_id: str) -> None:
        metrics = self.metrics
        accepted = False

        async def tagged_send(message: Message) -> None:
            nonlocal accepted
            if message["type"] == "websocket.accept":
                accepted = True
                headers = [*message.get("headers", ()), (REQUEST_ID_HEADER.encode(), request_id.encode())]
                message = {**message, "headers": headers}
                if metrics is not None:
                    metrics.websockets.inc()
                    metrics.websocket_total.inc()
            await send(message)

        started = time.perf_counter()
        try:
            await self.app(scope, receive, tagged_send)
        finally:
            if accepted and metrics is not None:
                metrics.websockets.dec()
            if access_log.isEnabledFor(logging.INFO):
                access_log.info(
                    "WS %s closed after %.1fs",
                    scope["path"],
                    time.perf_counter() - started,
                    extra={"path": scope["path"], "websocket": True, "accepted": accepted},
                )
