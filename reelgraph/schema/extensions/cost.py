"""Query cost: a GitHub-style count of the nodes an operation may return, checked before execution.

Every list and connection multiplies what is below it by its size: its `first` argument (a literal,
a variable, the variable's default, else the schema default, else DEFAULT_PAGE_SIZE), or for lists
without `first` their usual length (LIST_SIZE_HINTS, else DEFAULT_LIST_SIZE: 10). The cost is the sum
of the nodes at every level:

- a connection counts `first` nodes; its `edges` / `nodes` lists and each edge's `node` are those
  same nodes (not counted again), and `pageInfo` is free;
- a list of objects counts its size; a single object (`movie`, `viewer`, `node`) counts 1;
- scalars, `__typename` and introspection are free.

So `trending(first: 50) { edges { node { title genres { name } } } }` costs 50 + 50 x 3 = 200.
Fragments and inline fragments are followed (every type condition is counted, an upper bound);
`@skip` / `@include` are ignored. A fragment's cost is computed once per operation, so fragment
fan-out cannot make the analysis itself expensive. Costs are cached per document, operation and the
values of the variables that feed a `first`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from cachetools import LRUCache
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLNamedType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    NullValueNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    get_operation_ast,
    is_composite_type,
    is_list_type,
)
from graphql import ExecutionResult as GraphQLExecutionResult
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from reelgraph.errors import ApiError, ErrorCode
from reelgraph.integrations.call_budget import upstream_budget

DEFAULT_PAGE_SIZE = 20  # `first` absent, null, and without a schema default (resolvers use 20 too)
DEFAULT_LIST_SIZE = 10  # a list of objects without `first`
# Usual lengths of lists without `first`, by "Type.field", else by field name.
LIST_SIZE_HINTS = {"Movie.genres": 3, "Movie.directors": 2, "Query.genres": 20, "errors": 1}
CACHE_SIZE = 1024

_ABSENT = object()


class QueryTooComplex(ApiError):
    code = ErrorCode.QUERY_TOO_COMPLEX

    def __init__(self, cost: int, max_cost: int) -> None:
        super().__init__(
            f"This operation may return {cost} nodes, over the limit of {max_cost}: "
            "ask for fewer items (`first`) or split it.",
            cost=cost,
            maxCost=max_cost,
        )


class CostAnalyzer:
    """Computes operation costs for one schema, with a bounded cache."""

    def __init__(self, max_cost: int, cache_size: int = CACHE_SIZE) -> None:
        self.max_cost = max_cost
        # (query, operation) -> the variables the cost depends on; then those variables' values -> cost.
        self._inputs: LRUCache[tuple[str, str | None], tuple[str, ...]] = LRUCache(cache_size)
        self._costs: LRUCache[tuple[str, str | None, tuple[Any, ...]], int] = LRUCache(cache_size)

    def cost(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        operation_name: str | None = None,
        variables: Mapping[str, Any] | None = None,
        query: str | None = None,
    ) -> int:
        """The cost of a validated operation; `query` (the document's text) enables caching."""
        variables = variables or {}
        if query is not None:
            inputs = self._inputs.get((query, operation_name))
            if inputs is not None:
                key = (query, operation_name, tuple(_size_value(variables, name) for name in inputs))
                cached = self._costs.get(key)
                if cached is not None:
                    return cached
        walk = _Walk(schema, document, variables)
        cost = walk.operation(operation_name)
        if query is not None:
            inputs = tuple(sorted(walk.variables_read))
            self._inputs[(query, operation_name)] = inputs
            key = (query, operation_name, tuple(_size_value(variables, name) for name in inputs))
            self._costs[key] = cost
        return cost


def _size_value(variables: Mapping[str, Any], name: str) -> Any:
    """A variable's value as far as a size goes: an int, absent, or anything else (the default)."""
    value = variables.get(name, _ABSENT)
    if value is _ABSENT or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    return None


class _Walk:
    def __init__(self, schema: GraphQLSchema, document: DocumentNode, variables: Mapping[str, Any]) -> None:
        self.schema = schema
        self.document = document
        self.variables = variables
        self.variables_read: set[str] = set()
        self.fragments = {
            definition.name.value: definition
            for definition in document.definitions
            if isinstance(definition, FragmentDefinitionNode)
        }
        self._fragment_costs: dict[tuple[str, int | None], int] = {}
        self._visiting: set[str] = set()
        self._variable_defaults: dict[str, Any] = {}

    def operation(self, operation_name: str | None) -> int:
        operation = get_operation_ast(self.document, operation_name)
        if operation is None:
            return 0
        root = self.schema.get_root_type(operation.operation)
        if root is None:
            return 0
        self._variable_defaults = {
            definition.variable.name.value: definition.default_value
            for definition in operation.variable_definitions or ()
            if definition.default_value is not None
        }
        return self.selections(root, operation.selection_set, None)

    def selections(
        self, parent: GraphQLNamedType, selection_set: SelectionSetNode, connection_size: int | None
    ) -> int:
        """The cost below one `parent` object; `connection_size` is set when parent is a connection."""
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field(parent, selection, connection_size)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                if target is not None:
                    total += self.selections(target, selection.selection_set, connection_size)
            elif isinstance(selection, FragmentSpreadNode):
                total += self.fragment(selection.name.value, connection_size)
        return total

    def fragment(self, name: str, connection_size: int | None) -> int:
        key = (name, connection_size)
        if key in self._fragment_costs:
            return self._fragment_costs[key]
        definition = self.fragments.get(name)
        if definition is None or name in self._visiting:  # validation rejects both; be safe anyway
            return 0
        target = self.schema.get_type(definition.type_condition.name.value)
        self._visiting.add(name)
        cost = self.selections(target, definition.selection_set, connection_size) if target else 0
        self._visiting.discard(name)
        self._fragment_costs[key] = cost
        return cost

    def field(self, parent: GraphQLNamedType, node: FieldNode, connection_size: int | None) -> int:
        name = node.name.value
        if name.startswith("__") or node.selection_set is None:
            return 0  # __typename, introspection (bounded by the schema), scalars
        definition: GraphQLField | None = getattr(parent, "fields", {}).get(name)
        if definition is None:
            return 0
        named = get_named_type(definition.type)
        if not is_composite_type(named):
            return 0
        if named.name.endswith("Connection"):
            size = self.first(definition, node, DEFAULT_PAGE_SIZE)
            return size + self.selections(named, node.selection_set, size)
        if connection_size is not None and name in ("edges", "nodes"):
            # The connection's own items, already counted by the connection.
            return connection_size * self.selections(named, node.selection_set, None)
        if (parent.name.endswith("Edge") and name == "node") or name == "pageInfo":
            return self.selections(named, node.selection_set, None)
        if is_list_type(get_nullable_type(definition.type)):
            hint = LIST_SIZE_HINTS.get(f"{parent.name}.{name}", LIST_SIZE_HINTS.get(name, DEFAULT_LIST_SIZE))
            size = self.first(definition, node, hint)
            return size * (1 + self.selections(named, node.selection_set, None))
        return 1 + self.selections(named, node.selection_set, None)

    def first(self, definition: GraphQLField, node: FieldNode, fallback: int) -> int:
        """The field's `first` (argument, variable, variable default, schema default); `fallback`
        for a field without `first`, DEFAULT_PAGE_SIZE when `first` is null or has no default."""
        argument = definition.args.get("first")
        if argument is None:
            return fallback
        value: Any = _ABSENT
        for given in node.arguments or ():
            if given.name.value != "first":
                continue
            literal = given.value
            if isinstance(literal, VariableNode):
                variable = literal.name.value
                self.variables_read.add(variable)
                value = _size_value(self.variables, variable)
                if value is _ABSENT:
                    default = self._variable_defaults.get(variable)
                    value = int(default.value) if isinstance(default, IntValueNode) else None
            elif isinstance(literal, IntValueNode):
                value = int(literal.value)
            elif isinstance(literal, NullValueNode):
                value = None
        if value is _ABSENT:
            default = argument.default_value
            value = default if isinstance(default, int) and not isinstance(default, bool) else None
        if value is None:
            return DEFAULT_PAGE_SIZE
        return max(0, int(value))


class QueryCost(SchemaExtension):
    """Refuses operations over the cost limit before they run, reports every cost in
    `extensions.cost`, and gives the operation its budget of upstream lookups. Pass a factory:
    `lambda: QueryCost(analyzer, max_upstream_calls)`."""

    def __init__(self, analyzer: CostAnalyzer, max_upstream_calls: int) -> None:
        super().__init__()
        self.analyzer = analyzer
        self.max_upstream_calls = max_upstream_calls
        self.cost: int | None = None

    def on_execute(self) -> Iterator[None]:
        # Reached only for documents that parsed and validated.
        ec = self.execution_context
        if ec.graphql_document is not None and ec.result is None:
            cost = self.analyzer.cost(
                ec.schema._schema, ec.graphql_document, ec.operation_name, ec.variables, ec.query
            )
            self.cost = cost
            request = getattr(ec.context, "request", None)
            if request is not None:
                request.state.graphql_cost = cost  # the HTTP view registers persisted queries on this
            if cost > self.analyzer.max_cost:
                reject(ec, QueryTooComplex(cost, self.analyzer.max_cost))
        # Nodes are not upstream calls: those have a budget of their own while resolvers run.
        with upstream_budget(self.max_upstream_calls):
            yield

    def get_results(self) -> dict[str, Any]:
        return {} if self.cost is None else {"cost": self.cost}


def reject(execution_context: Any, error: ApiError) -> None:
    """Ends an operation from an `on_execute` hook, before any resolver runs, with a coded error."""
    if execution_context.operation_type == OperationType.SUBSCRIPTION:
        raise error  # subscriptions turn on_execute exceptions into an error result
    execution_context.result = GraphQLExecutionResult(
        data=None, errors=[GraphQLError(error.message, original_error=error, extensions=error.extensions)]
    )


__all__ = ["CostAnalyzer", "QueryCost", "QueryTooComplex", "reject"]
