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

# Upstream calls one loader may have in flight: a page's movie details all at once; the HTTP
# policy's token bucket applies on top.
MAX_CONCURRENCY = 50


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
    """Movie details with credits, videos, keywords, ids and providers; None when TMDb has none.

    One key per batch: each movie's details resolve as soon as they arrive, so what waits on them
    (its OMDb scores) starts then, not when the slowest movie of the page has arrived. Nothing is
    lost: details are read one by one anyway; a request-wide gate bounds the calls in flight.
    """

    def __init__(self, reader: CatalogReader) -> None:
        gate = asyncio.Semaphore(MAX_CONCURRENCY)
        # Parts beyond the default the request's details append (schema.extensions.movie_parts).
        self.extra_parts: tuple[str, ...] = ()

        async def load(keys: Sequence[EntityKey]) -> list[Details | None]:
            async with gate:
                return [await reader.movie(*keys[0], extra_parts=self.extra_parts)]

        super().__init__(load_fn=load, max_batch_size=1)


class PersonByIdLoader(SharedDataLoader[EntityKey, Details | None]):
    def __init__(self, reader: CatalogReader) -> None:
        async def one(key: EntityKey) -> Details | None:
            return await reader.person(*key)

        super().__init__(load_fn=_bounded(one))


class ReleaseDatesByMovieLoader(SharedDataLoader[int, Details | None]):
    """TMDb's release dates and certifications per region, by movie (language-free)."""

    def __init__(self, reader: CatalogReader) -> None:
        super().__init__(load_fn=_bounded(reader.release_dates))


class ScoresByImdbIdLoader(SharedDataLoader[ScoresKey, Details | None]):
    """OMDb scores; one batch reads the shared cache and the mirror once for every movie in it."""

    def __init__(self, reader: CatalogReader) -> None:
        async def load(keys: Sequence[ScoresKey]) -> list[Details | None]:
            return await reader.omdb_scores(list(keys))

        super().__init__(load_fn=load)


class GenreNamesByLanguageLoader(SharedDataLoader[str, dict[int, str]]):
    def __init__(self, reader: CatalogReader) -> None:
        super().__init__(load_fn=_bounded(reader.genre_names))
