"""Logging: one JSON object per line (production) or readable text (development), both carrying
the request id of the request that logged, from a context variable.

`configure_logging()` is called once by the `reelgraph` command. It also routes uvicorn's own loggers
through the same handler (uvicorn's access log is replaced by `reelgraph.access`, which adds the
duration, the GraphQL operation and the error codes).
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import IO, Any, Literal

from reelgraph.observability import tracing
from reelgraph.observability.context import request_id_var

LogFormat = Literal["json", "text"]
ACCESS_LOGGER = "reelgraph.access"

# Attributes every LogRecord has; anything else was passed with `extra=` and goes into the JSON.
_STANDARD_ATTRS = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys()
    | {"message", "asctime", "request_id", "taskName", "color_message"}
)


def _context_fields() -> dict[str, str]:
    fields: dict[str, str] = {}
    request_id = request_id_var.get()
    if request_id is not None:
        fields["request_id"] = request_id
    ids = tracing.current_trace_ids()
    if ids is not None:
        fields["trace_id"], fields["span_id"] = ids
    return fields


class JsonFormatter(logging.Formatter):
    """`{"ts", "level", "logger", "message", "request_id", ...extra}` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(_context_fields())
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_") and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """The development format, with `[request id]` when there is one."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s%(request_tag)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        request_id = request_id_var.get()
        record.request_tag = f" [{request_id}]" if request_id else ""
        return super().format(record)


def make_formatter(log_format: LogFormat) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else TextFormatter()


class _ReelgraphHandler(logging.StreamHandler):  # type: ignore[type-arg]  # generic only in the stubs
    """Marks the handler configure_logging installed, so a second call replaces it."""


def configure_logging(
    log_format: LogFormat = "text",
    level: int | str = logging.INFO,
    *,
    access_level: int | str | None = None,
    uvicorn_access: bool = False,
    stream: IO[str] | None = None,
) -> logging.Handler:
    """Configure the root logger and route uvicorn's loggers to it; returns the handler.

    `access_level` sets the level of reelgraph.access lines (the server's --log-level);
    `uvicorn_access` keeps uvicorn's own access lines (for apps without reelgraph.edge.Edge).
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, _ReelgraphHandler):
            root.removeHandler(handler)
    handler = _ReelgraphHandler(stream or sys.stderr)
    handler.setFormatter(make_formatter(log_format))
    root.addHandler(handler)
    root.setLevel(level)
    if access_level is not None:
        logging.getLogger(ACCESS_LOGGER).setLevel(_level(access_level))
    _route_uvicorn_logs(uvicorn_access)
    return handler


def _level(value: int | str) -> int:
    return value if isinstance(value, int) else logging.getLevelName(value.upper())


def _route_uvicorn_logs(keep_access: bool) -> None:
    """uvicorn.run() applies uvicorn.config.LOGGING_CONFIG (the default of its log_config argument)
    with its own handlers and formats; make that dictionary send uvicorn's records to the root
    handler instead, and drop uvicorn's access lines unless asked (reelgraph.access replaces them)."""
    try:
        from uvicorn.config import LOGGING_CONFIG
    except ImportError:  # pragma: no cover - uvicorn is a dependency
        return
    LOGGING_CONFIG["handlers"] = {"null": {"class": "logging.NullHandler"}}
    LOGGING_CONFIG["loggers"] = {
        "uvicorn": {"handlers": [], "level": "INFO", "propagate": True},
        "uvicorn.error": {"level": "INFO"},
        "uvicorn.access": (
            {"handlers": [], "level": "INFO", "propagate": True}
            if keep_access
            else {"handlers": ["null"], "level": "INFO", "propagate": False}
        ),
    }
