"""Why a movie was recommended: reason kinds, their English and French texts, and which reasons
each recommended movie gets (``explain_top``)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from reelgraph.recommender.hybrid import Strategy
from reelgraph.recommender.model import RecommenderModel, UserVectors
from reelgraph.recommender.profile import Preferences
from reelgraph.text import is_french

# A contribution below this many z-units is not worth a sentence.
MIN_REASON_WEIGHT = 0.1
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

    ``weight`` is the reason's share of the score in z-score units, for ordering; ``text`` renders
    the sentence in the request language (French for "fr"/"fr-FR", English otherwise).
    """

    kind: ReasonKind
    text_en: str
    text_fr: str
    movie_id: int | None = None
    genre_id: int | None = None
    person_id: int | None = None
    weight: float = 0.0

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


_REASON_TIER = {
    ReasonKind.BECAUSE_YOU_LIKED: 0,
    ReasonKind.FAVORITE_PERSON: 0,
    ReasonKind.FAVORITE_GENRE: 0,
    ReasonKind.SIMILAR_USERS: 1,
    ReasonKind.POPULAR: 2,
}


def explain_top(
    model: RecommenderModel,
    strategy: Strategy,
    vectors: UserVectors,
    collab: np.ndarray,
    content: np.ndarray,
    top: np.ndarray,
    genre_boost: np.ndarray,
    person_boost: np.ndarray,
    prefs: Preferences,
) -> list[tuple[Reason, ...]]:
    """Up to ``MAX_REASONS`` reasons for each column of ``top``, the most telling first.

    ``collab`` and ``content`` are the viewer's raw component scores over all items, the boosts
    what the stated preferences added to each item's score.
    """
    weights = model.config.weights_for(vectors.n_items)
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
        because += w_collab * wj * model.ease.block(liked, top) / std_collab
    if len(liked) and w_content:
        content_w = dict(zip(vectors.content_cols.tolist(), vectors.content_weights.tolist(), strict=True))
        wj = np.array([content_w.get(int(j), 0.0) for j in liked], dtype=np.float32)[:, None]
        mass = max(1.0, float(np.abs(vectors.content_weights).sum()))
        because += w_content * wj * model.content.similarity(liked, top) / mass / std_content
    best = because.argmax(axis=0) if len(liked) else np.zeros(len(top), dtype=np.int64)

    z_collab = (collab[top] - collab.mean()) / std_collab
    fav_genre_cols = [
        (g, c) for g in prefs.favorite_genres if (c := model.content.genre_column(int(g))) is not None
    ]
    fav_person_cols = [
        (p, c) for p in prefs.favorite_people if (c := model.content.person_column(int(p))) is not None
    ]
    out: list[tuple[Reason, ...]] = []
    for n, col in enumerate(top):
        reasons: list[Reason] = []
        if len(liked):
            j = int(liked[best[n]])
            weight = float(because[best[n], n])
            title = model.titles.get(int(model.item_ids[j]))
            if weight >= MIN_REASON_WEIGHT and title:
                reasons.append(because_you_liked(int(model.item_ids[j]), title, weight))
        if person_boost[col] > 0:
            for person, pc in fav_person_cols:
                if model.content.person_matrix[col, pc] > 0 and person in model.person_names:
                    directed = bool(model.director_matrix[col, pc] > 0)
                    name = model.person_names[person]
                    reasons.append(favorite_person(person, name, directed, float(person_boost[col])))
                    break
        if genre_boost[col] > 0:
            for genre, gc in fav_genre_cols:
                if model.content.genre_matrix[col, gc] > 0 and genre in model.genre_names:
                    en, fr = model.genre_names[genre]
                    reasons.append(favorite_genre(genre, en, fr, float(genre_boost[col])))
                    break
        collab_share = w_collab * float(z_collab[n])
        if collab_share >= 1.0:  # well above this viewer's average collaborative score
            reasons.append(similar_users(collab_share))
        pop_share = w_pop * float(model.popularity[col])
        if pop_share >= MIN_REASON_WEIGHT or not reasons:
            reasons.append(popular(max(pop_share, 0.0)))
        # Personal reasons first (they say the most), then the crowd, each by weight.
        reasons.sort(key=lambda r: (_REASON_TIER[r.kind], -r.weight))
        out.append(tuple(reasons[:MAX_REASONS]))
    return out
