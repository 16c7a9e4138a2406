"""Passes 5-6: the lexicon's phrases, longest first, then a rapidfuzz pass for typos ("thriler");
then negation ("no horror", "pas de dessin animé") given to the genres, moods and people it precedes."""

from __future__ import annotations

from rapidfuzz import fuzz, process

from reelgraph.chat import lexicon as lx
from reelgraph.chat.rules.turn import Mention, Reading

TYPO_MIN = 88.0
MAX_UNKNOWN_SKIPPED = 2
_NEGATION_LINKS = frozenset({"or", "ou", "ni", "nor"})
_SMALLTALK = {tuple(p.split()) for p in lx.SMALLTALK_PHRASES}
# Single words of the lexicon that a typo may stand for ("thriler" -> "thriller").
_TYPO_CHOICES = sorted(
    {
        key[0]
        for key, effect in lx.PHRASES.items()
        if len(key) == 1 and len(key[0]) >= 5 and effect.kind in ("genre", "mood", "topic", "language")
    }
)


async def known_phrases(reading: Reading) -> None:
    """The lexicon's phrases (and small talk) over free tokens, the longest at each position."""
    text, turn = reading.text, reading.turn
    tokens = text.tokens
    i = 0
    while i < len(tokens):
        if text.used[i]:
            i += 1
            continue
        for n in range(min(lx.MAX_PHRASE_TOKENS, len(tokens) - i), 0, -1):
            key = tuple(tokens[i : i + n])
            effect = lx.PHRASES.get(key)
            if effect is not None and text.free(i, i + n):
                text.mark(i, i + n, vocab=True)
                turn.mentions.append(Mention(i, i + n, effect.kind, effect=effect))
                turn.understood = True
                i += n
                break
            if key in _SMALLTALK and text.free(i, i + n):
                text.mark(i, i + n, vocab=True)
                turn.smalltalk = True
                i += n
                break
        else:
            i += 1


async def typos(reading: Reading) -> None:
    """A free word of five letters or more that is a typo away from a lexicon word ("thriler")."""
    text, turn = reading.text, reading.turn
    for i, token in enumerate(text.tokens):
        if text.used[i] or len(token) < 5 or token in lx.STOPWORDS or not token.isalpha():
            continue
        match = process.extractOne(token, _TYPO_CHOICES, scorer=fuzz.ratio, score_cutoff=TYPO_MIN)
        if match is None:
            continue
        effect = lx.PHRASES[(match[0],)]
        text.mark(i, i + 1, vocab=True)
        turn.mentions.append(Mention(i, i + 1, effect.kind, effect=effect))
        turn.understood = True


async def negation(reading: Reading) -> None:
    """Marks the mentions a negator precedes, across fillers and through lists ("no horror or gore").
    Run again by the leftovers pass when it finds people."""
    text, turn = reading.text, reading.turn
    tokens = text.tokens
    negator_at: set[int] = {i for i, t in enumerate(tokens) if t in lx.NEGATORS}
    for phrase in lx.NEGATOR_PHRASES:
        key = phrase.split()
        for i in range(len(tokens) - len(key) + 1):
            if tokens[i : i + len(key)] == key:
                negator_at.update(range(i, i + len(key)))
    owner: dict[int, Mention] = {}
    for mention in sorted(turn.mentions, key=lambda m: m.start):
        for k in range(mention.start, mention.end):
            owner[k] = mention
    for mention in sorted(turn.mentions, key=lambda m: m.start):
        if mention.kind not in ("genre", "mood", "topic", "language", "person"):
            continue
        mention.negated = _negated_at(tokens, mention, negator_at, owner, text.used)


# Copulas that make a clause a statement about something ("Korean cinema is the best right now").
_COPULAS = frozenset({"is", "are", "was", "were", "est", "sont", "etait", "etaient"})
_QUESTION_WORDS = frozenset(
    {
        "what",
        "whats",
        "which",
        "who",
        "how",
        "quel",
        "quels",
        "quelle",
        "quelles",
        "lequel",
        "lesquels",
        "qu",
        "c",
    }
)
_OPINION_KINDS = frozenset({"sort", "trending", "quality", "compare"})
# "comedies that are popular": a relative clause describes what the user wants.
_RELATIVES = frozenset({"that", "which", "who", "qui", "que", "qu"})


async def opinions(reading: Reading) -> None:
    """Sorts, quality and trending words said of something else ("my friend says Korean cinema is
    the best in the world right now") are an opinion, not a request: dropped from the turn."""
    tokens, turn = reading.text.tokens, reading.turn
    stated: list[tuple[int, int]] = []  # (copula, end of its clause)
    clause_start = 0
    for k, token in enumerate(tokens):
        if token == ",":
            clause_start = k + 1
        elif (
            token in _COPULAS
            and k > clause_start
            and tokens[k - 1] not in _RELATIVES
            and not set(tokens[clause_start:k]) & _QUESTION_WORDS
        ):
            end = next((e for e in range(k, len(tokens)) if tokens[e] == ","), len(tokens))
            stated.append((k, end))
    if not stated:
        return
    turn.mentions = [
        m
        for m in turn.mentions
        if not (m.kind in _OPINION_KINDS and any(k < m.start < end for k, end in stated))
    ]


def _negated_at(
    tokens: list[str], mention: Mention, negator_at: set[int], owner: dict[int, Mention], used: list[bool]
) -> bool:
    fillers = 0
    unknown = 0  # words no pass read ("no cheesy romance"): adjectives a negation reaches across
    linked = False
    k = mention.start - 1
    while k >= 0:
        other = owner.get(k)
        if k in negator_at:
            return True
        if other is not None and other is not mention:
            # "no horror or gore": a listed mention shares the negation of the one before it
            return (
                other.negated if linked and (other.kind == "person") == (mention.kind == "person") else False
            )
        token = tokens[k]
        if token in _NEGATION_LINKS:
            linked = True
        elif token in lx.NEGATION_BREAKS:
            return False
        elif token in lx.NEGATION_FILLERS:
            fillers += 1
            if fillers > 4:
                return False
        elif token.isalpha() and token not in lx.STOPWORDS and not used[k] and unknown < MAX_UNKNOWN_SKIPPED:
            unknown += 1
        else:
            return False
        k -= 1
    return False
