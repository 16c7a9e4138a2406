"""Global ids: what an id sent by a client stands for, checked the same way wherever ids come in.

A global id is base64("Type:key"), exactly as this server encodes it. Type is one of the Node
types below; key is, for rows and TMDb entities, a canonical ASCII decimal in 1..2**31-1 (no "007",
"+1" or Unicode digits), and for a chat session its UUID in canonical form. Anything else is no
node: `node(id:)` answers null, an argument BAD_USER_INPUT.
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Annotated, TypeVar

import strawberry
from strawberry import relay
from strawberry.relay.utils import to_base64

from reelgraph.errors import BadUserInput
from reelgraph.schema.context import Info

# Id columns are INTEGER: 32-bit on PostgreSQL (SQLite's hold 64), like GraphQL's Int (tmdbId).
MAX_ROW_KEY = 2**31 - 1
_DECIMAL = re.compile(r"[1-9][0-9]{0,9}")  # [0-9], not \d: \d also matches Unicode digits

K = TypeVar("K")
V = TypeVar("V")


def row_key(node_id: str) -> int | None:
    """The integer a canonical decimal key stands for, or None (bad form or out of range)."""
    if not _DECIMAL.fullmatch(node_id):
        return None
    key = int(node_id)
    return key if key <= MAX_ROW_KEY else None


def session_key(node_id: str) -> str | None:
    """A chat session key in the form sessions are stored in (str(uuid4())), or None."""
    try:
        canonical = str(uuid.UUID(node_id))
    except ValueError:
        return None
    return node_id if node_id == canonical else None


# Every Node type of the schema, with the parser of its keys.
KEY_PARSERS: dict[str, Callable[[str], int | str | None]] = {
    "Movie": row_key,
    "Person": row_key,
    "Genre": row_key,
    "User": row_key,
    "Review": row_key,
    "Interaction": row_key,
    "ChatSession": session_key,
    "Job": row_key,
    "ImportJob": row_key,
}


@dataclass(frozen=True)
class NodeRef:
    type_name: str
    key: int | str


def decode(global_id: str) -> NodeRef | None:
    """The node a global id names, or None for anything this server did not hand out."""
    try:
        text = base64.b64decode(global_id, validate=True).decode()
    except (binascii.Error, ValueError):  # not base64, or not UTF-8
        return None
    type_name, _, node_id = text.partition(":")
    parse = KEY_PARSERS.get(type_name)
    key = parse(node_id) if parse is not None else None
    # One spelling per node: the base64 must be ours too (no missing padding or stray characters).
    if key is None or to_base64(type_name, node_id) != global_id:
        return None
    return NodeRef(type_name, key)


def _argument_ref(global_id: str, type_name: str, argument: str) -> NodeRef:
    ref = decode(global_id)
    if ref is None or ref.type_name != type_name:
        raise BadUserInput(f"'{argument}' is not a valid {type_name} id.", field=argument)
    return ref


def row_argument(global_id: str, type_name: str, argument: str) -> int:
    """The row id inside an argument naming a `type_name`; BAD_USER_INPUT naming it otherwise."""
    key = _argument_ref(global_id, type_name, argument).key
    assert isinstance(key, int)  # every type but ChatSession has row keys
    return key


def session_argument(global_id: str, argument: str) -> str:
    """The session id inside an argument naming a ChatSession; BAD_USER_INPUT otherwise."""
    key = _argument_ref(global_id, "ChatSession", argument).key
    assert isinstance(key, str)
    return key


async def load_by_keys(
    node_ids: Iterable[str],
    parse: Callable[[str], K | None],
    load_many: Callable[[list[K]], Awaitable[Sequence[V]]],
) -> list[V | None]:
    """`load_many` over the ids that parse, None in place of the others (never looked up)."""
    keys = [parse(node_id) for node_id in node_ids]
    found = iter(await load_many([key for key in keys if key is not None]))
    return [next(found) if key is not None else None for key in keys]


async def node(
    info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The ID of the object.")]
) -> relay.Node | None:
    """Query.node: a plain ID argument, so that malformed ids are null like unknown ones."""
    ref = decode(id)
    if ref is None:
        return None
    found: relay.Node | None = await relay.GlobalID(ref.type_name, str(ref.key)).resolve_node(info)
    return found
