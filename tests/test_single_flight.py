"""Requests that share one upstream call: one of them being cancelled (a sibling field of its
failed) must not cancel the call for the others (schemathesis found that as an HTTP 500)."""

from __future__ import annotations

import asyncio

from aiocache import Cache

from reelgraph.caching.upstream_data import CachedFetcher


async def test_a_cancelled_request_leaves_the_shared_upstream_call_to_the_others() -> None:
    fetcher = CachedFetcher(Cache(Cache.MEMORY), stale_seconds=60)
    started, release = asyncio.Event(), asyncio.Event()
    calls = 0

    async def fetch() -> dict[str, int]:
        nonlocal calls
        calls += 1
        started.set()
        await release.wait()
        return {"id": 603}

    leader = asyncio.ensure_future(fetcher.get("test-single-flight:603", 60, fetch))
    await started.wait()
    follower = asyncio.ensure_future(fetcher.get("test-single-flight:603", 60, fetch))
    await asyncio.sleep(0)
    leader.cancel()
    await asyncio.sleep(0)
    release.set()

    assert await follower == {"id": 603}
    assert leader.cancelled()
    assert calls == 1  # shared, and not started again
    assert await fetcher.get("test-single-flight:603", 60, fetch) == {"id": 603} and calls == 1  # cached
