"""schema.graphql is generated from the code; this keeps the committed copy current."""

from __future__ import annotations

from pathlib import Path

from reelgraph.schema.root import schema

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema.graphql"


def test_committed_schema_matches_the_code() -> None:
    assert SCHEMA_FILE.read_text() == schema.as_str() + "\n", (
        "schema.graphql is stale: run `make schema` and commit the result"
    )
