"""Benchmark: the server's memory (RSS of the real process) after start with the offline catalog,
after the first recommendation and theme query, then under many mixed requests sent by wrk.

    python -m bench.memory [--requests 100000] [--checkpoint 10000] [--no-response-cache]

The server is `reelgraph serve` as `make run` starts it (no keys: the offline catalog, in-process
cache), on a fresh SQLite file. The load rotates several hundred documents: trending, movie lists
and discover with different pages, filters and languages, second pages (cursors), movie details,
search; one request in ten is signed in (never response-cached). Flat memory: RSS after all the
requests within 10% of RSS after the first `--checkpoint` ones.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

from bench.trending import _start_reelgraph, _wait_ready, signed_in_viewer
from bench.wrk import wrk_path

MOVIE = "tmdbId title year posterUrl genres { name }"
DETAILS = (
    "tmdbId title overview runtime year posterUrl genres { name } cast(first: 10) { person { name } character }"
    " directors { name } similar(first: 5) { tmdbId title }"
)
SEARCHES = ["matrix", "star", "love", "the dark", "alien", "batman", "pixar", "war", "night", "king"]
GENRES = [28, 12, 16, 35, 80, 18, 10751, 14, 27, 9648, 10749, 878, 53]
CHUNK_SECONDS = 10
SORTS = ["POPULARITY_DESC", "RELEASE_DATE_DESC", "VOTE_AVERAGE_DESC", "TITLE_ASC"]


def rss_mib(pid: int) -> float:
    """VmRSS of the process and its children (uvicorn workers, if any), in MiB."""
    total = 0.0
    for p in [pid, *_children(pid)]:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
        except FileNotFoundError:
            pass
    return total


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(FileNotFoundError, ValueError):
            found += [int(c) for c in (task / "children").read_text().split()]
    return found


def _settled(pid: int, seconds: float = 90) -> float:
    """RSS once it stops moving (startup work in the background: model training or loading)."""
    deadline = time.monotonic() + seconds
    last = rss_mib(pid)
    while time.monotonic() < deadline:
        time.sleep(2)
        now = rss_mib(pid)
        if abs(now - last) < 1:
            return now
        last = now
    return last


def _documents(ids: list[int], cursors: list[tuple[str, str]]) -> list[dict[str, object]]:
    docs: list[dict[str, object]] = []
    for window in ("DAY", "WEEK"):
        for first in (10, 20, 50):
            for language in ("en", "fr"):
                docs.append(
                    {
                        "query": f"query($l: String) {{ trending(window: {window}, first: {first}, language: $l)"
                        f" {{ nodes {{ {MOVIE} }} pageInfo {{ endCursor }} }} }}",
                        "variables": {"l": language},
                    }
                )
    for movie_list in ("POPULAR", "TOP_RATED", "UPCOMING", "NOW_PLAYING"):
        for first in (20, 30):
            docs.append(
                {"query": f"{{ movies(list: {movie_list}, first: {first}) {{ nodes {{ {MOVIE} }} }} }}"}
            )
    for genre in GENRES:
        for sort in SORTS:
            for year in (None, 1990, 2005):
                years = f", yearFrom: {year}" if year else ""
                docs.append(
                    {
                        "query": f"{{ discover(filter: {{genres: [{genre}]{years}}}, sort: {sort}, first: 20)"
                        f" {{ nodes {{ {MOVIE} }} totalCount }} }}"
                    }
                )
    for field, cursor in cursors:
        docs.append(
            {
                "query": f"query($a: String) {{ {field}(first: 20, after: $a) {{ nodes {{ {MOVIE} }} }} }}",
                "variables": {"a": cursor},
            }
        )
    for movie_id in ids:
        docs.append({"query": f"{{ movie(tmdbId: {movie_id}) {{ {DETAILS} }} }}"})
    for text in SEARCHES:
        docs.append(
            {
                "query": "query($q: String!) { search(query: $q, first: 10) { nodes {"
                " ... on Movie { tmdbId title } ... on Person { name } } } }",
                "variables": {"q": text},
            }
        )
    return docs


def _lua(docs: list[dict[str, object]], token: str, offset: int) -> str:
    bodies = ",\n".join(json.dumps(json.dumps(d)) for d in docs)
    return f"""
local bodies = {{
{bodies}
}}
local n, sent = #bodies, {offset}
local anonymous = {{["Content-Type"] = "application/json"}}
local signed = {{["Content-Type"] = "application/json", ["Authorization"] = "Bearer {token}"}}
request = function()
  sent = sent + 1
  -- a stride coprime with most sizes: consecutive requests differ, all documents recur
  local body = bodies[((sent * 7919) % n) + 1]
  local headers = (sent % 10 == 0) and signed or anonymous
  return wrk.format("POST", "/graphql", headers, body)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("wrk: %d requests, %.0f req/s, p99 %.1f ms, %d non-2xx, %d socket errors\\n",
    summary.requests, summary.requests / (summary.duration / 1e6), latency:percentile(99) / 1000,
    e.status, e.connect + e.read + e.write + e.timeout))
end
"""


def _drive(
    url: str,
    workdir: Path,
    docs: list[dict[str, object]],
    token: str,
    connections: int,
    start: int,
    requests: int,
) -> tuple[int, str]:
    """wrk in runs of CHUNK_SECONDS until at least ``requests`` more were answered (wrk stops on
    time, not on a count); each run goes on rotating the documents where the last one stopped."""
    done, lines = 0, []
    script = workdir / "load.lua"
    chunk_seconds = CHUNK_SECONDS
    while done < requests:
        script.write_text(_lua(docs, token, start + done))
        run = subprocess.run(
            [
                wrk_path(),
                "-t1",
                f"-c{connections}",
                f"-d{chunk_seconds}s",
                "-s",
                str(script),
                url + "/graphql",
            ],
            capture_output=True,
            text=True,
            timeout=chunk_seconds + 60,
        )
        if run.returncode != 0:
            raise SystemExit(f"wrk failed: {run.stderr or run.stdout}")
        line = next((x for x in run.stdout.splitlines() if x.startswith("wrk:")), run.stdout.strip())
        done += int(line.split()[1])
        lines.append(line)
    return done, f"{done} requests in {len(lines)} wrk runs of {chunk_seconds} s; last: {lines[-1]}"


async def _prepare(url: str) -> tuple[list[int], list[tuple[str, str]]]:
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:

        async def gql(query: str, **variables: object) -> dict[str, object]:
            body = (await client.post("/graphql", json={"query": query, "variables": variables})).json()
            assert "errors" not in body, body
            data: dict[str, object] = body["data"]
            return data

        ids: list[int] = []
        after = None
        while len(ids) < 300:
            page = await gql(
                "query($a: String) { trending(first: 100, after: $a) { nodes { tmdbId } pageInfo { endCursor } } }",
                a=after,
            )
            trending = page["trending"]
            assert isinstance(trending, dict)
            ids += [node["tmdbId"] for node in trending["nodes"]]
            after = trending["pageInfo"]["endCursor"]
        cursors = []
        for field in ("trending",):
            cursor = None
            for _ in range(5):
                page = await gql(
                    f"query($a: String) {{ {field}(first: 20, after: $a) {{ pageInfo {{ endCursor }} }} }}",
                    a=cursor,
                )
                connection = page[field]
                assert isinstance(connection, dict)
                cursor = connection["pageInfo"]["endCursor"]
                cursors.append((field, cursor))
        return ids, cursors


async def _first_uses(url: str, token: str) -> None:
    headers = {"authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, timeout=120) as client:
        body = (
            await client.post(
                "/graphql",
                json={"query": "{ recommendations(first: 10) { movie { tmdbId } } }"},
                headers=headers,
            )
        ).json()
        assert "errors" not in body, body
    print(f"RSS after the first recommendation:          {_rss_now():7.1f} MiB")
    async with httpx.AsyncClient(base_url=url, timeout=120) as client:
        body = (
            await client.post(
                "/graphql",
                json={"query": 'mutation { chat(message: "time travel movies") { reply } }'},
                headers=headers,
            )
        ).json()
        assert "errors" not in body, body
    print(f"RSS after the first theme query (chat):      {_rss_now():7.1f} MiB")


_PID = 0


def _rss_now() -> float:
    return rss_mib(_PID)


async def main(requests: int, checkpoint: int, response_cache: bool, connections: int) -> None:
    global _PID
    env = {} if response_cache else {"REELGRAPH_RESPONSE_CACHE_SECONDS": "0"}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        print(f"response cache {'on' if response_cache else 'off'}, {connections} connections")
        # First start on a fresh database (trains and stores the model), then a restart on it (what
        # `make run` does every later time: loads the stored model). The load runs on the restart.
        process, url = _start_reelgraph(workdir, "memory", **env)
        try:
            await _wait_ready(url, "/health/ready", wait_seconds=300)
            print(f"RSS after first start (ready, settled):      {_settled(process.pid):7.1f} MiB")
        finally:
            process.terminate()
            process.wait(timeout=20)
        process, url = _start_reelgraph(workdir, "memory", **env)
        _PID = process.pid
        try:
            await _wait_ready(url, "/health/ready", wait_seconds=300)
            print(f"RSS after restart (ready, settled):          {_settled(process.pid):7.1f} MiB")
            token = await signed_in_viewer(url)
            await _first_uses(url, token)
            ids, cursors = await _prepare(url)
            docs = _documents(ids, cursors)
            print(f"{len(docs)} documents, one request in ten signed in (200 interactions)")
            sent, summary = _drive(url, workdir, docs, token, connections, 0, checkpoint)
            print(summary)
            after_first = rss_mib(process.pid)
            checkpoint = sent
            print(f"RSS after {checkpoint:,} requests:{'':<15}{after_first:7.1f} MiB")
            more, summary = _drive(url, workdir, docs, token, connections, sent, requests - sent)
            print(summary)
            sent += more
            after_all = rss_mib(process.pid)
            print(f"RSS after {sent:,} requests:{'':<14}{after_all:7.1f} MiB")
            print(
                f"ratio RSS({sent:,}) / RSS({checkpoint:,}): {after_all / after_first:.3f} (target <= 1.10)"
            )
        finally:
            process.terminate()
            process.wait(timeout=20)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--checkpoint", type=int, default=10_000)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--no-response-cache", action="store_true")
    arguments = parser.parse_args()
    asyncio.run(
        main(arguments.requests, arguments.checkpoint, not arguments.no_response_cache, arguments.connections)
    )
