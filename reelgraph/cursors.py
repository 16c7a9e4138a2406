"""Signed, opaque cursors: clients can hand them back but not forge or edit them.

The key derives from the JWT secret, so every replica of a deployment accepts the others' cursors.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

_MAC_BYTES = 10
_key = secrets.token_bytes(32)  # replaced at start-up by configure(); random until then


def configure(secret: str) -> None:
    global _key
    _key = hmac.new(secret.encode(), b"reelgraph-cursor-v1", hashlib.sha256).digest()


def sign(payload: bytes) -> str:
    mac = hmac.new(_key, payload, hashlib.sha256).digest()[:_MAC_BYTES]
    return base64.urlsafe_b64encode(payload + mac).decode().rstrip("=")


def verify(cursor: str) -> bytes | None:
    """The payload of a cursor we signed, or None for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (binascii.Error, ValueError):
        return None
    payload, mac = raw[:-_MAC_BYTES], raw[-_MAC_BYTES:]
    expected = hmac.new(_key, payload, hashlib.sha256).digest()[:_MAC_BYTES]
    return payload if len(raw) > _MAC_BYTES and hmac.compare_digest(mac, expected) else None
