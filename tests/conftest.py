"""Test fixtures: one app per session over httpx's ASGI transport, on SQLite or on the databases
named by REELGRAPH_TEST_DATABASE_URL / REELGRAPH_TEST_CACHE_URL (PostgreSQL + Redis in CI)."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from reelgraph.app import create_app
from reelgraph.config import Settings
from reelgraph.mail import Mail
from reelgraph.persistence.migrate import upgrade_to_head
from tests.helpers import GraphQLClient, free_port

TEST_DATABASE_URL = os.environ.get("REELGRAPH_TEST_DATABASE_URL")
TEST_CACHE_URL = os.environ.get("REELGRAPH_TEST_CACHE_URL", "memory://")


class RecordingMailer:
    """Keeps sent mail so tests can follow reset links."""

    def __init__(self) -> None:
        self.outbox: list[Mail] = []

    async def send(self, mail: Mail) -> None:
        self.outbox.append(mail)

    def last_to(self, address: str) -> Mail:
        return [mail for mail in self.outbox if mail.to == address][-1]


async def _reset_postgres(url: str) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


async def _flush_redis(url: str) -> None:
    import redis.asyncio as redis

    client = redis.from_url(url)
    await client.flushdb()
    await client.aclose()


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": TEST_DATABASE_URL or f"sqlite+aiosqlite:///{tmp_path / 'test.db'}",
        "cache_url": TEST_CACHE_URL,
        "jwt_secret": "test-secret-Zq3vT9kLw2XbN8rYp4HcJ6mFd1sGa7Ue0oVi5",  # random-looking: production refuses weak ones
        "env": "development",
        # Trained on first use instead: most test apps never ask for recommendations.
        "recs_train_on_start": False,
        # In a thread: a spawned child costs seconds per training (tests/test_recs_training_process.py
        # covers the child).
        "recs_train_subprocess": False,
        # The suite sends thousands of requests from 127.0.0.1; tests/test_hardening_* use low limits.
        "rate_limit": "100000/minute",
        "auth_rate_limit": "100000/minute",
        # Frozen objects are never collected: the suite starts hundreds of apps in one process.
        "freeze_startup_objects": False,
        # Jobs run in-process (no broker): before enqueue returns, so a test sees the mail a
        # request queued; no schedules firing in the middle of other tests (tests/test_jobs_* do).
        "job_eager": True,
        "job_schedules": False,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(scope="session")
def database_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("db")


@pytest.fixture(scope="session")
async def settings(database_dir: Path) -> Settings:
    settings = make_settings(database_dir)
    if TEST_DATABASE_URL:
        await _reset_postgres(TEST_DATABASE_URL)
    if TEST_CACHE_URL.startswith("redis"):
        await _flush_redis(TEST_CACHE_URL)
    # Tests run the real migrations, so they are exercised on both backends.
    await asyncio.to_thread(upgrade_to_head, settings.database_url)
    return settings


@pytest.fixture(scope="session")
def mailer() -> RecordingMailer:
    return RecordingMailer()


@pytest.fixture(scope="session")
async def app(settings: Settings, mailer: RecordingMailer) -> AsyncIterator[Any]:
    application = create_app(settings, mailer=mailer)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


@pytest.fixture
def gql(client: httpx.AsyncClient) -> GraphQLClient:
    return GraphQLClient(client)


@pytest.fixture(scope="module")
async def ws_url(app: Any) -> AsyncIterator[str]:
    """The session app on a real loopback socket: httpx's ASGI transport has no WebSocket."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and not task.done()
        await asyncio.sleep(0.05)
    yield f"ws://127.0.0.1:{port}/graphql"
    server.should_exit = True
    await task
