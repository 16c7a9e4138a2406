"""Themes ("time travel", "un film de braquage"): the keywords a turn keeps, what they are searched
as, and whether a movie's keywords, tagline or overview really match one.

Text is compared as light stems (case and accents folded, plurals and -ed/-ing endings cut, common
English and French small words dropped), so "travels back in time" matches "time travel" and
"vampires" matches "vampire". A theme of several words matches when every word occurs among the
movie's keywords, or close together (``WINDOW_SLACK`` words apart at most) in its tagline or
overview: "escape from prison" is a prison escape, a movie that merely mentions a prison and, ten
sentences later, an escape is not. The same check decides what the index returns and what the
chat's consistency check accepts, so the two never disagree.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from reelgraph.chat.lexicon.folding import fold_text
from reelgraph.chat.lexicon.themes import SEARCH_TERMS, THEME_PHRASES, WORDS_FR_EN

# How many other words may stand between the words of a theme in a sentence.
WINDOW_SLACK = 3
MAX_EXPANSIONS = 8
_WORD = re.compile(r"[a-z0-9]+")
_SMALL_WORDS = frozenset(
    {
        "a", "an", "the", "of", "in", "on", "at", "to", "for", "from", "with", "and", "or", "by", "is",
        "are", "as", "into", "its", "his", "her", "their", "s", "le", "la", "les", "l", "d", "de", "du",
        "des", "un", "une", "dans", "sur", "et", "en", "au", "aux",
    }
)  # fmt: skip

Terms = tuple[str, ...]


def stem(word: str) -> str:
    """A light English stem (Harman's S-stemmer, plus -ed/-ing and a final e): enough to make
    plurals and tenses meet, never so strong that unrelated words merge."""
    if len(word) > 4 and word.endswith("ies") and not word.endswith(("eies", "aies")):
        word = word[:-3] + "y"
    elif (len(word) > 3 and word.endswith("es") and not word.endswith(("aes", "ees", "oes"))) or (
        len(word) > 3 and word.endswith("s") and not word.endswith(("us", "ss"))
    ):
        word = word[:-1]
    if len(word) > 5 and word.endswith("ing"):
        word = word[:-3]
    elif len(word) > 4 and word.endswith("ed") and not word.endswith("eed"):
        word = word[:-2]
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    return word


def terms(text: str) -> Terms:
    """The stems of a text's words, small words dropped, in order."""
    return tuple(stem(w) for w in _WORD.findall(fold_text(text)) if w not in _SMALL_WORDS)


def keyword_of(phrase: Sequence[str]) -> tuple[str, tuple[int, ...]] | None:
    """The keyword a folded phrase keeps and the genres it implies, when it names a theme."""
    return THEME_PHRASES.get(tuple(phrase))


def search_phrases(keyword: str) -> list[str]:
    """What to search for a keyword: itself, then its English equivalents (the lexicon's, else a
    word-by-word translation of a French phrase)."""
    folded = " ".join(_WORD.findall(fold_text(keyword)))
    phrases = [folded, *SEARCH_TERMS.get(folded, ())]
    words = folded.split()
    if any(w in WORDS_FR_EN for w in words):
        phrases.append(" ".join(WORDS_FR_EN.get(w, w) for w in words if w not in _SMALL_WORDS))
    return list(dict.fromkeys(p for p in phrases if p))[:MAX_EXPANSIONS]


@lru_cache(maxsize=4096)
def expansions(keyword: str) -> tuple[Terms, ...]:
    """The stemmed term lists a keyword is searched as (empty lists dropped)."""
    found = [terms(p) for p in search_phrases(keyword)]
    return tuple(dict.fromkeys(t for t in found if t))


@dataclass(frozen=True, slots=True)
class ThemeText:
    """A movie's text as themes are matched against it."""

    keywords: frozenset[str]  # the stems of all its keyword names
    single_keywords: frozenset[str]  # its one-word keyword names, stemmed
    keyword_phrases: frozenset[Terms]  # each keyword name, stemmed
    passages: tuple[Terms, ...]  # tagline, overview

    @classmethod
    def of_details(cls, details: Mapping[str, Any]) -> ThemeText:
        """From TMDb movie details (``keywords`` appended)."""
        keywords = (details.get("keywords") or {}).get("keywords") or []
        names = tuple(str(k.get("name", "")) for k in keywords if isinstance(k, Mapping))
        return _theme_text(names, str(details.get("tagline") or ""), str(details.get("overview") or ""))

    @classmethod
    def of(cls, keyword_names: Iterable[str], tagline: str, overview: str) -> ThemeText:
        phrases = frozenset(terms(k) for k in keyword_names)
        return cls(
            keywords=frozenset(t for p in phrases for t in p),
            single_keywords=frozenset(p[0] for p in phrases if len(p) == 1),
            keyword_phrases=phrases,
            passages=tuple(p for p in (terms(tagline), terms(overview)) if p),
        )


@lru_cache(maxsize=8192)
def _theme_text(keyword_names: tuple[str, ...], tagline: str, overview: str) -> ThemeText:
    # the chat checks the same movies turn after turn: their text is stemmed once
    return ThemeText.of(keyword_names, tagline, overview)


def matches_terms(text: ThemeText, wanted: Terms) -> bool:
    """True when every term of ``wanted`` is among the keywords, or close together in a passage."""
    if not wanted:
        return False
    if len(wanted) == 1:
        word = wanted[0]
        return word in text.keywords or any(word in p for p in text.passages)
    # within one keyword name ("time travel"), or each word a keyword of its own ("prison",
    # "escape"); not words of unrelated keywords ("space travel" and "race against time")
    if (
        any(set(wanted) <= set(phrase) for phrase in text.keyword_phrases)
        or set(wanted) <= text.single_keywords
    ):
        return True
    return any(_near(p, wanted) for p in text.passages)


def _near(passage: Terms, wanted: Terms) -> bool:
    window = len(wanted) + WINDOW_SLACK
    positions = {w: [i for i, t in enumerate(passage) if t == w] for w in set(wanted)}
    if not all(positions.values()):
        return False
    anchor = min(positions, key=lambda w: len(positions[w]))
    for start in positions[anchor]:
        if all(any(abs(i - start) < window for i in positions[w]) for w in positions if w != anchor):
            return True
    return False


def matches(text: ThemeText, keywords: Sequence[str]) -> bool:
    """True when the movie matches any of the themes (themes are alternatives, as TMDb's
    with_keywords ORs keyword ids)."""
    return any(matches_terms(text, wanted) for keyword in keywords for wanted in expansions(keyword))
