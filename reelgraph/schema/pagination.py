"""Opaque, tamper-evident cursors and the shared PageInfo type."""

from __future__ import annotations

import base64
import binascii

from strawberry.relay import PageInfo

from reelgraph.errors import BadUserInput

MAX_PAGE_SIZE = 100
_PREFIX = "rg1:"

__all__ = ["MAX_PAGE_SIZE", "PageInfo", "check_first", "decode_cursor", "encode_cursor"]


def encode_cursor(kind: str, value: int) -> str:
    return base64.urlsafe_b64encode(f"{_PREFIX}{kind}:{value}".encode()).decode()


def decode_cursor(cursor: str | None, kind: str, argument: str = "after") -> int | None:
    """The position a cursor of `kind` stands for; BAD_USER_INPUT when it is not one of ours."""
    if cursor is None:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise BadUserInput(f"Invalid cursor in '{argument}'.", field=argument) from exc
    prefix = f"{_PREFIX}{kind}:"
    if not text.startswith(prefix) or not text[len(prefix) :].isdigit():
        raise BadUserInput(f"Invalid cursor in '{argument}'.", field=argument)
    return int(text[len(prefix) :])


def check_first(first: int, argument: str = "first") -> int:
    if first < 0 or first > MAX_PAGE_SIZE:
        raise BadUserInput(f"'{argument}' must be between 0 and {MAX_PAGE_SIZE}.", field=argument)
    return first
