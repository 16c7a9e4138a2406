"""The evaluation protocol's splits: held-out test ratings per user, and the folds models train on.

One ``numpy.random.default_rng(seed)`` walks the users in ascending id order and permutes each
user's ratings; the first ``round(0.2 n)`` (at least 1) are the test set, the rest train. The
few-ratings scenarios split users into ``COLD_START_FOLDS`` folds (``default_rng([seed,
COLD_FOLD_SEED])``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from reelgraph.recommender.collaborative import interaction_matrix
from reelgraph.recommender.movielens import RatingsTable
from reelgraph.recommender.time_decay import ages_from_latest

TEST_FRACTION = 0.2
RELEVANT_RATING = 4.0
COLD_START_RATINGS = 3
COLD_START_FOLDS = 5
COLD_FOLD_SEED = 3  # user folds of the few-ratings scenarios: default_rng([seed, COLD_FOLD_SEED])


def split_ratings(
    table: RatingsTable, seed: int, fraction: float = TEST_FRACTION
) -> tuple[np.ndarray, np.ndarray]:
    """(test mask, train order): per user, a permutation's first round(fraction n) rows are test.

    ``train order`` holds, for train rows, their position in the user's shuffled train list (0 =
    first), and -1 for test rows; the 3-rating scenario keeps positions 0-2.
    """
    rng = np.random.default_rng(seed)
    _, starts, counts = np.unique(table.users, return_index=True, return_counts=True)
    test = np.zeros(len(table), dtype=bool)
    order = np.full(len(table), -1, dtype=np.int64)
    for start, n in zip(starts.tolist(), counts.tolist(), strict=True):
        held = max(1, round(fraction * n))
        perm = rng.permutation(n)
        test[start + perm[:held]] = True
        order[start + perm[held:]] = np.arange(n - held)
    return test, order


def user_folds(table: RatingsTable, seed: int) -> np.ndarray:
    """Per row, the few-ratings fold (0 to COLD_START_FOLDS - 1) of its user."""
    users = np.unique(table.users)
    folds = np.random.default_rng([seed, COLD_FOLD_SEED]).permutation(len(users)) % COLD_START_FOLDS
    return folds[np.searchsorted(users, table.users)]


@dataclass(slots=True)
class Fold:
    """One training matrix and the users scored against it."""

    item_ids: np.ndarray
    train: sp.csr_matrix  # all training users x items, binary
    inputs: sp.csr_matrix  # evaluated users' input ratings (values, 0 = none)
    relevant: np.ndarray  # evaluated users x items, bool
    n_relevant: np.ndarray
    # Days between each input (train) cell and its user's latest input (train) rating, same
    # cells as ``inputs`` (``train``); and the train cells' items and Unix times (popularity).
    input_ages: sp.csr_matrix | None = None
    train_ages: sp.csr_matrix | None = None
    train_item_cols: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    train_user_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    train_times: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    # The same cells as ``train`` with their ratings (what a graded EASE trains on).
    train_ratings: sp.csr_matrix | None = None


def make_fold(
    table: RatingsTable, train_rows: np.ndarray, input_rows: np.ndarray, test_rows: np.ndarray
) -> Fold | None:
    """Build a fold: ``train_rows`` train the models, ``input_rows`` are the evaluated users' inputs."""
    item_ids = np.unique(table.movies[train_rows])
    user_ids, user_rows = np.unique(table.users[train_rows], return_inverse=True)
    train = interaction_matrix(
        user_rows,
        np.searchsorted(item_ids, table.movies[train_rows]),
        np.ones(len(train_rows)),
        (len(user_ids), len(item_ids)),
    )
    relevant_rows = test_rows[table.values[test_rows] >= RELEVANT_RATING]
    eval_users = np.intersect1d(np.unique(table.users[relevant_rows]), np.unique(table.users[input_rows]))
    if not len(eval_users):
        return None
    relevant_rows = relevant_rows[np.isin(table.users[relevant_rows], eval_users)]
    # Relevant test items the training data never saw cannot be ranked, but still count as missed.
    n_relevant = np.bincount(
        np.searchsorted(eval_users, table.users[relevant_rows]), minlength=len(eval_users)
    )
    rel_rows = relevant_rows[np.isin(table.movies[relevant_rows], item_ids)]
    relevant = np.zeros((len(eval_users), len(item_ids)), dtype=bool)
    relevant[
        np.searchsorted(eval_users, table.users[rel_rows]), np.searchsorted(item_ids, table.movies[rel_rows])
    ] = True
    in_rows = input_rows[np.isin(table.users[input_rows], eval_users)]
    # Inputs the models never saw (the temporal protocol's items newer than the cutoff) score nothing.
    in_rows = in_rows[np.isin(table.movies[in_rows], item_ids)]
    inputs = interaction_matrix(
        np.searchsorted(eval_users, table.users[in_rows]),
        np.searchsorted(item_ids, table.movies[in_rows]),
        table.values[in_rows],
        (len(eval_users), len(item_ids)),
    )
    train_cols = np.searchsorted(item_ids, table.movies[train_rows])
    return Fold(
        item_ids,
        train,
        inputs,
        relevant,
        n_relevant.astype(np.int64),
        input_ages=_ages(
            table, in_rows, np.searchsorted(eval_users, table.users[in_rows]), item_ids, inputs.shape
        ),
        train_ages=_ages(table, train_rows, user_rows, item_ids, train.shape),
        train_item_cols=train_cols,
        train_user_rows=np.asarray(user_rows, dtype=np.int64),
        train_times=table.timestamps[train_rows],
        train_ratings=interaction_matrix(
            user_rows, train_cols, table.values[train_rows], (len(user_ids), len(item_ids))
        ),
    )


def _ages(
    table: RatingsTable, rows: np.ndarray, user_rows: np.ndarray, item_ids: np.ndarray, shape: tuple[int, int]
) -> sp.csr_matrix:
    # Explicit zeros are kept (the latest rating is 0 days old); a table has one row per cell.
    ages = ages_from_latest(table.users[rows], table.timestamps[rows])
    matrix = sp.csr_matrix(
        (ages, (user_rows, np.searchsorted(item_ids, table.movies[rows]))), shape=shape, dtype=np.float64
    )
    matrix.sort_indices()
    return matrix


# --------------------------------------------------------------------------- temporal protocol

TEMPORAL_BUCKETS = 10
# Users whose test ratings begin before this share of all ratings exists are not evaluated: the
# models of the earliest buckets would train on almost nothing.
TEMPORAL_WARMUP = 0.2
COLD_SLICE_RATINGS = 5


def temporal_split(table: RatingsTable, fraction: float = TEST_FRACTION) -> tuple[np.ndarray, np.ndarray]:
    """(test mask, recency): per user, the latest round(fraction n) (>= 1) ratings by time are test.

    Ties in time are broken by TMDb id. ``recency`` is, for train rows, 0 for the user's most
    recent train rating, 1 for the one before, ...; -1 for test rows.
    """
    order = np.lexsort((table.movies, table.timestamps, table.users))
    _, starts, counts = np.unique(table.users[order], return_index=True, return_counts=True)
    test = np.zeros(len(table), dtype=bool)
    recency = np.full(len(table), -1, dtype=np.int64)
    for start, n in zip(starts.tolist(), counts.tolist(), strict=True):
        held = max(1, round(fraction * n))
        rows = order[start : start + n]
        test[rows[n - held :]] = True
        recency[rows[: n - held]] = np.arange(n - held - 1, -1, -1)
    return test, recency


@dataclass(frozen=True, slots=True)
class TemporalBucket:
    """Users whose test ratings begin in [cutoff, next cutoff), scored by models of the past."""

    cutoff: int  # Unix seconds: every training row is strictly older
    train_rows: np.ndarray
    input_rows: np.ndarray
    test_rows: np.ndarray


def temporal_buckets(
    table: RatingsTable,
    test: np.ndarray,
    recency: np.ndarray,
    *,
    kept_ratings: int | None = None,
    buckets: int = TEMPORAL_BUCKETS,
    warmup: float = TEMPORAL_WARMUP,
) -> list[TemporalBucket]:
    """Chronological buckets of evaluated users; each bucket's models train on the past only.

    A user's test starts at their first test rating; users are cut into ``buckets`` by that time
    (quantiles), and a bucket's models train on every rating (anyone's, test rows of earlier users
    included) strictly older than the bucket's first test start, so no model sees a rating at or
    after any of the bucket's test ratings. Inputs are the users' own train ratings (their past).
    With ``kept_ratings``, the users keep only their most recent ``kept_ratings`` train ratings
    and their other ratings leave the training data too (the cold slice).
    """
    users, user_rows = np.unique(table.users, return_inverse=True)
    test_start = np.full(len(users), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(test_start, user_rows[test], table.timestamps[test])
    has_train = np.bincount(user_rows[~test], minlength=len(users)) > 0
    earliest = np.quantile(table.timestamps, warmup) if len(table) else 0
    eligible = np.flatnonzero(has_train & (test_start < np.iinfo(np.int64).max) & (test_start >= earliest))
    if not len(eligible):
        return []
    edges = np.unique(np.quantile(test_start[eligible], np.linspace(0, 1, buckets + 1)).astype(np.int64))
    bucket_of = np.full(len(users), -1, dtype=np.int64)
    bucket_of[eligible] = np.clip(np.searchsorted(edges, test_start[eligible], side="right") - 1, 0, None)
    bucket_of[eligible] = np.minimum(bucket_of[eligible], max(len(edges) - 2, 0))
    row_bucket = bucket_of[user_rows]
    kept = ~test if kept_ratings is None else (~test & (recency < kept_ratings))
    out = []
    for b in range(max(len(edges) - 1, 1)):
        members = np.flatnonzero(bucket_of == b)
        if not len(members):
            continue
        cutoff = int(test_start[members].min())
        in_bucket = row_bucket == b
        past = table.timestamps < cutoff
        # The cold slice: the bucket's users' discarded ratings teach the models nothing either.
        train = past & (~in_bucket | kept)
        out.append(
            TemporalBucket(
                cutoff,
                np.flatnonzero(train),
                np.flatnonzero(in_bucket & kept),
                np.flatnonzero(in_bucket & test),
            )
        )
    return out
