"""Whole-response cache for anonymous queries: the same document, variables and language give the
same bytes, so they skip GraphQL execution entirely. Per process, short-lived, bounded."""

from __future__ import annotations

import hashlib

from cachetools import TTLCache


class ResponseCache:
    def __init__(self, ttl_seconds: int, max_entries: int = 2048) -> None:
        self.enabled = ttl_seconds > 0
        self._entries: TTLCache[str, bytes] = TTLCache(maxsize=max_entries, ttl=max(ttl_seconds, 1))
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(method: str, query_string: bytes, body: bytes, accept_language: str) -> str:
        digest = hashlib.sha256()
        for part in (method.encode(), query_string, body, accept_language.encode()):
            digest.update(len(part).to_bytes(8, "big"))
            digest.update(part)
        return digest.hexdigest()

    def get(self, key: str) -> bytes | None:
        found = self._entries.get(key)
        if found is None:
            self.misses += 1
        else:
            self.hits += 1
        return found

    def put(self, key: str, body: bytes) -> None:
        if self.enabled:
            self._entries[key] = body

    def clear(self) -> None:
        self._entries.clear()
