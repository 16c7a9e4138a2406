"""recommendations(first: 20) over the GraphQL endpoint (ASGI transport, offline catalog): the median
for a viewer whose list the precompute-recommendations job cached, against one whose list the
model ranks on each request. Both viewers have the same number of ratings.

    python -m bench.precomputed [--requests 200] [--ratings 50]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from typing import Any

import httpx

from reelgraph.app import create_app
from reelgraph.config import Settings
from reelgraph.integrations.offline_catalog import OfflineCatalog
from reelgraph.jobs.registry import JobContext, registered_jobs
from reelgraph.persistence.migrate import upgrade_to_head

QUERY = "{ recommendations(first: 20) { movie { tmdbId title year } score reasons { kind text } } }"
RATE = "mutation($m: Int!, $v: Float!) { rateMovie(movieId: $m, value: $v) { errors { code } } }"


async def main(requests: int, ratings: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            database_url=f"sqlite+aiosqlite:///{tmp}/bench.db",
            jwt_secret="bench-" + "x" * 40,
            recs_train_on_start=False,
            rate_limit="1000000/minute",
        )
        await asyncio.to_thread(upgrade_to_head, settings.database_url)
        app = create_app(settings)
        transport = httpx.ASGITransport(app=app)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=60) as client,
        ):

            async def gql(query: str, token: str | None = None, **variables: object) -> dict[str, Any]:
                headers = {"authorization": f"Bearer {token}"} if token else {}
                response = await client.post(
                    "/graphql", json={"query": query, "variables": variables}, headers=headers
                )
                body = response.json()
                assert "errors" not in body, body
                return dict(body["data"])

            async def viewer(name: str, movies: list[int]) -> str:
                register = "mutation($i: RegisterInput!) { register(input: $i) { accessToken } }"
                account = {"email": f"{name}@example.com", "password": "bench password 1", "name": name}
                token = str((await gql(register, i=account))["register"]["accessToken"])
                for index, movie_id in enumerate(movies):
                    await gql(RATE, token, m=movie_id, v=[3.0, 3.5, 4.0, 4.5, 5.0][index % 5])
                return token

            popular = list(OfflineCatalog.load().popular())
            cold = await viewer("cold", popular[0 : 2 * ratings : 2])
            services = app.state.services
            warm = await viewer("warm", popular[1 : 2 * ratings : 2])
            await gql(QUERY, warm)  # the first request loads or trains the model
            spec = registered_jobs()["precompute-recommendations"]
            started = time.perf_counter()
            summary = await spec.body(JobContext(services, job_id="bench"))
            job_seconds = time.perf_counter() - started
            # Both viewers were precomputed (both active); the cold one rates again, so their entry is
            # unused and the model ranks their list on every request, as for a viewer not precomputed.
            await gql(RATE, cold, m=popular[2 * ratings + 1], v=4.0)

            # Interleaved, so both see the same machine (other work, warm-up, garbage collection).
            await gql(QUERY, warm)
            await gql(QUERY, cold)
            timings: dict[str, list[float]] = {"warm": [], "cold": []}
            for _ in range(requests):
                for name, token in (("warm", warm), ("cold", cold)):
                    started = time.perf_counter()
                    await gql(QUERY, token)
                    timings[name].append((time.perf_counter() - started) * 1000)

            def p(name: str, q: float) -> float:
                values = sorted(timings[name])
                return values[int(q * (len(values) - 1))]

            warm_p50, warm_p99 = statistics.median(timings["warm"]), p("warm", 0.99)
            cold_p50, cold_p99 = statistics.median(timings["cold"]), p("cold", 0.99)
        print(f"precompute-recommendations: {summary['users']} users in {job_seconds * 1000:.0f} ms")
        print(f"recommendations(first: 20), {ratings} ratings, {requests} requests each, ASGI in-process:")
        print(f"  precomputed (cache read): median {warm_p50:.1f} ms, p99 {warm_p99:.1f} ms")
        print(f"  not precomputed (model):  median {cold_p50:.1f} ms, p99 {cold_p99:.1f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--ratings", type=int, default=50)
    args = parser.parse_args()
    asyncio.run(main(args.requests, args.ratings))
