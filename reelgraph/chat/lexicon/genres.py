"""TMDb genre ids and the English/French names of genres and languages, for replies."""

from __future__ import annotations

from typing import Final

# TMDb movie genre ids.
ACTION, ADVENTURE, ANIMATION, COMEDY, CRIME, DOCUMENTARY, DRAMA = 28, 12, 16, 35, 80, 99, 18
FAMILY, FANTASY, HISTORY, HORROR, MUSIC, MYSTERY, ROMANCE = 10751, 14, 36, 27, 10402, 9648, 10749
SCIFI, TV_MOVIE, THRILLER, WAR, WESTERN = 878, 10770, 53, 10752, 37

# id -> (English name, French name), as TMDb (and the offline catalog) name them.
GENRE_NAMES: Final[dict[int, tuple[str, str]]] = {
    ACTION: ("Action", "Action"),
    ADVENTURE: ("Adventure", "Aventure"),
    ANIMATION: ("Animation", "Animation"),
    COMEDY: ("Comedy", "Comédie"),
    CRIME: ("Crime", "Crime"),
    DOCUMENTARY: ("Documentary", "Documentaire"),
    DRAMA: ("Drama", "Drame"),
    FAMILY: ("Family", "Familial"),
    FANTASY: ("Fantasy", "Fantastique"),
    HISTORY: ("History", "Histoire"),
    HORROR: ("Horror", "Horreur"),
    MUSIC: ("Music", "Musique"),
    MYSTERY: ("Mystery", "Mystère"),
    ROMANCE: ("Romance", "Romance"),
    SCIFI: ("Science Fiction", "Science-Fiction"),
    TV_MOVIE: ("TV Movie", "Téléfilm"),
    THRILLER: ("Thriller", "Thriller"),
    WAR: ("War", "Guerre"),
    WESTERN: ("Western", "Western"),
}

# ISO 639-1 -> (English name, French name) for replies.
LANGUAGE_NAMES: Final[dict[str, tuple[str, str]]] = {
    "fr": ("French", "français"),
    "en": ("English", "anglais"),
    "ko": ("Korean", "coréen"),
    "ja": ("Japanese", "japonais"),
    "es": ("Spanish", "espagnol"),
    "it": ("Italian", "italien"),
    "de": ("German", "allemand"),
    "zh": ("Chinese", "chinois"),
    "cn": ("Cantonese", "cantonais"),
    "hi": ("Hindi", "hindi"),
    "ru": ("Russian", "russe"),
    "sv": ("Swedish", "suédois"),
    "da": ("Danish", "danois"),
    "no": ("Norwegian", "norvégien"),
    "fi": ("Finnish", "finnois"),
    "pt": ("Portuguese", "portugais"),
    "tr": ("Turkish", "turc"),
    "fa": ("Persian", "persan"),
    "th": ("Thai", "thaï"),
    "nl": ("Dutch", "néerlandais"),
    "pl": ("Polish", "polonais"),
    "el": ("Greek", "grec"),
    "ar": ("Arabic", "arabe"),
    "he": ("Hebrew", "hébreu"),
}


def genre_name(genre_id: int, language: str = "en") -> str:
    names = GENRE_NAMES.get(genre_id)
    if names is None:
        return str(genre_id)
    return names[1] if language == "fr" else names[0]


def language_name(code: str, language: str = "en") -> str:
    names = LANGUAGE_NAMES.get(code)
    if names is None:
        return code
    return names[1] if language == "fr" else names[0]
