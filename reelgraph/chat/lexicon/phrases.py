"""All phrases of the vocabulary in one table, and the lookups over it."""

from __future__ import annotations

from typing import Final

from reelgraph.chat.lexicon.effects import PhraseTable
from reelgraph.chat.lexicon.folding import normalize
from reelgraph.chat.lexicon.genres import GENRE_NAMES
from reelgraph.chat.lexicon.modifiers import MODIFIER_PHRASES
from reelgraph.chat.lexicon.subjects import SUBJECT_PHRASES

PHRASES = PhraseTable()
PHRASES.include(SUBJECT_PHRASES)
PHRASES.include(MODIFIER_PHRASES)

MAX_PHRASE_TOKENS: Final = max(len(k) for k in PHRASES)


def genre_id_for(name: str) -> int | None:
    """Genre id for a genre name or everyday word in English or French ("Sci-Fi", "policier")."""
    key = tuple(normalize(name).split())
    for genre_id, names in GENRE_NAMES.items():
        if key in (tuple(normalize(names[0]).split()), tuple(normalize(names[1]).split())):
            return genre_id
    effect = PHRASES.get(key)
    if effect is not None and effect.kind in ("genre", "mood") and len(effect.genres) == 1:
        return effect.genres[0]
    return None
