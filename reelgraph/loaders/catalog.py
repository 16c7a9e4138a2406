"""Per-request DataLoaders over the catalog: each key is fetched once per request, in batches."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from reelgraph.services.catalog import CatalogService

K = TypeVar("K")
V = TypeVar("V")

# Upstream calls one batch may have in flight; the HTTP policy's rate limit still applies on top.
MAX_CONCURRENCY = 10


def _bounded(fetch_one: Callable[[K], Awaitable[V]]) -> Callable[[Sequence[K]], Awaitable[list[V]]]:
    async def load(keys: Sequence[K]) -> list[V]:
        gate = asyncio.Semaphore(MAX_CONCURRENCY)

        async def one(key: K) -> V:
            async with gate:
                return await fetch_one(key)

        # Errors stay per key: one failing movie does not fail its neighbours.
        results = await asyncio.gather(*(one(key) for key in keys), return_exceptions=True)
        return list(results)  # type: ignore[arg-type]

    return load


class CatalogLoaders:
    def __init__(self, catalog: CatalogService) -> None:
        self.movie: DataLoader[tuple[int, str], dict[str, Any] | None] = DataLoader(
            _bounded(lambda key: catalog.movie(key[0], key[1]))
        )
        self.person: DataLoader[tuple[int, str], dict[str, Any] | None] = DataLoader(
            _bounded(lambda key: catalog.person(key[0], key[1]))
        )

        async def load_scores(keys: Sequence[tuple[int, str | None]]) -> list[dict[str, Any] | None]:
            return await catalog.omdb_scores(list(keys))

        self.omdb: DataLoader[tuple[int, str | None], dict[str, Any] | None] = DataLoader(load_scores)
        self.genre_names: DataLoader[str, dict[int, str]] = DataLoader(_bounded(catalog.genre_names))
