"""Training off the serving process: gather the activity, fit, serialise, in a spawned child.

The fit (NumPy/SciPy/scikit-learn) holds the GIL in parts, imports scikit-learn and leaves its peak
RSS behind in whatever process runs it. ``train_in_child`` runs the whole training (reading the
rows in batches with its own database engine, the fit, the compressed blob) in a fresh "spawn"
process of a one-worker pool made for that training and shut down after it, so the caller only
loads the blob (``storage.model_from_bytes``) and the child's memory goes back to the OS.
``train_here`` is the same in the calling process (in a thread: REELGRAPH_RECS_TRAIN_SUBPROCESS=false).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import resource
import sys
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reelgraph.integrations.offline_catalog import OfflineCatalog
from reelgraph.persistence import recommendations as repo
from reelgraph.persistence.engine import create_engine, create_session_factory
from reelgraph.recommender.storage import model_to_bytes
from reelgraph.recommender.training import build_model

_CHUNK = 65_536  # rows turned back into Python values at a time while training


@dataclass(frozen=True)
class ActivityArrays:
    """Training data gathered in batches into compact arrays (not millions of Python tuples)."""

    rating_users: np.ndarray
    rating_movies: np.ndarray
    rating_values: np.ndarray
    rating_times: np.ndarray  # Unix seconds: popularity is recency-weighted as in the evaluation
    interaction_users: np.ndarray
    interaction_movies: np.ndarray
    interaction_kinds: np.ndarray  # codes into ``kinds``
    interaction_times: np.ndarray
    kinds: tuple[str, ...]

    def ratings(self) -> Iterator[tuple[int, int, float]]:
        for start in range(0, len(self.rating_users), _CHUNK):
            end = start + _CHUNK
            yield from zip(
                self.rating_users[start:end].tolist(),
                self.rating_movies[start:end].tolist(),
                self.rating_values[start:end].tolist(),
                strict=True,
            )

    def interactions(self) -> Iterator[tuple[int, int, str]]:
        kinds = self.kinds
        for start in range(0, len(self.interaction_users), _CHUNK):
            end = start + _CHUNK
            yield from zip(
                self.interaction_users[start:end].tolist(),
                self.interaction_movies[start:end].tolist(),
                (kinds[code] for code in self.interaction_kinds[start:end].tolist()),
                strict=True,
            )


@dataclass(frozen=True)
class Trained:
    """What a training hands back: the stored blob and what it was trained on, and by whom."""

    blob: bytes
    ratings: int
    interactions: int
    pid: int  # the process that trained
    peak_rss_mib: float  # that process's peak resident set


async def gather(
    sessions: async_sessionmaker[AsyncSession], seen: repo.Watermarks, batch_rows: int
) -> ActivityArrays:
    """The ratings and interactions up to ``seen``, read ``batch_rows`` at a time."""
    kinds: dict[str, int] = {}  # interaction kinds as small codes, in the order met
    ratings: list[tuple[np.ndarray, ...]] = []
    interactions: list[tuple[np.ndarray, ...]] = []
    async with sessions() as session:
        async for batch in repo.rating_batches(session, seen.ratings, batch_rows):
            users, movies, values, moments = zip(*batch, strict=True)
            ratings.append(
                (
                    np.array(users, np.int64),
                    np.array(movies, np.int64),
                    np.array(values, np.float32),
                    _epochs(moments),
                )
            )
        async for batch in repo.interaction_batches(session, seen.interactions, batch_rows):
            users, movies, names, moments = zip(*batch, strict=True)
            codes = [kinds.setdefault(name, len(kinds)) for name in names]
            interactions.append(
                (
                    np.array(users, np.int64),
                    np.array(movies, np.int64),
                    np.array(codes, np.int16),
                    _epochs(moments),
                )
            )
    r_users, r_movies, r_values, r_times = _columns(ratings, (np.int64, np.int64, np.float32, np.float64))
    i_users, i_movies, i_kinds, i_times = _columns(interactions, (np.int64, np.int64, np.int16, np.float64))
    return ActivityArrays(
        r_users, r_movies, r_values, r_times, i_users, i_movies, i_kinds, i_times, kinds=tuple(kinds)
    )


def fit(data: ActivityArrays) -> Trained:
    """The fit and its compressed serialisation (blocking: a thread or the child runs it)."""
    model = build_model(
        data.ratings(),
        data.interactions(),
        OfflineCatalog.load(),
        rating_times=data.rating_times,
        interaction_times=data.interaction_times,
    )
    model.stats["trained_by_pid"] = os.getpid()  # metadata only: not part of the version hash
    blob = model_to_bytes(model)
    return Trained(blob, len(data.rating_users), len(data.interaction_users), os.getpid(), _peak_rss_mib())


async def train_here(
    sessions: async_sessionmaker[AsyncSession], seen: repo.Watermarks, batch_rows: int
) -> Trained:
    """Gathers on this loop, fits in a thread of this process (the in-thread setting)."""
    data = await gather(sessions, seen, batch_rows)
    return await asyncio.to_thread(fit, data)


async def train_in_child(database_url: str, seen: repo.Watermarks, batch_rows: int) -> Trained:
    """Gathers and fits in a spawned process made for this training (its memory is freed after).

    Spawn, not fork: a fork of the serving process would copy its threads' locks and its heap.
    """
    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    try:
        # Submitting starts the child (fork+exec, then its preparation data): not on the loop.
        future = await asyncio.to_thread(pool.submit, _child_main, database_url, seen, batch_rows)
        return await asyncio.wrap_future(future)
    except asyncio.CancelledError:
        # A cancelled run (a timeout, a shutdown) stops its child rather than leaving it training.
        for process in list((pool._processes or {}).values()):
            process.terminate()
        raise
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _child_main(database_url: str, seen: repo.Watermarks, batch_rows: int) -> Trained:
    return asyncio.run(_child_train(database_url, seen, batch_rows))


async def _child_train(database_url: str, seen: repo.Watermarks, batch_rows: int) -> Trained:
    engine = create_engine(database_url)
    try:
        data = await gather(create_session_factory(engine), seen, batch_rows)
    finally:
        await engine.dispose()
    return fit(data)


def _peak_rss_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)  # bytes on macOS, KiB else


def _columns(batches: list[tuple[np.ndarray, ...]], dtypes: tuple[Any, ...]) -> tuple[np.ndarray, ...]:
    if not batches:
        return tuple(np.zeros(0, dtype) for dtype in dtypes)
    return tuple(np.concatenate([batch[n] for batch in batches]) for n in range(len(dtypes)))


def _epochs(moments: Sequence[datetime | None]) -> np.ndarray:
    # Unix seconds; SQLite hands back naive datetimes, written in UTC. An undated row counts as now.
    now = datetime.now(UTC).timestamp()
    return np.array(
        [now if m is None else (m if m.tzinfo else m.replace(tzinfo=UTC)).timestamp() for m in moments],
        dtype=np.float64,
    )
