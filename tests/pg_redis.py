"""PostgreSQL and Redis for the tests that run real servers on them (replicas, workers): whether
they answer, statements on the maintenance database, and a clean Redis db."""

from __future__ import annotations

import asyncio
import os

import pytest


async def unreachable(admin_url: str, redis_url: str) -> str | None:
    """Why the tests cannot run here (a skip reason), or None."""
    import asyncpg
    import redis.asyncio as redis

    try:
        connection = await asyncio.wait_for(asyncpg.connect(admin_url), 5)
        await connection.close()
    except Exception as exc:
        return f"PostgreSQL at {admin_url} is unreachable: {exc!r}"
    try:
        client = redis.from_url(redis_url)
        await asyncio.wait_for(client.ping(), 5)
        await client.aclose()
    except Exception as exc:
        return f"Redis at {redis_url} is unreachable: {exc!r}"
    return None


def require(admin_url: str, redis_url: str) -> None:
    """Skips the calling test when either is unreachable; fails it instead under CI, which has both."""
    problem = asyncio.run(unreachable(admin_url, redis_url))
    if problem is not None:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {problem}")
        pytest.skip(problem)


async def admin_sql(admin_url: str, *statements: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(admin_url)
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


async def flush_redis(redis_url: str) -> None:
    import redis.asyncio as redis

    client = redis.from_url(redis_url)
    await client.flushdb()
    await client.aclose()
