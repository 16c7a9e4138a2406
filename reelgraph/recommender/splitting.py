"""The evaluation protocol's splits: held-out test ratings per user, and the folds models train on.

One ``numpy.random.default_rng(seed)`` walks the users in ascending id order and permutes each
user's ratings; the first ``round(0.2 n)`` (at least 1) are the test set, the rest train. The
few-ratings scenarios split users into ``COLD_START_FOLDS`` folds (``default_rng([seed,
COLD_FOLD_SEED])``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from reelgraph.recommender.collaborative import interaction_matrix
from reelgraph.recommender.movielens import RatingsTable

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
    inputs = interaction_matrix(
        np.searchsorted(eval_users, table.users[in_rows]),
        np.searchsorted(item_ids, table.movies[in_rows]),
        table.values[in_rows],
        (len(eval_users), len(item_ids)),
    )
    return Fold(item_ids, train, inputs, relevant, n_relevant.astype(np.int64))
