"""Theme search: the catalog's movies whose keywords, tagline or overview match the chat's themes
("time travel", "braquage"), best first, under the other filters of the turn.

The index is built once per process from the bundled catalog (whose ids are TMDb's, so it serves
the live upstream too), in a worker thread, and shared by every request. A query is a few sparse
column reads: the movies holding every word of a theme (posting lists), the precise match of
``reelgraph.chat.themes`` on those few, the turn's filters on the catalog's metadata, then a
TF-IDF ranking in which a word among the movie's keywords weighs ``KEYWORD_WEIGHT`` times a word
of its overview, blended with popularity so the well-known matches come first.
"""

from __future__ import annotations

import asyncio
import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from reelgraph.chat.themes import Terms, ThemeText, expansions, matches_terms
from reelgraph.integrations.offline_catalog import Movie, OfflineCatalog
from reelgraph.movie_filter import MovieFilterSpec
from reelgraph.services.recommendations import candidate_filter

if TYPE_CHECKING:  # scikit-learn (with scipy.stats: ~50 MiB) loads when the index is first built
    from sklearn.feature_extraction.text import TfidfVectorizer

KEYWORD_WEIGHT = 2.0
# Relevance first; popularity only orders movies about equally relevant (0.6 of a full match).
POPULARITY_WEIGHT = 1.5
MAX_CACHED_THEMES = 2048
MIN_VOTES_TO_RANK = 100


def _identity(tokens: Sequence[str]) -> Sequence[str]:
    return tokens


@dataclass(frozen=True)
class ThemeIndex:
    ids: np.ndarray  # movie id per row
    texts: tuple[ThemeText, ...]
    keyword_vectors: TfidfVectorizer
    text_vectors: TfidfVectorizer
    keyword_matrix: sp.csr_matrix  # rows x keyword-stem columns, L2-normalised TF-IDF
    text_matrix: sp.csr_matrix  # rows x tagline/overview-stem columns
    keyword_postings: sp.csc_matrix
    text_postings: sp.csc_matrix
    popularity: np.ndarray  # log popularity scaled to 0..1
    _scores: dict[str, dict[int, float]] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def build(cls, catalog: OfflineCatalog) -> ThemeIndex:
        from sklearn.feature_extraction.text import TfidfVectorizer

        movies = catalog.movies(catalog.popular())
        texts = tuple(
            ThemeText.of((k.name for k in catalog.keywords_of(m)), m.tagline, m.overview) for m in movies
        )
        keyword_docs = [[t for phrase in text.keyword_phrases for t in phrase] for text in texts]
        text_docs = [[t for passage in text.passages for t in passage] for text in texts]
        keyword_vectors = TfidfVectorizer(analyzer=_identity, sublinear_tf=True, dtype=np.float32)
        text_vectors = TfidfVectorizer(analyzer=_identity, sublinear_tf=True, dtype=np.float32)
        keyword_matrix = sp.csr_matrix(keyword_vectors.fit_transform(keyword_docs))
        text_matrix = sp.csr_matrix(text_vectors.fit_transform(text_docs))
        popularity = np.log1p(np.array([max(m.popularity, 0.0) for m in movies], dtype=np.float32))
        return cls(
            ids=np.array([m.id for m in movies], dtype=np.int64),
            texts=texts,
            keyword_vectors=keyword_vectors,
            text_vectors=text_vectors,
            keyword_matrix=keyword_matrix,
            text_matrix=text_matrix,
            keyword_postings=keyword_matrix.tocsc(),
            text_postings=text_matrix.tocsc(),
            popularity=popularity / max(float(popularity.max(initial=0.0)), 1e-9),
        )

    def _rows_with(self, term: str) -> np.ndarray:
        """The rows holding ``term`` among their keywords or in their text, sorted."""
        parts = []
        for vectors, postings in (
            (self.keyword_vectors, self.keyword_postings),
            (self.text_vectors, self.text_postings),
        ):
            column = vectors.vocabulary_.get(term)
            if column is not None:
                parts.append(postings.indices[postings.indptr[column] : postings.indptr[column + 1]])
        return np.unique(np.concatenate(parts)) if parts else np.empty(0, dtype=np.int32)

    def _matching_rows(self, wanted: Terms) -> list[int]:
        postings = sorted((self._rows_with(t) for t in set(wanted)), key=len)
        candidates = postings[0]
        for rows in postings[1:]:
            if not len(candidates):
                break
            candidates = np.intersect1d(candidates, rows, assume_unique=True)
        return [r for r in candidates.tolist() if matches_terms(self.texts[r], wanted)]

    def theme_scores(self, keyword: str) -> dict[int, float]:
        """Row -> score of every movie matching ``keyword``, whatever the filters (memoised: the
        index never changes and themes repeat)."""
        cached = self._scores.get(keyword)
        if cached is not None:
            return cached
        forms = expansions(keyword)
        rows = sorted({r for wanted in forms for r in self._matching_rows(wanted)})
        scores: dict[int, float] = {}
        if rows:
            query = [t for wanted in forms for t in wanted]
            relevance = KEYWORD_WEIGHT * _cosines(self.keyword_vectors, self.keyword_matrix, rows, query)
            relevance += _cosines(self.text_vectors, self.text_matrix, rows, query)
            top = float(relevance.max(initial=0.0)) or 1.0
            for row, value in zip(rows, relevance.tolist(), strict=True):
                scores[row] = math.sqrt(max(value, 0.0) / top) + POPULARITY_WEIGHT * float(
                    self.popularity[row]
                )
        if len(self._scores) >= MAX_CACHED_THEMES:
            self._scores.clear()
        self._scores[keyword] = scores
        return scores

    def search(
        self,
        keywords: Sequence[str],
        keep: Callable[[int], bool] = lambda _: True,
        limit: int = 30,
    ) -> list[int]:
        """Ids of the movies matching any of ``keywords`` that ``keep`` accepts, best first; a
        movie about several of the themes adds their scores."""
        scores: dict[int, float] = {}
        for keyword in keywords:
            for row, score in self.theme_scores(keyword).items():
                scores[row] = scores.get(row, 0.0) + score
        ranked = sorted(scores, key=lambda r: (-scores[r], int(self.ids[r])))
        best: list[int] = []
        for row in ranked:
            movie_id = int(self.ids[row])
            if keep(movie_id):
                best.append(movie_id)
                if len(best) >= limit:
                    break
        return best


def _cosines(
    vectors: TfidfVectorizer, matrix: sp.csr_matrix, rows: list[int], query: list[str]
) -> np.ndarray:
    """Cosine of each row with the query (TF-IDF weighted as the rows, sublinear tf), computed
    from the fitted idf directly: a vectorizer's transform costs more than the product."""
    counts: dict[int, int] = {}
    for term in query:
        column = vectors.vocabulary_.get(term)
        if column is not None:
            counts[column] = counts.get(column, 0) + 1
    if not counts:
        return np.zeros(len(rows), dtype=np.float32)
    columns = np.fromiter(counts, dtype=np.int64)
    weights = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float32))) * vectors.idf_[columns]
    weights /= float(np.linalg.norm(weights)) or 1.0
    block = matrix[rows][:, columns]
    return np.asarray(block @ weights.astype(np.float32), dtype=np.float32).ravel()


class ThemeSearch:
    """The shared index, built on first use in a worker thread; searches run on the loop (they
    cost a millisecond or two)."""

    _index: ThemeIndex | None = None
    _lock = threading.Lock()

    @classmethod
    def _built(cls) -> ThemeIndex:
        with cls._lock:
            if cls._index is None:
                cls._index = ThemeIndex.build(OfflineCatalog.load())
            return cls._index

    @classmethod
    async def index(cls) -> ThemeIndex:
        return cls._index if cls._index is not None else await asyncio.to_thread(cls._built)

    @classmethod
    async def warm(cls) -> None:
        """Builds the index now (the server's start may call this)."""
        await cls.index()

    @classmethod
    async def search(
        cls,
        keywords: Sequence[str],
        spec: MovieFilterSpec,
        exclude: set[int],
        limit: int = 30,
        sort: str | None = None,
    ) -> list[int]:
        """Ids of the movies about ``keywords`` that keep every filter of ``spec``, best first, or
        in ``sort`` order (a MovieSort name, judged on the catalog's metadata) among all of them."""
        if not keywords:
            return []
        index = await cls.index()
        # the themes are matched by the index itself; the spec's keywords are TMDb keyword names
        others = candidate_filter(replace(spec, keywords=[]))
        found = index.search(
            keywords,
            lambda movie_id: movie_id not in exclude and others(movie_id),
            limit if sort is None else len(index.ids),
        )
        return sort_by(found, sort)[:limit] if sort is not None else found


def sort_by(movie_ids: list[int], sort: str) -> list[int]:
    """Theme matches in a requested order ("the newest time travel movies"); relevance order
    breaks ties, and POPULARITY_DESC keeps the relevance order (it already weighs popularity)."""
    catalog = OfflineCatalog.load()
    rank = {movie_id: n for n, movie_id in enumerate(movie_ids)}
    movies = {m.id: m for m in catalog.movies(movie_ids)}
    keys: dict[str, Callable[[int], tuple[Any, ...]]] = {
        "RELEASE_DATE_DESC": lambda i: (-_day(movies[i].release_date), rank[i]),
        "RELEASE_DATE_ASC": lambda i: (_day(movies[i].release_date) or 99_999_999, rank[i]),
        "VOTE_AVERAGE_DESC": lambda i: (-_vote(movies[i]), rank[i]),
        "IMDB_RATING_DESC": lambda i: (-_imdb(movies[i]), rank[i]),
        "TITLE_ASC": lambda i: (movies[i].title.casefold(), rank[i]),
    }
    key = keys.get(sort)
    if key is None:
        return movie_ids
    return sorted((i for i in movie_ids if i in movies), key=key)


def _vote(movie: Movie) -> float:
    # ten out of ten from three voters is not "best rated"
    return movie.vote_average if movie.vote_count >= MIN_VOTES_TO_RANK else 0.0


def _imdb(movie: Movie) -> float:
    return (movie.imdb.rating or 0.0) if movie.imdb is not None else 0.0


def _day(release_date: str) -> int:
    digits = release_date.replace("-", "")
    return int(digits) if digits.isdigit() else 0
