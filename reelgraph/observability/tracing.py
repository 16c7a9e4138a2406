"""Optional OpenTelemetry spans: used only when the `opentelemetry` API package is installed.

reelgraph does not depend on it. Install `opentelemetry-api` plus an SDK and exporter (or run under
`opentelemetry-instrument`) and every HTTP request gets a server span (continuing an incoming
`traceparent`), every upstream HTTP attempt a client span, and log lines carry trace and span ids.
Without an SDK the API's no-op tracer costs next to nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager, nullcontext
from typing import Any

try:  # pragma: no cover - exercised only where opentelemetry is installed
    from opentelemetry import context as otel_context
    from opentelemetry import propagate, trace
except ImportError:  # the normal case: no tracing
    trace = None
    propagate = None
    otel_context = None

TRACER_NAME = "reelgraph"


def enabled() -> bool:
    return trace is not None


class _NoSpan:
    """Stands in for a span when tracing is off."""

    def set_attribute(self, key: str, value: Any) -> None:
        pass


NO_SPAN = _NoSpan()


@contextmanager
def server_span(name: str, headers: Mapping[bytes, bytes], attributes: Mapping[str, Any]) -> Iterator[Any]:
    """A SERVER span continuing the caller's trace (W3C traceparent), or a stand-in."""
    if trace is None:
        yield NO_SPAN
        return
    parent = propagate.extract({k.decode("latin-1"): v.decode("latin-1") for k, v in headers.items()})
    token = otel_context.attach(parent)
    try:
        tracer = trace.get_tracer(TRACER_NAME)
        with tracer.start_as_current_span(
            name, kind=trace.SpanKind.SERVER, attributes=dict(attributes)
        ) as span:
            yield span
    finally:
        otel_context.detach(token)


def client_span(name: str, attributes: Mapping[str, Any]) -> Any:
    """A CLIENT span for an upstream call, or a null context."""
    if trace is None:
        return nullcontext(NO_SPAN)
    tracer = trace.get_tracer(TRACER_NAME)
    return tracer.start_as_current_span(name, kind=trace.SpanKind.CLIENT, attributes=dict(attributes))


def current_trace_ids() -> tuple[str, str] | None:
    """(trace_id, span_id) in hex of the current span, when tracing is on and a span is recording."""
    if trace is None:
        return None
    span_context = trace.get_current_span().get_span_context()
    if not span_context.is_valid:
        return None
    return format(span_context.trace_id, "032x"), format(span_context.span_id, "016x")
