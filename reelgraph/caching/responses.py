"""Whole-response cache for anonymous queries: the same document, variables and language give the
same bytes, so they skip GraphQL execution entirely. Per process, short-lived, bounded.

An entry carries what observability needs of the answer (operation name and type, error codes),
so that a hit is served and counted without parsing the request or rescanning the body."""

from __future__ import annotations

import dataclasses
import hashlib
import time
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CachedResponse:
    body: bytes
    operation: str = ""
    operation_type: str = ""
    error_codes: tuple[str, ...] = ()
    content_length: bytes = b""  # the header value, computed once
    expires_at: float = 0.0  # time.monotonic(); set by ResponseCache.put

    @classmethod
    def of(
        cls, body: bytes, operation: str = "", operation_type: str = "", error_codes: tuple[str, ...] = ()
    ) -> CachedResponse:
        return cls(body, operation, operation_type, error_codes, str(len(body)).encode())


class ResponseCache:
    """A dict with an expiry time per entry, the oldest dropped first when full: what cachetools'
    TTLCache does, without its timer context on every lookup (every hit looks up here)."""

    def __init__(self, ttl_seconds: int, max_entries: int = 2048) -> None:
        self.enabled = ttl_seconds > 0
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self._entries: dict[bytes, CachedResponse] = {}
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(method: str, query_string: bytes, body: bytes, accept_language: str | bytes) -> bytes:
        language = accept_language.encode() if isinstance(accept_language, str) else accept_language
        digest = hashlib.sha256()
        for part in (method.encode(), query_string, body, language):
            digest.update(len(part).to_bytes(8, "big"))
            digest.update(part)
        return digest.digest()

    def get(self, key: bytes) -> CachedResponse | None:
        found = self._entries.get(key)
        if found is not None and found.expires_at > time.monotonic():
            self.hits += 1
            return found
        self.misses += 1
        return None

    def put(self, key: bytes, entry: CachedResponse) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        entries = self._entries
        entries.pop(key, None)  # inserted again last: the dict's order is the expiry order
        if len(entries) >= self.max_entries:
            expired = [old for old, value in entries.items() if value.expires_at <= now]
            for old in expired or list(entries)[: max(1, self.max_entries // 8)]:
                del entries[old]
        entries[key] = dataclasses.replace(entry, expires_at=now + self.ttl_seconds)

    def clear(self) -> None:
        self._entries.clear()
