"""A whole chat turn over /graphql (rule engine, offline catalog): understanding, finding movies,
replying and storing the turn. p50 and p99, warm, in-process (ASGI transport).

    python -m bench.chat_http [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from reelgraph.app import create_app
from reelgraph.config import Settings
from reelgraph.persistence.migrate import upgrade_to_head

CHAT = "mutation($m: String!, $l: String) { chat(message: $m, language: $l) { reply intent movies { tmdbId title } } }"
CORPUS = Path(__file__).resolve().parent.parent / "tests" / "chat_corpus.json"


def _messages() -> list[tuple[str, str]]:
    data = json.loads(CORPUS.read_text())
    cases = data["cases"] if isinstance(data, dict) and "cases" in data else data
    found = []
    for case in cases if isinstance(cases, list) else []:
        if isinstance(case, dict) and isinstance(case.get("message"), str):
            found.append((case["message"], "fr-FR" if case.get("language", "").startswith("fr") else "en-US"))
    return found


async def main(rounds: int) -> None:
    messages = _messages()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            database_url=f"sqlite+aiosqlite:///{tmp}/bench.db",
            jwt_secret="bench-" + "x" * 40,
            recs_train_on_start=False,
            chat_rate_limit="1000000/minute",
            response_cache_seconds=0,
        )
        await asyncio.to_thread(upgrade_to_head, settings.database_url)
        app = create_app(settings)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://bench", timeout=60
            ) as client,
        ):
            latencies: list[float] = []
            for round_number in range(rounds + 1):
                for message, language in messages:
                    started = time.perf_counter()
                    body = (
                        await client.post(
                            "/graphql", json={"query": CHAT, "variables": {"m": message, "l": language}}
                        )
                    ).json()
                    elapsed = (time.perf_counter() - started) * 1000
                    assert "errors" not in body, body
                    if round_number:  # round 0 warms the caches
                        latencies.append(elapsed)
    latencies.sort()
    print(
        f"{len(messages)} corpus messages x {rounds} warm rounds = {len(latencies)} chat turns over /graphql"
    )
    print(
        f"p50 {statistics.median(latencies):.1f} ms   p99 {latencies[int(0.99 * len(latencies)) - 1]:.1f} ms"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    asyncio.run(main(parser.parse_args().rounds))
