"""The layout promises of the README: every field is found in one step, and a page of reviews with
their authors costs a fixed number of SQL statements, not one per review."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event
from starlette.applications import Starlette
from strawberry.types.base import StrawberryObjectDefinition

from reelgraph.schema.root import schema
from tests.helpers import GraphQLClient
from tests.library_fixtures import member

ROOTS = ("Query", "Mutation", "Subscription")
TYPES = ("Movie", "Person", "Genre", "User", "Review", "Interaction", "ChatSession")
# Provided by strawberry.relay for every Node type and for Query.node: not ours to place.
RELAY_FIELDS = {"id", "_id", "node"}


def _definition(name: str) -> StrawberryObjectDefinition:
    found = schema.get_type_by_name(name)
    assert isinstance(found, StrawberryObjectDefinition), name
    return found


def _function(field: Any) -> Any:
    return inspect.unwrap(field.base_resolver.wrapped_func)


@pytest.mark.parametrize("root", ROOTS)
def test_a_root_field_is_the_function_of_that_name_in_its_resolvers_module(root: str) -> None:
    misplaced = []
    for field in _definition(root).fields:
        if field.python_name in RELAY_FIELDS:
            continue
        function = _function(field) if field.base_resolver else None
        module = getattr(function, "__module__", "")
        if (
            function is None
            or not module.startswith("reelgraph.resolvers.")
            or function.__name__ != field.python_name
        ):
            misplaced.append(f"{root}.{field.name} -> {module}.{getattr(function, '__name__', None)}")
    assert not misplaced


@pytest.mark.parametrize("type_name", TYPES)
def test_a_type_field_is_a_member_of_the_class_of_that_name_in_schema_domain_types(type_name: str) -> None:
    definition = _definition(type_name)
    origin = definition.origin
    assert origin.__name__ == type_name
    module = origin.__module__
    assert module.startswith("reelgraph.schema.") and module.endswith(".types"), module
    misplaced = []
    for field in definition.fields:
        if field.python_name in RELAY_FIELDS:
            continue
        if field.base_resolver is not None:
            function = _function(field)
            if function.__qualname__ != f"{type_name}.{field.python_name}" or function.__module__ != module:
                misplaced.append(f"{type_name}.{field.name} -> {function.__module__}.{function.__qualname__}")
        elif field.python_name not in inspect.get_annotations(origin):
            misplaced.append(f"{type_name}.{field.name} is not declared on {type_name}")
    assert not misplaced


@contextmanager
def counted_statements(app: Starlette) -> Iterator[list[str]]:
    engine = app.state.services.engine.sync_engine
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        # Queries only: SQLite's explicit BEGIN (persistence/engine.py) opens each read session.
        if statement.strip().upper() != "BEGIN":
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


REVIEWS = """
query($movie: Int!) {
  movie(tmdbId: $movie) { reviews(first: 20) { totalCount nodes { body rating author { name } } } }
}
"""
CREATE_REVIEW = """
mutation($movie: Int!, $body: String!) { createReview(movieId: $movie, body: $body) { errors { code } } }
"""


async def test_a_page_of_20_reviews_with_authors_takes_at_most_3_sql_statements(
    gql: GraphQLClient, app: Starlette
) -> None:
    movie = 680  # Pulp Fiction, in the offline catalog
    for n in range(20):
        author = await member(gql, name=f"Critic {n}")
        created = await gql(CREATE_REVIEW, {"movie": movie, "body": f"Review {n}"}, token=author.token)
        assert created["data"]["createReview"]["errors"] == []
    # Warm the movie's details with another document: the measured one must miss the response cache.
    await gql("query($movie: Int!) { movie(tmdbId: $movie) { title } }", {"movie": movie})

    with counted_statements(app) as statements:
        body = await gql(REVIEWS, {"movie": movie})

    reviews = body["data"]["movie"]["reviews"]
    assert len(reviews["nodes"]) == 20
    # Newest first: the 20 just written, each with its own author.
    assert {node["author"]["name"] for node in reviews["nodes"]} == {f"Critic {n}" for n in range(20)}
    # The count and the page, then every author in one batch.
    print(f"\nSQL statements for 20 reviews with authors: {len(statements)}")
    assert len(statements) <= 3, statements
