"""The message as the passes read it: folded tokens, and which of them a pass has used.

``Text`` holds the tokens and their marks (a marked token is not read again by a later pass);
the helpers below tokenise titles and names the same way, so that they compare token by token.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence

from reelgraph.chat import lexicon as lx

# Articles a title may start with in the message or in the catalog ("the Matrix", "un prophète").
LEADING_ARTICLES = frozenset({"the", "a", "an", "le", "la", "les", "l", "un", "une"})
HEAD_NOUNS = frozenset({"movie", "movies", "film", "films", "flick", "flicks"})
_NAME_PARTICLES = frozenset({"de", "del", "della", "van", "von", "da", "di", "du", "le", "la", "der", "den"})


class Text:
    """Tokens plus which pass used each one."""

    def __init__(self, normalized: str) -> None:
        self.tokens: list[str] = normalized.split()
        self.used: list[bool] = [False] * len(self.tokens)
        self.vocab: list[bool] = [False] * len(self.tokens)  # used by the lexicon pass (not a trigger)

    def __len__(self) -> int:
        return len(self.tokens)

    def free(self, i: int, j: int) -> bool:
        return 0 <= i <= j <= len(self.tokens) and not any(self.used[i:j])

    def mark(self, i: int, j: int, vocab: bool = False) -> None:
        for k in range(i, j):
            self.used[k] = True
            if vocab:
                self.vocab[k] = True

    def masked(self) -> tuple[str, list[int]]:
        """The text with used tokens replaced by a placeholder, and each token's start offset."""
        parts = ["\x00" if u else t for t, u in zip(self.tokens, self.used, strict=True)]
        starts: list[int] = []
        offset = 0
        for part in parts:
            starts.append(offset)
            offset += len(part) + 1
        return " ".join(parts), starts

    def matches(self, pattern: re.Pattern[str]) -> Iterable[tuple[re.Match[str], int, int]]:
        """Regex matches over free tokens, as (match, first token, end token); re-masks after each."""
        while True:
            text, starts = self.masked()
            found = False
            for m in pattern.finditer(text):
                if not m.group(0).strip():
                    continue
                i = bisect.bisect_right(starts, m.start()) - 1
                j = bisect.bisect_left(starts, m.end())
                if "\x00" in m.group(0):
                    continue
                found = True
                yield m, i, j
                break  # the caller marked tokens: recompute offsets
            if not found:
                return

    def has_phrase(self, phrases: Iterable[str], only_free_of_vocab: bool = False) -> bool:
        for phrase in phrases:
            key = phrase.split()
            n = len(key)
            for i in range(len(self.tokens) - n + 1):
                if self.tokens[i : i + n] == key and not (only_free_of_vocab and any(self.vocab[i : i + n])):
                    return True
        return False

    def find_phrases(self, phrases: Sequence[str]) -> list[tuple[int, int]]:
        """Free occurrences of phrases, longest first, non-overlapping."""
        keys = sorted((p.split() for p in phrases), key=len, reverse=True)
        found: list[tuple[int, int]] = []
        for key in keys:
            n = len(key)
            for i in range(len(self.tokens) - n + 1):
                if self.tokens[i : i + n] == key and self.free(i, i + n):
                    found.append((i, i + n))
                    self.mark(i, i + n)
        return sorted(found)


def capitalized_words(raw: str) -> frozenset[str]:
    """Folded forms of the words the user wrote with a capital letter (a hint for names)."""
    return frozenset(lx.fold_text(w) for w in re.findall(r"[^\W\d_]+", raw) if w[:1].isupper())


_SENTENCE_END = frozenset(".!?\n")


def writes_case(raw: str) -> bool:
    """True when a word inside a sentence (not its first, not "I") starts with a capital: the user
    writes names with capitals, so lowercase words are not meant as names."""
    for m in re.finditer(r"[^\W\d_]+", raw):
        word = m.group(0)
        if not word[:1].isupper() or word in ("I", "Im") or word.isupper():
            continue
        before = raw[: m.start()].rstrip()
        if before and before[-1] not in _SENTENCE_END and not before.endswith(("I'", "I\u2019")):
            return True
    return False


def match_at(text: Text, start: int, words: list[str]) -> int | None:
    """End of ``words`` read from ``start`` over free tokens, skipping punctuation the title has
    ("2001: A Space Odyssey" is "2001 , a space odyssey" in the message); None if they differ."""
    k = start
    for word in words:
        while k < len(text) and text.tokens[k] == "," and not text.used[k]:
            k += 1
        if k >= len(text) or text.used[k] or text.tokens[k] != word:
            return None
        k += 1
    return k


def is_particle(token: str) -> bool:
    return token in _NAME_PARTICLES or (len(token) == 1 and token.isalpha())


def folded_tokens(text: str) -> list[str]:
    return lx.normalize(text).replace(",", " ").split()


def title_variants(title: str) -> list[list[str]]:
    """Token lists a title may be written as: as is, without a leading article, before a colon."""
    variants: list[list[str]] = []
    for text in (title, title.split(":")[0]):
        tokens = folded_tokens(text)
        if tokens:
            variants.append(tokens)
            if tokens[0] in LEADING_ARTICLES and len(tokens) > 1:
                variants.append(tokens[1:])
    return variants
