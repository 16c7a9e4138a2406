"""Benchmark: throughput of `trending(first: 50)` (14 movie fields and genres) measured with wrk,
as ratios against references started in the same run:

    python -m bench.throughput [--seconds 5] [--connections 8]

- plain Starlette returning the same bytes (bench/plain_server.py): what HTTP alone costs;
- the engine floor (bench/engine_floor.py): graphql-core alone over Starlette, reelgraph's schema,
  the same query over the same data in memory;
- reelgraph anonymous with the response cache on, with it off, and signed in with 200
  interactions (100 of them hiding movies of the measured list, so hiding is active).

Every server is its own uvicorn process on loopback, with the offline catalog (no network); wrk
is the load generator (one thread). The RSS of each server after its run is printed too, and the
ceiling of the Python load generator (bench/loadgen.py, used by the mixed-workload benchmark)
against the plain server, so that its figures can be read for what they are.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

from bench.loadgen import free_port, run_load
from bench.trending import _start_plain, _start_reelgraph, _wait_ready, signed_in_viewer
from bench.wrk import WrkResult, run_wrk

QUERY = (
    "query Trending { trending(first: 50) { nodes { id tmdbId title originalTitle originalLanguage"
    " overview releaseDate year popularity voteAverage voteCount posterUrl backdropUrl"
    " viewerInteractions genres { tmdbId name } } } }"
)
PLAIN = "plain Starlette, same bytes"
FLOOR = "engine floor (graphql-core, data in memory)"
CACHED = "reelgraph anonymous, response cache on"
UNCACHED = "reelgraph anonymous, response cache off"
SIGNED_IN = "reelgraph signed in, 200 interactions"


def rss_mib(process: subprocess.Popen[bytes]) -> float:
    for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _start_floor(data_file: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "bench.engine_floor", str(data_file), str(port)])
    return process, f"http://127.0.0.1:{port}"


async def _warm(url: str, headers: dict[str, str] | None = None) -> bytes:
    async with httpx.AsyncClient(timeout=60) as client:
        for _ in range(3):  # the catalog caches, the document cache, the response cache
            response = await client.post(url + "/graphql", json={"query": QUERY}, headers=headers)
            assert response.status_code == 200 and "errors" not in response.json(), response.text
    return response.content


SHORT_NAMES = {"plain": PLAIN, "floor": FLOOR, "cached": CACHED, "uncached": UNCACHED, "signed-in": SIGNED_IN}


async def main(
    seconds: float, connections: int, only: frozenset[str] = frozenset(SHORT_NAMES.values())
) -> None:
    payload: dict[str, object] = {"query": QUERY}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        cached, cached_url = _start_reelgraph(workdir, "cached")
        uncached, uncached_url = _start_reelgraph(workdir, "uncached", REELGRAPH_RESPONSE_CACHE_SECONDS="0")
        processes = {CACHED: cached, UNCACHED: uncached, SIGNED_IN: uncached}
        try:
            await _wait_ready(cached_url)
            await _wait_ready(uncached_url)
            await _warm(cached_url)
            body = await _warm(uncached_url)
            (workdir / "body.json").write_bytes(body)
            (workdir / "data.json").write_text(json.dumps(json.loads(body)["data"]))
            plain, plain_url = _start_plain(workdir / "body.json")
            floor, floor_url = _start_floor(workdir / "data.json")
            processes |= {PLAIN: plain, FLOOR: floor}
            await _wait_ready(plain_url, "/graphql")
            async with httpx.AsyncClient() as client:  # the floor answers what reelgraph answers
                for _ in range(50):
                    try:
                        floor_body = (await client.post(floor_url + "/graphql", json=payload)).json()
                        break
                    except httpx.HTTPError:
                        await asyncio.sleep(0.2)
            assert floor_body["data"] == json.loads(body)["data"], "the floor must return reelgraph's data"

            token = await signed_in_viewer(uncached_url)
            signed_in = {"Authorization": f"Bearer {token}"}
            await _warm(uncached_url, signed_in)

            results: dict[str, WrkResult] = {}
            memory: dict[str, float] = {}
            for name, url, headers in (
                (PLAIN, plain_url, None),
                (FLOOR, floor_url, None),
                (CACHED, cached_url, None),
                (UNCACHED, uncached_url, None),
                (SIGNED_IN, uncached_url, signed_in),
            ):
                if name not in only:
                    continue
                results[name] = await asyncio.to_thread(
                    run_wrk,
                    name,
                    url + "/graphql",
                    payload,
                    headers,
                    connections=connections,
                    seconds=seconds,
                )
                memory[name] = rss_mib(processes[name])
            python_ceiling = None
            if PLAIN in only:
                python_ceiling = await run_load(
                    "Python load generator vs plain",
                    plain_url + "/graphql",
                    json_body=payload,
                    concurrency=connections,
                    seconds=min(seconds, 3.0),
                )
        finally:
            for process in {id(p): p for p in processes.values()}.values():
                process.terminate()
                process.wait(timeout=15)

    print(
        f"trending(first: 50), 14 movie fields and genres, {len(body):,} bytes;"
        f" wrk 1 thread, {connections} connections, {seconds:.0f} s each\n"
    )
    for name, result in results.items():
        print(f"{result.row()}  RSS {memory[name]:.0f} MiB")
    print()
    for name, reference, target in (
        (CACHED, PLAIN, 0.5),
        (UNCACHED, FLOOR, 1.0),
        (SIGNED_IN, FLOOR, 0.9),
        (FLOOR, PLAIN, None),
    ):
        if name in results and reference in results:
            ratio = results[name].rps / results[reference].rps
            wanted = f"  (target >= {target})" if target is not None else ""
            print(f"{name} / {reference.split(',')[0].split(' (')[0]}: {ratio:5.2f}x{wanted}")
    if python_ceiling is not None:
        print(
            f"Python load generator ceiling (against plain): {python_ceiling.rps:.0f} req/s,"
            f" {python_ceiling.rps / results[PLAIN].rps:.2f}x what wrk measured: its figures above"
            " that are its own"
        )
    print(
        json.dumps(
            {
                name: {"rps": round(r.rps), "p50_ms": r.p50_ms, "rss_mib": round(memory[name])}
                for name, r in results.items()
            }
        )
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument(
        "--only",
        default=",".join(SHORT_NAMES),
        help="comma-separated servers to measure: " + ", ".join(SHORT_NAMES),
    )
    arguments = parser.parse_args()
    chosen = frozenset(SHORT_NAMES[name.strip()] for name in arguments.only.split(",") if name.strip())
    asyncio.run(main(arguments.seconds, arguments.connections, chosen))
