"""Content-based item vectors and user profiles.

Each movie becomes one sparse row made of six blocks, each TF-IDF weighted by scikit-learn and
L2-normalised on its own, then scaled by ``sqrt(block weight / total weight)``, so the dot product
of two movies is the weighted mean of their per-block cosines (a block a movie lacks counts 0):

* genres, weighted by position (TMDb lists the primary genre first),
* keywords (TMDb keywords and the catalog's MovieLens tags), terms used by one movie only dropped,
* overview and tagline words (English stop words removed, sublinear tf),
* people: directors (weighted above cast) and cast in billing order,
* original language,
* era: the release decade, with a little weight on the neighbouring decades.

A user profile is a weighted sum of the rows of the movies they rated or liked, plus the genre and
person columns of their stated favourites; scoring every movie is one sparse matrix-vector product.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from reelgraph.integrations.offline_catalog import Movie, OfflineCatalog

# Primary genre counts fully, later ones less: "Action, Comedy" is an action film first.
GENRE_POSITION_WEIGHTS = (1.0, 0.7, 0.5, 0.4, 0.3)
DIRECTOR_WEIGHT = 1.5
# Billing order: the lead matters more than the fourth name.
CAST_POSITION_WEIGHTS = (1.0, 0.8, 0.65, 0.5)
NEIGHBOUR_DECADE_WEIGHT = 0.3


@dataclass(frozen=True, slots=True)
class ContentWeights:
    """Relative weight of each block in the item-item cosine."""

    genres: float = 1.0
    keywords: float = 1.0
    overview: float = 0.5
    people: float = 1.0
    language: float = 0.2
    era: float = 0.3

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def genre_position_weight(position: int) -> float:
    return GENRE_POSITION_WEIGHTS[min(position, len(GENRE_POSITION_WEIGHTS) - 1)]


def _identity(tokens: Sequence[str]) -> Sequence[str]:
    # Module-level (not a lambda) so fitted vectorizers stay picklable.
    return tokens


def _weighted_block(rows: Sequence[Mapping[str, float]]) -> tuple[sp.csr_matrix, list[str]]:
    """TF-IDF over explicitly weighted features (genre positions, billing order, decades)."""
    # Lazy: scikit-learn (with scipy.stats, ~50 MiB) is for building the model, not serving it.
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.feature_extraction.text import TfidfTransformer

    vectorizer = DictVectorizer(dtype=np.float32, sort=True)
    counts = vectorizer.fit_transform(rows)
    if counts.shape[1] == 0:
        return sp.csr_matrix(counts, dtype=np.float32), []
    matrix = TfidfTransformer(norm="l2", smooth_idf=True).fit_transform(counts)
    return sp.csr_matrix(matrix, dtype=np.float32), list(vectorizer.get_feature_names_out())


def _token_block(docs: Sequence[Sequence[str]], min_df: int) -> sp.csr_matrix:
    if not any(docs):
        return sp.csr_matrix((len(docs), 0), dtype=np.float32)
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(analyzer=_identity, min_df=min_df, dtype=np.float32, norm="l2")
    try:
        return sp.csr_matrix(vectorizer.fit_transform(docs), dtype=np.float32)
    except ValueError:  # every token pruned by min_df (tiny catalogs in tests)
        return sp.csr_matrix((len(docs), 0), dtype=np.float32)


def _text_block(texts: Sequence[str]) -> sp.csr_matrix:
    if not any(texts):
        return sp.csr_matrix((len(texts), 0), dtype=np.float32)
    min_df = 2 if len(texts) >= 100 else 1
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(
        stop_words="english", sublinear_tf=True, min_df=min_df, max_df=0.5, dtype=np.float32, norm="l2"
    )
    try:
        return sp.csr_matrix(vectorizer.fit_transform(texts), dtype=np.float32)
    except ValueError:
        return sp.csr_matrix((len(texts), 0), dtype=np.float32)


def _genre_features(movie: Movie | None) -> dict[str, float]:
    if movie is None:
        return {}
    return {f"g{g}": genre_position_weight(pos) for pos, g in enumerate(movie.genre_ids)}


def _people_features(movie: Movie | None) -> dict[str, float]:
    if movie is None:
        return {}
    features: dict[str, float] = {}
    for pos, person in enumerate(movie.cast_ids):
        weight = CAST_POSITION_WEIGHTS[min(pos, len(CAST_POSITION_WEIGHTS) - 1)]
        features[f"p{person}"] = max(features.get(f"p{person}", 0.0), weight)
    for person in movie.director_ids:
        features[f"p{person}"] = max(features.get(f"p{person}", 0.0), DIRECTOR_WEIGHT)
    return features


def _era_features(movie: Movie | None) -> dict[str, float]:
    year = movie.year if movie is not None else None
    if year is None:
        return {}
    decade = year // 10 * 10
    return {
        f"d{decade}": 1.0,
        f"d{decade - 10}": NEIGHBOUR_DECADE_WEIGHT,
        f"d{decade + 10}": NEIGHBOUR_DECADE_WEIGHT,
    }


class ContentModel:
    """Item vectors over a fixed, sorted array of TMDb ids (rows with no catalog data are zero)."""

    def __init__(
        self,
        item_ids: np.ndarray,
        matrix: sp.csr_matrix,
        genre_matrix: sp.csr_matrix,
        genre_ids: np.ndarray,
        person_matrix: sp.csr_matrix,
        person_ids: np.ndarray,
        genre_offset: int,
        person_offset: int,
        weights: ContentWeights,
    ) -> None:
        self.item_ids = item_ids
        # (items x features): the dot product of two rows is their block-weighted cosine.
        self.matrix = matrix
        # (items x genres) position weights and (items x people) credit weights, unnormalised:
        # used for stated preferences, explanations and disliked-genre penalties.
        self.genre_matrix = genre_matrix
        self.genre_ids = genre_ids
        self.person_matrix = person_matrix
        self.person_ids = person_ids
        self.genre_offset = genre_offset
        self.person_offset = person_offset
        self.weights = weights
        self._total = sum(weights.as_dict().values())
        self._genre_col = {int(g): i for i, g in enumerate(genre_ids)}
        self._person_col = {int(p): i for i, p in enumerate(person_ids)}
        self._matrix_t = sp.csr_matrix(
            matrix.T
        )  # scoring is matrix @ profile; CSR of the transpose is faster

    # ----------------------------------------------------------------------------------- building

    @classmethod
    def build(
        cls, catalog: OfflineCatalog, item_ids: np.ndarray, weights: ContentWeights | None = None
    ) -> ContentModel:
        weights = weights or ContentWeights()
        movies = [catalog.movie(int(i)) for i in item_ids]
        genre_rows = [_genre_features(m) for m in movies]
        people_rows = [_people_features(m) for m in movies]
        genre_block, genre_names = _weighted_block(genre_rows)
        people_block, people_names = _weighted_block(people_rows)
        keyword_block = _token_block(
            [[str(k) for k in m.keyword_ids] if m else [] for m in movies],
            min_df=2 if len(movies) >= 100 else 1,
        )
        overview_block = _text_block([f"{m.overview} {m.tagline}".strip() if m else "" for m in movies])
        language_block, _ = _weighted_block(
            [{m.original_language: 1.0} if m and m.original_language else {} for m in movies]
        )
        era_block, _ = _weighted_block([_era_features(m) for m in movies])

        blocks = [
            (genre_block, weights.genres),
            (keyword_block, weights.keywords),
            (overview_block, weights.overview),
            (people_block, weights.people),
            (language_block, weights.language),
            (era_block, weights.era),
        ]
        genre_offset = 0
        person_offset = sum(b.shape[1] for b, _ in blocks[:3])
        # No renormalisation of the stacked row: a movie known only by genres and year must not look
        # as close to a fully described one as its true neighbours do. Dividing by the total weight
        # keeps the self-similarity of a fully described movie at 1.
        total = sum(w for _, w in blocks)
        matrix = sp.hstack(
            [b * np.float32(np.sqrt(w / total)) for b, w in blocks], format="csr", dtype=np.float32
        )

        # Id arrays follow the vectorizers' column order, so column i of a block is ids[i].
        genre_ids = np.array([int(n[1:]) for n in genre_names], dtype=np.int64)
        person_ids = np.array([int(n[1:]) for n in people_names], dtype=np.int64)
        genre_raw = cls._raw_block(genre_rows, "g", genre_ids)
        person_raw = cls._raw_block(people_rows, "p", person_ids)
        return cls(
            item_ids=np.asarray(item_ids, dtype=np.int64),
            matrix=matrix,
            genre_matrix=genre_raw,
            genre_ids=genre_ids,
            person_matrix=person_raw,
            person_ids=person_ids,
            genre_offset=genre_offset,
            person_offset=person_offset,
            weights=weights,
        )

    @staticmethod
    def _raw_block(rows: Sequence[Mapping[str, float]], prefix: str, ids: np.ndarray) -> sp.csr_matrix:
        col = {int(v): i for i, v in enumerate(ids)}
        r: list[int] = []
        c: list[int] = []
        data: list[float] = []
        for row, features in enumerate(rows):
            for name, weight in features.items():
                r.append(row)
                c.append(col[int(name[len(prefix) :])])
                data.append(weight)
        matrix = sp.csr_matrix(
            (np.array(data, dtype=np.float32), (np.array(r, dtype=np.int64), np.array(c, dtype=np.int64))),
            shape=(len(rows), len(ids)),
        )
        return matrix

    # ------------------------------------------------------------------------------------ scoring

    def genre_column(self, genre_id: int) -> int | None:
        return self._genre_col.get(genre_id)

    def person_column(self, person_id: int) -> int | None:
        return self._person_col.get(person_id)

    def profile(
        self,
        item_rows: np.ndarray,
        item_weights: np.ndarray,
        favorite_genres: Iterable[int] = (),
        favorite_people: Iterable[int] = (),
        preference_weight: float = 1.0,
    ) -> np.ndarray:
        """Dense profile vector: weighted mean of item rows plus stated favourite genres/people."""
        profile = np.zeros(self.matrix.shape[1], dtype=np.float32)
        if len(item_rows):
            weights = np.asarray(item_weights, dtype=np.float32)
            profile += np.asarray(weights @ self.matrix[item_rows]).ravel() / max(
                1.0, float(np.abs(weights).sum())
            )
        block = np.float32(np.sqrt(self.weights.genres / self._total) * preference_weight)
        for genre in favorite_genres:
            col = self._genre_col.get(genre)
            if col is not None:
                profile[self.genre_offset + col] += block
        people_block = np.float32(np.sqrt(self.weights.people / self._total) * preference_weight)
        for person in favorite_people:
            col = self._person_col.get(person)
            if col is not None:
                profile[self.person_offset + col] += people_block
        return profile

    def scores(self, profile: np.ndarray) -> np.ndarray:
        """Dot product of every item row with ``profile`` (dense, float32)."""
        return np.asarray(self.matrix @ profile, dtype=np.float32).ravel()

    def batch_scores(self, weights: sp.csr_matrix) -> np.ndarray:
        """(users x items) scores for (users x items) profile weights, rows normalised by weight mass."""
        mass = np.asarray(np.abs(weights).sum(axis=1), dtype=np.float32).ravel()
        scale = sp.diags(1.0 / np.maximum(mass, 1.0)).astype(np.float32)
        profiles = sp.csr_matrix(scale @ weights @ self.matrix, dtype=np.float32)
        return np.asarray((profiles @ self._matrix_t).toarray(), dtype=np.float32)

    def similarity(self, rows_a: np.ndarray, rows_b: np.ndarray) -> np.ndarray:
        """Cosine between each item of ``rows_a`` and each of ``rows_b`` (dense len(a) x len(b))."""
        return np.asarray((self.matrix[rows_a] @ self._matrix_t[:, rows_b]).toarray(), dtype=np.float32)

    def neighbours(self, row: int) -> np.ndarray:
        """Cosine of item ``row`` with every item (dense)."""
        return np.asarray((self.matrix[row] @ self._matrix_t).toarray(), dtype=np.float32).ravel()

    def subset(self, item_ids: np.ndarray) -> ContentModel:
        """The same vectors restricted to (and ordered like) ``item_ids``; unknown ids get zero rows."""
        item_ids = np.asarray(item_ids, dtype=np.int64)
        pos = np.searchsorted(self.item_ids, item_ids)
        pos = np.minimum(pos, max(len(self.item_ids) - 1, 0))
        found = self.item_ids[pos] == item_ids if len(self.item_ids) else np.zeros(len(item_ids), bool)
        # A selection matrix keeps unknown ids as empty rows without a Python loop.
        select = sp.csr_matrix(
            (np.ones(int(found.sum()), dtype=np.float32), (np.flatnonzero(found), pos[found])),
            shape=(len(item_ids), len(self.item_ids)),
        )
        return ContentModel(
            item_ids=item_ids,
            matrix=sp.csr_matrix(select @ self.matrix, dtype=np.float32),
            genre_matrix=sp.csr_matrix(select @ self.genre_matrix, dtype=np.float32),
            genre_ids=self.genre_ids,
            person_matrix=sp.csr_matrix(select @ self.person_matrix, dtype=np.float32),
            person_ids=self.person_ids,
            genre_offset=self.genre_offset,
            person_offset=self.person_offset,
            weights=self.weights,
        )

    # ------------------------------------------------------------------------------ persistence

    def to_arrays(self, prefix: str = "content_") -> dict[str, Any]:
        arrays: dict[str, Any] = {}
        for name, matrix in (
            ("matrix", self.matrix),
            ("genres", self.genre_matrix),
            ("people", self.person_matrix),
        ):
            arrays[f"{prefix}{name}_data"] = matrix.data
            arrays[f"{prefix}{name}_indices"] = matrix.indices
            arrays[f"{prefix}{name}_indptr"] = matrix.indptr
            arrays[f"{prefix}{name}_shape"] = np.array(matrix.shape, dtype=np.int64)
        arrays[f"{prefix}item_ids"] = self.item_ids
        arrays[f"{prefix}genre_ids"] = self.genre_ids
        arrays[f"{prefix}person_ids"] = self.person_ids
        arrays[f"{prefix}offsets"] = np.array([self.genre_offset, self.person_offset], dtype=np.int64)
        arrays[f"{prefix}weights"] = np.array(list(self.weights.as_dict().values()), dtype=np.float64)
        return arrays

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, Any], prefix: str = "content_") -> ContentModel:
        def csr(name: str) -> sp.csr_matrix:
            return sp.csr_matrix(
                (
                    arrays[f"{prefix}{name}_data"],
                    arrays[f"{prefix}{name}_indices"],
                    arrays[f"{prefix}{name}_indptr"],
                ),
                shape=tuple(int(v) for v in arrays[f"{prefix}{name}_shape"]),
            )

        offsets = arrays[f"{prefix}offsets"]
        return cls(
            item_ids=np.asarray(arrays[f"{prefix}item_ids"], dtype=np.int64),
            matrix=csr("matrix"),
            genre_matrix=csr("genres"),
            genre_ids=np.asarray(arrays[f"{prefix}genre_ids"], dtype=np.int64),
            person_matrix=csr("people"),
            person_ids=np.asarray(arrays[f"{prefix}person_ids"], dtype=np.int64),
            genre_offset=int(offsets[0]),
            person_offset=int(offsets[1]),
            weights=ContentWeights(*(float(v) for v in arrays[f"{prefix}weights"])),
        )
