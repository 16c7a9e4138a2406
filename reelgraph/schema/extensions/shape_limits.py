"""Depth and alias limits, checked in one linear pass before the rest of validation.

Strawberry's QueryDepthLimiter and MaxAliasesLimiter walk a fragment again at every spread of it,
so a "fragment bomb" (7 fragments each spreading the next 7 times: 200 tokens) took 0.8 s to check
and 10 x 10 would never finish; an unknown fragment made the depth limiter raise KeyError. Here a
fragment's depth and alias count are computed once and reused at every spread, so the check is
linear in the document. reelgraph.schema.documents runs it before graphql-core's own rules, so a
document refused for its shape costs a parse and this walk, not a full validation (~20 ms for a
depth-50 query).

Semantics are Strawberry's: depth counts nested fields with a selection set (introspection fields
are not followed); aliases are counted at every spread of the fragment that holds them.

A third limit guards graphql-core's OverlappingFieldsCanBeMerged rule, which compares every pair
of same-named fields in a selection set: 200 copies of `movie(tmdbId: 603) { title }` (1,200
tokens) took 320 ms to validate. No real client selects the same field or fragment more than a
few times in one set, so more than max_repeats is refused before that rule runs.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    Node,
    OperationDefinitionNode,
    SelectionSetNode,
)


@dataclass(frozen=True)
class _Shape:
    depth: int  # nested fields with a selection set, the deepest path
    aliases: int  # aliased fields, counted at every spread


_EMPTY = _Shape(0, 0)


class _Walk:
    """One pass over a document; stops at the first shape problem it finds."""

    def __init__(self, document: DocumentNode, limits: ShapeLimits) -> None:
        self.limits = limits
        self.fragments = {
            definition.name.value: definition
            for definition in document.definitions
            if isinstance(definition, FragmentDefinitionNode)
        }
        self._done: dict[str, _Shape] = {}
        self._visiting: set[str] = set()
        self.too_deep: Node | None = None  # the first field or spread past the depth limit
        self.repeated: tuple[str, Node] | None = None  # a selection repeated too often in one set

    @property
    def stopped(self) -> bool:
        return self.too_deep is not None or self.repeated is not None

    def selection_set(
        self, selection_set: SelectionSetNode | None, depth_above: int, seen: Counter[str] | None = None
    ) -> _Shape:
        # `seen` counts selections per response name (or spread fragment) in one merged set: inline
        # fragments share their parent's, as graphql-core's overlap check merges them.
        seen = Counter() if seen is None else seen
        depth = aliases = 0
        for selection in selection_set.selections if selection_set else ():
            if self.stopped:
                break
            if isinstance(selection, FieldNode):
                key = (selection.alias or selection.name).value
                aliases += selection.alias is not None
                shape = self.field(selection, depth_above)
            elif isinstance(selection, InlineFragmentNode):
                key = ""
                shape = self.selection_set(selection.selection_set, depth_above, seen)
            elif isinstance(selection, FragmentSpreadNode):
                key = "..." + selection.name.value
                shape = self.fragment(selection, depth_above)
            else:  # pragma: no cover - graphql-core has no other selection kind
                continue
            if key:
                seen[key] += 1
                if seen[key] > self.limits.max_repeats and self.repeated is None:
                    self.repeated = (key, selection)
            depth = max(depth, shape.depth)
            aliases += shape.aliases
        return _Shape(depth, aliases)

    def field(self, field: FieldNode, depth_above: int) -> _Shape:
        if field.selection_set is None or field.name.value.startswith("__"):
            return _EMPTY  # a leaf, or introspection: not counted, as in Strawberry's limiter
        if depth_above + 1 > self.limits.max_depth:
            self.too_deep = self.too_deep or field
            return _Shape(depth_above + 1, 0)
        inner = self.selection_set(field.selection_set, depth_above + 1)
        return _Shape(inner.depth + 1, inner.aliases)

    def fragment(self, spread: FragmentSpreadNode, depth_above: int) -> _Shape:
        # A fragment's shape does not depend on where it is spread: computed once, reused at every
        # spread. Unknown and cyclic spreads count as empty (graphql-core's rules reject them).
        name = spread.name.value
        shape = self._done.get(name)
        if shape is None:
            definition = self.fragments.get(name)
            if definition is None or name in self._visiting:
                return _EMPTY
            self._visiting.add(name)
            shape = self._done[name] = self.selection_set(definition.selection_set, 0)
            self._visiting.discard(name)
        if depth_above + shape.depth > self.limits.max_depth:
            self.too_deep = self.too_deep or spread
        return shape


@dataclass(frozen=True)
class ShapeLimits:
    max_depth: int
    max_aliases: int
    max_repeats: int  # times one response name or fragment may be selected in one selection set

    def errors(self, document: DocumentNode) -> list[GraphQLError]:
        walk = _Walk(document, self)
        aliases = 0
        for definition in document.definitions:
            if not isinstance(definition, OperationDefinitionNode):
                continue
            aliases += walk.selection_set(definition.selection_set, 0).aliases
            if walk.too_deep is not None:
                name = definition.name.value if definition.name else "anonymous"
                message = f"'{name}' exceeds maximum operation depth of {self.max_depth}"
                return [GraphQLError(message, walk.too_deep)]
            if walk.repeated is not None:
                key, node = walk.repeated
                message = (
                    f"'{key}' is selected more than {self.max_repeats} times in one selection set; "
                    "select it once."
                )
                return [GraphQLError(message, node)]
        if aliases > self.max_aliases:
            return [GraphQLError(f"{aliases} aliases found. Allowed: {self.max_aliases}")]
        return []
