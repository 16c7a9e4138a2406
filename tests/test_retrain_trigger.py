"""Retraining is triggered by a cheap counter, not a table count (issue 20: the check behind the
default retrain was a count(*) over ratings and interactions, 250-730 ms at 20M rows, every 60 s).

The check compares the tables' newest ids (max of the primary key: the end of its index) with the
ones the stored version saw; tests/test_pg_indexes.py shows that read is an index probe.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event
from starlette.applications import Starlette

from reelgraph.app import create_app
from reelgraph.config import Settings
from reelgraph.persistence import recommendations as repo
from reelgraph.services.container import Services
from tests.catalog_fixtures import fresh_database
from tests.conftest import make_settings
from tests.helpers import GraphQLClient, register

RATE = "mutation($m: Int!, $v: Float!) { rateMovie(movieId: $m, value: $v) { errors { code } } }"
COUNT = re.compile(r"\bcount\s*\(", re.IGNORECASE)
ACTIVITY = re.compile(r"\b(ratings|interactions)\b", re.IGNORECASE)


@asynccontextmanager
async def own_app(settings: Settings) -> AsyncIterator[tuple[Starlette, GraphQLClient]]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40003))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield app, GraphQLClient(http)


@contextmanager
def statements(services: Services) -> Iterator[list[str]]:
    sent: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        sent.append(statement)

    engine = services.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def test_the_retrain_check_counts_new_rows_by_their_ids_without_counting_tables(
    tmp_path: Path,
) -> None:
    # A database of its own: the stored version below is a stand-in no other test may load.
    settings = make_settings(tmp_path, database_url=await fresh_database(tmp_path), recs_retrain_after=10)
    async with own_app(settings) as (app, gql):
        services: Services = app.state.services
        async with services.sessions() as session:
            # A version that saw every row so far; the check reads its header, never its blob.
            await repo.store_model(session, b"not read by the check", 0, 0, await repo.watermarks(session), 3)

        with statements(services) as sent:
            idle = await services.recommendations.retrain()
        assert idle["retrained"] is False and idle["new_activity"] == 0

        token = (await register(gql))["accessToken"]
        for movie in (603, 27205, 157336):
            assert (await gql(RATE, {"m": movie, "v": 4.5}, token=token))["data"]["rateMovie"]["errors"] == []
        with statements(services) as sent_after:
            grown = await services.recommendations.retrain()
        # Three new ratings (and the SEEN interactions they imply) seen, below
        # REELGRAPH_RECS_RETRAIN_AFTER (10 here): not due yet.
        assert grown["retrained"] is False and 3 <= grown["new_activity"] < 10, grown

    on_activity = [s for s in sent + sent_after if ACTIVITY.search(s)]
    assert on_activity and all("max(" in s.lower() for s in on_activity), on_activity
    assert not [s for s in sent + sent_after if COUNT.search(s)]
