"""Signed-in viewers' libraries kept between requests, each with the library version it was read
at (users.library_version, moved by database triggers on every write: migration 0010).

A request that resolves its viewer reads the version in the same statement as the session; while
it is unchanged the library kept here is still true, on this replica as on any other, so a
signed-in request reads no library rows at all. Bounded in bytes (an estimate per row), least
recently used first out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cachetools import LRUCache

if TYPE_CHECKING:
    from reelgraph.loaders.library import ViewerLibrary

# What a kept library costs, roughly: the dict and set slots, the boxed ints and the kind lists.
_BYTES_PER_ENTRY = 400
_BYTES_PER_MOVIE = 160


def _size(entry: tuple[int, ViewerLibrary]) -> int:
    library = entry[1]
    return _BYTES_PER_ENTRY + _BYTES_PER_MOVIE * (len(library.kinds) + len(library.ratings))


class ViewerLibraryCache:
    def __init__(self, max_bytes: int) -> None:
        self._entries: LRUCache[int, tuple[int, ViewerLibrary]] | None = (
            LRUCache(maxsize=max_bytes, getsizeof=_size) if max_bytes > 0 else None
        )

    def get(self, user_id: int, version: int) -> ViewerLibrary | None:
        if self._entries is None:
            return None
        found = self._entries.get(user_id)
        if found is None or found[0] != version:
            return None
        return found[1]

    def put(self, user_id: int, version: int, library: ViewerLibrary) -> None:
        if self._entries is None:
            return
        kept = self._entries.get(user_id)
        if kept is not None and kept[0] > version:  # a slower request read an older library
            return
        try:
            self._entries[user_id] = (version, library)
        except ValueError:  # larger than the whole budget: not kept
            self._entries.pop(user_id, None)

    @property
    def size_bytes(self) -> int:
        return int(self._entries.currsize) if self._entries is not None else 0
