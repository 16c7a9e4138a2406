"""Benchmark: one chat turn through the rule engine (no LLM), over the test corpus.

    python -m bench.chat [--rounds 20]

Turns are replayed as in tests/test_chat_rules.py (conversations keep their previous state and
visible movies), with the offline catalog as the entity resolver. The first round warms the
catalog's search caches; the figures are for the following rounds. Every figure printed is
measured now, on this machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from pathlib import Path
from typing import Any

from reelgraph.chat.entities import CatalogEntityResolver
from reelgraph.chat.filters import ChatFilterState
from reelgraph.chat.rules import RuleParser
from reelgraph.integrations.offline_catalog import OfflineCatalog

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "chat_corpus.json"


def _turns(case: dict[str, Any]) -> list[dict[str, Any]]:
    return case.get("turns") or [{"message": case["message"]}]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _round(parser: RuleParser, catalog: OfflineCatalog, cases: list[dict[str, Any]]) -> list[float]:
    timings: list[float] = []
    for case in cases:
        previous: ChatFilterState | None = None
        for turn in _turns(case):
            visible = [m.id for t in turn.get("visible", []) if (m := catalog.find_by_title(t)) is not None]
            started = time.perf_counter()
            previous = await parser.parse(turn["message"], previous, visible, None)
            timings.append((time.perf_counter() - started) * 1000)
    return timings


async def main(rounds: int) -> None:
    corpus = json.loads(CORPUS.read_text(encoding="utf-8"))
    cases: list[dict[str, Any]] = corpus["cases"]
    started = time.perf_counter()
    catalog = OfflineCatalog.load()
    resolver = CatalogEntityResolver(catalog)
    setup_ms = (time.perf_counter() - started) * 1000
    parser = RuleParser(resolver, reference_year=corpus["reference_year"])

    messages = [(case["lang"], turn) for case in cases for turn in _turns(case)]
    conversations = [case for case in cases if "turns" in case]
    print(
        f"corpus: {len(messages)} messages ({sum(lang == 'fr' for lang, _ in messages)} French), "
        f"{len(conversations)} conversations with {sum(len(c['turns']) - 1 for c in conversations)} follow-up turns"
    )
    print(f"setup (catalog load + resolver index): {setup_ms:.0f} ms")

    cold = await _round(parser, catalog, cases)
    print(f"cold round: p50 {statistics.median(cold):.2f} ms, max {max(cold):.2f} ms")
    warm: list[float] = []
    for _ in range(rounds):
        warm.extend(await _round(parser, catalog, cases))
    print(
        f"warm ({rounds} rounds, {len(warm)} turns): p50 {statistics.median(warm):.2f} ms, "
        f"p99 {_percentile(warm, 0.99):.2f} ms, mean {statistics.fmean(warm):.2f} ms, max {max(warm):.2f} ms"
    )


if __name__ == "__main__":
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--rounds", type=int, default=20)
    asyncio.run(main(arguments.parse_args().rounds))
