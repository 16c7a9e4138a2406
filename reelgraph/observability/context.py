"""The request id of the request being handled, in a context variable every log line can read."""

from __future__ import annotations

import random
import re
from contextvars import ContextVar

REQUEST_ID_HEADER = "x-request-id"
# What an incoming X-Request-ID may look like to be kept: short, printable, no spaces or quotes
# (it ends up in log lines and a response header). Anything else is replaced by a fresh id.
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/+=@-]{0,127}$")

request_id_var: ContextVar[str | None] = ContextVar("reelgraph_request_id", default=None)


def new_request_id() -> str:
    """32 hex digits. Not a secret, so no system entropy (uuid4 costs a getrandom call)."""
    return f"{random.getrandbits(128):032x}"


def sane_request_id(value: str | bytes | None) -> str | None:
    """The incoming id when it is safe to log and echo, else None."""
    if value is None:
        return None
    if isinstance(value, bytes):
        try:
            value = value.decode("ascii")
        except UnicodeDecodeError:
            return None
    value = value.strip()
    return value if _SANE_REQUEST_ID.match(value) else None


def current_request_id() -> str | None:
    return request_id_var.get()
