"""A Strawberry schema rebuilt from schema.graphql, for `strawberry codegen` (`make codegen`).

`strawberry codegen --app-dir scripts --schema strawberry_sdl_schema:schema -p python OPS...`
writes Python types for the documented operations. It reads this schema rather than
`reelgraph.schema.root:schema` because Strawberry's (experimental) codegen cannot walk the server's
own types: it fails on generic connections (`Connection[ReviewType].nodes` stays a type
variable) and on lazy leaf types (`Movie.viewerInteractions`). schema.graphql is exported from
that very schema and a test keeps it current, so the operations are checked against the same
contract; Strawberry's `schema-codegen` turns it into plain, concrete Strawberry types.
"""

from __future__ import annotations

import sys
import types
from pathlib import Path

import strawberry
from strawberry.schema_codegen import codegen

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema.graphql"
MODULE_NAME = "reelgraph_sdl_types"


def _load_types() -> types.ModuleType:
    module = types.ModuleType(MODULE_NAME)
    # Registered first: Strawberry resolves the postponed annotations through sys.modules.
    sys.modules[MODULE_NAME] = module
    exec(compile(codegen(SCHEMA_FILE.read_text()), str(SCHEMA_FILE), "exec"), module.__dict__)
    return module


def _build() -> strawberry.Schema:
    module = _load_types()
    # The generated types drop field arguments, so inputs and enums used only as arguments
    # (MovieFilter, TimeWindow, ...) are listed explicitly for operation variables to find them.
    every_type = [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and value.__module__ == MODULE_NAME
        and hasattr(value, "__strawberry_definition__")
    ]
    return strawberry.Schema(
        query=module.Query,
        mutation=getattr(module, "Mutation", None),
        subscription=getattr(module, "Subscription", None),
        types=every_type,
    )


schema = _build()
