"""Pass 7: leftovers. Themes in the user's own words ("based on a true story", "un film de
braquage", also where the lexicon read a topic inside them), names without a trigger ("Tom Hanks
comedies", "Nolan"), a message that is just a title ("Inception?"), and what follows "about" /
"sur" when nothing else read it ("a movie about a talking pig"): the theme as written."""

from __future__ import annotations

from rapidfuzz import fuzz

from reelgraph.chat import lexicon as lx
from reelgraph.chat.entities import MovieHit
from reelgraph.chat.lexicon.themes import MAX_THEME_TOKENS
from reelgraph.chat.rules.clarify import ambiguous
from reelgraph.chat.rules.names import MAX_PERSON_SPAN, match_person
from reelgraph.chat.rules.text import HEAD_NOUNS, Text, is_particle, title_variants
from reelgraph.chat.rules.turn import Mention, Reading
from reelgraph.chat.rules.vocabulary import negation
from reelgraph.chat.themes import keyword_of

LEFTOVER_TITLE_FUZZY_MIN = 90.0
# Words after which the rest of a clause is what the movie is about.
THEME_TRIGGERS = frozenset({"about", "involving", "sur", "concerning"})
THEME_SKIPPED = frozenset({"a", "an", "the", "le", "la", "les", "l", "un", "une", "des", "d", "du", "de"})
MAX_THEME_WORDS = 4
# Where to watch is not what a movie is about ("un film sur Netflix").
NOT_THEMES = frozenset(
    {"netflix", "amazon", "prime", "disney", "hulu", "youtube", "tv", "tele", "television", "dvd", "canal"}
)


async def leftovers(reading: Reading) -> None:
    text, turn, capitalized = reading.text, reading.turn, reading.capitalized
    themed = _known_themes(reading)
    runs = _runs(text)
    if not runs:
        if themed:
            await negation(reading)
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
        if not text.used[i]:
            themed = _open_theme(reading, i, j) or themed
    if themed or any(m.kind == "person" for m in turn.mentions):
        await negation(reading)  # new mentions: their negation, e.g. "no Tom Cruise", "pas de mafia"


def _known_themes(reading: Reading) -> bool:
    """The lexicon's theme phrases, longest first, over free tokens and the lexicon's words they
    contain ("prison" in "prison escape", "war" in "cold war"): the theme replaces them, in the
    user's words, with the genres the theme itself implies."""
    text, turn = reading.text, reading.turn
    owner = {k: m for m in turn.mentions for k in range(m.start, m.end)}
    found = False
    i = 0
    while i < len(text):
        for n in range(min(MAX_THEME_TOKENS, len(text) - i), 0, -1):
            theme = keyword_of(text.tokens[i : i + n])
            if theme is None:
                continue
            inside = {id(owner[k]): owner[k] for k in range(i, i + n) if k in owner}.values()
            if any(text.used[k] and k not in owner for k in range(i, i + n)) or any(
                m.kind not in ("genre", "mood", "topic") or m.start < i or m.end > i + n for m in inside
            ):
                continue
            negated = any(m.negated for m in inside)
            turn.mentions = [m for m in turn.mentions if all(m is not o for o in inside)]
            keyword, genres = theme
            effect = lx.Effect("topic", genres=genres, keywords=(keyword,))
            turn.mentions.append(Mention(i, i + n, "topic", effect=effect, negated=negated))
            text.mark(i, i + n, vocab=True)
            turn.understood = found = True
            i += n
            break
        else:
            i += 1
    return found


def _open_theme(reading: Reading, i: int, j: int) -> bool:
    """Free words right after "about" / "sur" (articles skipped) that no pass read: the theme, as
    written ("a movie about a talking pig" -> "talking pig")."""
    text = reading.text
    k = i - 1
    while k >= 0 and not text.used[k] and text.tokens[k] in THEME_SKIPPED:
        k -= 1
    if k < 0 or text.tokens[k] not in THEME_TRIGGERS or j - i > MAX_THEME_WORDS:
        return False
    words = text.tokens[i:j]
    while words and words[-1] in HEAD_NOUNS:
        words.pop()
    if not words or any(w in NOT_THEMES for w in words):
        return False
    effect = lx.Effect("topic", keywords=(" ".join(words),))
    reading.turn.mentions.append(Mention(i, j, "topic", effect=effect))
    text.mark(k, j, vocab=True)
    reading.turn.understood = True
    return True


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
