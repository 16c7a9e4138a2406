"""A bounded store of completed GraphQL subtrees: LRU by entries and by approximate bytes,
each entry living at most a TTL."""

from __future__ import annotations

import itertools
import sys
import time
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

# Beyond this many entries the oldest go, whatever their size.
MAX_ENTRIES = 50_000
# Distinct selections numbered (see selection); past this many, everything starts afresh.
MAX_SELECTIONS = 10_000


def approximate_bytes(value: Any) -> int:
    """What a completed value (JSON-shaped: dicts, lists, scalars) or a key tuple holds, roughly."""
    if isinstance(value, dict):
        return sys.getsizeof(value) + sum(
            approximate_bytes(k) + approximate_bytes(v) for k, v in value.items()
        )
    if isinstance(value, list | tuple):
        return sys.getsizeof(value) + sum(approximate_bytes(item) for item in value)
    return sys.getsizeof(value)


class SubtreeCache:
    def __init__(self, max_bytes: int, ttl_seconds: float, max_entries: int = MAX_ENTRIES) -> None:
        self.max_bytes = max_bytes
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self.bytes = 0
        self.hits = 0
        self.misses = 0
        # key -> (expires at, size, completed value)
        self._entries: OrderedDict[Hashable, tuple[float, int, dict[str, Any]]] = OrderedDict()
        self._selections: dict[Hashable, int] = {}
        self._numbers = itertools.count()

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0 and self.ttl_seconds > 0

    def selection(self, description: Hashable) -> int:
        """A small number for a selection's (large, nested) description: keys hash it, not that."""
        number = self._selections.get(description)
        if number is None:
            if len(self._selections) >= MAX_SELECTIONS:
                self.clear()
            # Never reused, even after a clear: a request numbered before it may still store.
            number = self._selections[description] = next(self._numbers)
        return number

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Hashable) -> dict[str, Any] | None:
        entry = self._entries.get(key)
        if entry is None:
            self.misses += 1
            return None
        if entry[0] < time.monotonic():
            self._drop(key)
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return entry[2]

    def put(self, key: Hashable, value: dict[str, Any]) -> None:
        size = approximate_bytes(key) + approximate_bytes(value)
        if size > self.max_bytes:
            return
        if key in self._entries:
            self._drop(key)
        self._entries[key] = (time.monotonic() + self.ttl_seconds, size, value)
        self.bytes += size
        while self.bytes > self.max_bytes or len(self._entries) > self.max_entries:
            self._drop(next(iter(self._entries)))

    def clear(self) -> None:
        self._entries.clear()
        self._selections.clear()
        self.bytes = 0

    def _drop(self, key: Hashable) -> None:
        _, size, _ = self._entries.pop(key)
        self.bytes -= size
