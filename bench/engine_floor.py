"""The engine floor: graphql-core alone over Starlette, reelgraph's own schema (schema.graphql),
the same query, and the same data held in memory as plain dicts.

    python -m bench.engine_floor DATA_JSON PORT

DATA_JSON is a response's `data` (what reelgraph answered for the query). Every request is
executed by graphql-core with its default resolvers (dict lookups), after a parse and validation
cached per query text, as reelgraph caches them: what is left is the engine's own cost of
completing the result, the floor any Strawberry server pays for that query. Nothing of reelgraph
runs here.
"""

from __future__ import annotations

import json
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

import uvicorn
from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLResolveInfo,
    build_schema,
    execute,
    parse,
    validate,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema.graphql"


def main() -> None:
    data: dict[str, Any] = json.loads(Path(sys.argv[1]).read_text())
    port = int(sys.argv[2])
    schema = build_schema(SCHEMA_FILE.read_text())

    @lru_cache(maxsize=64)
    def document(query: str) -> DocumentNode:
        parsed = parse(query)
        errors = validate(schema, parsed)
        if errors:
            raise ValueError(errors[0].message)
        return parsed

    def resolve(parent: Any, info: GraphQLResolveInfo, **_arguments: Any) -> Any:
        # graphql-core's default resolver, minus its `source` parameter, which `trending(source:)`
        # would collide with: a dict lookup, as cheap as the default.
        return parent.get(info.path.key) if isinstance(parent, dict) else None

    async def endpoint(request: Request) -> Response:
        payload = await request.json()
        result = execute(schema, document(payload["query"]), root_value=data, field_resolver=resolve)
        assert isinstance(result, ExecutionResult)
        body: dict[str, Any] = {"data": result.data}
        if result.errors:
            body["errors"] = [error.formatted for error in result.errors]
        return JSONResponse(body)

    app = Starlette(routes=[Route("/graphql", endpoint, methods=["POST"])])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
