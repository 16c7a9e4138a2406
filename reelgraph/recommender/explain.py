"""Why a movie was recommended: reason kinds, their English and French texts, and which reasons
each recommended movie gets (``explain_top``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

import numpy as np

from reelgraph.recommender.contributions import collaborative_without, content_without, item_moments
from reelgraph.recommender.hybrid import TIE_BREAK, Strategy, standardize
from reelgraph.recommender.model import RecommenderModel, UserVectors
from reelgraph.recommender.profile import Preferences
from reelgraph.text import is_french

# A contribution below this much of the final score (z units) is not worth a sentence.
MIN_REASON_WEIGHT = 0.05
MAX_REASONS = 3


class ReasonKind(StrEnum):
    BECAUSE_YOU_LIKED = "BECAUSE_YOU_LIKED"
    FAVORITE_GENRE = "FAVORITE_GENRE"
    FAVORITE_PERSON = "FAVORITE_PERSON"
    SIMILAR_USERS = "SIMILAR_USERS"
    POPULAR = "POPULAR"


@dataclass(frozen=True, slots=True)
class Reason:
    """One reason; ``movie_id`` / ``genre_id`` / ``person_id`` say what it points at (TMDb ids).

    ``weight`` is the reason's share of the final score (z units), for ordering; ``text`` renders
    the sentence in the request language (French for "fr"/"fr-FR", English otherwise).
    """

    kind: ReasonKind
    text_en: str
    text_fr: str
    movie_id: int | None = None
    genre_id: int | None = None
    person_id: int | None = None
    # Not part of equality: moments computed in other batches move it in the last float bits.
    weight: float = field(default=0.0, compare=False)

    def text(self, language: str | None = None) -> str:
        return self.text_fr if is_french(language) else self.text_en


def because_you_liked(movie_id: int, title: str, weight: float = 0.0) -> Reason:
    return Reason(
        ReasonKind.BECAUSE_YOU_LIKED,
        f"Because you liked {title}",
        f"Parce que vous avez aimé {title}",
        movie_id=movie_id,
        weight=weight,
    )


def favorite_genre(genre_id: int, name_en: str, name_fr: str, weight: float = 0.0) -> Reason:
    return Reason(
        ReasonKind.FAVORITE_GENRE,
        f"One of your favorite genres: {name_en}",
        f"Un de vos genres préférés : {name_fr}",
        genre_id=genre_id,
        weight=weight,
    )


def favorite_person(person_id: int, name: str, directed: bool, weight: float = 0.0) -> Reason:
    if directed:
        en, fr = f"Directed by {name}, one of your favorites", f"Réalisé par {name}, l'un de vos favoris"
    else:
        en, fr = f"With {name}, one of your favorites", f"Avec {name}, l'un de vos favoris"
    return Reason(ReasonKind.FAVORITE_PERSON, en, fr, person_id=person_id, weight=weight)


def similar_users(weight: float = 0.0) -> Reason:
    return Reason(
        ReasonKind.SIMILAR_USERS,
        "Liked by viewers with tastes like yours",
        "Apprécié par des spectateurs aux goûts proches des vôtres",
        weight=weight,
    )


def popular(weight: float = 0.0) -> Reason:
    return Reason(
        ReasonKind.POPULAR,
        "Popular with viewers",
        "Populaire auprès des spectateurs",
        weight=weight,
    )


@dataclass(frozen=True, slots=True)
class Components:
    """One viewer's scores over all items: the parts and the final score (before exclusions).

    ``content_movies`` is what the viewer's own movies give the content score, ``content_stated``
    what their stated favourite genres and people give it.
    """

    collab: np.ndarray
    content_movies: np.ndarray
    content_stated: np.ndarray
    scores: np.ndarray


class FinalScore(Protocol):
    """Final scores of (rows x items) component scores, each row with its own profile size."""

    def __call__(self, collab: np.ndarray, content: np.ndarray, n_items: np.ndarray) -> np.ndarray: ...

    def genre_boost(self, n_items: int) -> np.ndarray: ...

    def extras(self, n_items: int) -> np.ndarray: ...

    person_boost: np.ndarray
    prefs: Preferences


def component_coefficients(
    model: RecommenderModel, strategy: Strategy, n_items: int
) -> tuple[float, float, float]:
    """How much one z unit of collaborative, content and popularity adds to the final score."""
    if strategy is Strategy.POPULAR:
        return 0.0, 0.0, 1.0
    if strategy is Strategy.COLLABORATIVE:
        return 1.0, 0.0, TIE_BREAK
    if strategy is Strategy.CONTENT:
        weight = max(model.config.content_popularity, TIE_BREAK)
        return 0.0, 1.0 / (1.0 + weight), weight / (1.0 + weight)
    w = model.config.weights_for(n_items)
    total = (w.collaborative + w.content + w.popularity) or 1.0
    return w.collaborative / total, w.content / total, w.popularity / total


def leave_one_out(
    model: RecommenderModel,
    strategy: Strategy,
    vectors: UserVectors,
    parts: Components,
    top: np.ndarray,
    final: FinalScore,
) -> tuple[np.ndarray, np.ndarray]:
    """Profile columns and, for each, how much each of ``top`` would lose without it.

    Returns ``(cols, drops)`` with ``drops[i, n]`` = final score of ``top[n]`` minus its final score
    for the same viewer without ``cols[i]`` (its collaborative and content weights removed, the
    per-viewer z-scoring and the blend weights recomputed), exactly (see ``contributions``).
    """
    # Each kind of column is unique in its vector (user_vectors builds them from dicts).
    profile = np.union1d(vectors.collab_cols, vectors.content_cols).astype(np.int64)
    if strategy is Strategy.POPULAR or not len(profile) or not len(top):
        return np.zeros(0, dtype=np.int64), np.zeros((0, len(top)), dtype=np.float32)
    x = np.zeros(len(profile), dtype=np.float64)
    x[np.searchsorted(profile, vectors.collab_cols)] = vectors.collab_weights
    w = np.zeros(len(profile), dtype=np.float64)
    w[np.searchsorted(profile, vectors.content_cols)] = vectors.content_weights
    moments = item_moments(model, profile)
    # A component the strategy does not blend is zero for every variant (its z-score too).
    z_collab = np.zeros((len(profile), len(top)), dtype=np.float64)
    if strategy in (Strategy.HYBRID, Strategy.COLLABORATIVE):
        z_collab = collaborative_without(model, moments, parts.collab, x, profile, top).z()
    z_content = np.zeros((len(profile), len(top)), dtype=np.float64)
    if strategy in (Strategy.HYBRID, Strategy.CONTENT):
        raw_mass = float(np.abs(vectors.content_weights).sum())
        z_content = content_without(
            model, moments, parts.content_movies, parts.content_stated, w, raw_mass, profile, top
        ).z()
    changed = np.empty((len(profile), len(top)), dtype=np.float64)
    n_without = vectors.n_items - (x > 0).astype(np.int64)
    for n in np.unique(n_without).tolist():
        rows = np.flatnonzero(n_without == n)
        a_collab, a_content, a_pop = component_coefficients(model, strategy, int(n))
        changed[rows] = (
            a_collab * z_collab[rows]
            + a_content * z_content[rows]
            + (a_pop * model.popularity[top] + final.extras(int(n))[top])[None, :]
        )
    drops: np.ndarray = parts.scores[top][None, :].astype(np.float64) - changed
    return profile, drops


def explain_top(
    model: RecommenderModel,
    strategy: Strategy,
    vectors: UserVectors,
    parts: Components,
    top: np.ndarray,
    moved_in: Mapping[str, Mapping[int, float]],
    final: FinalScore,
) -> list[tuple[Reason, ...]]:
    """Up to ``MAX_REASONS`` reasons for each column of ``top``, the largest contribution first.

    Every reason's weight is its share of the final score:

    * BECAUSE_YOU_LIKED names the liked movie whose removal from the profile would lower this
      movie's score the most (exactly: see ``leave_one_out``); none when that movie is not a liked
      one (a 3-star rating that still counts) or its share is negligible;
    * SIMILAR_USERS when the collaborative part is the largest part of the score;
    * FAVORITE_GENRE / FAVORITE_PERSON when the stated preference moved the movie into the list:
      ``moved_in["genre"]`` / ``moved_in["person"]`` map the listed columns missing from the list
      the viewer gets without their favourite genres / people to what that preference added;
    * POPULAR when popularity adds a noticeable share, or when nothing else does.
    """
    a_collab, a_content, a_pop = component_coefficients(model, strategy, vectors.n_items)
    content = parts.content_movies + parts.content_stated
    z_collab = standardize(parts.collab)[0]
    z_content = standardize(content)[0]
    genre_boost = final.genre_boost(vectors.n_items)
    person_boost = final.person_boost
    prefs = final.prefs
    prefs_genres = [
        (g, c) for g in prefs.favorite_genres if (c := model.content.genre_column(int(g))) is not None
    ]
    prefs_people = [
        (p, c) for p in prefs.favorite_people if (c := model.content.person_column(int(p))) is not None
    ]
    liked = set(vectors.liked_cols.tolist())
    cols, drops = leave_one_out(model, strategy, vectors, parts, top, final)

    out: list[tuple[Reason, ...]] = []
    for n, col in enumerate(top.tolist()):
        reasons: list[Reason] = []
        if len(cols):
            best = int(np.argmax(drops[:, n]))
            movie_col, drop = int(cols[best]), float(drops[best, n])
            title = model.titles.get(int(model.item_ids[movie_col]))
            if movie_col in liked and drop >= MIN_REASON_WEIGHT and title:
                reasons.append(because_you_liked(int(model.item_ids[movie_col]), title, drop))
        if col in moved_in.get("person", ()):
            for person, pc in prefs_people:
                if model.content.person_matrix[col, pc] > 0 and person in model.person_names:
                    directed = bool(model.director_matrix[col, pc] > 0)
                    name = model.person_names[person]
                    reasons.append(favorite_person(person, name, directed, moved_in["person"][col]))
                    break
        if col in moved_in.get("genre", ()):
            for genre, gc in prefs_genres:
                if model.content.genre_matrix[col, gc] > 0 and genre in model.genre_names:
                    en, fr = model.genre_names[genre]
                    reasons.append(favorite_genre(genre, en, fr, moved_in["genre"][col]))
                    break
        collab_share = a_collab * float(z_collab[col])
        content_share = a_content * float(z_content[col])
        pop_share = a_pop * float(model.popularity[col])
        others = max(content_share, pop_share, float(genre_boost[col]), float(person_boost[col]))
        if collab_share >= MIN_REASON_WEIGHT and collab_share >= others:
            reasons.append(similar_users(collab_share))
        if pop_share >= MIN_REASON_WEIGHT or not reasons:
            reasons.append(popular(max(pop_share, 0.0)))
        reasons.sort(key=lambda r: -r.weight)
        out.append(tuple(reasons[:MAX_REASONS]))
    return out
