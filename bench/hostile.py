"""Hostile input against a real server on loopback: each request's status, code and time, and a
normal query after each to show the server unaffected.

    python -m bench.hostile
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import subprocess
import sys
import tempfile
import time

import httpx

from bench.loadgen import free_port


def _cases() -> list[tuple[str, dict]]:
    deep = "{ " + "movie(tmdbId: 603) { similar(first: 1) { " * 25 + "title" + " } }" * 25 + " }"
    aliases = "{ " + " ".join(f"a{i}: __typename" for i in range(1000)) + " }"
    costly = "{ genres { movies(first: 100) { nodes { similar(first: 100) { recommendations(first: 100) { title } } } } } }"
    none_header = (
        base64.urlsafe_b64encode(json.dumps({"alg": "none", "typ": "JWT"}).encode()).rstrip(b"=").decode()
    )
    none_payload = (
        base64.urlsafe_b64encode(
            b'{"sub":"1","exp":9999999999,"iat":1,"jti":"x","iss":"reelgraph","typ":"access"}'
        )
        .rstrip(b"=")
        .decode()
    )
    viewer = json.dumps({"query": "{ viewer { id } }"})
    return [
        ("depth-50 query", {"json": {"query": deep}}),
        ("1,000 aliases", {"json": {"query": aliases}}),
        (
            "5 MB body",
            {
                "content": b'{"query": "{ __typename }", "x": "' + b"a" * 5_000_000 + b'"}',
                "headers": {"content-type": "application/json"},
            },
        ),
        ("cost 10^9 nested connections", {"json": {"query": costly}}),
        (
            "malformed JSON",
            {"content": b'{"query": "{ __typename', "headers": {"content-type": "application/json"}},
        ),
        ("wrong content type", {"content": b"query={__typename}", "headers": {"content-type": "text/plain"}}),
        (
            "forged signature token",
            {
                "content": viewer.encode(),
                "headers": {
                    "content-type": "application/json",
                    "authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
                },
            },
        ),
        (
            "alg none token",
            {
                "content": viewer.encode(),
                "headers": {
                    "content-type": "application/json",
                    "authorization": f"Bearer {none_header}.{none_payload}.",
                },
            },
        ),
    ]


def _start(port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "reelgraph.cli", "serve", "--port", str(port), "--log-level", "warning"]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def main() -> None:
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "REELGRAPH_DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/h.db",
            "REELGRAPH_JWT_SECRET": "h" * 40,
            "REELGRAPH_RECS_TRAIN_ON_START": "false",
        }
        server = _start(port, env)
        base = f"http://127.0.0.1:{port}"
        try:
            async with httpx.AsyncClient(base_url=base, timeout=30) as client:
                for _ in range(200):
                    try:
                        if (await client.get("/health")).status_code == 200:
                            break
                    except httpx.HTTPError:
                        await asyncio.sleep(0.1)
                await client.post("/graphql", json={"query": "{ __typename }"})
                for name, request in _cases():
                    timings, answer = [], None
                    for _ in range(5):
                        started = time.perf_counter()
                        response = await client.post("/graphql", **request)
                        timings.append((time.perf_counter() - started) * 1000)
                        body = response.json()
                        answer = (
                            response.status_code,
                            [e.get("extensions", {}).get("code") for e in body.get("errors", [])][:1],
                        )
                    after = await client.post("/graphql", json={"query": "{ __typename }"})
                    healthy = after.json().get("data") == {"__typename": "Query"}
                    timings.sort()
                    print(
                        f"{name:<30} HTTP {answer[0]} {answer[1]}  median {timings[2]:6.1f} ms  max {timings[-1]:6.1f} ms  server ok: {healthy}"
                    )
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    asyncio.run(main())
