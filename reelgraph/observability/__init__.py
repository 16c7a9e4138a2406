"""Observability: Prometheus metrics at /metrics, structured logs with request ids, optional tracing.

    install_observability(app, settings)   # in create_app: the metrics and the /metrics route
    RequestObserver(metrics, ...)          # what reelgraph.edge records at the end of each request
    configure_logging(...)                 # in the `reelgraph` command: JSON or text log lines

Settings (environment): REELGRAPH_LOG_FORMAT=json|text (default: json in production, text in
development), REELGRAPH_METRICS=true|false (default true). OpenTelemetry spans are added when the
`opentelemetry` package is installed (see reelgraph.observability.tracing).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Literal

from starlette.applications import Starlette

from reelgraph.observability.context import current_request_id, request_id_var
from reelgraph.observability.logs import JsonFormatter, TextFormatter, configure_logging
from reelgraph.observability.metrics import Metrics, metrics_endpoint
from reelgraph.observability.middleware import RequestObserver

__all__ = [
    "JsonFormatter",
    "Metrics",
    "ObservabilityOptions",
    "RequestObserver",
    "TextFormatter",
    "configure_logging",
    "current_request_id",
    "install_observability",
    "request_id_var",
]

METRICS_PATH = "/metrics"
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


@dataclass(frozen=True)
class ObservabilityOptions:
    log_format: Literal["json", "text"]
    metrics: bool

    @classmethod
    def from_settings(
        cls, settings: Any | None = None, environ: dict[str, str] | None = None
    ) -> ObservabilityOptions:
        """Attributes of `settings` when it has them (log_format, metrics), else the environment."""
        environ = dict(os.environ if environ is None else environ)
        production = getattr(settings, "is_production", None)
        if production is None:
            production = environ.get("REELGRAPH_ENV", "development").lower() == "production"
        log_format = getattr(settings, "log_format", None) or environ.get("REELGRAPH_LOG_FORMAT", "").lower()
        if log_format not in ("json", "text"):
            if log_format:
                raise ValueError(f"REELGRAPH_LOG_FORMAT must be json or text, not {log_format!r}")
            log_format = "json" if production else "text"
        metrics = getattr(settings, "metrics", None)
        if metrics is None:
            raw = environ.get("REELGRAPH_METRICS", "true").strip().lower()
            if raw not in _TRUE | _FALSE:
                raise ValueError(f"REELGRAPH_METRICS must be true or false, not {raw!r}")
            metrics = raw in _TRUE
        return cls(log_format="json" if log_format == "json" else "text", metrics=bool(metrics))


def install_observability(app: Starlette, settings: Any | None = None) -> Metrics | None:
    """Makes the app's Metrics (None when off) and adds GET /metrics; reelgraph.edge.Edge records
    each request into them (request ids, access log, spans too).

    Call before the app serves its first request.
    """
    options = ObservabilityOptions.from_settings(settings)
    metrics = Metrics(app) if options.metrics else None
    app.state.metrics = metrics
    if metrics is not None:
        app.add_route(METRICS_PATH, metrics_endpoint(metrics), methods=["GET"], include_in_schema=False)
    return metrics
