"""The recommender facade the server uses: train, recommend with reasons, similar items, save/load.

Training (EASE over the community prior plus this server's ratings and interactions, TF-IDF item
vectors from the catalog, popularity) produces an immutable ``RecommenderModel``; the engine swaps
it in atomically, so requests keep using the previous model while a new one trains in a thread or
process pool (``await engine.train_async(...)``). One viewer's recommendations are a handful of
sparse/dense vector products over ~10,000 items: no Python loop over items.

The model version is a hash of everything the scores depend on (training data, item universe,
item vectors, configuration), so replicas that train on the same data report the same version.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import io
import json
import time
import zipfile
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from importlib import resources
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from reelgraph.integrations.offline_catalog import OfflineCatalog
from reelgraph.recommender import explain
from reelgraph.recommender.collaborative import EASE, interaction_matrix, single_thread_blas
from reelgraph.recommender.content import ContentModel
from reelgraph.recommender.explain import Reason
from reelgraph.recommender.hybrid import (
    DEFAULT_CONFIG,
    INTERACTION_AS_RATING,
    NOT_INTERESTED_CONTENT_WEIGHT,
    POSITIVE_WEIGHT,
    WATCH_LATER_WEIGHT,
    HybridConfig,
    Strategy,
    blend,
    rating_weights,
    standardize,
)

ENGINE_FORMAT = 1
MODEL_ARRAYS = "model.npz"
MODEL_META = "model.json"
PRIOR_FILE = "community_prior.npz"
# Interactions that put a movie in the training matrix at full weight, and the weak one.
CONSUMED_KINDS = frozenset({"SEEN", "LIKED", "FAVORITE"})
# Popularity outside the training data (catalog-only movies) only breaks ties below trained ones.
CATALOG_POPULARITY_TIE_BREAK = 1e-2
# similar_items: collaborative and content neighbours, each scaled to its best one (chosen by
# inspection of well-known movies, not tuned offline); popularity only separates near-ties.
SIMILAR_COLLAB_WEIGHT = 1.0
SIMILAR_CONTENT_WEIGHT = 1.0
SIMILAR_POPULARITY_WEIGHT = 0.02
# Explanations: a contribution below this many z-units is not worth a sentence.
MIN_REASON_WEIGHT = 0.1
MAX_REASONS = 3
# Viewers with no positive item but favourite genres: popular movies in those genres first.
COLD_GENRE_BOOST = 3.0

_REASON_TIER = {
    explain.ReasonKind.BECAUSE_YOU_LIKED: 0,
    explain.ReasonKind.FAVORITE_PERSON: 0,
    explain.ReasonKind.FAVORITE_GENRE: 0,
    explain.ReasonKind.SIMILAR_USERS: 1,
    explain.ReasonKind.POPULAR: 2,
}

CandidateFilter = Callable[[int], bool] | Collection[int]


class NotTrainedError(RuntimeError):
    """The engine has no model yet: train it or load a saved one."""


# ---------------------------------------------------------------------------------------- inputs


@dataclass(frozen=True, slots=True)
class Preferences:
    """Stated preferences (the ``preferences`` table), TMDb ids."""

    favorite_genres: tuple[int, ...] = ()
    disliked_genres: tuple[int, ...] = ()
    favorite_people: tuple[int, ...] = ()
    favorite_movies: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class UserProfile:
    """What the viewer told us: ratings (0.5-5), interaction kinds per movie, preferences."""

    ratings: Mapping[int, float] = field(default_factory=dict)
    interactions: Mapping[int, AbstractSet[str]] = field(default_factory=dict)
    preferences: Preferences = field(default_factory=Preferences)


@dataclass(frozen=True, slots=True)
class Recommendation:
    tmdb_id: int
    score: float
    reasons: tuple[Reason, ...] = ()


@dataclass(frozen=True, slots=True)
class CommunityPrior:
    """(user, TMDb id, rating) triples shipped with the package (MovieLens, see data/ATTRIBUTION.md)."""

    users: np.ndarray
    tmdb_ids: np.ndarray
    ratings: np.ndarray

    def __len__(self) -> int:
        return len(self.users)

    @classmethod
    def empty(cls) -> CommunityPrior:
        return cls(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32))

    @classmethod
    def load(cls, path: str | PathLike[str] | None = None) -> CommunityPrior:
        """The shipped prior, or a file written by ``scripts/build_community_prior.py``."""
        return _load_prior(None if path is None else str(Path(path).resolve()))

    def save(self, path: str | PathLike[str]) -> int:
        """Write a byte-reproducible .npz (fixed zip timestamps, sorted rows); returns its size."""
        order = np.lexsort((self.tmdb_ids, self.users))
        users = self.users[order]
        user_dtype = np.int16 if len(users) == 0 or int(np.abs(users).max()) < 2**15 else np.int32
        arrays = {
            "users": users.astype(user_dtype),
            "tmdb_ids": self.tmdb_ids[order].astype(np.int32),
            "half_stars": np.rint(self.ratings[order] * 2).astype(np.uint8),
        }
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
            for name, array in arrays.items():
                buffer = io.BytesIO()
                np.lib.format.write_array(buffer, np.ascontiguousarray(array), allow_pickle=False)
                # np.savez stamps the current time into the zip; a fixed date keeps builds identical.
                info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, buffer.getvalue(), compresslevel=9)
        return target.stat().st_size

    @classmethod
    def from_npz(cls, source: Any) -> CommunityPrior:
        with np.load(source) as data:
            # Ratings are stored as half-stars in uint8 (0.5-5 -> 1-10) to keep the file small.
            return cls(
                users=data["users"].astype(np.int64),
                tmdb_ids=data["tmdb_ids"].astype(np.int64),
                ratings=(data["half_stars"].astype(np.float32) / 2.0),
            )


@functools.cache
def _load_prior(path: str | None) -> CommunityPrior:
    if path is None:
        resource = resources.files("reelgraph.recommender").joinpath("data").joinpath(PRIOR_FILE)
        with resource.open("rb") as handle:
            return CommunityPrior.from_npz(handle)
    return CommunityPrior.from_npz(path)


# ------------------------------------------------------------------------------------- the model


@dataclass(frozen=True, slots=True)
class UserVectors:
    """A viewer's profile projected onto the model's item columns."""

    collab_cols: np.ndarray
    collab_weights: np.ndarray
    content_cols: np.ndarray
    content_weights: np.ndarray
    liked_cols: np.ndarray  # positive items that may be named in "Because you liked ..."
    exclude_cols: np.ndarray

    @property
    def n_items(self) -> int:
        return int(np.count_nonzero(self.collab_weights > 0))


def _hash_arrays(digest: Any, *arrays: np.ndarray) -> None:
    for array in arrays:
        contiguous = np.ascontiguousarray(array)
        digest.update(str(contiguous.dtype).encode())
        digest.update(str(contiguous.shape).encode())
        digest.update(contiguous.tobytes())


class RecommenderModel:
    """Trained, immutable state: the item universe and everything scored over it."""

    def __init__(
        self,
        item_ids: np.ndarray,
        ease: EASE,
        content: ContentModel,
        counts: np.ndarray,
        catalog_popularity: np.ndarray | None,
        config: HybridConfig,
        version: str,
        titles: Mapping[int, str],
        genre_names: Mapping[int, tuple[str, str]],
        person_names: Mapping[int, str],
        stats: Mapping[str, Any],
    ) -> None:
        self.item_ids = item_ids
        self.ease = ease
        self.content = content
        self.counts = counts
        self.catalog_popularity = catalog_popularity
        self.config = config
        self.version = version
        self.titles = dict(titles)
        self.genre_names = dict(genre_names)
        self.person_names = dict(person_names)
        self.stats = dict(stats)
        raw = np.log1p(counts.astype(np.float32))
        if catalog_popularity is not None:
            raw = raw + CATALOG_POPULARITY_TIE_BREAK * catalog_popularity.astype(np.float32)
        # One standardised popularity row shared by every user.
        self.popularity = standardize(raw)[0]
        self._director_matrix = self._directors()

    # ------------------------------------------------------------------------------- training

    @classmethod
    def fit(
        cls,
        interactions: sp.csr_matrix,
        item_ids: np.ndarray,
        content: ContentModel,
        config: HybridConfig = DEFAULT_CONFIG,
        *,
        catalog: OfflineCatalog | None = None,
        catalog_popularity: np.ndarray | None = None,
        stats: Mapping[str, Any] | None = None,
    ) -> RecommenderModel:
        """Fit on a (users x items) matrix whose columns are ``item_ids`` (sorted TMDb ids)."""
        started = time.perf_counter()
        ease = EASE(config.ease_lambda).fit(interactions)
        binary = interactions.copy()
        binary.data = (binary.data > 0).astype(np.float32)
        counts = np.asarray(binary.sum(axis=0), dtype=np.float32).ravel()
        digest = hashlib.sha256()
        digest.update(f"reelgraph-recommender/{ENGINE_FORMAT}".encode())
        digest.update(json.dumps(config.as_dict(), sort_keys=True).encode())
        _hash_arrays(digest, item_ids, interactions.indptr, interactions.indices, interactions.data)
        _hash_arrays(digest, content.matrix.indptr, content.matrix.indices, content.matrix.data)
        if catalog_popularity is not None:
            _hash_arrays(digest, catalog_popularity)
        titles: dict[int, str] = {}
        genre_names: dict[int, tuple[str, str]] = {}
        person_names: dict[int, str] = {}
        if catalog is not None:
            titles = {int(i): m.title for i in item_ids if (m := catalog.movie(int(i))) is not None}
            genre_names = {
                int(g): (genre.name, genre.name_fr)
                for g in content.genre_ids
                if (genre := catalog.genre(int(g))) is not None
            }
            person_names = {
                int(p): person.name
                for p in content.person_ids
                if (person := catalog.person(int(p))) is not None
            }
        info = dict(stats or {})
        info.update(
            users=int(interactions.shape[0]),
            items=len(item_ids),
            trained_items=int(np.count_nonzero(counts)),
            interactions=int(interactions.nnz),
            ease_mode=ease.mode,
            ease_seconds=round(time.perf_counter() - started, 3),
        )
        return cls(
            item_ids=np.asarray(item_ids, dtype=np.int64),
            ease=ease,
            content=content,
            counts=counts,
            catalog_popularity=catalog_popularity,
            config=config,
            version=f"r{ENGINE_FORMAT}-{digest.hexdigest()[:16]}",
            titles=titles,
            genre_names=genre_names,
            person_names=person_names,
            stats=info,
        )

    def _directors(self) -> sp.csr_matrix:
        # Person credit weight 1.5 is a director credit (content.DIRECTOR_WEIGHT), kept for texts.
        directors = self.content.person_matrix.copy()
        directors.data = (directors.data >= 1.5).astype(np.float32)
        directors.eliminate_zeros()
        return sp.csr_matrix(directors)

    # -------------------------------------------------------------------------------- profile

    def columns(self, tmdb_ids: Iterable[int]) -> tuple[np.ndarray, np.ndarray]:
        """Column of each id and whether the id is in the universe."""
        ids = np.fromiter(tmdb_ids, dtype=np.int64)
        cols = np.searchsorted(self.item_ids, ids)
        cols = np.minimum(cols, max(len(self.item_ids) - 1, 0))
        found = (self.item_ids[cols] == ids) if len(self.item_ids) else np.zeros(len(ids), bool)
        return cols, found

    def user_vectors(self, profile: UserProfile) -> UserVectors:
        collab: dict[int, float] = {}
        content: dict[int, float] = {}
        config = self.config

        def put(movie_id: int, as_rating: float) -> None:
            c = float(rating_weights(np.array([as_rating]), config.collab_rating_weights)[0])
            t = float(rating_weights(np.array([as_rating]), config.content_rating_weights)[0])
            collab[movie_id] = max(collab.get(movie_id, c), c)
            content[movie_id] = max(content.get(movie_id, t), t)

        if profile.ratings:
            # Ratings are most of a profile: weigh them in one vectorised pass.
            rated = np.fromiter(profile.ratings.keys(), dtype=np.int64, count=len(profile.ratings))
            values = np.fromiter(profile.ratings.values(), dtype=np.float64, count=len(profile.ratings))
            ids = rated.tolist()
            collab.update(
                zip(ids, rating_weights(values, config.collab_rating_weights).tolist(), strict=True)
            )
            content.update(
                zip(ids, rating_weights(values, config.content_rating_weights).tolist(), strict=True)
            )
        for movie_id, kinds in profile.interactions.items():
            movie_id = int(movie_id)
            for kind in kinds:
                if kind in INTERACTION_AS_RATING:
                    put(movie_id, INTERACTION_AS_RATING[kind])
            if "WATCH_LATER" in kinds and movie_id not in collab:
                collab[movie_id] = WATCH_LATER_WEIGHT
                content[movie_id] = WATCH_LATER_WEIGHT
            if "NOT_INTERESTED" in kinds:
                content[movie_id] = min(content.get(movie_id, 0.0), NOT_INTERESTED_CONTENT_WEIGHT)
        for movie_id in profile.preferences.favorite_movies:
            put(int(movie_id), 5.0)

        seen = {
            int(i) for i in (*profile.ratings, *profile.interactions, *profile.preferences.favorite_movies)
        }
        exclude_cols, exclude_found = self.columns(seen)
        collab_ids = list(collab)
        collab_cols, collab_found = self.columns(collab_ids)
        collab_w = np.array([collab[i] for i in collab_ids], dtype=np.float32)
        content_ids = list(content)
        content_cols, content_found = self.columns(content_ids)
        content_w = np.array([content[i] for i in content_ids], dtype=np.float32)
        liked = collab_cols[collab_found & (collab_w >= POSITIVE_WEIGHT)]
        return UserVectors(
            collab_cols=collab_cols[collab_found],
            collab_weights=collab_w[collab_found],
            content_cols=content_cols[content_found & (content_w != 0)],
            content_weights=content_w[content_found & (content_w != 0)],
            liked_cols=liked,
            exclude_cols=exclude_cols[exclude_found],
        )

    def _row(self, cols: np.ndarray, weights: np.ndarray) -> sp.csr_matrix:
        return sp.csr_matrix(
            (weights.astype(np.float32), (np.zeros(len(cols), dtype=np.int64), cols)),
            shape=(1, len(self.item_ids)),
        )

    def _genre_match(self, genre_ids: Sequence[int]) -> np.ndarray:
        """Per item, the largest position weight among ``genre_ids`` (0 if none)."""
        cols = [c for g in genre_ids if (c := self.content.genre_column(int(g))) is not None]
        if not cols:
            return np.zeros(len(self.item_ids), dtype=np.float32)
        return np.asarray(self.content.genre_matrix[:, cols].max(axis=1).toarray(), dtype=np.float32).ravel()

    def _person_match(self, person_ids: Sequence[int]) -> np.ndarray:
        cols = [c for p in person_ids if (c := self.content.person_column(int(p))) is not None]
        if not cols:
            return np.zeros(len(self.item_ids), dtype=np.float32)
        hits = np.asarray(self.content.person_matrix[:, cols].getnnz(axis=1), dtype=np.float32)
        return np.minimum(hits, 1.0)

    # -------------------------------------------------------------------------------- scoring

    def score_batch(
        self, collab_rows: sp.csr_matrix, content_rows: sp.csr_matrix, strategies: Sequence[Strategy]
    ) -> dict[Strategy, np.ndarray]:
        """Scores of many users at once (offline evaluation); no preferences, no exclusions."""
        collab, content = self.components(collab_rows, content_rows)
        n_items = np.diff(sp.csr_matrix(collab_rows > 0).indptr)
        return {s: blend(s, collab, content, self.popularity, n_items, self.config) for s in strategies}

    def components(
        self, collab_rows: sp.csr_matrix, content_rows: sp.csr_matrix
    ) -> tuple[np.ndarray, np.ndarray]:
        return self.ease.scores(collab_rows), self.content.batch_scores(content_rows)

    def recommend(
        self,
        profile: UserProfile,
        k: int = 20,
        strategy: Strategy = Strategy.HYBRID,
        exclude_ids: Iterable[int] = (),
        candidate_filter: CandidateFilter | None = None,
    ) -> list[Recommendation]:
        with single_thread_blas:  # one viewer's products are small (see SingleThreadBlas)
            return self._recommend(profile, k, Strategy(strategy), exclude_ids, candidate_filter)

    def _recommend(
        self,
        profile: UserProfile,
        k: int,
        strategy: Strategy,
        exclude_ids: Iterable[int],
        candidate_filter: CandidateFilter | None,
    ) -> list[Recommendation]:
        prefs = profile.preferences
        vectors = self.user_vectors(profile)
        n_items = vectors.n_items
        # Only the components the strategy blends are computed (POPULAR needs neither).
        n_all = len(self.item_ids)
        collab = np.zeros((1, n_all), dtype=np.float32)
        if strategy in (Strategy.HYBRID, Strategy.COLLABORATIVE) and len(vectors.collab_cols):
            collab = self.ease.scores(self._row(vectors.collab_cols, vectors.collab_weights))
        content = np.zeros((1, n_all), dtype=np.float32)
        if strategy in (Strategy.HYBRID, Strategy.CONTENT):
            content_profile = self.content.profile(
                vectors.content_cols, vectors.content_weights, prefs.favorite_genres, prefs.favorite_people
            )
            content = self.content.scores(content_profile)[None, :]
        scores = blend(strategy, collab, content, self.popularity, np.array([n_items]), self.config)[0]

        # Stated preferences shape every strategy but the purely collaborative one.
        genre_boost = np.zeros(len(self.item_ids), dtype=np.float32)
        person_boost = np.zeros(len(self.item_ids), dtype=np.float32)
        if strategy is not Strategy.COLLABORATIVE:
            if prefs.favorite_genres:
                boost = COLD_GENRE_BOOST if n_items == 0 else self.config.favorite_genre_boost
                genre_boost = boost * self._genre_match(prefs.favorite_genres)
            if prefs.favorite_people:
                person_boost = self.config.favorite_person_boost * self._person_match(prefs.favorite_people)
            scores = scores + genre_boost + person_boost
        if prefs.disliked_genres:
            scores = scores - self.config.disliked_genre_penalty * self._genre_match(prefs.disliked_genres)

        excluded = np.zeros(len(self.item_ids), dtype=bool)
        excluded[vectors.exclude_cols] = True
        extra_cols, extra_found = self.columns(int(i) for i in exclude_ids)
        excluded[extra_cols[extra_found]] = True
        if candidate_filter is not None and not callable(candidate_filter):
            excluded |= ~np.isin(self.item_ids, np.fromiter(candidate_filter, dtype=np.int64))
        scores = np.where(excluded, -np.inf, scores)
        top = _top_k(scores, self.item_ids, k, candidate_filter if callable(candidate_filter) else None)
        if not len(top):
            return []
        reasons = self._reasons(
            strategy, vectors, collab[0], content[0], top, genre_boost, person_boost, prefs
        )
        return [
            Recommendation(int(self.item_ids[c]), float(scores[c]), reasons[n]) for n, c in enumerate(top)
        ]

    # --------------------------------------------------------------------------- explanations

    def _reasons(
        self,
        strategy: Strategy,
        vectors: UserVectors,
        collab: np.ndarray,
        content: np.ndarray,
        top: np.ndarray,
        genre_boost: np.ndarray,
        person_boost: np.ndarray,
        prefs: Preferences,
    ) -> list[tuple[Reason, ...]]:
        weights = self.config.weights_for(vectors.n_items)
        w_collab = {Strategy.HYBRID: weights.collaborative, Strategy.COLLABORATIVE: 1.0}.get(strategy, 0.0)
        w_content = {Strategy.HYBRID: weights.content, Strategy.CONTENT: 1.0}.get(strategy, 0.0)
        w_pop = {Strategy.HYBRID: weights.popularity, Strategy.POPULAR: 1.0}.get(strategy, 0.0)
        std_collab = float(collab.std()) or 1.0
        std_content = float(content.std()) or 1.0

        # Contribution of each liked movie j to each recommended movie r, in z-units of the blend.
        liked = vectors.liked_cols
        because = np.zeros((len(liked), len(top)), dtype=np.float32)
        if len(liked) and w_collab:
            collab_w = dict(zip(vectors.collab_cols.tolist(), vectors.collab_weights.tolist(), strict=True))
            wj = np.array([collab_w[int(j)] for j in liked], dtype=np.float32)[:, None]
            because += w_collab * wj * self.ease_block(liked, top) / std_collab
        if len(liked) and w_content:
            content_w = dict(
                zip(vectors.content_cols.tolist(), vectors.content_weights.tolist(), strict=True)
            )
            wj = np.array([content_w.get(int(j), 0.0) for j in liked], dtype=np.float32)[:, None]
            mass = max(1.0, float(np.abs(vectors.content_weights).sum()))
            because += w_content * wj * self.content.similarity(liked, top) / mass / std_content
        best = because.argmax(axis=0) if len(liked) else np.zeros(len(top), dtype=np.int64)

        z_collab = (collab[top] - collab.mean()) / std_collab
        fav_genre_cols = [
            (g, c) for g in prefs.favorite_genres if (c := self.content.genre_column(int(g))) is not None
        ]
        fav_person_cols = [
            (p, c) for p in prefs.favorite_people if (c := self.content.person_column(int(p))) is not None
        ]
        out: list[tuple[Reason, ...]] = []
        for n, col in enumerate(top):
            reasons: list[Reason] = []
            if len(liked):
                j = int(liked[best[n]])
                weight = float(because[best[n], n])
                title = self.titles.get(int(self.item_ids[j]))
                if weight >= MIN_REASON_WEIGHT and title:
                    reasons.append(explain.because_you_liked(int(self.item_ids[j]), title, weight))
            if person_boost[col] > 0:
                for person, pc in fav_person_cols:
                    if self.content.person_matrix[col, pc] > 0 and person in self.person_names:
                        directed = bool(self._director_matrix[col, pc] > 0)
                        name = self.person_names[person]
                        reasons.append(
                            explain.favorite_person(person, name, directed, float(person_boost[col]))
                        )
                        break
            if genre_boost[col] > 0:
                for genre, gc in fav_genre_cols:
                    if self.content.genre_matrix[col, gc] > 0 and genre in self.genre_names:
                        en, fr = self.genre_names[genre]
                        reasons.append(explain.favorite_genre(genre, en, fr, float(genre_boost[col])))
                        break
            collab_share = w_collab * float(z_collab[n])
            if collab_share >= 1.0:  # well above this viewer's average collaborative score
                reasons.append(explain.similar_users(collab_share))
            pop_share = w_pop * float(self.popularity[col])
            if pop_share >= MIN_REASON_WEIGHT or not reasons:
                reasons.append(explain.popular(max(pop_share, 0.0)))
            # Personal reasons first (they say the most), then the crowd, each by weight.
            reasons.sort(key=lambda r: (_REASON_TIER[r.kind], -r.weight))
            out.append(tuple(reasons[:MAX_REASONS]))
        return out

    def ease_block(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """``B[rows][:, cols]`` without materialising whole rows when the dual form is used."""
        return self.ease.block(rows, cols)

    # ------------------------------------------------------------------------------ neighbours

    def similar_items(self, tmdb_id: int, k: int = 20) -> list[Recommendation]:
        with single_thread_blas:
            return self._similar_items(tmdb_id, k)

    def _similar_items(self, tmdb_id: int, k: int) -> list[Recommendation]:
        cols, found = self.columns([tmdb_id])
        if not found[0]:
            return []
        col = int(cols[0])
        # Each component is scaled by its best neighbour: EASE rows are heavy-tailed, so z-scores
        # would let them drown the content neighbours (sequels, same director, same themes).
        content = self.content.neighbours(col)
        content[col] = 0.0
        scores = SIMILAR_CONTENT_WEIGHT * content / max(float(content.max()), 1e-6)
        if self.counts[col] > 0:
            collab = self.ease.item_rows(np.array([col]))[0]
            collab[col] = 0.0
            scores = scores + SIMILAR_COLLAB_WEIGHT * collab / max(float(collab.max()), 1e-6)
        scores = scores + SIMILAR_POPULARITY_WEIGHT * self.popularity
        scores[col] = -np.inf
        top = _top_k(scores, self.item_ids, k, None)
        return [Recommendation(int(self.item_ids[c]), float(scores[c])) for c in top]

    # ----------------------------------------------------------------------------- persistence

    def save(self, directory: str | PathLike[str]) -> Path:
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, Any] = {"item_ids": self.item_ids, "counts": self.counts}
        if self.catalog_popularity is not None:
            arrays["catalog_popularity"] = self.catalog_popularity
        arrays.update(self.ease.to_arrays())
        arrays.update(self.content.to_arrays())
        # Write to a temporary name then rename, so a reader never sees half a model.
        tmp = path / f".{MODEL_ARRAYS}.tmp"
        with tmp.open("wb") as handle:
            np.savez_compressed(handle, **arrays)
        meta = {
            "format": ENGINE_FORMAT,
            "version": self.version,
            "config": self.config.as_dict(),
            "stats": self.stats,
            "titles": {str(k): v for k, v in sorted(self.titles.items())},
            "genre_names": {str(k): list(v) for k, v in sorted(self.genre_names.items())},
            "person_names": {str(k): v for k, v in sorted(self.person_names.items())},
        }
        meta_tmp = path / f".{MODEL_META}.tmp"
        meta_tmp.write_text(json.dumps(meta, ensure_ascii=False, sort_keys=True), encoding="utf-8")
        tmp.replace(path / MODEL_ARRAYS)
        meta_tmp.replace(path / MODEL_META)
        return path

    @classmethod
    def load(cls, directory: str | PathLike[str]) -> RecommenderModel:
        path = Path(directory)
        meta = json.loads((path / MODEL_META).read_text(encoding="utf-8"))
        if meta.get("format") != ENGINE_FORMAT:
            raise ValueError(f"unsupported recommender model format {meta.get('format')!r} in {path}")
        with np.load(path / MODEL_ARRAYS, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
        return cls(
            item_ids=arrays["item_ids"].astype(np.int64),
            ease=EASE.from_arrays(arrays),
            content=ContentModel.from_arrays(arrays),
            counts=arrays["counts"].astype(np.float32),
            catalog_popularity=arrays.get("catalog_popularity"),
            config=HybridConfig.from_dict(meta["config"]),
            version=meta["version"],
            titles={int(k): v for k, v in meta["titles"].items()},
            genre_names={int(k): (v[0], v[1]) for k, v in meta["genre_names"].items()},
            person_names={int(k): v for k, v in meta["person_names"].items()},
            stats=meta["stats"],
        )


def _top_k(
    scores: np.ndarray, item_ids: np.ndarray, k: int, accept: Callable[[int], bool] | None
) -> np.ndarray:
    """Columns of the ``k`` best finite scores, best first; ``accept`` is asked lazily, in order."""
    finite = int(np.count_nonzero(np.isfinite(scores)))
    if k <= 0 or finite == 0:
        return np.zeros(0, dtype=np.int64)
    # A filter may reject many: widen the partition geometrically instead of sorting everything.
    want = min(finite, k if accept is None else 4 * k)
    chosen: list[int] = []
    done = 0
    while True:
        part = np.argpartition(-scores, want - 1)[:want] if want < len(scores) else np.arange(len(scores))
        ranked = part[np.argsort(-scores[part], kind="stable")]
        ranked = ranked[np.isfinite(scores[ranked])]
        if accept is None:
            return ranked[:k]
        for col in ranked[done:]:
            if accept(int(item_ids[col])):
                chosen.append(int(col))
                if len(chosen) == k:
                    return np.array(chosen, dtype=np.int64)
        done = len(ranked)
        if want >= finite:
            return np.array(chosen, dtype=np.int64)
        want = min(finite, want * 4)


# ----------------------------------------------------------------------------------- building


def training_matrix(
    prior: CommunityPrior,
    local_ratings: Iterable[tuple[int, int, float]],
    local_interactions: Iterable[tuple[int, int, str]],
    extra_item_ids: Iterable[int] = (),
) -> tuple[sp.csr_matrix, np.ndarray, dict[str, int]]:
    """(users x items) interaction matrix over prior + local data, and the sorted item universe.

    Every rating counts as one interaction (MovieLens protocol); SEEN, LIKED and FAVORITE too;
    WATCH_LATER counts ``WATCH_LATER_WEIGHT``; NOT_INTERESTED adds nothing. Prior users and local
    users are distinct rows even when their numeric ids coincide.
    """
    local_users: list[int] = []
    local_items: list[int] = []
    local_values: list[float] = []
    for user_id, movie_id, _value in local_ratings:
        local_users.append(int(user_id))
        local_items.append(int(movie_id))
        local_values.append(1.0)
    for user_id, movie_id, kind in local_interactions:
        weight = 1.0 if kind in CONSUMED_KINDS else WATCH_LATER_WEIGHT if kind == "WATCH_LATER" else 0.0
        if weight:
            local_users.append(int(user_id))
            local_items.append(int(movie_id))
            local_values.append(weight)
    lu = np.array(local_users, dtype=np.int64)
    li = np.array(local_items, dtype=np.int64)
    lv = np.array(local_values, dtype=np.float32)
    prior_rows = np.unique(prior.users, return_inverse=True)[1] if len(prior) else np.zeros(0, np.int64)
    n_prior = int(prior_rows.max()) + 1 if len(prior_rows) else 0
    local_keys, local_rows = np.unique(lu, return_inverse=True) if len(lu) else (np.zeros(0), lu)
    item_ids = np.unique(
        np.concatenate([prior.tmdb_ids, li, np.fromiter(extra_item_ids, dtype=np.int64)]).astype(np.int64)
    )
    rows = np.concatenate([prior_rows, n_prior + local_rows]).astype(np.int64)
    cols = np.searchsorted(item_ids, np.concatenate([prior.tmdb_ids, li]))
    values = np.concatenate([np.ones(len(prior), dtype=np.float32), lv])
    matrix = interaction_matrix(rows, cols, values, (n_prior + len(local_keys), len(item_ids)))
    stats = {"prior_users": n_prior, "local_users": len(local_keys), "local_events": len(lu)}
    return matrix, item_ids, stats


def build_model(
    local_ratings: Iterable[tuple[int, int, float]] = (),
    local_interactions: Iterable[tuple[int, int, str]] = (),
    catalog: OfflineCatalog | None = None,
    prior: CommunityPrior | None = None,
    config: HybridConfig = DEFAULT_CONFIG,
) -> RecommenderModel:
    """Train a model (module-level so a ProcessPoolExecutor can run it)."""
    started = time.perf_counter()
    catalog = catalog or OfflineCatalog.load()
    prior = CommunityPrior.load() if prior is None else prior
    catalog_ids = list(catalog.popular())
    matrix, item_ids, stats = training_matrix(prior, local_ratings, local_interactions, catalog_ids)
    content = ContentModel.build(catalog, item_ids)
    catalog_popularity = np.zeros(len(item_ids), dtype=np.float32)
    for movie_id in catalog_ids:
        movie = catalog.movie(movie_id)
        assert movie is not None
        catalog_popularity[np.searchsorted(item_ids, movie_id)] = np.log1p(movie.popularity)
    model = RecommenderModel.fit(
        matrix,
        item_ids,
        content,
        config,
        catalog=catalog,
        catalog_popularity=catalog_popularity,
        stats={**stats, "prior_ratings": len(prior)},
    )
    model.stats["train_seconds"] = round(time.perf_counter() - started, 3)
    return model


# ------------------------------------------------------------------------------------ the facade


class RecommenderEngine:
    """Holds the current model; training builds a new one and swaps it in atomically."""

    def __init__(self, model: RecommenderModel | None = None, config: HybridConfig = DEFAULT_CONFIG) -> None:
        self._model = model
        self.config = model.config if model is not None else config

    @property
    def model(self) -> RecommenderModel:
        if self._model is None:
            raise NotTrainedError("the recommender has no model yet: train it or load a saved one")
        return self._model

    @property
    def is_trained(self) -> bool:
        return self._model is not None

    @property
    def version(self) -> str | None:
        return None if self._model is None else self._model.version

    def train(
        self,
        local_ratings: Iterable[tuple[int, int, float]] = (),
        local_interactions: Iterable[tuple[int, int, str]] = (),
        catalog: OfflineCatalog | None = None,
        *,
        prior: CommunityPrior | None = None,
    ) -> str:
        """Train synchronously and swap the new model in; returns its version.

        ``local_ratings`` are (user_id, tmdb_id, value) and ``local_interactions`` (user_id,
        tmdb_id, kind); ``prior`` defaults to the shipped community prior (pass
        ``CommunityPrior.empty()`` to train on local data only).
        """
        self._model = build_model(local_ratings, local_interactions, catalog, prior, self.config)
        return self._model.version

    async def train_async(
        self,
        local_ratings: Iterable[tuple[int, int, float]] = (),
        local_interactions: Iterable[tuple[int, int, str]] = (),
        catalog: OfflineCatalog | None = None,
        *,
        prior: CommunityPrior | None = None,
        executor: Executor | None = None,
    ) -> str:
        """Train without blocking the event loop: in a worker thread, or in ``executor``.

        NumPy/BLAS release the GIL for the heavy parts; pass a ``ProcessPoolExecutor`` to keep the
        Python-level parts (TF-IDF) off the serving process too. Requests keep using the current
        model until the new one is swapped in.
        """
        ratings, interactions = list(local_ratings), list(local_interactions)
        if executor is None:
            model = await asyncio.to_thread(build_model, ratings, interactions, catalog, prior, self.config)
        else:
            if isinstance(executor, ProcessPoolExecutor) and catalog is not None:
                # The catalog does not pickle (it caches bound methods); a worker process loads the
                # packaged one itself, so only that one can be used there.
                if catalog is not OfflineCatalog.load():
                    raise ValueError("a process pool trains on the packaged catalog only: pass catalog=None")
                catalog = None
            loop = asyncio.get_running_loop()
            call = functools.partial(build_model, ratings, interactions, catalog, prior, self.config)
            model = await loop.run_in_executor(executor, call)
        self._model = model
        return model.version

    def recommend(
        self,
        user_profile: UserProfile,
        k: int = 20,
        strategy: Strategy | str = Strategy.HYBRID,
        exclude_ids: Iterable[int] = (),
        candidate_filter: CandidateFilter | None = None,
    ) -> list[Recommendation]:
        """The ``k`` best movies for the viewer, best first, each with a score and reasons.

        Movies the viewer rated, interacted with in any way or named as favourites are never
        returned, nor ``exclude_ids``. ``candidate_filter`` is either a set of allowed TMDb ids
        (applied vectorised) or a predicate asked lazily in rank order until ``k`` pass.
        """
        return self.model.recommend(user_profile, k, Strategy(strategy), exclude_ids, candidate_filter)

    def similar_items(self, tmdb_id: int, k: int = 20) -> list[Recommendation]:
        """Item-item neighbours of a movie (collaborative + content), best first, without reasons."""
        return self.model.similar_items(tmdb_id, k)

    def save(self, directory: str | PathLike[str]) -> Path:
        return self.model.save(directory)

    @classmethod
    def load(cls, directory: str | PathLike[str]) -> RecommenderEngine:
        return cls(RecommenderModel.load(directory))
