"""Benchmark: `trending(first: 50)` with genres over HTTP, against a plain Starlette endpoint that
returns the same JSON bytes, measured in the same run; plus upstream calls cold and warm.

    python -m bench.trending [--seconds 5] [--concurrency 8]

Servers run as separate uvicorn processes on loopback; the load generator is a third process
(this one). Every figure printed is measured now, on this machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

from bench.loadgen import LoadResult, free_port, run_load

TRENDING = "query Trending { trending(first: 50) { nodes { tmdbId title year posterUrl genres { name } } } }"
RICH = (
    "query Rich { trending(first: 50) { nodes { tmdbId title cast(first: 5) { person { name } character }"
    " directors { name } imdbRating } } }"
)


def _start_reelgraph(workdir: Path, name: str, **env: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    environment = {
        **os.environ,
        "REELGRAPH_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / (name + '.db')}",
        "REELGRAPH_CACHE_URL": "memory://",
        "REELGRAPH_JWT_SECRET": "bench-secret-" + "x" * 40,
        # One load generator on one address: per-address limits would measure RATE_LIMITED answers.
        "REELGRAPH_RATE_LIMIT": "100000000/minute",
        "REELGRAPH_AUTH_RATE_LIMIT": "100000/minute",
        **env,
    }
    for key in ("TMDB_API_KEY", "TMDB_READ_TOKEN", "OMDB_API_KEY"):
        environment.pop(key, None)  # the offline catalog: no network, deterministic
    process = subprocess.Popen(
        [sys.executable, "-m", "reelgraph.cli", "serve", "--port", str(port), "--log-level", "warning"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return process, f"http://127.0.0.1:{port}"


def _start_plain(body_file: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "bench.plain_server", str(body_file), str(port)])
    return process, f"http://127.0.0.1:{port}"


async def _wait_ready(base: str, path: str = "/health", wait_seconds: float = 60) -> None:
    deadline = time.monotonic() + wait_seconds
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            try:
                if (await client.get(base + path)).status_code < 500:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
    raise SystemExit(f"server at {base} did not start")


async def signed_in_viewer(base: str) -> str:
    """Registers a viewer with 200 interactions: 100 hiding ones among the top trending movies
    (so hiding is active on the measured page) and 100 others; returns the access token."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:

        async def gql(query: str, token: str | None = None, **variables: object) -> dict:
            headers = {"authorization": f"Bearer {token}"} if token else {}
            response = await client.post(
                "/graphql", json={"query": query, "variables": variables}, headers=headers
            )
            body = response.json()
            assert "errors" not in body, body
            return body["data"]

        registered = await gql(
            'mutation { register(input: {email: "bench@example.com", password: "bench password 123",'
            ' name: "Bench"}) { accessToken } }'
        )
        token = registered["register"]["accessToken"]
        ids: list[int] = []
        after = None
        while len(ids) < 400:
            page = await gql(
                "query($after: String) { trending(first: 100, after: $after, includeHidden: true)"
                " { nodes { tmdbId } pageInfo { endCursor } } }",
                token,
                after=after,
            )
            ids += [node["tmdbId"] for node in page["trending"]["nodes"]]
            after = page["trending"]["pageInfo"]["endCursor"]
        set_kind = "mutation($m: Int!, $k: InteractionKind!) { setInteraction(movieId: $m, kind: $k) { errors { code } } }"
        # Every other movie of the top 200 hidden; 100 more liked or saved for later further down.
        for index, movie_id in enumerate(ids[0:200:2]):
            await gql(set_kind, token, m=movie_id, k="SEEN" if index % 2 else "NOT_INTERESTED")
        for index, movie_id in enumerate(ids[300:400]):
            await gql(set_kind, token, m=movie_id, k="LIKED" if index % 2 else "WATCH_LATER")
        count = await gql("{ viewer { interactions(first: 1) { totalCount } } }", token)
        assert count["viewer"]["interactions"]["totalCount"] == 200, count
        return token


async def upstream_calls() -> list[str]:
    """TMDb and OMDb calls for a cold and a warm 50-movie query with cast, directors, imdbRating."""
    from reelgraph.app import create_app
    from reelgraph.config import Settings
    from reelgraph.integrations.mock_upstream import create_omdb_app, create_tmdb_app
    from reelgraph.integrations.offline_catalog import OfflineCatalog
    from reelgraph.persistence.migrate import upgrade_to_head

    catalog = OfflineCatalog.load()
    tmdb, omdb = create_tmdb_app(catalog), create_omdb_app(catalog)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            database_url=f"sqlite+aiosqlite:///{tmp}/calls.db",
            jwt_secret="bench-secret-" + "x" * 40,
            tmdb_api_key="bench-key",
            omdb_api_key="bench-key",
            response_cache_seconds=0,  # measure the data caches, not the response cache
        )
        await asyncio.to_thread(upgrade_to_head, settings.database_url)
        app = create_app(
            settings,
            tmdb_transport=httpx.ASGITransport(app=tmdb),
            omdb_transport=httpx.ASGITransport(app=omdb),
        )
        lines = []
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client,
        ):
            for label in ("cold", "warm"):
                before_tmdb, before_omdb = Counter(tmdb.state.calls), Counter(omdb.state.calls)
                body = (await client.post("/graphql", json={"query": RICH})).json()
                assert "errors" not in body, body
                movies = len({node["tmdbId"] for node in body["data"]["trending"]["nodes"]})
                tmdb_calls = Counter(tmdb.state.calls) - before_tmdb
                omdb_calls = Counter(omdb.state.calls) - before_omdb
                details = sum(n for path, n in tmdb_calls.items() if path.startswith("/3/movie/"))
                lines.append(
                    f"{label:<5} {movies} distinct movies: TMDb {sum(tmdb_calls.values())} calls "
                    f"({details} movie details, {sum(tmdb_calls.values()) - details} list/genre/config), "
                    f"OMDb {sum(omdb_calls.values())} calls"
                )
    return lines


async def main(seconds: float, concurrency: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        cached, cached_url = _start_reelgraph(workdir, "cached")
        uncached, uncached_url = _start_reelgraph(workdir, "uncached", REELGRAPH_RESPONSE_CACHE_SECONDS="0")
        processes = [cached, uncached]
        try:
            await _wait_ready(cached_url)
            await _wait_ready(uncached_url)
            payload = {"query": TRENDING}
            async with httpx.AsyncClient() as client:
                for url in (cached_url, uncached_url):
                    for _ in range(3):  # warm the catalog caches (and the response cache)
                        response = await client.post(url + "/graphql", json=payload)
                        assert response.status_code == 200 and "errors" not in response.json(), response.text
                body = response.content
            body_file = workdir / "trending.json"
            body_file.write_bytes(body)
            plain, plain_url = _start_plain(body_file)
            processes.append(plain)
            await _wait_ready(plain_url, "/graphql")

            token = await signed_in_viewer(uncached_url)
            signed_in = {"authorization": f"Bearer {token}"}
            async with httpx.AsyncClient() as client:  # warm the viewer's pages
                for _ in range(3):
                    await client.post(uncached_url + "/graphql", json=payload, headers=signed_in)

            results: dict[str, LoadResult] = {}
            for name, url, headers in (
                ("plain Starlette, same bytes", plain_url, None),
                ("reelgraph anonymous, response cached", cached_url, None),
                ("reelgraph anonymous, uncached response", uncached_url, None),
                ("reelgraph signed in, 200 interactions", uncached_url, signed_in),
            ):
                results[name] = await run_load(
                    name,
                    url + "/graphql",
                    json_body=payload,
                    headers=headers,
                    concurrency=concurrency,
                    seconds=seconds,
                )
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(timeout=10)

    plain_result = results["plain Starlette, same bytes"]
    print(
        f"trending(first: 50) with genres, {len(body):,} bytes, {concurrency} connections, {seconds:.0f} s each"
    )
    for result in results.values():
        print(result.row())
    for name in (
        "reelgraph anonymous, response cached",
        "reelgraph anonymous, uncached response",
        "reelgraph signed in, 200 interactions",
    ):
        ratio = results[name].rps / plain_result.rps
        print(
            f"ratio {name} / plain: {ratio:.2f} (requests/s), p50 x{results[name].p50 / plain_result.p50:.2f}"
        )
    signed = results["reelgraph signed in, 200 interactions"]
    anonymous = results["reelgraph anonymous, uncached response"]
    print(f"signed-in p50 / anonymous uncached-response p50: {signed.p50 / anonymous.p50:.2f} (target <= 2)")
    print("upstream calls for trending(first: 50) with cast, directors and imdbRating:")
    for line in await upstream_calls():
        print("  " + line)
    print(json.dumps({name: {"rps": round(r.rps), "p50_ms": round(r.p50, 3)} for name, r in results.items()}))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=8)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.seconds, arguments.concurrency))
