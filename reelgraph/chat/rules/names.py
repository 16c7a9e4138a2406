"""Passes 2-3: titles and people after their triggers ("like Inception", "tell me about Amélie",
"with Tom Hanks", "réalisé par Nolan", "sans Tom Cruise"), resolved through the EntityResolver.

Titles go first because they may contain ordinary words ("Scary Movie"). ``match_person`` is
also what the leftovers pass uses for names without a trigger.
"""

from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz import fuzz

from reelgraph.chat import lexicon as lx
from reelgraph.chat.entities import MovieHit, PersonHit
from reelgraph.chat.rules.clarify import ambiguous
from reelgraph.chat.rules.text import (
    HEAD_NOUNS,
    LEADING_ARTICLES,
    Text,
    folded_tokens,
    is_particle,
    match_at,
    title_variants,
)
from reelgraph.chat.rules.turn import Mention, Reading

MAX_TITLE_SPAN = 8
MAX_PERSON_SPAN = 4
PERSON_FUZZY_MIN = 80.0  # rapidfuzz ratio: "tom hanx" ~ "tom hanks" is 82
TITLE_FUZZY_MIN = 88.0
LEFTOVER_PERSON_FUZZY_MIN = 88.0

# A title span ends at these (the resolver may still match a longer title: "gone with the wind").
_TITLE_STOPS = frozenset(
    {
        ",", "but", "mais", "from", "with", "avec", "des", "in", "en", "only", "please", "svp", "stp",
        "that", "qui", "which", "and", "et", "or", "ou", "without", "sans", "for", "pour", "under", "over",
        "before", "after", "since", "depuis", "avant", "apres", "not", "no", "pas", "made", "released",
        "sorti", "sortis", "starring", "directed", "realise", "rated", "note", "notes", "except", "sauf",
        "though", "plus", "more", "less", "moins", "instead", "plutot", "maybe", "peut", "?",
    }
)  # fmt: skip
_PERSON_STOPS = _TITLE_STOPS | HEAD_NOUNS | {"and", "et", "or", "ou", "in", "des", "s"}
# Words after which a person trigger is not followed by a name.
_NOT_NAME_STARTS = lx.STOPWORDS - {"will", "ben", "don", "guy", "may", "max", "art", "rose", "lee"}
_LIST_LINKS = frozenset({"and", "et", "or", "ou", ",", "&", "ni", "nor"})
_LIKED = frozenset(lx.LIKED_TRIGGERS)
_NEGATED_PERSON_TRIGGERS = (
    "without", "sans", "no", "not with", "pas avec", "except", "sauf", "hormis", "but not",
)  # fmt: skip


def _build_triggers() -> dict[str, list[tuple[list[str], str]]]:
    """First token -> [(trigger tokens, kind)], longest first: one dict hit per token."""
    index: dict[str, list[tuple[list[str], str]]] = {}
    for kind, phrases in (
        ("title", lx.TITLE_TRIGGERS),
        ("similar", lx.SIMILAR_TRIGGERS),
        ("person", lx.PERSON_TRIGGERS),
        ("neg_person", _NEGATED_PERSON_TRIGGERS),
        ("disliked", lx.DISLIKED_TRIGGERS),
    ):
        for phrase in phrases:
            key = phrase.split()
            index.setdefault(key[0], []).append((key, kind))
    for entries in index.values():
        entries.sort(key=lambda e: len(e[0]), reverse=True)
    return index


_TRIGGER_INDEX = _build_triggers()


async def titles(reading: Reading) -> None:
    """Similar-to and title triggers: "like Inception", "tell me about Amélie", "I hated Alien"."""
    await _triggers(reading, kinds=("title", "similar", "disliked"))


async def people(reading: Reading) -> None:
    """Person triggers: "with Tom Hanks", "réalisé par Nolan", "sans Tom Cruise"."""
    await _triggers(reading, kinds=("person", "neg_person"))


async def _triggers(reading: Reading, kinds: tuple[str, ...]) -> None:
    text = reading.text
    i = 0
    while i < len(text):
        if text.used[i]:
            i += 1
            continue
        hit = None
        for key, kind in _TRIGGER_INDEX.get(text.tokens[i], ()):
            n = len(key)
            if kind in kinds and text.tokens[i : i + n] == key and text.free(i, i + n):
                hit = (n, kind)
                break
        if hit is None:
            i += 1
            continue
        n, kind = hit
        start = i + n
        role = "Directing" if " ".join(text.tokens[i:start]) in lx.DIRECTING_TRIGGERS else None
        if kind in ("title", "similar", "disliked"):
            liked = kind == "similar" and " ".join(text.tokens[i:start]) in _LIKED
            end = await _title_span(reading, start, strong=kind != "title" or n > 1, kind=kind)
            if end is not None and liked:
                reading.turn.liked = reading.turn.similar[-1][0]
            if end is None and kind == "title":
                end = await _person_span(reading, start, as_title=True)
            elif end is None and liked:
                # "j'aime bien Jason Statham": a liked person is a person to search for
                end = await _person_span(reading, start)
        else:
            end = await _person_span(reading, start, role=role)
            # "with Tom Hanks and Meg Ryan": a list continues the trigger
            while end is not None and end < len(text) and text.tokens[end] in _LIST_LINKS:
                more = await _person_span(reading, end + 1, role=role)
                if more is None:
                    break
                text.mark(end, end + 1)
                end = more
        if end is None:
            i += 1
            continue
        text.mark(i, start)
        i = end


def _span(text: Text, start: int, stops: frozenset[str], limit: int, names: bool = False) -> list[str]:
    span: list[str] = []
    for k in range(start, min(len(text), start + limit)):
        token = text.tokens[k]
        if text.used[k] or token in stops:
            break
        # a name stops at ordinary words, but keeps particles and initials ("Samuel L Jackson")
        if names and span and token in _NOT_NAME_STARTS and not is_particle(token):
            break
        span.append(token)
    return span


def _vocab_at(tokens: Sequence[str], i: int) -> lx.Effect | None:
    """The lexicon phrase starting at tokens[i], longest first (not topics: those can be titles)."""
    for n in range(min(lx.MAX_PHRASE_TOKENS, len(tokens) - i), 0, -1):
        effect = lx.PHRASES.get(tuple(tokens[i : i + n]))
        if effect is not None:
            return effect if effect.kind != "topic" else None
    return None


async def _title_span(reading: Reading, start: int, strong: bool, kind: str) -> int | None:
    text, turn = reading.text, reading.turn
    span = _span(text, start, _TITLE_STOPS, MAX_TITLE_SPAN)
    if kind == "title" and len(span) > 1 and span[-1] == "about":
        span = span[:-1]  # "what is Alien about?"
    if not span:
        return None
    content = span[1:] if span[0] in LEADING_ARTICLES and len(span) > 1 else span
    first = content[0]
    starts_with_vocab = _vocab_at(content, 0) is not None
    whole = lx.PHRASES.get(tuple(content))
    whole_is_vocab = whole is not None and whole.kind != "topic"
    # an ordinary word starts a title only when the user capitalised it ("I loved Up")
    as_written = strong and first in reading.capitalized and len(first) > 1 and first != "im"
    if whole_is_vocab or (first in _NOT_NAME_STARTS and first not in LEADING_ARTICLES and not as_written):
        return None
    if kind == "title" and starts_with_vocab:
        return None
    if not reading.budget():
        return None
    candidates = await reading.search_movies(" ".join(span))
    if not candidates:
        return None
    best: tuple[int, MovieHit] | None = None  # (tokens used, hit)
    for offset in (0, 1) if span[0] in LEADING_ARTICLES and len(span) > 1 else (0,):
        # offset 1: the article in the message is not part of the title ("like the Inception")
        for hit in candidates:
            for variant in title_variants(hit[1]):
                end = match_at(text, start + offset, variant)
                if end is not None and (best is None or end - start > best[0]):
                    best = (end - start, hit)
        if best is not None:
            break
    if best is None and not starts_with_vocab and first[:1].isalpha():
        query = " ".join(span)
        scored = [
            (max(fuzz.ratio(query, " ".join(v)) for v in title_variants(hit[1])), hit) for hit in candidates
        ]
        score, hit = max(scored, key=lambda s: s[0])
        if score >= TITLE_FUZZY_MIN:
            best = (len(span), hit)
        elif strong and len(candidates) == 1 and len(span) >= 2 and len(query) >= 8:
            # an alternative title the resolver knows and the message spells ("Le Dîner de cons")
            best = (len(span), candidates[0])
    if best is None:
        return None
    n, hit = best
    end = start + n
    hit = _prefer_year(text, end, hit, candidates)
    if end < len(text) and hit[2] is not None and text.tokens[end] == str(hit[2]):
        end += 1  # "Titanic 1997": the year belongs to the title
    elif kind != "disliked":
        options = ambiguous(hit, candidates)
        if options:  # "like Dracula": 1992, 1931 or 1979? Ask.
            turn.clarify, turn.choices = kind, options
    if kind == "title":
        turn.title = hit
    elif kind == "disliked":
        turn.disliked.append(hit)
    else:
        turn.similar.append(hit)
    turn.understood = True
    text.mark(start, end)
    return end


def _prefer_year(text: Text, end: int, hit: MovieHit, candidates: list[MovieHit]) -> MovieHit:
    if end >= len(text) or not text.tokens[end].isdigit():
        return hit
    wanted = int(text.tokens[end])
    folded = folded_tokens(hit[1])
    for other in candidates:
        if other[2] == wanted and folded_tokens(other[1]) == folded:
            return other
    return hit


async def _person_span(
    reading: Reading, start: int, as_title: bool = False, role: str | None = None
) -> int | None:
    text, turn = reading.text, reading.turn
    span = _span(text, start, _PERSON_STOPS, MAX_PERSON_SPAN, names=True)
    while span and is_particle(span[-1]):
        span.pop()
    if not span or span[0] in _NOT_NAME_STARTS or span[0][:1].isdigit():
        return None
    if _vocab_at(span, 0) is not None or lx.PHRASES.get((span[0],)) is not None:
        return None
    found = await match_person(reading, span, trigger=True, role=role)
    if found is None:
        return None
    n, hit = found
    mention = Mention(start, start + n, "person", person=hit)
    turn.mentions.append(mention)
    if as_title:
        turn.title_person = hit
    turn.understood = True
    text.mark(start, start + n)
    return start + n


async def match_person(
    reading: Reading, span: list[str], trigger: bool, surname_ok: bool = True, role: str | None = None
) -> tuple[int, PersonHit] | None:
    """Longest name the span starts with: exact, a surname ("Nolan"), or a close typo. A bare
    surname goes to the most popular bearer, among those known for `role` first ("directed by")."""
    if not reading.budget():
        return None
    candidates = await reading.search_people(" ".join(span))
    if not candidates and len(span) > 2:
        if not reading.budget():
            return None
        candidates = await reading.search_people(" ".join(span[:2]))
    if not candidates:
        return None
    best: tuple[int, PersonHit] | None = None
    for hit in candidates:
        name = folded_tokens(hit[1])
        n = len(name)
        # "Park Chan-wook" is TMDb's "Chan-wook Park": the same words in another order count
        exact = span[:n] == name or (n > 1 and sorted(span[:n]) == sorted(name))
        if exact and (best is None or n > best[0]):
            best = (n, hit)
    if best is not None:
        return best
    # A writer who capitalises names did not mean a lowercase run as one ("that will keep them").
    lowercase = not trigger and reading.writes_case and span[0] not in reading.capitalized
    if surname_ok and len(span[0]) >= 3 and not lowercase:
        by_surname = [h for h in candidates if folded_tokens(h[1])[-1:] == [span[0]]]
        if len(by_surname) > 1:
            bearers = sorted(by_surname, key=lambda h: -h[2])[:MAX_SURNAME_BEARERS]
            credits = await reading.credit_counts([h[0] for h in bearers])
            if credits:
                return 1, max(bearers, key=lambda h: _credited_rank(h, bearers, credits, role))
        if by_surname:
            return 1, max(by_surname, key=lambda h: _surname_rank(h, by_surname, role))
        # "with Keanu": a first name after a trigger, when only one candidate has it
        by_first = [h for h in candidates if folded_tokens(h[1])[:1] == [span[0]]]
        if trigger and len(by_first) == 1 and len(span[0]) >= 4:
            return 1, by_first[0]
    if lowercase:
        return None
    minimum = PERSON_FUZZY_MIN if trigger else LEFTOVER_PERSON_FUZZY_MIN
    scored: list[tuple[float, int, PersonHit]] = []
    for hit in candidates:
        name = folded_tokens(hit[1])
        n = min(len(name), len(span))
        if n >= 2 or (trigger and len(span[0]) >= 5):
            query = " ".join(span[:n]) if n >= 2 else span[0]
            target = " ".join(name) if n >= 2 else name[-1]
            scored.append((fuzz.ratio(query, target), n, hit))
    if scored:
        score, n, hit = max(scored, key=lambda s: (s[0], s[2][2]))
        if score >= minimum:
            return n, hit
    return None


# A bare surname ("Hitchcock thrillers", "Nolan") names a director far more often than an actor:
# a director bearing it wins unless someone else is this many times as popular.
DIRECTOR_SURNAME_EDGE = 2.0


# A bare surname weighs this many of its most popular bearers by their credits.
MAX_SURNAME_BEARERS = 8


def _credited_rank(
    hit: PersonHit, bearers: list[PersonHit], credits: dict[int, int], role: str | None
) -> tuple[bool, bool, int, float]:
    """With credit counts: the body of work decides (Christopher Nolan's 10 movies over a namesake's
    one), a director with at least half the top count first, as for popularity below."""
    wanted = role or "Directing"
    count = credits.get(hit[0], 0)
    top = max(credits.get(h[0], 0) for h in bearers)
    plausible = hit[3] == wanted and count * DIRECTOR_SURNAME_EDGE >= top
    return (role is not None and hit[3] == role, plausible, count, hit[2])


def _surname_rank(hit: PersonHit, bearers: list[PersonHit], role: str | None) -> tuple[bool, bool, float]:
    wanted = role or "Directing"
    top = max(h[2] for h in bearers)
    plausible = hit[3] == wanted and hit[2] * DIRECTOR_SURNAME_EDGE >= top
    return (role is not None and hit[3] == role, plausible, hit[2])
