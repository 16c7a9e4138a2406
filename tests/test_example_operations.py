"""The documented operations in examples/operations validate against the schema, one named
operation a file, with example variables the schema accepts. Files in examples/operations/pending
wait for fields other work is adding; each joins these checks once schema.graphql has every root
field it selects (the same rule as clients/js/scripts/operations.mjs)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from graphql import (
    GraphQLSchema,
    OperationDefinitionNode,
    build_schema,
    coerce_input_value,
    is_non_null_type,
    parse,
    type_from_ast,
    validate,
)
from graphql.language import FieldNode

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
