"""MovieLens-format ratings files (``ratings.csv``, ``links.csv``) as a table keyed by TMDb id,
and the item vectors such a table is scored with."""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass, field
from os import PathLike

import numpy as np

from reelgraph.integrations.offline_catalog import OfflineCatalog
from reelgraph.recommender.content import ContentModel


@dataclass(frozen=True, slots=True)
class RatingsTable:
    """Ratings mapped to TMDb ids, ordered by (user, TMDb id)."""

    users: np.ndarray  # int64 user ids as in the file
    movies: np.ndarray  # int64 TMDb ids
    values: np.ndarray  # float32 0.5-5
    tmdb_to_movielens: Mapping[int, int] = field(default_factory=dict)
    # int64 Unix seconds of each rating (0 when the file has no timestamp column).
    timestamps: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def __post_init__(self) -> None:
        if len(self.timestamps) != len(self.users):
            object.__setattr__(self, "timestamps", np.zeros(len(self.users), dtype=np.int64))

    def __len__(self) -> int:
        return len(self.users)

    def take(self, rows: np.ndarray) -> RatingsTable:
        return RatingsTable(
            self.users[rows],
            self.movies[rows],
            self.values[rows],
            self.tmdb_to_movielens,
            self.timestamps[rows],
        )


def read_links(path: str | PathLike[str]) -> dict[int, int]:
    """MovieLens movieId -> TMDb id (movies without one are left out)."""
    with open(path, newline="", encoding="utf-8") as handle:
        return {
            int(row["movieId"]): int(row["tmdbId"]) for row in csv.DictReader(handle) if row["tmdbId"].strip()
        }


def catalog_links(catalog: OfflineCatalog) -> dict[int, int]:
    """MovieLens movieId -> TMDb id as shipped in the catalog (its ``movielens_id`` fields)."""
    return {
        m.movielens_id: m.id
        for i in catalog.popular()
        if (m := catalog.movie(i)) is not None and m.movielens_id
    }


def load_movielens_ratings(
    ratings: str | PathLike[str], links: str | PathLike[str] | Mapping[int, int]
) -> RatingsTable:
    """Read ``userId,movieId,rating,timestamp`` and map movies to TMDb ids (links.csv or a dict)."""
    link = dict(links) if isinstance(links, Mapping) else read_links(links)
    latest: dict[tuple[int, int], tuple[int, float]] = {}
    with open(ratings, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            tmdb_id = link.get(int(row["movieId"]))
            if tmdb_id is None:
                continue
            key = (int(row["userId"]), tmdb_id)
            stamp = int(row.get("timestamp") or 0)
            # Two MovieLens ids can share a TMDb id: keep the user's latest rating of it.
            if key not in latest or stamp >= latest[key][0]:
                latest[key] = (stamp, float(row["rating"]))
    keys = sorted(latest)
    reverse: dict[int, int] = {}
    for movielens_id, tmdb_id in sorted(link.items()):
        reverse.setdefault(tmdb_id, movielens_id)
    return RatingsTable(
        users=np.array([k[0] for k in keys], dtype=np.int64),
        movies=np.array([k[1] for k in keys], dtype=np.int64),
        values=np.array([latest[k][1] for k in keys], dtype=np.float32),
        tmdb_to_movielens=reverse,
        timestamps=np.array([latest[k][0] for k in keys], dtype=np.int64),
    )


def build_content(catalog: OfflineCatalog, table: RatingsTable) -> ContentModel:
    """Item vectors over the catalog plus every rated movie (TF-IDF fitted as on a server)."""
    ids = np.union1d(np.fromiter(catalog.popular(), dtype=np.int64), table.movies)
    return ContentModel.build(catalog, ids)
