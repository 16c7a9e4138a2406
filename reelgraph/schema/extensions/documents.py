"""Parsing and validation, with valid documents cached by their text, bounded by their tokens.

Clients send the same few operations again and again, so a parsed and validated document is worth
keeping. Strawberry's ParserCache and ValidationCache bound their entries by count (512 here) and
keep whatever was parsed, valid or not. A parsed document keeps every token of its text alive
(locations point into the token list), so 512 hostile 2,000-token documents held about 4 million
objects that every full garbage collection then walked: 0.2-0.4 s pauses of the whole server after
only 60 such requests. Here only documents that pass validation are kept, and the cache is bounded
by the tokens it holds.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import suppress
from typing import Any

from cachetools import LRUCache
from graphql import DocumentNode, parse
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from reelgraph.schema.extensions.shape_limits import ShapeLimits


def _token_count(document: DocumentNode) -> int:
    token = document.loc.start_token if document.loc else None
    count = 0
    while token is not None:
        count += 1
        token = token.next
    return count


class DocumentCache:
    """Valid documents by (text, parse options, validation rules), LRU within a token budget."""

    def __init__(self, max_tokens: int) -> None:
        self._documents: LRUCache[tuple[Any, ...], DocumentNode] = LRUCache(
            maxsize=max_tokens, getsizeof=_token_count
        )

    def get(self, key: tuple[Any, ...]) -> DocumentNode | None:
        return self._documents.get(key)

    def put(self, key: tuple[Any, ...], document: DocumentNode) -> None:
        with suppress(ValueError):  # larger than the whole budget: not worth keeping
            self._documents[key] = document


class ValidatedDocuments(SchemaExtension):
    """Parses and validates each operation's document, or takes it valid from the cache.

    Validation runs the shape limits first (cheap, and they stop documents built to make the rest
    of validation expensive), then graphql-core's rules and the schema's extra ones.
    """

    def __init__(self, cache: DocumentCache, limits: ShapeLimits) -> None:
        self.cache = cache
        self.limits = limits
        self._key: tuple[Any, ...] | None = None
        self._validated = False

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is None and context.query:
            self._key = (
                context.query,
                tuple(sorted(context.parse_options.items())),
                tuple(context.validation_rules),
            )
            cached = self.cache.get(self._key)
            if cached is not None:
                context.graphql_document = cached
                self._validated = True
            else:
                context.graphql_document = parse(context.query, **context.parse_options)
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if self._validated:
            context.pre_execution_errors = []
        elif document is not None:
            errors = self.limits.errors(document) or validate_document(
                context.schema._schema, document, tuple(context.validation_rules)
            )
            context.pre_execution_errors = errors
            if not errors and self._key is not None:
                self.cache.put(self._key, document)
        yield
