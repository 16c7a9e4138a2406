"""Automatic persisted queries, Apollo's protocol.

A request may carry `extensions.persistedQuery = {"version": 1, "sha256Hash": "<hex>"}`:
- without `query`: the query registered under that hash runs; an unknown hash is answered
  `PersistedQueryNotFound` (code PERSISTED_QUERY_NOT_FOUND), and Apollo's and urql's links then
  resend the request with the query;
- with `query`: the hash must be the query's SHA-256 (else BAD_USER_INPUT), and once the document
  has parsed and validated it is registered for everyone.

Hash-only requests work over GET too (`?extensions=...&variables=...`), so CDNs can cache them;
mutations over GET stay refused. The registry is the shared cache when it is Redis (replicas share
it), in front of a bounded per-process LRU (the only registry with the in-process cache, whose
aiocache memory backend has no size bound and would let anyone fill memory with queries).
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from typing import Any

from aiocache import BaseCache
from cachetools import LRUCache
from strawberry.http import GraphQLRequestData

from reelgraph.errors import ErrorCode

PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
PERSISTED_QUERY_NOT_SUPPORTED = "PERSISTED_QUERY_NOT_SUPPORTED"
# Real documents are a few kilobytes; larger ones run but are not kept.
MAX_PERSISTED_QUERY_CHARS = 100_000
LOCAL_REGISTRY_CHARS = 16_000_000
KEY_PREFIX = "apq:"
_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")

log = logging.getLogger("reelgraph.apq")


class PersistedQueryError(Exception):
    """A request the persisted-query protocol refuses; the view answers it as a GraphQL error."""

    def __init__(self, message: str, code: str, status: int = 200) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


@dataclass(frozen=True)
class Registration:
    sha256: str
    query: str


class PersistedQueries:
    def __init__(self, shared: BaseCache | None, ttl_seconds: int, enabled: bool = True) -> None:
        self.enabled = enabled
        self._shared = shared
        self._ttl = ttl_seconds
        self._local: LRUCache[str, str] = LRUCache(maxsize=LOCAL_REGISTRY_CHARS, getsizeof=len)

    async def prepare(self, request: GraphQLRequestData) -> Registration | None:
        """Fills in the query of a hash-only request; returns what to register once it validates."""
        persisted = _persisted_query(request.extensions)
        if persisted is None:
            return None
        if not self.enabled:
            raise PersistedQueryError("PersistedQueryNotSupported", PERSISTED_QUERY_NOT_SUPPORTED)
        version, sha256 = persisted.get("version"), persisted.get("sha256Hash")
        if version != 1:
            raise PersistedQueryError(
                "Unsupported persisted query version: only 1 is.", ErrorCode.BAD_USER_INPUT.value, 400
            )
        if not isinstance(sha256, str) or not _SHA256.match(sha256):
            raise PersistedQueryError(
                "persistedQuery.sha256Hash must be 64 hexadecimal digits.",
                ErrorCode.BAD_USER_INPUT.value,
                400,
            )
        sha256 = sha256.lower()
        if request.query is None:
            request.query = await self.lookup(sha256)
            if request.query is None:
                raise PersistedQueryError("PersistedQueryNotFound", PERSISTED_QUERY_NOT_FOUND)
            return None
        if hashlib.sha256(request.query.encode()).hexdigest() != sha256:
            raise PersistedQueryError(
                "provided sha does not match query", ErrorCode.BAD_USER_INPUT.value, 400
            )
        if len(request.query) > MAX_PERSISTED_QUERY_CHARS or self._local.get(sha256) is not None:
            return None
        return Registration(sha256, request.query)

    async def lookup(self, sha256: str) -> str | None:
        query = self._local.get(sha256)
        if query is None and self._shared is not None:
            try:
                found = await self._shared.get(KEY_PREFIX + sha256)
            except Exception:  # the cache is down: "not found" makes the client send the query
                log.warning("persisted query lookup failed", exc_info=True)
                found = None
            if isinstance(found, str):
                query = found
                self._local[sha256] = found
        return query

    async def register(self, registration: Registration) -> None:
        self._local[registration.sha256] = registration.query
        if self._shared is not None:
            try:
                await self._shared.set(KEY_PREFIX + registration.sha256, registration.query, ttl=self._ttl)
            except Exception:  # the answer is on its way; other replicas will ask for the query
                log.warning("persisted query registration failed", exc_info=True)

    def clear_local(self) -> None:
        self._local.clear()


def _persisted_query(extensions: Any) -> dict[str, Any] | None:
    if not isinstance(extensions, dict) or extensions.get("persistedQuery") is None:
        return None
    persisted = extensions["persistedQuery"]
    if not isinstance(persisted, dict):
        raise PersistedQueryError(
            "extensions.persistedQuery must be an object.", ErrorCode.BAD_USER_INPUT.value, 400
        )
    return persisted
