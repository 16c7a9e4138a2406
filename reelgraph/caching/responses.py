"""Whole-response cache for anonymous queries: the same document, variables and language give the
same bytes, so they skip GraphQL execution entirely. Per process, short-lived, bounded.

An entry carries what observability needs of the answer (operation name and type, error codes),
so that a hit is served and counted without parsing the request or rescanning the body."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from cachetools import TTLCache


@dataclass(frozen=True, slots=True)
class CachedResponse:
    body: bytes
    operation: str = ""
    operation_type: str = ""
    error_codes: tuple[str, ...] = ()
    content_length: bytes = b""  # the header value, computed once

    @classmethod
    def of(
        cls, body: bytes, operation: str = "", operation_type: str = "", error_codes: tuple[str, ...] = ()
    ) -> CachedResponse:
        return cls(body, operation, operation_type, error_codes, str(len(body)).encode())


class ResponseCache:
    def __init__(self, ttl_seconds: int, max_entries: int = 2048) -> None:
        self.enabled = ttl_seconds > 0
        self.ttl_seconds = ttl_seconds
        self._entries: TTLCache[bytes, CachedResponse] = TTLCache(
            maxsize=max_entries, ttl=max(ttl_seconds, 1)
        )
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
        if found is None:
            self.misses += 1
        else:
            self.hits += 1
        return found

    def put(self, key: bytes, entry: CachedResponse) -> None:
        if self.enabled:
            self._entries[key] = entry

    def clear(self) -> None:
        self._entries.clear()
