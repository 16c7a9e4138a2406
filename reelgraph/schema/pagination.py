"""Opaque, tamper-evident cursors and the shared PageInfo type.

A database-row cursor names its kind of list and the list's owner (the user whose ratings, the
movie whose reviews, the filter): a cursor of Ann's ratings is refused on Bob's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, Protocol, TypeVar

import strawberry
from strawberry.relay import PageInfo

from reelgraph import cursors
from reelgraph.errors import BadUserInput

MAX_PAGE_SIZE = 100
_PREFIX = "rg2:"

__all__ = [
    "MAX_PAGE_SIZE",
    "Connection",
    "Edge",
    "PageInfo",
    "check_first",
    "decode_cursor",
    "encode_cursor",
    "or_default",
    "page_size",
]

NodeT = TypeVar("NodeT")


class _Row(Protocol):
    id: int | None


RowT = TypeVar("RowT", bound=_Row)


# Generic: Strawberry names Connection[InteractionType] "InteractionConnection", and so on.
@strawberry.type
class Edge(Generic[NodeT]):
    cursor: str
    node: NodeT


@strawberry.type
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]]
    nodes: list[NodeT]
    page_info: PageInfo
    total_count: int

    @classmethod
    def of(
        cls, pairs: list[tuple[str, NodeT]], has_next: bool, has_previous: bool, total: int
    ) -> Connection[NodeT]:
        edges = [Edge(cursor=cursor, node=node) for cursor, node in pairs]
        return cls(
            edges=edges,
            nodes=[edge.node for edge in edges],
            page_info=PageInfo(
                has_next_page=has_next,
                has_previous_page=has_previous,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            total_count=total,
        )

    @classmethod
    async def from_rows(
        cls,
        kind: str,
        first: int | None,
        after: str | None,
        fetch: Callable[[int | None, int], Awaitable[tuple[Sequence[RowT], int]]],
        wrap: Callable[[RowT], NodeT],
        default_first: int = 20,
        owner: object = None,
    ) -> Any:
        """A page of database rows by id: `fetch(position, limit)` returns rows past the cursor's
        position and the total; one more row than asked tells whether there is a next page.
        `owner` is what else picks the rows (a user id, a movie id, a filter): cursors are bound to it."""
        limit = page_size(first, default_first)
        position = decode_cursor(after, kind, owner=owner)
        rows, total = await fetch(position, limit + 1)
        pairs = [(encode_cursor(kind, row.id or 0, owner), wrap(row)) for row in rows[:limit]]
        return cls.of(pairs, len(rows) > limit, position is not None, total)


def _list_prefix(kind: str, owner: object) -> str:
    # A short hash: the owner may be a filter of any length, and stays unreadable in the cursor.
    scope = hashlib.blake2b(repr(owner).encode(), digest_size=6).hexdigest()
    return f"{_PREFIX}{kind}:{scope}:"


def encode_cursor(kind: str, value: int, owner: object = None) -> str:
    return cursors.sign(f"{_list_prefix(kind, owner)}{value}".encode())


def decode_cursor(cursor: str | None, kind: str, argument: str = "after", owner: object = None) -> int | None:
    """The position a cursor of `kind` and `owner` stands for; BAD_USER_INPUT when it is not one
    of ours or belongs to another list."""
    if cursor is None:
        return None
    payload = cursors.verify(cursor)
    text = payload.decode(errors="replace") if payload is not None else ""
    prefix = _list_prefix(kind, owner)
    position = text[len(prefix) :]
    # [0-9] only, as str.isdigit() also accepts Unicode digits.
    if not text.startswith(prefix) or not position.isascii() or not position.isdigit():
        raise BadUserInput(f"Invalid cursor in '{argument}'.", field=argument)
    return int(position)


def or_default(value: int | None, default: int) -> int:
    """The contract's arguments are nullable with defaults: an explicit null means the default."""
    return default if value is None else value


def page_size(first: int | None, default: int = 20) -> int:
    """`first` (null meaning the default), checked to be 0..MAX_PAGE_SIZE."""
    return check_first(or_default(first, default))


def check_first(first: int, argument: str = "first") -> int:
    if first < 0 or first > MAX_PAGE_SIZE:
        raise BadUserInput(f"'{argument}' must be between 0 and {MAX_PAGE_SIZE}.", field=argument)
    return first
