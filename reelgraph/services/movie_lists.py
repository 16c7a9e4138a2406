"""Cursor pagination over upstream movie lists: refill, filtering, and no repeats across pages.

A cursor holds the list it belongs to, the upstream position of the next item and a key to the
"already served" map kept in the shared cache. When the upstream shifts between two pages (new
trending entries push others down), items served on earlier pages are skipped instead of repeated.
A cursor of one list (trending) is refused by every other (discover, another window or filter).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from reelgraph import cursors
from reelgraph.caching.upstream_data import CachedFetcher
from reelgraph.errors import BadUserInput

UPSTREAM_PAGE_SIZE = 20
# Upstream pages one request may read to fill a page: hidden or filtered-out movies cost pages.
# 25 pages (500 movies) fill a 100-movie page even for a viewer who hid a few hundred of them.
MAX_UPSTREAM_PAGES = 25
SEEN_TTL_SECONDS = 3600
SEEN_MAX_ENTRIES = 1000

Item = dict[str, Any]
PageFetcher = Callable[[int], Awaitable[dict[str, Any]]]
KeepFilter = Callable[[list[Item]], Awaitable[list[bool]]]


def list_identity(*parts: object) -> str:
    """A short, stable name for a list made of `parts` (its sources, sort and filter).

    Parts are dataclasses, tuples and plain values, whose repr is the same in every replica.
    """
    return hashlib.blake2b(repr(parts).encode(), digest_size=8).hexdigest()


@dataclass(frozen=True)
class ListCursor:
    list_id: str
    offset: int
    seen_key: str | None = None

    def encode(self) -> str:
        fields = {"l": self.list_id, "o": self.offset, "s": self.seen_key}
        return cursors.sign(b"rgl1" + json.dumps(fields, separators=(",", ":")).encode())

    @classmethod
    def decode(cls, cursor: str | None, list_id: str) -> ListCursor | None:
        """The position in list `list_id` a cursor stands for; BAD_USER_INPUT when it is not one
        of ours or belongs to another list."""
        if cursor is None:
            return None
        invalid = BadUserInput("Invalid cursor in 'after'.", field="after")
        raw = cursors.verify(cursor)
        if raw is None or not raw.startswith(b"rgl1"):
            raise invalid
        try:
            data = json.loads(raw[4:])
        except (ValueError, UnicodeDecodeError) as exc:
            raise invalid from exc
        if not isinstance(data, dict) or data.get("l") != list_id:
            raise invalid
        offset, seen = data.get("o"), data.get("s")
        if (
            not isinstance(offset, int)
            or offset < 0
            or not (seen is None or (isinstance(seen, str) and len(seen) == 32))
        ):
            raise invalid
        return cls(list_id=list_id, offset=offset, seen_key=seen)


@dataclass
class ListPage:
    items: list[Item]
    cursors: list[str]
    # Where the next page starts: after the last item read, kept or filtered out.
    end_cursor: str | None
    has_next_page: bool
    has_previous_page: bool
    total_count: int | None


def item_key(item: Item) -> str:
    return f"{item.get('media_type', 'movie')}:{item['id']}"


class MovieLists:
    def __init__(self, fetcher: CachedFetcher) -> None:
        self._fetcher = fetcher

    async def page(
        self,
        fetch: PageFetcher,
        first: int,
        after: str | None,
        keep: KeepFilter | None = None,
        page_size: int = UPSTREAM_PAGE_SIZE,
        max_upstream_pages: int = MAX_UPSTREAM_PAGES,
        *,
        list_id: str,
    ) -> ListPage:
        """A page of the list `list_id` (see list_identity), read from `fetch`."""
        cursor = ListCursor.decode(after, list_id) or ListCursor(list_id, 0)
        served_before = await self._load_seen(cursor)
        offset = cursor.offset
        collected: list[tuple[Item, int]] = []
        taken: set[str] = set()
        total: int | None = None
        exhausted = False
        pages_read = 0
        while len(collected) < first and pages_read < max_upstream_pages:
            page_number = offset // page_size + 1
            envelope = await fetch(page_number)
            pages_read += 1
            total = envelope.get("total_results", total)
            window = envelope.get("results", [])[offset % page_size :]
            last_page = page_number >= int(envelope.get("total_pages") or 0) or page_number >= 500
            flags = await keep(window) if keep and window else [True] * len(window)
            for index, (item, wanted) in enumerate(zip(window, flags, strict=True)):
                position = offset + index
                key = item_key(item)
                if wanted and key not in served_before and key not in taken:
                    collected.append((item, position))
                    taken.add(key)
                    if len(collected) == first:
                        offset = position + 1
                        break
            else:
                offset = page_number * page_size  # the whole window was read
                if last_page or not window:
                    exhausted = True
                    break
        seen_key = await self._save_seen(served_before, collected) if collected else cursor.seen_key
        return ListPage(
            items=[item for item, _ in collected],
            cursors=[ListCursor(list_id, position + 1, seen_key).encode() for _, position in collected],
            end_cursor=ListCursor(list_id, offset, seen_key).encode()
            if collected or offset > cursor.offset
            else after,
            has_next_page=not exhausted,
            has_previous_page=cursor.offset > 0,
            total_count=total,
        )

    async def _load_seen(self, cursor: ListCursor) -> dict[str, int]:
        if cursor.seen_key is None:
            return {}
        stored = await self._fetcher.peek_many([f"seen:{cursor.seen_key}"])
        served = stored[0] or {}
        # Only what was served before this cursor's position counts as already shown.
        return {key: position for key, position in served.items() if position < cursor.offset}

    async def _save_seen(self, before: dict[str, int], collected: list[tuple[Item, int]]) -> str:
        served = {**before, **{item_key(item): position for item, position in collected}}
        if len(served) > SEEN_MAX_ENTRIES:
            served = dict(sorted(served.items(), key=lambda kv: kv[1])[-SEEN_MAX_ENTRIES:])
        key = uuid.uuid4().hex
        await self._fetcher.put(f"seen:{key}", served, SEEN_TTL_SECONDS)
        return key
