"""A signed-in page costs a bounded number of SQL statements, whatever its size: the viewer (with
roles and library version) is read once per request, their library (interactions and ratings) at
most once per library version, and every movie's viewer fields, the hidden set and an adult's age
gate come from what those reads found."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from starlette.applications import Starlette

from tests.helpers import GraphQLClient
from tests.library_fixtures import member, rate, set_kind

PAGE = """
query($first: Int, $rated: Int!) {
  trending(first: $first) { nodes { tmdbId title viewerInteractions viewerRating genres { name } } }
  rated: movie(tmdbId: $rated) { viewerInteractions viewerRating }
}
"""
ALL = "query { trending(first: 100, includeHidden: true) { nodes { tmdbId } } }"
GROWN_UP = 'mutation { updateProfile(input: {dateOfBirth: "1980-05-01"}) { errors { code } } }'


@contextmanager
def reads(app: Starlette) -> Iterator[list[str]]:
    """The SELECT statements the app's engine runs meanwhile (the catalog mirror writes what lists
    read in the background: its writes are the catalog's, not the viewer's)."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    engine = app.state.services.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def test_a_signed_in_page_reads_the_viewer_and_library_once_whatever_its_size(
    gql: GraphQLClient, app: Starlette
) -> None:
    viewer = await member(gql)
    assert (await gql(GROWN_UP, token=viewer.token))["data"]["updateProfile"]["errors"] == []
    top = [node["tmdbId"] for node in (await gql(ALL, token=viewer.token))["data"]["trending"]["nodes"]]
    hidden = set(top[0:20:2])
    for index, movie in enumerate(sorted(hidden)):
        await set_kind(gql, viewer, movie, "SEEN" if index % 2 else "NOT_INTERESTED")
    liked, rated = top[1], top[3]
    await set_kind(gql, viewer, liked, "LIKED")
    await rate(gql, viewer, rated, 4.5)  # which marks it SEEN: hidden from the list
    # Caches warm (lists, details): what the requests below read from the database is the viewer's.
    await gql(PAGE, {"first": 50, "rated": rated}, token=viewer.token)

    counts = {}
    for first in (5, 50):
        await app.state.services.reader.mirror.flush()  # earlier requests' writes are done
        with reads(app) as seen:
            body = await gql(PAGE, {"first": first, "rated": rated}, token=viewer.token)
        assert "errors" not in body, body
        nodes = {node["tmdbId"]: node for node in body["data"]["trending"]["nodes"]}
        assert len(nodes) == first and not (hidden | {rated}) & set(nodes)
        counts[first] = seen
    # One statement for the viewer (session, account, roles, library version); the library, read by
    # the warming request at this version, is not read again: page size, hidden movies, viewer
    # fields and the (adult) age gate add none.
    assert len(counts[5]) == len(counts[50]) == 1, counts
    assert nodes[liked]["viewerInteractions"] == ["LIKED"]
    assert nodes[liked]["viewerRating"] is None
    assert body["data"]["rated"] == {"viewerInteractions": ["SEEN"], "viewerRating": 4.5}
