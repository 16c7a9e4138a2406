"""Query cost: the node count of reelgraph.schema.cost, reported on every response and enforced
before execution."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from graphql import GraphQLSchema, parse

from reelgraph.app import create_app
from reelgraph.config import Settings
from reelgraph.schema.extensions.cost import CostAnalyzer
from reelgraph.schema.root import build_schema
from tests.helpers import GraphQLClient, error_codes

# 100 movies, each with 100 similar, each with 100 similar, ... : about 10^10 nodes.
EXPLOSIVE = """{ trending(first: 100) { nodes {
  similar(first: 100) { similar(first: 100) { similar(first: 100) { similar(first: 100) { title } } } }
} } }"""


@pytest.fixture(scope="module")
def graphql_schema() -> GraphQLSchema:
    return build_schema(Settings())._schema


def cost(schema: GraphQLSchema, query: str, variables: dict[str, Any] | None = None, **kw: Any) -> int:
    return CostAnalyzer(max_cost=50_000).cost(schema, parse(query), None, variables, **kw)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("{ __typename }", 0),
        ("{ movie(tmdbId: 603) { title } }", 1),  # a single object
        ("{ movie(tmdbId: 603) { title genres { name } directors { name } } }", 1 + 3 + 2),  # list hints
        (
            "{ trending(first: 50) { edges { cursor node { title } } pageInfo { hasNextPage } totalCount } }",
            50,
        ),
        ("{ trending(first: 50) { edges { node { title genres { name } } } } }", 50 + 50 * 3),
        ("{ trending { nodes { title } } }", 20),  # the schema default
        ("{ trending(first: null) { nodes { title } } }", 20),
        ("{ movie(tmdbId: 603) { cast { character } } }", 1 + 10),  # cast's default `first`
        ("{ movie(tmdbId: 603) { crew { job } } }", 1 + 10),  # a list without `first`
        # similar: a list with `first`, below a connection: 10 movies x 5.
        ("{ trending(first: 10) { nodes { similar(first: 5) { title } } } }", 10 + 10 * 5),
        # Nested connections multiply: 20 genres, 4 movies each.
        ("{ genres { movies(first: 4) { nodes { title } } } }", 20 * (1 + 4)),
        ('mutation { login(input: {email: "a@b.c", password: "p"}) { user { id } errors { code } } }', 3),
        ("{ __schema { types { fields { name args { name } } } } }", 0),  # introspection is free
    ],
)
def test_node_counts(graphql_schema: GraphQLSchema, query: str, expected: int) -> None:
    assert cost(graphql_schema, query) == expected


def test_fragments_and_inline_fragments_are_counted(graphql_schema: GraphQLSchema) -> None:
    query = """
    query { trending(first: 10) { ...Page } search(query: "x", first: 4) { nodes { ...Hit } } }
    fragment Page on MovieConnection { nodes { ...Similar } pageInfo { endCursor } }
    fragment Similar on Movie { similar(first: 5) { title } }
    fragment Hit on SearchResult { ... on Movie { similar(first: 2) { title } } ... on Person { name } }
    """
    assert cost(graphql_schema, query) == (10 + 10 * 5) + (4 + 4 * 2)


def test_fragment_fan_out_is_counted_without_walking_it_again(graphql_schema: GraphQLSchema) -> None:
    # Each level spreads the next twice: 2^12 paths, yet each fragment is walked once.
    levels = 12
    fragments = [
        f"fragment F{i} on Movie {{ a: similar(first: 1) {{ ...F{i + 1} }} b: similar(first: 1) {{ ...F{i + 1} }} }}"
        for i in range(levels)
    ]
    fragments.append(f"fragment F{levels} on Movie {{ title }}")
    query = "{ movie(tmdbId: 603) { ...F0 } } " + " ".join(fragments)
    assert cost(graphql_schema, query) == 1 + sum(2**i for i in range(1, levels + 1))


def test_sizes_from_variables_and_their_defaults(graphql_schema: GraphQLSchema) -> None:
    query = "query($n: Int, $m: Int = 4) { trending(first: $n) { nodes { similar(first: $m) { title } } } }"
    assert cost(graphql_schema, query, {"n": 7, "m": 2}) == 7 + 7 * 2
    assert cost(graphql_schema, query, {"n": 7}) == 7 + 7 * 4  # the variable's default
    assert cost(graphql_schema, query, {}) == 20 + 20 * 4  # the schema's default
    assert cost(graphql_schema, query, {"n": None, "m": None}) == 20 + 20 * 20


def test_costs_are_cached_per_variable_values(graphql_schema: GraphQLSchema) -> None:
    analyzer = CostAnalyzer(max_cost=50_000)
    query = "query($n: Int!, $q: String!) { search(query: $q, first: $n) { nodes { __typename } } }"
    document = parse(query)
    assert analyzer.cost(graphql_schema, document, None, {"n": 3, "q": "a"}, query) == 3
    # Cached, and keyed on `n` only: another search text is the same cost, another size is not.
    assert analyzer.cost(graphql_schema, document, None, {"n": 3, "q": "b"}, query) == 3
    assert analyzer.cost(graphql_schema, document, None, {"n": 9, "q": "a"}, query) == 9
    assert len(analyzer._costs) == 2


async def test_every_response_reports_its_cost(gql: GraphQLClient) -> None:
    body = await gql("{ trending(first: 3) { edges { node { title genres { name } } } } }")
    assert body["extensions"]["cost"] == 3 + 3 * 3
    assert len(body["data"]["trending"]["edges"]) == 3
    assert (await gql("{ __typename }"))["extensions"] == {"cost": 0}


async def test_explosive_query_is_refused_before_it_runs(gql: GraphQLClient) -> None:
    body = await gql(EXPLOSIVE)
    assert body["_status"] == 200
    assert body["data"] is None
    assert error_codes(body) == ["QUERY_TOO_COMPLEX"]
    error = body["errors"][0]
    assert error["extensions"]["cost"] > 10**9
    assert error["extensions"]["maxCost"] == 50_000
    assert body["extensions"]["cost"] == error["extensions"]["cost"]
    assert "50000" in error["message"]
    assert (await gql("{ __typename }"))["data"] == {"__typename": "Query"}


async def test_the_limit_is_configurable(settings: Settings) -> None:
    small = create_app(settings.model_copy(update={"max_query_cost": 30, "response_cache_seconds": 0}))
    async with (
        small.router.lifespan_context(small),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=small), base_url="http://test") as http,
    ):
        gql = GraphQLClient(http)
        query = "query($n: Int!) { trending(first: $n) { nodes { title } } }"
        allowed = await gql(query, {"n": 30})
        assert len(allowed["data"]["trending"]["nodes"]) == 30
        assert allowed["extensions"]["cost"] == 30
        refused = await gql(query, {"n": 31})
        assert error_codes(refused) == ["QUERY_TOO_COMPLEX"]
        assert refused["errors"][0]["extensions"] == {"code": "QUERY_TOO_COMPLEX", "cost": 31, "maxCost": 30}
        # Mutations are measured too, through their payloads.
        mutation = "mutation { a: trackView(movieId: 603) { ok } }"
        assert (await gql(mutation))["extensions"]["cost"] == 1
