"""The documented operations in examples/operations validate against the schema, one named
operation a file, with example variables the schema accepts. Files in examples/operations/pending
wait for fields other work is adding; each joins these checks once schema.graphql has every root
field it selects (the same rule as clients/js/scripts/operations.mjs)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from graphql import (
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    build_schema,
    coerce_input_value,
    is_non_null_type,
    parse,
    print_ast,
    type_from_ast,
    validate,
)
from graphql.language import FieldNode
from strawberry.relay import GlobalID

from tests.helpers import GraphQLClient, register

ROOT = Path(__file__).resolve().parent.parent
OPERATIONS = ROOT / "examples" / "operations"
PENDING = OPERATIONS / "pending"
SCHEMA = build_schema((ROOT / "schema.graphql").read_text())


def _operation(path: Path) -> OperationDefinitionNode:
    definitions = parse(path.read_text()).definitions
    operations = [node for node in definitions if isinstance(node, OperationDefinitionNode)]
    assert len(operations) == 1, f"{path.name}: one operation a file (strawberry codegen needs it)"
    return operations[0]


def is_served(schema: GraphQLSchema, path: Path) -> bool:
    operation = _operation(path)
    root = schema.get_root_type(operation.operation)
    fields = [
        node.name.value
        for node in operation.selection_set.selections
        if isinstance(node, FieldNode) and not node.name.value.startswith("__")
    ]
    return root is not None and all(name in root.fields for name in fields)


def live_operations(schema: GraphQLSchema = SCHEMA) -> list[Path]:
    pending = [path for path in sorted(PENDING.glob("*.graphql")) if is_served(schema, path)]
    return sorted(OPERATIONS.glob("*.graphql")) + pending


LIVE = live_operations()


def test_the_operations_a_movie_app_needs_are_documented() -> None:
    names = {path.stem for path in OPERATIONS.glob("*.graphql")} | {
        path.stem for path in PENDING.glob("*.graphql")
    }
    assert names >= {
        "Register",
        "Login",
        "RefreshToken",
        "TrendingMovies",
        "DiscoverMovies",
        "MovieDetail",
        "SetInteraction",
        "RateMovie",
        "CreateReview",
        "Recommendations",
        "ChatTurn",
        "ChatStream",
    }


@pytest.mark.parametrize("path", LIVE, ids=lambda path: path.relative_to(OPERATIONS).as_posix())
def test_operation_validates(path: Path) -> None:
    operation = _operation(path)
    assert operation.name is not None, f"{path.name}: operations must be named"
    assert operation.name.value == path.stem, f"{path.name}: name the file after the operation"
    errors = validate(SCHEMA, parse(path.read_text()))
    assert not errors, [error.message for error in errors]


@pytest.mark.parametrize("path", LIVE, ids=lambda path: path.relative_to(OPERATIONS).as_posix())
def test_example_variables_are_accepted(path: Path) -> None:
    variables_file = path.with_suffix(".variables.json")
    assert variables_file.exists(), f"{path.name} has no {variables_file.name}"
    variables = json.loads(variables_file.read_text())
    definitions = {node.variable.name.value: node for node in _operation(path).variable_definitions or ()}
    assert set(variables) <= set(definitions), f"unknown variables {set(variables) - set(definitions)}"
    for name, definition in definitions.items():
        variable_type = type_from_ast(SCHEMA, definition.type)
        assert variable_type is not None
        if name in variables:
            coerce_input_value(variables[name], variable_type)  # raises on a bad value
        else:
            assert definition.default_value is not None or not is_non_null_type(variable_type), (
                f"{path.name}: required variable ${name} has no example"
            )


def test_pending_operations_join_when_the_schema_has_their_fields(tmp_path: Path) -> None:
    schema = build_schema("type Query { served: Int }  type Mutation { done: Int }")
    cases = {
        "Served": ("query Served { served __typename }", True),
        "Missing": ("query Missing { served missing }", False),
        "Done": ("mutation Done { done }", True),
        "Streamed": ("subscription Streamed { stream }", False),  # no Subscription type at all
    }
    for name, (text, served) in cases.items():
        path = tmp_path / f"{name}.graphql"
        path.write_text(text)
        assert is_served(schema, path) is served, name


def test_pending_operations_follow_the_contract() -> None:
    pending = sorted(PENDING.glob("*.graphql"))
    if not pending:
        pytest.skip("nothing is pending")
    contract = ROOT.parent / "shared" / "contract" / "schema-contract.graphql"
    if not contract.exists():
        pytest.skip(f"{contract} is not beside this checkout")
    full = build_schema(contract.read_text())
    for path in pending:
        assert is_served(full, path), path.name
        assert not validate(full, parse(path.read_text())), path.name
        # Live exactly when today's schema has every root field it selects.
        assert (path in LIVE) == is_served(SCHEMA, path)


# ------------------------------------------------------------------ README examples, run offline

README = ROOT / "README.md"
# Catalog mutations among the README examples (the others need tokens or ids the reader fills in).
README_MUTATIONS = {"chat", "updatePreferences", "runJob"}
# Root fields whose lists may be empty for a fresh account; every other list must have items.
ACCOUNT_FIELDS = {"viewer", "analytics", "users"}


def readme_examples() -> list[OperationDefinitionNode]:
    """The operations of the ```graphql blocks from "## The API" on, one per example."""
    text = README.read_text(encoding="utf-8")
    api = text[text.index("## The API") :]
    blocks = re.findall(r"```graphql\n(.*?)```", api, flags=re.DOTALL)
    operations = [
        node
        for block in blocks
        for node in parse(block).definitions
        if isinstance(node, OperationDefinitionNode)
    ]
    return [
        op
        for op in operations
        if op.operation is OperationType.QUERY
        or (
            op.operation is OperationType.MUTATION
            and _root_fields(op) <= README_MUTATIONS
            and not _has_placeholder(op)
        )
    ]


def _root_fields(operation: OperationDefinitionNode) -> set[str]:
    return {node.name.value for node in operation.selection_set.selections if isinstance(node, FieldNode)}


def _has_placeholder(operation: OperationDefinitionNode) -> bool:
    return "..." in print_ast(operation).replace("... on", "")


README_EXAMPLES = readme_examples()


def test_readme_examples_are_found() -> None:
    fields = set().union(*map(_root_fields, README_EXAMPLES))
    assert {
        "trending",
        "discover",
        "movie",
        "person",
        "search",
        "genres",
        "chat",
        "updatePreferences",
    } <= fields


@pytest.mark.parametrize("operation", README_EXAMPLES, ids=lambda op: " ".join(sorted(_root_fields(op))))
async def test_readme_example_returns_data_offline(
    operation: OperationDefinitionNode, gql: GraphQLClient, app: Any
) -> None:
    session = await register(gql)
    await app.state.services.admin.assign_role(int(GlobalID.from_id(session["user"]["id"]).node_id), "ADMIN")
    body = await gql(print_ast(operation), token=session["accessToken"])
    assert "errors" not in body, body["errors"]
    for field, value in body["data"].items():
        assert value is not None, field
        if field in ACCOUNT_FIELDS:
            continue
        items = (
            value.get("nodes", value.get("edges", value.get("movies"))) if isinstance(value, dict) else value
        )
        if isinstance(items, list):
            assert items, f"{field}: no items"
        if isinstance(value, dict) and "errors" in value:
            assert value["errors"] == [], value["errors"]
