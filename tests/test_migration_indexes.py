"""Migration 0007 (access-path indexes) upgrades and downgrades on SQLite and, in the PostgreSQL
pass, on PostgreSQL: the indexes it adds are there after it, the ones it replaces are back after
its downgrade, and it runs again over its own downgrade."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from reelgraph.persistence.migrate import alembic_config
from tests.conftest import TEST_DATABASE_URL

TABLES = ("users", "interactions", "ratings", "reviews", "watch_events", "chat_sessions")
ADDED = {
    "ix_interactions_user_id_id", "ix_interactions_created_at", "ix_ratings_user_id_id",
    "ix_ratings_created_at", "ix_ratings_updated_at", "ix_watch_events_user_id_id",
    "ix_watch_events_anonymous_key", "ix_reviews_movie_id_id", "ix_users_created_at",
    "ix_users_search", "ix_chat_sessions_updated_at",
}  # fmt: skip
REPLACED = {"ix_interactions_user_id", "ix_ratings_user_id", "ix_watch_events_user_id", "ix_reviews_movie_id"}


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'migrations.db'}"
        return
    if not (TEST_DATABASE_URL or "").startswith("postgresql"):
        pytest.skip("PostgreSQL pass only (REELGRAPH_TEST_DATABASE_URL)")
    assert TEST_DATABASE_URL is not None
    base = make_url(TEST_DATABASE_URL)
    name = f"{base.database}_migrations"
    admin = create_async_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


async def indexes(url: str) -> set[str]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(
                lambda sync: {
                    index["name"] or "" for table in TABLES for index in inspect(sync).get_indexes(table)
                }
            )
    finally:
        await engine.dispose()


async def migrate(url: str, direction: str, revision: str) -> None:
    run = command.upgrade if direction == "up" else command.downgrade
    await asyncio.to_thread(run, alembic_config(url), revision)


async def test_0007_upgrades_downgrades_and_upgrades_again(database_url: str) -> None:
    await migrate(database_url, "up", "0006")
    before = await indexes(database_url)
    assert before >= REPLACED and not ADDED & before

    await migrate(database_url, "up", "head")
    after = await indexes(database_url)
    assert after == (before - REPLACED) | ADDED

    await migrate(database_url, "down", "0006")
    assert await indexes(database_url) == before

    await migrate(database_url, "up", "head")
    assert await indexes(database_url) == after
