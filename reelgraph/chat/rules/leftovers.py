"""Pass 7: leftovers. Names without a trigger ("Tom Hanks comedies", "Nolan"), or a message that
is just a title ("Inception?"), found among the content words no earlier pass used."""

from __future__ import annotations

from rapidfuzz import fuzz

from reelgraph.chat import lexicon as lx
from reelgraph.chat.entities import MovieHit
from reelgraph.chat.rules.clarify import ambiguous
from reelgraph.chat.rules.names import MAX_PERSON_SPAN, match_person
from reelgraph.chat.rules.text import HEAD_NOUNS, Text, is_particle, title_variants
from reelgraph.chat.rules.turn import Mention, Reading
from reelgraph.chat.rules.vocabulary import negation

LEFTOVER_TITLE_FUZZY_MIN = 90.0


async def leftovers(reading: Reading) -> None:
    text, turn, capitalized = reading.text, reading.turn, reading.capitalized
    runs = _runs(text)
    if not runs:
        return
    alone = not turn.understood and len(runs) == 1
    for i, j in runs:
        span = text.tokens[i:j][:MAX_PERSON_SPAN]
        head_after = j < len(text) and text.tokens[j] in HEAD_NOUNS
        # a lone surname is a name when the message says so: alone, "Nolan movies", or "Spielberg"
        surname_ok = alone or head_after or span[0] in capitalized
        found = await match_person(reading, span, trigger=False, surname_ok=surname_ok)
        if found is not None:
            n, hit = found
            if n == 1 and not surname_ok:
                continue
            turn.mentions.append(Mention(i, i + n, "person", person=hit))
            text.mark(i, i + n)
            turn.understood = True
            continue
        if alone:
            await _lone_title(reading, i, j)
    if any(m.kind == "person" for m in turn.mentions):
        await negation(reading)  # new person mentions: their negation, e.g. "no Tom Cruise"


async def _lone_title(reading: Reading, i: int, j: int) -> None:
    """A message that is only a title ("Inception?") asks about that movie."""
    text, turn = reading.text, reading.turn
    if not reading.budget():
        return
    span = text.tokens[i:j]
    query = " ".join(span)
    candidates = await reading.search_movies(query)
    best: MovieHit | None = None
    for hit in candidates:
        if any(v == span for v in title_variants(hit[1])):
            best = hit
            break
    if best is None and len(query) >= 5:
        scored = [(max(fuzz.ratio(query, " ".join(v)) for v in title_variants(h[1])), h) for h in candidates]
        if scored:
            score, hit = max(scored, key=lambda s: s[0])
            best = hit if score >= LEFTOVER_TITLE_FUZZY_MIN else None
    if best is not None:
        turn.title = best
        turn.understood = True
        text.mark(i, j)
        options = ambiguous(best, candidates)
        if options:  # "Dracula": 1992, 1931 or 1979? Ask.
            turn.clarify, turn.choices = "title", options


def _runs(text: Text) -> list[tuple[int, int]]:
    """Maximal runs of unread content words (name particles allowed inside)."""
    runs: list[tuple[int, int]] = []
    i = 0
    n = len(text)
    while i < n:
        if text.used[i] or not _content(text.tokens[i]):
            i += 1
            continue
        j = i + 1
        while j < n and not text.used[j]:
            token = text.tokens[j]
            if _content(token):
                j += 1
            elif is_particle(token) and j + 1 < n and not text.used[j + 1] and _content(text.tokens[j + 1]):
                j += 2
            else:
                break
        runs.append((i, j))
        i = j
    return runs


def _content(token: str) -> bool:
    return token not in lx.STOPWORDS and token != "," and not token.isdigit() and len(token) > 1
