"""Text normalisation: the folded, tokenised form every phrase of the vocabulary is written in."""

from __future__ import annotations

import re
import unicodedata

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'", "\u02bc": "'"})
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss"})
# French "animé" (animated) and English "anime" (Japanese animation) fold to the same word:
# the accent is the only clue, so it is read before folding.
_FR_ANIMATED = re.compile(r"\banim[éÉ](?:e|es|s)?\b", re.IGNORECASE)
_DECIMAL_COMMA = re.compile(r"(?<=\d),(?=\d)")
# The period of an initial ("Samuel L. Jackson") does not end a clause.
_INITIAL = re.compile(r"(?<![^\W\d_])([^\W\d_])\.(?=\s+[^\W\d_])")
_RANGE_DASH = re.compile(r"(?<=\d)\s*[-\u2013\u2014]\s*(?=\d)")
_CLAUSE = re.compile(r"[,;:!?()\[\]{}\"«»…\u2013\u2014]|\.(?!\d)|\n")
_KEEP = re.compile(r"[^a-z0-9.,+#/<>%\s]")


def fold_text(text: str) -> str:
    """Lower case without accents (no tokenisation): 'Amélie' -> 'amelie'."""
    text = text.translate(_LIGATURES).casefold()
    if not text.isascii():
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return text


def normalize(text: str) -> str:
    """The parser's view of a message: folded tokens separated by single spaces, clause
    punctuation kept as "," tokens, decimals ("7,5" -> "7.5") and ranges ("1990-2000") kept."""
    text = text.translate(_APOSTROPHES)
    text = _FR_ANIMATED.sub("animated", text)
    text = fold_text(text)
    text = _DECIMAL_COMMA.sub(".", text)
    text = _INITIAL.sub(r"\1 ", text)
    text = _RANGE_DASH.sub(" to ", text)
    text = _CLAUSE.sub(" , ", text)
    text = text.replace("+", " + ").replace("#", " # ").replace("/", " / ")
    text = text.replace("<", " < ").replace(">", " > ")
    text = _KEEP.sub(" ", text)
    # a lone "." left between words (not a decimal point) is noise
    text = re.sub(r"(?<!\d)\.|\.(?!\d)", " ", text)
    tokens: list[str] = []
    for token in text.split():
        if token != "," or (tokens and tokens[-1] != ","):
            tokens.append(token)
    while tokens and tokens[-1] == ",":
        tokens.pop()
    while tokens and tokens[0] == ",":
        tokens.pop(0)
    return " ".join(tokens)
