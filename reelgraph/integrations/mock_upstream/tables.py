"""Fixed data the mock apps answer with: TMDb's image configuration, change keys, language names."""

from __future__ import annotations

from typing import Any

IMAGE_CONFIGURATION: dict[str, Any] = {
    "base_url": "http://image.tmdb.org/t/p/",
    "secure_base_url": "https://image.tmdb.org/t/p/",
    "backdrop_sizes": ["w300", "w780", "w1280", "original"],
    "logo_sizes": ["w45", "w92", "w154", "w185", "w300", "w500", "original"],
    "poster_sizes": ["w92", "w154", "w185", "w342", "w500", "w780", "original"],
    "profile_sizes": ["w45", "w185", "h632", "original"],
    "still_sizes": ["w92", "w185", "w300", "original"],
}
CHANGE_KEYS = [
    "adult", "also_known_as", "alternative_titles", "biography", "birthday", "budget", "cast",
    "crew", "deathday", "genres", "homepage", "images", "imdb_id", "keywords", "name",
    "original_language", "original_title", "overview", "place_of_birth", "popularity",
    "production_companies", "production_countries", "release_dates", "revenue", "runtime",
    "spoken_languages", "status", "tagline", "title", "translations", "videos",
]  # fmt: skip

# English names for spoken languages (the extract stores native names, TMDb adds english_name).
LANGUAGE_NAMES: dict[str, str] = {
    "ar": "Arabic", "cn": "Cantonese", "cs": "Czech", "da": "Danish", "de": "German", "el": "Greek",
    "en": "English", "es": "Spanish", "fa": "Persian", "fi": "Finnish", "fr": "French",
    "he": "Hebrew", "hi": "Hindi", "hu": "Hungarian", "id": "Indonesian", "it": "Italian",
    "ja": "Japanese", "ko": "Korean", "la": "Latin", "nl": "Dutch", "no": "Norwegian", "pl": "Polish",
    "pt": "Portuguese", "ro": "Romanian", "ru": "Russian", "sv": "Swedish", "ta": "Tamil",
    "te": "Telugu", "th": "Thai", "tr": "Turkish", "uk": "Ukrainian", "vi": "Vietnamese",
    "xx": "No Language", "zh": "Mandarin",
}  # fmt: skip
# OMDb spells a few countries differently from TMDb.
OMDB_COUNTRY_NAMES = {"United States of America": "United States"}

# Real TMDb watch providers (id, name, logo path, display priority), as /watch/providers/movie lists them.
PROVIDERS: dict[str, tuple[int, str, str, int]] = {
    "netflix": (8, "Netflix", "/pbpMk2JmcoNnQwx5JGpXngfoWtp.jpg", 0),
    "prime": (9, "Amazon Prime Video", "/dQeAar5H991VYporEjUspolDarG.jpg", 1),
    "apple": (2, "Apple TV", "/9ghgSC0MA082EL6HLCW3GalykFD.jpg", 4),
    "google": (3, "Google Play Movies", "/8z7rC8uIDaTM91X0ZfkRf04ydj2.jpg", 16),
    "amazon": (10, "Amazon Video", "/seGSXajazLMCKGB5hnRCidtjay1.jpg", 15),
    "tubi": (73, "Tubi TV", "/o4JMLTkDfjei1XrsVk1vSjXfdBk.jpg", 50),
    "pluto": (300, "Pluto TV", "/2EM2eg5bqP0ZetycBlihwgnsedx.jpg", 100),
    "plex": (538, "Plex", "/vLZKlXUNDcZR7ilvfY9Wr9k80FZ.jpg", 169),
    "rakuten": (35, "Rakuten TV", "/bZvc9dXrXNly7cA0V4D9pR8yJwm.jpg", 12),
    "canal": (381, "Canal+", "/eBXzkFEupZjKaIKY7zBUaSdCY8I.jpg", 6),
}
# Offers per region and kind (TMDb omits a kind a region does not have); ads and free in the US.
REGION_OFFERS: dict[str, dict[str, tuple[str, ...]]] = {
    "US": {
        "flatrate": ("netflix", "prime"),
        "rent": ("apple", "google", "amazon"),
        "buy": ("apple", "google", "amazon"),
        "ads": ("tubi", "pluto"),
        "free": ("plex",),
    },
    "FR": {"flatrate": ("canal",), "buy": ("apple",)},
    "ES": {"ads": ("rakuten",), "free": ("plex",), "rent": ("apple", "rakuten")},
}
