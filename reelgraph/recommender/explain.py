"""Why a movie was recommended: reason kinds and their English and French texts."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from reelgraph.text import is_french


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
