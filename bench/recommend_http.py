"""recommendations(first: 20) over the GraphQL endpoint for a viewer with 200 ratings: p50 and p99,
in-process (ASGI transport), on the offline catalog. Also the server's memory with the model loaded.

The machine is shared, so the same run measures two references, interleaved with the
recommendations requests: ``{ viewer { id } }`` over the same endpoint (authentication, the
GraphQL layer and the middleware, no recommender) and the engine's ``recommend`` for the same
profile called directly (no HTTP, no database). The ratios say where the time goes under any load.

    python -m bench.recommend_http [--requests 100]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import tempfile
import time
from typing import Any

import httpx

from reelgraph.app import create_app
from reelgraph.config import Settings
from reelgraph.integrations.offline_catalog import OfflineCatalog
from reelgraph.persistence.migrate import upgrade_to_head

QUERY = "{ recommendations(first: 20) { movie { tmdbId title year } score reasons { kind text } } }"
REFERENCE = "{ viewer { id } }"


def _rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def main(requests: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            database_url=f"sqlite+aiosqlite:///{tmp}/bench.db",
            jwt_secret="bench-" + "x" * 40,
            recs_train_on_start=False,
        )
        await asyncio.to_thread(upgrade_to_head, settings.database_url)
        app = create_app(settings)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://bench", timeout=60
            ) as client,
        ):

            async def gql(query: str, token: str | None = None, **variables: object) -> dict[str, Any]:
                headers = {"authorization": f"Bearer {token}"} if token else {}
                body = (
                    await client.post(
                        "/graphql", json={"query": query, "variables": variables}, headers=headers
                    )
                ).json()
                assert "errors" not in body, body
                data: dict[str, Any] = body["data"]
                return data

            token = (
                await gql(
                    'mutation { register(input: {email: "r@example.com", password: "bench password 1", name: "R"}) '
                    "{ accessToken } }"
                )
            )["register"]["accessToken"]
            catalog = OfflineCatalog.load()
            rated = [movie for movie in catalog.popular()[:400:2]][:200]
            for index, movie_id in enumerate(rated):
                await gql(
                    "mutation($m: Int!, $v: Float!) { rateMovie(movieId: $m, value: $v) { errors { code } } }",
                    token,
                    m=movie_id,
                    v=[3.0, 3.5, 4.0, 4.5, 5.0][index % 5],
                )
            rss_before = _rss_mib()
            started = time.perf_counter()
            await gql(QUERY, token)  # trains the model on first use
            first_call = time.perf_counter() - started
            recs = app.state.services.recommendations
            engine = await recs.ready_engine()
            profile = await recs.profile(1)  # the bench viewer, as the request reads it
            latencies: list[float] = []
            reference: list[float] = []
            engine_ms: list[float] = []
            for _ in range(requests):
                started = time.perf_counter()
                found = await gql(QUERY, token)
                latencies.append((time.perf_counter() - started) * 1000)
                assert len(found["recommendations"]) == 20
                started = time.perf_counter()
                await gql(REFERENCE, token)
                reference.append((time.perf_counter() - started) * 1000)
                started = time.perf_counter()
                engine.recommend(profile, 20)
                engine_ms.append((time.perf_counter() - started) * 1000)
            latencies.sort()
            p50 = statistics.median(latencies)
            print(
                f"viewer with {len(rated)} ratings, recommendations(first: 20) over /graphql, {requests} requests"
            )
            print(f"first call (includes training): {first_call:.1f} s")
            print(f"p50 {p50:.1f} ms   p99 {latencies[int(0.99 * len(latencies)) - 1]:.1f} ms")
            ref50 = statistics.median(reference)
            print(f"same run, {REFERENCE} p50 {ref50:.1f} ms: recommendations cost {p50 / ref50:.2f}x it")
            eng50 = statistics.median(engine_ms)
            print(f"same run, engine.recommend alone p50 {eng50:.1f} ms ({eng50 / p50:.0%} of the request)")
            print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
            print(f"process RSS: {rss_before:.0f} MiB before the model, {_rss_mib():.0f} MiB with it")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=100)
    asyncio.run(main(parser.parse_args().requests))
