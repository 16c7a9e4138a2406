"""Text helpers shared by the catalog search, the assistant and the recommender's explanations.

Pure functions over strings, free of any layer: whatever matches titles, names or languages uses
these, so that "Léon" and "leon", or "fr-FR" and "fr_ca", are judged the same way everywhere.
"""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^\w]+|_")

ENGLISH_ARTICLES = frozenset({"the", "a", "an"})
ARTICLES = ENGLISH_ARTICLES | {"le", "la", "les", "l"}


def fold(text: str) -> str:
    """Case- and accent-insensitive form: 'Léon, The PROFESSIONAL!' -> 'leon the professional'."""
    text = text.replace("&", " and ")
    if not text.isascii():
        decomposed = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_NON_WORD.sub(" ", text.casefold()).split())


def drop_article(text: str, articles: frozenset[str] = ARTICLES) -> str:
    """A folded title without its leading article: 'the matrix' -> 'matrix'."""
    head, _, rest = text.partition(" ")
    return rest if rest and head in articles else text


def is_french(language: str | None) -> bool:
    """True for French language tags in any spelling: 'fr', 'fr-FR', 'FR_ca'."""
    return bool(language) and str(language).lower().replace("_", "-").split("-")[0] == "fr"
