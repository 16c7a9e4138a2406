"""Asking instead of guessing: titles several movies share ("Dracula"), and the answer to the
question ("2", "the 2nd", "the 1931 one", "Dracula 1979").

``ambiguous`` tells whether a resolved title is one of several close matches; ``pick_choice``
reads the next message against the choices the question offered.
"""

from __future__ import annotations

import re

from reelgraph.chat import lexicon as lx
from reelgraph.chat.entities import MovieHit
from reelgraph.chat.filters import ChatFilterState
from reelgraph.chat.rules.text import folded_tokens, title_variants

# A second movie of the same title is a real alternative when it is at least this popular
# relative to the first (Dracula 1992 / 1931: 0.39; Titanic 1997 / 1953: 0.15 is not).
CLOSE_POPULARITY = 0.35
MAX_CHOICES = 5

_ORDINAL_WORDS = "|".join(sorted(map(re.escape, lx.ORDINALS), key=len, reverse=True))
_NUMBER_ANSWER = re.compile(
    rf"^(?:(?:the|le|la|l|number|numero|no|n|#)\s?)*(?:(?P<num>\d{{1,2}})|(?P<word>{_ORDINAL_WORDS}))"
    r"(?:\s(?:one|movie|film|un|une|please|svp|stp|choice|choix))*$"
)
_SMALL_NUMBERS = {w: n for w, n in lx.NUMBER_WORDS.items() if 1 <= n <= MAX_CHOICES and w not in ("a", "an")}
_YEAR = re.compile(r"(?<!\S)((?:18|19|20)\d\d)(?!\S)")


def ambiguous(hit: MovieHit, candidates: list[MovieHit]) -> list[MovieHit]:
    """The movies sharing ``hit``'s title, most popular first, when the second is close to the
    first in popularity; empty when the title is not ambiguous."""
    wanted = folded_tokens(hit[1])
    same = [c for c in candidates if folded_tokens(c[1]) == wanted]
    if len(same) < 2:
        return []
    same.sort(key=lambda c: -c[3])
    top = same[0][3] or 0.0
    if top > 0 and same[1][3] < CLOSE_POPULARITY * top:
        return []
    return same[:MAX_CHOICES]


def pick_choice(normalized: str, previous: ChatFilterState) -> int | None:
    """The choice the message names among ``previous.choices``: by number or ordinal ("2",
    "the 2nd", "le deuxième"), by year ("the 1931 one") or by title; None when it names none."""
    choices = previous.choices
    text = normalized.replace(",", " ").replace("?", " ").replace(".", " ")
    text = " ".join(text.split())
    m = _NUMBER_ANSWER.match(text)
    index: int | None = None
    if m:
        index = int(m.group("num")) if m.group("num") else lx.ORDINALS[m.group("word")]
    elif text in _SMALL_NUMBERS or text.removeprefix("the ").removesuffix(" one") in _SMALL_NUMBERS:
        index = _SMALL_NUMBERS.get(text) or _SMALL_NUMBERS[text.removeprefix("the ").removesuffix(" one")]
    if index is not None:
        position = index - 1 if index > 0 else len(choices) + index
        return choices[position] if 0 <= position < len(choices) else None
    tokens = text.split()
    years = {int(y) for y in _YEAR.findall(text)}
    by_year = [c for c in choices if previous.movie_years.get(c) in years]
    titled = [
        c
        for c in choices
        if any(_contains(tokens, v) for v in title_variants(previous.movie_titles.get(c, "")) if v)
    ]
    if years:
        found = [c for c in by_year if not titled or c in titled]
        return found[0] if len(found) == 1 else None
    return titled[0] if len(titled) == 1 else None


def _contains(tokens: list[str], words: list[str]) -> bool:
    n = len(words)
    return any(tokens[i : i + n] == words for i in range(len(tokens) - n + 1))
