"""Documents built to make checking them expensive are refused by shape, with a code, and cheap
documents of the same kinds still run. (Codes and answers; the timings are in bench.hostile.)"""

from __future__ import annotations

import pytest
from graphql import GraphQLError, GraphQLSyntaxError, parse

from reelgraph.schema.extensions.token_budget import over_budget_at
from reelgraph.schema.root import build_schema
from tests.helpers import GraphQLClient, error_codes


def fragment_bomb(levels: int, fan_out: int, leaf: str = "__typename") -> str:
    """Each fragment spreads the next fan_out times: fan_out ** (levels - 1) paths, few tokens."""
    fragments = [
        f"fragment F{level} on Query {{ {' '.join([f'...F{level + 1}'] * fan_out)} }}"
        for level in range(levels - 1)
    ]
    fragments.append(f"fragment F{levels - 1} on Query {{ {leaf} }}")
    return "query Bomb { ...F0 } " + " ".join(fragments)


async def test_a_fragment_bomb_within_the_limits_is_answered(gql: GraphQLClient) -> None:
    # 10 ** 9 paths to the leaf: Strawberry's own limiters walked every one of them.
    body = await gql(fragment_bomb(10, 10))
    assert body.get("errors") is None
    assert body["data"] == {"__typename": "Query"}


async def test_a_fragment_bomb_multiplying_aliases_is_refused(gql: GraphQLClient) -> None:
    body = await gql(fragment_bomb(10, 10, leaf="a: __typename"))
    assert body["data"] is None
    assert error_codes(body) == ["GRAPHQL_VALIDATION_FAILED"]
    assert body["errors"][0]["message"] == "1000000000 aliases found. Allowed: 30"


async def test_depth_through_fragments_counts_where_they_are_spread(gql: GraphQLClient) -> None:
    six = "similar(first: 1) { " * 6 + "title" + " }" * 6
    fragment = f"fragment Six on Movie {{ {six} }}"
    # movie + 6 in the fragment = 7 levels: fine. Spread under 6 more levels: 13, over 12.
    shallow = await gql(f"{{ movie(tmdbId: 603) {{ ...Six }} }} {fragment}")
    assert shallow.get("errors") is None
    deep_query = "{ movie(tmdbId: 603) { " + "similar(first: 1) { " * 6 + "...Six" + " }" * 6 + " } }"
    deep = await gql(f"query Deep {deep_query} {fragment}")
    assert deep["data"] is None
    assert error_codes(deep) == ["GRAPHQL_VALIDATION_FAILED"]
    assert deep["errors"][0]["message"] == "'Deep' exceeds maximum operation depth of 12"


async def test_introspection_does_not_count_towards_depth(gql: GraphQLClient) -> None:
    nested = "ofType { " * 12 + "name" + " }" * 12
    body = await gql(f"{{ __schema {{ types {{ fields {{ type {{ {nested} }} }} }} }} }}")
    assert body.get("errors") is None
    assert body["data"]["__schema"]["types"]


@pytest.mark.parametrize(
    ("document", "repeated"),
    [
        ("{ " + "movie(tmdbId: 603) { title } " * 200 + "}", "movie"),
        ("{ movie(tmdbId: 603) { " + "title " * 50 + "} }", "title"),
        ("{ " + "... on Query { __typename } " * 20 + "}", "__typename"),  # inline fragments merge
        ("{ " + "...F " * 40 + "} fragment F on Query { __typename }", "...F"),
    ],
)
async def test_a_selection_repeated_in_one_set_is_refused(
    gql: GraphQLClient, document: str, repeated: str
) -> None:
    body = await gql(document)
    assert body["data"] is None
    assert error_codes(body) == ["GRAPHQL_VALIDATION_FAILED"]
    assert body["errors"][0]["message"].startswith(f"'{repeated}' is selected more than 10 times")


async def test_a_few_repeats_like_real_clients_send_are_fine(gql: GraphQLClient) -> None:
    # Apollo-style: the same field from the query and from two fragments, plus __typename.
    body = await gql(
        """{ movie(tmdbId: 603) { __typename id title ...A ...B ... on Movie { id title } } }
        fragment A on Movie { __typename id title } fragment B on Movie { id year }"""
    )
    assert body.get("errors") is None
    assert body["data"]["movie"]["title"] == "The Matrix"


async def test_an_unknown_fragment_is_a_validation_error(gql: GraphQLClient) -> None:
    # Strawberry's depth limiter used to raise KeyError here, answered uncoded.
    body = await gql("{ ...Missing }")
    assert body["data"] is None
    assert error_codes(body) == ["GRAPHQL_VALIDATION_FAILED"]
    assert body["errors"][0]["message"] == "Unknown fragment 'Missing'."


TOKEN_DOCUMENTS = [
    "{ __typename }",
    "# leading\n{ movie(tmdbId: 603) { # why\n title } } # trailing",
    "query Q($id: Int! = 603, $f: Float = -1.5e3) { movie(tmdbId: $id) { title } }",
    '{ search(query: "# not a comment, \\" still the string") { totalCount } }  # a comment',
    '{ search(query: """block "" with \\""" inside\n and lines""") { totalCount } }',
    "{ a: movie(tmdbId: 1) { ...F } } fragment F on Movie { id, title,, overview }",
    "\ufeff{ movie(tmdbId: 2) { ... on Movie @include(if: true) { id } } }",
    'mutation { login(input: {email: "a@b.c", password: "x"}) { errors { code } } }',
    "{ discover(filter: {genres: [1, 2, 3], yearFrom: 1990}) { totalCount } }",
]


def graphql_core_tokens(document: str) -> int:
    """How many tokens graphql-core counts, found with its own max_tokens check."""
    for limit in range(1, 500):
        try:
            parse(document, max_tokens=limit)
        except GraphQLSyntaxError as error:
            if "tokens" in error.message:
                continue
            raise
        return limit
    raise AssertionError("document too long for this helper")


@pytest.mark.parametrize("document", TOKEN_DOCUMENTS)
def test_the_fast_token_count_agrees_with_graphql_core(document: str) -> None:
    tokens = graphql_core_tokens(document)
    assert over_budget_at(document, tokens) is None
    position = over_budget_at(document, tokens - 1)
    assert position is not None
    with pytest.raises(GraphQLSyntaxError) as raised:
        parse(document, max_tokens=tokens - 1)
    assert raised.value.positions == [position]


async def test_too_many_tokens_are_refused_where_graphql_core_would_stop(gql: GraphQLClient) -> None:
    document = "{ " + " ".join(f"a{i}: __typename" for i in range(1000)) + " }"
    body = await gql(document)
    assert error_codes(body) == ["GRAPHQL_PARSE_FAILED"]
    assert body["errors"][0]["message"] == (
        "Syntax Error: Document contains more than 2000 tokens. Parsing aborted."
    )
    with pytest.raises(GraphQLSyntaxError) as raised:
        parse(document, max_tokens=2000)
    assert body["errors"][0]["locations"] == [
        {"line": location.line, "column": location.column} for location in raised.value.locations or []
    ]


@pytest.mark.parametrize(
    "document",
    [
        " " * 19_000 + "?",  # a stray character after a long run of whitespace
        '{ search(query: "' + '\\"' * 9_000 + " }",  # a string of escaped quotes, never closed
        '"""' + "a" * 19_000,  # a block string never closed
    ],
)
async def test_malformed_documents_are_refused_with_a_code(gql: GraphQLClient, document: str) -> None:
    # Shapes that once made the fast token count quadratic (seconds for 40 KB; bench.hostile
    # times them): still refused, by graphql-core's own error, under the length limit.
    body = await gql(document)
    assert error_codes(body) == ["GRAPHQL_PARSE_FAILED"]


async def test_documents_over_the_length_limit_are_refused(gql: GraphQLClient) -> None:
    body = await gql('{ search(query: "' + "a" * 30_000 + '") { totalCount } }')
    assert error_codes(body) == ["GRAPHQL_PARSE_FAILED"]
    assert body["errors"][0]["message"] == (
        "Syntax Error: Document is longer than 20000 characters. Parsing aborted; "
        "send long values as variables."
    )
    # Up to the limit is fine, even when most of it is one comment.
    padded = "{ __typename } #"
    fine = await gql(padded + "x" * (20_000 - len(padded)))
    assert fine["data"] == {"__typename": "Query"}


def test_errors_nobody_expected_are_masked_even_before_execution() -> None:
    schema = build_schema()
    error = GraphQLError("'secret_table'", original_error=KeyError("secret_table"))
    schema.process_errors([error])
    assert error.message == "Internal server error."
    assert error.extensions == {"code": "INTERNAL_SERVER_ERROR"}
