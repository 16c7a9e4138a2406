"""Parsed documents are reused only when valid, and the cache stays within its token budget."""

from __future__ import annotations

from graphql import parse

from reelgraph.schema.extensions.documents import DocumentCache
from tests.helpers import GraphQLClient, error_codes


def test_the_cache_holds_at_most_its_token_budget() -> None:
    cache = DocumentCache(max_tokens=40)
    small = [parse(f"{{ a{i} {{ b }} }}") for i in range(10)]  # 6 tokens + SOF and EOF each
    for i, document in enumerate(small):
        cache.put((f"q{i}",), document)
    kept = [i for i in range(10) if cache.get((f"q{i}",)) is small[i]]
    assert kept == [5, 6, 7, 8, 9]  # 5 x 8 = 40 tokens: the most recent ones
    cache.put(("big",), parse("{ " + "x " * 100 + "}"))
    assert cache.get(("big",)) is None  # bigger than the whole budget: not kept, nothing evicted
    assert cache.get(("q9",)) is small[9]


async def test_an_invalid_document_fails_every_time(gql: GraphQLClient) -> None:
    document = "{ movie(tmdbId: 603) { title notAField } }"
    for _ in range(3):
        body = await gql(document)
        assert error_codes(body) == ["GRAPHQL_VALIDATION_FAILED"]
        assert "notAField" in body["errors"][0]["message"]


async def test_a_valid_document_answers_the_same_from_the_cache(gql: GraphQLClient) -> None:
    document = (
        "query Pair($a: Int!, $b: Int!) { a: movie(tmdbId: $a) { title } b: movie(tmdbId: $b) { title } }"
    )
    first = await gql(document, {"a": 603, "b": 604})
    again = await gql(document, {"a": 604, "b": 603})
    assert first["data"]["a"]["title"] == again["data"]["b"]["title"] == "The Matrix"
    # A cached document still has its variables checked.
    wrong = await gql(document, {"a": "603"})
    assert wrong["data"] is None
    assert set(error_codes(wrong)) == {"GRAPHQL_VALIDATION_FAILED"}
    messages = sorted(error["message"] for error in wrong["errors"])
    assert messages[0].startswith("Variable '$a' has invalid value")
    assert messages[1].startswith("Variable '$b' has invalid value")
