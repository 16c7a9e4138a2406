"""Cursor pagination over upstream movie lists: refill, filtering, and no repeats across pages.

A cursor holds the list it belongs to, the upstream position of the next item and a key to the
"already served" map kept in the shared cache. When the upstream shifts between two pages (new
trending entries push others down), items served on earlier pages are skipped instead of repeated.
The map's key is a digest of its content, so every client served the same page shares one entry:
the store grows with distinct pages, not with requests.
A cursor of one list (trending) is refused by every other (discover, another window or filter).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeGuard

from reelgraph import cursors
from reelgraph.caching.upstream_data import CachedFetcher
from reelgraph.errors import BadUserInput

# TMDb's hard page limit: page 501 and beyond do not exist.
MAX_PAGE = 500
# Upstream pages one request may read to fill a page: hidden or filtered-out movies cost pages.
# 25 pages (about 500 movies) fill a 100-movie page even for a viewer who hid a few hundred of them.
MAX_UPSTREAM_PAGES = 25
# More items than any upstream page holds: (page, index) as one ordered number for the seen map.
PAGE_STRIDE = 10_000
# What one upstream page usually holds (TMDb: 20, sometimes 19-21): enough to guess, from `first`,
# how many pages a request will read, and ask for them at once instead of one round trip each.
USUAL_PAGE_SIZE = 20
# At most this many pages asked for ahead: a guess that misses costs calls, not correctness.
MAX_PAGES_AHEAD = 4
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


def _position(page: int, index: int) -> int:
    return page * PAGE_STRIDE + index


def _is_count(value: object, low: int, high: int) -> TypeGuard[int]:
    # bool is an int subclass: `true` is not a page number.
    return type(value) is int and low <= value <= high


@dataclass(frozen=True)
class ListCursor:
    """A position in a list: the upstream page holding the next item and its index on that page.

    Upstream pages are not always 20 items (TMDb sends 19 to 21), so a position is never derived
    from a page size: it is where the previous read actually stopped.
    """

    list_id: str
    page: int = 1
    index: int = 0
    seen_key: str | None = None

    @property
    def position(self) -> int:
        return _position(self.page, self.index)

    @property
    def at_start(self) -> bool:
        return self.page == 1 and self.index == 0

    def encode(self) -> str:
        fields = {"l": self.list_id, "p": self.page, "i": self.index, "s": self.seen_key}
        return cursors.sign(b"rgl2" + json.dumps(fields, separators=(",", ":")).encode())

    @staticmethod
    def belongs_to(cursor: str, list_id: str) -> bool:
        """Whether `cursor` is a valid position in list `list_id`."""
        try:
            ListCursor.decode(cursor, list_id)
        except BadUserInput:
            return False
        return True

    @classmethod
    def decode(cls, cursor: str | None, list_id: str) -> ListCursor | None:
        """The position in list `list_id` a cursor stands for; BAD_USER_INPUT when it is not one
        of ours or belongs to another list."""
        if cursor is None:
            return None
        invalid = BadUserInput("Invalid cursor in 'after'.", field="after")
        raw = cursors.verify(cursor)
        if raw is None or not raw.startswith(b"rgl2"):
            raise invalid
        try:
            data = json.loads(raw[4:])
        except (ValueError, UnicodeDecodeError) as exc:
            raise invalid from exc
        if not isinstance(data, dict) or data.get("l") != list_id:
            raise invalid
        page, index, seen = data.get("p"), data.get("i"), data.get("s")
        if (
            not _is_count(page, 1, MAX_PAGE + 1)
            or not _is_count(index, 0, PAGE_STRIDE - 1)
            or not (seen is None or (isinstance(seen, str) and len(seen) == 32))
        ):
            raise invalid
        return cls(list_id=list_id, page=page, index=index, seen_key=seen)


@dataclass
class ListPage:
    items: list[Item]
    cursors: list[str]
    # Where the next page starts: after the last item read, kept or filtered out.
    end_cursor: str | None
    has_next_page: bool
    has_previous_page: bool
    # Exact, or None: never more than the list can deliver.
    total_count: int | None


def item_key(item: Item) -> str:
    return f"{item.get('media_type', 'movie')}:{item['id']}"


def _is_last_page(page: int, envelope: dict[str, Any]) -> bool:
    return page >= int(envelope.get("total_pages") or 0) or page >= MAX_PAGE


async def _flags(check: KeepFilter | None, window: list[Item]) -> list[bool]:
    return await check(window) if check and window else [True] * len(window)


def _pages_needed(index: int, first: int, max_upstream_pages: int) -> int:
    """Pages a request for `first` items from `index` on will likely read, if nothing is filtered."""
    return max(1, min(-(-(index + first) // USUAL_PAGE_SIZE), MAX_PAGES_AHEAD, max_upstream_pages))


class _PagesAhead:
    """Reads of the next pages, started together with the first one.

    A 30-item page spans two upstream pages: both are asked for at once (one round trip of wall
    time, not two). Pages past the list's end come back empty; reads not needed are cancelled
    (the cached fetch they share with other requests goes on: see CachedFetcher's single flight).
    """

    def __init__(self, fetch: PageFetcher, first_page: int, count: int) -> None:
        self._fetch = fetch
        self._reads: dict[int, asyncio.Task[dict[str, Any]]] = {}
        if count > 1:
            last = min(first_page + count - 1, MAX_PAGE)
            self._reads = {n: asyncio.ensure_future(fetch(n)) for n in range(first_page, last + 1)}

    async def read(self, page: int) -> dict[str, Any]:
        started = self._reads.pop(page, None)
        return await started if started is not None else await self._fetch(page)

    def cancel(self) -> None:
        for read in self._reads.values():
            read.cancel()
            # A read that failed or was cancelled: its outcome is not wanted, nor worth a warning.
            read.add_done_callback(_discard_outcome)
        self._reads.clear()


def _discard_outcome(read: asyncio.Task[dict[str, Any]]) -> None:
    if not read.cancelled():
        read.exception()


class MovieLists:
    def __init__(self, fetcher: CachedFetcher) -> None:
        self._fetcher = fetcher

    async def page(
        self,
        fetch: PageFetcher,
        first: int,
        after: str | None,
        keep: KeepFilter | None = None,
        max_upstream_pages: int = MAX_UPSTREAM_PAGES,
        *,
        list_id: str,
        exclude: KeepFilter | None = None,
        hide: KeepFilter | None = None,
    ) -> ListPage:
        """A page of the list `list_id` (see list_identity), read from `fetch`.

        Three kinds of filter, by what they do to the total. `keep` (client-side filters) drops items
        the upstream counts: its total no longer holds, so the total is the count of kept items when
        one request read the list to its end, else unknown. `exclude` drops items the upstream does
        not count either (adult titles it was told to leave out): its total holds while none turns
        up. `hide` (the viewer's hidden movies) leaves the total as it is: it counts before them.
        """
        cursor = ListCursor.decode(after, list_id) or ListCursor(list_id)
        if first == 0:
            return await self._peek(fetch, cursor, after, keep, exclude)
        served_before = await self._load_seen(cursor)
        page, index = cursor.page, cursor.index
        collected: list[tuple[Item, int, int]] = []  # item, its page, its index on that page
        # Items passing keep and exclude, hidden or not, once each: the total if all are read.
        counted: set[str] = set()
        upstream_total: int | None = None
        excluded_some = exhausted = False
        pages_read = 0
        ahead = _PagesAhead(fetch, page, _pages_needed(index, first, max_upstream_pages))
        try:
            while len(collected) < first and pages_read < max_upstream_pages:
                envelope = await ahead.read(page)
                pages_read += 1
                upstream_total = envelope.get("total_results", upstream_total)
                results: list[Item] = envelope.get("results", [])
                window = results[index:]
                kept, allowed = await _flags(keep, window), await _flags(exclude, window)
                shown = await _flags(hide, window)
                excluded_some = excluded_some or not all(allowed)
                for offset, item in enumerate(window):
                    key = item_key(item)
                    if not (kept[offset] and allowed[offset]) or key in counted:
                        continue
                    counted.add(key)
                    if shown[offset] and key not in served_before:
                        collected.append((item, page, index + offset))
                        if len(collected) == first:
                            index += offset + 1
                            break
                else:
                    index = len(results)
                if index < len(results):
                    break  # filled inside this page
                if _is_last_page(page, envelope) or not results:
                    exhausted = True
                    break
                if len(collected) < first:
                    page, index = page + 1, 0
        finally:
            ahead.cancel()
        seen_key = await self._save_seen(served_before, collected) if collected else cursor.seen_key
        end = ListCursor(list_id, page, index, seen_key)
        if keep is None and not excluded_some:
            total = upstream_total
        elif exhausted and cursor.at_start:
            total = len(counted)  # read to the end in this request: counted them all
        else:
            total = None
        return ListPage(
            items=[item for item, _, _ in collected],
            cursors=[ListCursor(list_id, p, i + 1, seen_key).encode() for _, p, i in collected],
            end_cursor=end.encode() if collected or end.position > cursor.position else after,
            has_next_page=not exhausted,
            has_previous_page=not cursor.at_start,
            total_count=total,
        )

    async def _peek(
        self,
        fetch: PageFetcher,
        cursor: ListCursor,
        after: str | None,
        keep: KeepFilter | None,
        exclude: KeepFilter | None,
    ) -> ListPage:
        """`first: 0`: no items, but the total when the upstream's holds (one page read, cached)."""
        if keep is not None:
            return ListPage([], [], after, True, not cursor.at_start, None)
        envelope = await fetch(cursor.page)
        results: list[Item] = envelope.get("results", [])
        excluded_some = not all(await _flags(exclude, results))
        exhausted = cursor.index >= len(results) and (_is_last_page(cursor.page, envelope) or not results)
        return ListPage(
            [],
            [],
            after,
            not exhausted,
            not cursor.at_start,
            None if excluded_some else envelope.get("total_results"),
        )

    async def _load_seen(self, cursor: ListCursor) -> dict[str, int]:
        if cursor.seen_key is None:
            return {}
        stored = await self._fetcher.peek_many([f"seen:{cursor.seen_key}"])
        served = stored[0] or {}
        # Only what was served before this cursor's position counts as already shown.
        return {key: position for key, position in served.items() if position < cursor.position}

    async def _save_seen(self, before: dict[str, int], collected: list[tuple[Item, int, int]]) -> str:
        served = {
            **before,
            **{item_key(item): _position(page, index) for item, page, index in collected},
        }
        if len(served) > SEEN_MAX_ENTRIES:
            served = dict(sorted(served.items(), key=lambda kv: kv[1])[-SEEN_MAX_ENTRIES:])
        # Content-addressed: the same served map (same list, same page) is one entry for everyone.
        canonical = json.dumps(sorted(served.items()), separators=(",", ":")).encode()
        key = hashlib.blake2b(canonical, digest_size=16).hexdigest()
        await self._fetcher.put(f"seen:{key}", served, SEEN_TTL_SECONDS)
        return key
