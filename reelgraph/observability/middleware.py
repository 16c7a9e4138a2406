"""What a request leaves behind: its metrics and its access-log line (reelgraph.edge calls it once
per request, at the end).

For GraphQL requests the operation name comes from the request (operationName, else the document's
first operation) and the error codes from the response body, where CodedErrors has already made
them final; a response-cache hit brings both from its entry, so nothing is parsed again.
"""

from __future__ import annotations

import json
import logging
import re
import time
from typing import Any
from urllib.parse import parse_qs

from prometheus_client.metrics import MetricWrapperBase

from reelgraph.observability.logs import ACCESS_LOGGER
from reelgraph.observability.metrics import Metrics

access_log = logging.getLogger(ACCESS_LOGGER)

MAX_REQUEST_CAPTURE = 256 * 1024  # enough for any document worth naming
MAX_RESPONSE_CAPTURE = 4 * 1024 * 1024  # larger answers are timed but not searched for errors
_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]{0,99}$")
_OPERATION = re.compile(r"\b(query|mutation|subscription)\b\s*([_A-Za-z][_0-9A-Za-z]*)?")
KNOWN_ROUTES = frozenset({"/graphql", "/health", "/health/ready", "/metrics"})


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


def request_operation(
    method: str, query_string: bytes, body: bytes | None, truncated: bool
) -> tuple[str, str]:
    """(operation name, type) of a GraphQL HTTP request; `body` None when none was read."""
    if method == "GET":
        params = parse_qs(query_string.decode("latin-1"))
        if "query" not in params and "operationName" not in params:
            return "graphiql", "none"
        payload: Any = {key: values[0] for key, values in params.items()}
    elif truncated or not body:
        return ("oversized" if body else "none"), "unknown"
    else:
        try:
            payload = json.loads(body)
        except (ValueError, RecursionError):  # too deep: the view answered 400
            return "invalid", "unknown"
    return parse_operation(payload)


class RequestObserver:
    """Records a finished request: counters, the duration histogram, the access log line.

    Metric children are kept by their labels (prometheus_client's labels() costs more than the
    increment), and access lines are capped per second (`access_log_per_second`, 0: no cap): past
    the cap a second's lines are counted, not written, except server errors; the next line written
    carries `skipped`, how many were left out."""

    def __init__(self, metrics: Metrics | None, access_log_per_second: int = 0) -> None:
        self.metrics = metrics
        self._children: dict[tuple[Any, ...], Any] = {}
        self._per_second = access_log_per_second
        self._second = 0
        self._logged = 0
        self._skipped = 0

    def _child(self, metric: MetricWrapperBase, *labels: str) -> Any:
        key = (id(metric), *labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)
        return child

    def started(self) -> None:
        if self.metrics is not None:
            self.metrics.in_flight.inc()

    def finished(
        self,
        method: str,
        path: str,
        status: int,
        elapsed: float,
        operation: str = "",
        kind: str = "",
        codes: tuple[str, ...] | list[str] = (),
        client: Any = None,
    ) -> None:
        metrics = self.metrics
        if metrics is not None:
            metrics.in_flight.dec()
            route = path if path in KNOWN_ROUTES else "other"
            self._child(metrics.http_requests, method, route, str(status)).inc()
            if operation and operation not in ("graphiql", "none"):
                label = metrics.operation_label(operation)
                self._child(metrics.graphql_duration, label, kind).observe(elapsed)
                for code in codes:
                    self._child(metrics.graphql_errors, code, label).inc()
        if access_log.isEnabledFor(logging.INFO) and self._admit(status):
            self._log(method, path, status, elapsed, operation, kind, codes, client)

    def _admit(self, status: int) -> bool:
        if not self._per_second:
            return True
        second = int(time.monotonic())
        if second != self._second:
            self._second, self._logged = second, 0
        self._logged += 1
        if self._logged <= self._per_second or status >= 500:
            return True
        self._skipped += 1
        return False

    def _log(
        self,
        method: str,
        path: str,
        status: int,
        elapsed: float,
        operation: str,
        kind: str,
        codes: tuple[str, ...] | list[str],
        client: Any,
    ) -> None:
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
            extra["error_codes"] = list(codes)
        if self._skipped:
            extra["skipped"], self._skipped = self._skipped, 0
        suffix = f" {operation}" if operation else ""
        access_log.info("%s %s %d %.1fms%s", method, path, status, elapsed * 1000, suffix, extra=extra)

    def websocket_opened(self) -> None:
        if self.metrics is not None:
            self.metrics.websockets.inc()
            self.metrics.websocket_total.inc()

    def websocket_closed(self, path: str, accepted: bool, elapsed: float) -> None:
        if accepted and self.metrics is not None:
            self.metrics.websockets.dec()
        if access_log.isEnabledFor(logging.INFO):
            access_log.info(
                "WS %s closed after %.1fs",
                path,
                elapsed,
                extra={"path": path, "websocket": True, "accepted": accepted},
            )
