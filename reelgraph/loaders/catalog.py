"""Per-request DataLoaders over the catalog: each key is read once per request, in batches."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from reelgraph.loaders.catalog_reader import CatalogReader
from reelgraph.loaders.shared import SharedDataLoader

K = TypeVar("K")
V = TypeVar("V")
Details = dict[str, Any]
# (TMDb id, language)
EntityKey = tuple[int, str]
# (TMDb id, IMDb id): scores are cached by IMDb id and mirrored by TMDb id.
ScoresKey = tuple[int, str | None]

# Upstream calls one batch may have in flight; the HTTP policy's rate limit still applies on top.
MAX_CONCURRENCY = 10


def _bounded(
    fetch_one: Callable[[K], Awaitable[V]],
) -> Callable[[Sequence[K]], Awaitable[list[V | BaseException]]]:
    async def load(keys: Sequence[K]) -> list[V | BaseException]:
        gate = asyncio.Semaphore(MAX_CONCURRENCY)

        async def one(key: K) -> V:
            async with gate:
                return await fetch_one(key)

        # Errors stay per key (DataLoader raises each one where it is awaited): one failing movie
        # does not fail its neighbours.
        return list(await asyncio.gather(*(one(key) for key in keys), return_exceptions=True))

    return load


class MovieByIdLoader(SharedDataLoader[EntityKey, Details | None]):
    """Movie details with credits, videos, keywords, ids and providers; None when TMDb has none."""

    def __init__(self, reader: CatalogReader) -> None:
        async def one(key: EntityKey) -> Details | None:
            return await reader.movie(*key)

        super().__init__(load_fn=_bounded(one))


class PersonByIdLoader(SharedDataLoader[EntityKey, Details | None]):
    def __init__(self, reader: CatalogReader) -> None:
        async def one(key: EntityKey) -> Details | None:
            return await reader.person(*key)

        super().__init__(load_fn=_bounded(one))


class ScoresByImdbIdLoader(SharedDataLoader[ScoresKey, Details | None]):
    """OMDb scores; one batch reads the shared cache and the mirror once for every movie in it."""

    def __init__(self, reader: CatalogReader) -> None:
        async def load(keys: Sequence[ScoresKey]) -> list[Details | None]:
            return await reader.omdb_scores(list(keys))

        super().__init__(load_fn=load)


class GenreNamesByLanguageLoader(SharedDataLoader[str, dict[int, str]]):
    def __init__(self, reader: CatalogReader) -> None:
        super().__init__(load_fn=_bounded(reader.genre_names))
