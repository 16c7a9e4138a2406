"""Strings from outside that hold characters nothing downstream can take, refused at the edge.

A lone surrogate cannot be encoded as UTF-8 (httpx, asyncpg and Redis raise UnicodeEncodeError),
PostgreSQL refuses NUL in text, and the other control characters have no business in a title, a
name or an e-mail address. So every string a request brings is checked before any resolver runs:
the HTTP view checks the request's JSON (query, operationName, variables, extensions) and the
WebSocket connection_init payload; HostileStrings checks what reaches the schema by any transport
(variables, and the string literals of the document, whose `\\u0000` escapes decode to those very
characters). A refusal is BAD_USER_INPUT naming where the character was (`variables.input.email`,
`input.email` for an argument literal, `connectionParams.Authorization`).

Refused: lone surrogates and the control characters (Unicode category Cc: C0, DEL and C1) except
tab, line feed and carriage return, which reviews and chat messages may hold.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from graphql import (
    BREAK,
    ArgumentNode,
    DocumentNode,
    ObjectFieldNode,
    StringValueNode,
    VariableDefinitionNode,
    Visitor,
    visit,
)
from strawberry.extensions import SchemaExtension

from reelgraph.errors import BadUserInput
from reelgraph.schema.extensions.cost import reject

_REFUSED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


class RefusedCharacter(BadUserInput):
    def __init__(self, field: str, character: str) -> None:
        kind = "a lone surrogate" if "\ud800" <= character <= "\udfff" else "a control character"
        super().__init__(
            f"{field} contains {kind} (U+{ord(character):04X}), which is not accepted.", field=field
        )


def _join(path: str, key: object) -> str:
    return f"{path}.{key}" if path else str(key)


def find_refused(value: object, path: str = "") -> RefusedCharacter | None:
    """The first refused character in a JSON-like value (its strings and keys), or None.

    Iterative, so a deeply nested value cannot exhaust the stack.
    """
    stack: list[tuple[str, object]] = [(path, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            if match := _REFUSED.search(item):
                return RefusedCharacter(where or "value", match.group())
        elif isinstance(item, dict):
            for key, inner in item.items():
                if isinstance(key, str) and (match := _REFUSED.search(key)):
                    return RefusedCharacter(where or "value", match.group())
                if isinstance(inner, str | dict | list):
                    stack.append((_join(where, key), inner))
        elif isinstance(item, list):
            stack.extend(
                (_join(where, index), inner)
                for index, inner in enumerate(item)
                if isinstance(inner, str | dict | list)
            )
    return None


class _RefusedLiteral(Visitor):
    """Finds the first string literal holding a refused character; `path` names its argument."""

    def __init__(self) -> None:
        super().__init__()
        self.path: list[str] = []
        self.found: RefusedCharacter | None = None

    def enter_variable_definition(self, node: VariableDefinitionNode, *_: Any) -> None:
        self.path.append(f"variables.{node.variable.name.value}")  # its default value

    def enter_argument(self, node: ArgumentNode, *_: Any) -> None:
        self.path.append(node.name.value)

    def enter_object_field(self, node: ObjectFieldNode, *_: Any) -> None:
        self.path.append(node.name.value)

    def leave_variable_definition(self, *_: Any) -> None:
        self.path.pop()

    leave_argument = leave_object_field = leave_variable_definition

    def enter_string_value(self, node: StringValueNode, *_: Any) -> Any:
        if match := _REFUSED.search(node.value):
            self.found = RefusedCharacter(".".join(self.path) or "query", match.group())
            return BREAK
        return None


def refused_literal(document: DocumentNode, query: str | None) -> RefusedCharacter | None:
    """The first string literal of the document that holds a refused character, or None."""
    # Only a refused character in the text itself or a \u escape can put one in a literal: the
    # walk (a few microseconds a node) is skipped for the usual document, which has neither.
    if query is not None and "\\u" not in query and _REFUSED.search(query) is None:
        return None
    finder = _RefusedLiteral()
    visit(document, finder)  # graphql-core's visit keeps its own stack: no recursion
    return finder.found


def refused_in_request(
    query: object, operation_name: object, variables: object, extensions: object = None
) -> RefusedCharacter | None:
    """The first refused character in a GraphQL request's own JSON (not the document's literals)."""
    return find_refused(
        {"query": query, "operationName": operation_name, "variables": variables, "extensions": extensions}
    )


class HostileStrings(SchemaExtension):
    """Refuses an operation whose document literals, variables or operation name hold a refused
    character, before any resolver runs, whatever the transport (HTTP, WebSocket)."""

    def on_execute(self) -> Iterator[None]:
        ec = self.execution_context
        if ec.result is None:
            # Over HTTP the view checked the request's JSON already; WebSocket operations come here.
            checked = getattr(ec.context, "request_json_checked", False)
            refused = None if checked else refused_in_request(ec.query, ec.operation_name, ec.variables)
            if refused is None and ec.graphql_document is not None:
                refused = refused_literal(ec.graphql_document, ec.query)
            if refused is not None:
                reject(ec, refused)
        yield


__all__ = ["HostileStrings", "RefusedCharacter", "find_refused", "refused_in_request", "refused_literal"]
