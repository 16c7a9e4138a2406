"""Hostile input against a real server on loopback: each request's status, code and time, and a
normal query after each to show the server unaffected.

    python -m bench.hostile [--rounds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import httpx

from bench.loadgen import free_port


def _fragment_bomb(levels: int, fan_out: int) -> str:
    fragments = [
        f"fragment F{level} on Query {{ {' '.join([f'...F{level + 1}'] * fan_out)} }}"
        for level in range(levels - 1)
    ]
    return "{ ...F0 } " + " ".join(fragments) + f" fragment F{levels - 1} on Query {{ a: __typename }}"


def _cases(round_: int) -> list[tuple[str, dict]]:
    """The hostile requests; GraphQL documents differ in every round (a trailing comment) so that
    no parse or validation cache answers for them."""
    tag = f" #{round_}"
    deep = "{ " + "movie(tmdbId: 603) { similar(first: 1) { " * 25 + "title" + " } }" * 25 + " }" + tag
    aliases = "{ " + " ".join(f"a{i}: __typename" for i in range(1000)) + " }" + tag
    costly = (
        "{ genres { movies(first: 100) { nodes { similar(first: 100) { recommendations(first: 100) "
        "{ title } } } } } }" + tag
    )
    repeated = "{ " + "movie(tmdbId: 603) { title } " * 200 + "}" + tag
    comments = "{ __typename }" + "\n#" * 9_000 + tag  # 18 KB: under the length limit
    long_string = '{ search(query: "' + "a" * 900_000 + '") { totalCount } }' + tag
    unclosed = '{ search(query: "' + '\\"' * 9_000 + tag  # escaped quotes, never closed: 18 KB
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
        ("fragment bomb (10^9 aliases)", {"json": {"query": _fragment_bomb(10, 10) + tag}}),
        ("same field 200 times", {"json": {"query": repeated}}),
        ("9,000 comments", {"json": {"query": comments}}),
        ("one 900 KB string", {"json": {"query": long_string}}),
        ("18 KB unclosed string", {"json": {"query": unclosed}}),
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


async def main(rounds: int) -> None:
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
                names = [name for name, _ in _cases(0)]
                timings: dict[str, list[float]] = {name: [] for name in names}
                answers: dict[str, set[tuple[int, str | None]]] = {name: set() for name in names}
                healthy = True
                # Round after round over all cases, so the first of each kind meets a cold process.
                for round_ in range(rounds):
                    for name, request in _cases(round_):
                        started = time.perf_counter()
                        response = await client.post("/graphql", **request)
                        timings[name].append((time.perf_counter() - started) * 1000)
                        errors = response.json().get("errors") or [{}]
                        answers[name].add((response.status_code, errors[0].get("extensions", {}).get("code")))
                        after = await client.post("/graphql", json={"query": "{ __typename }"})
                        healthy = healthy and after.json().get("data") == {"__typename": "Query"}
                print(f"{rounds} rounds, each with a fresh document; then a normal query after every request")
                for name in names:
                    ordered = sorted(timings[name])
                    answer = ", ".join(f"HTTP {status} {code}" for status, code in sorted(answers[name]))
                    print(
                        f"{name:<30} {answer:<36} first {timings[name][0]:6.1f} ms  "
                        f"median {statistics.median(ordered):6.1f} ms  max {ordered[-1]:6.1f} ms"
                    )
                slowest = max(max(values) for values in timings.values())
                print(
                    f"slowest rejection {slowest:.1f} ms (target < 50 ms); server answered after each: {healthy}"
                )
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20, help="requests per case (default 20)")
    asyncio.run(main(parser.parse_args().rounds))
