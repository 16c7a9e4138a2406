"""Fuzzing the GraphQL endpoint with documents generated from the introspected schema (bench.fuzz):
no generated request may get HTTP 5xx or an INTERNAL_SERVER_ERROR.

Bounded in the suite (REELGRAPH_FUZZ_EXAMPLES, default 200, derandomized so a failure reproduces);
`python -m bench.fuzz --examples 5000` runs longer, `--seed N` explores other documents.
"""

from __future__ import annotations

import os
from typing import Any

import httpx

from bench.fuzz import run_fuzz

EXAMPLES = int(os.environ.get("REELGRAPH_FUZZ_EXAMPLES", "200"))
SEED = int(os.environ["REELGRAPH_FUZZ_SEED"]) if os.environ.get("REELGRAPH_FUZZ_SEED") else None


async def test_generated_documents_never_fail_internally(app: Any) -> None:
    # An address of its own: fuzzed sign-ins must not use up the login limits other tests rely on.
    transport = httpx.ASGITransport(app=app, client=("10.77.0.1", 5555))
    async with httpx.AsyncClient(transport=transport, base_url="http://fuzz", timeout=60) as http:
        report = await run_fuzz(http, EXAMPLES, SEED)
    print(report.summary())
    assert report.cases >= EXAMPLES
    assert not report.failures, "\n\n".join(report.failures[:5])
    assert all(status < 500 for status in report.statuses)
    # The generator reaches deep enough to exercise validation, coercion and resolvers alike.
    assert report.codes["GRAPHQL_VALIDATION_FAILED"] > 0
    assert report.statuses[200] > 0
