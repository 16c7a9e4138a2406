"""Pass 1: conversation markers ("start over"), references to the movies the client shows
("the second one", "not these", "more like these") and pronouns ("without him", "more with her")."""

from __future__ import annotations

import re

from reelgraph.chat import lexicon as lx
from reelgraph.chat.rules.turn import Reading

_TITLE_CONTEXT = frozenset(
    {"tell", "about", "what", "whats", "info", "infos", "details", "parle", "quoi", "resume"}
)
_EXCLUDE_CONTEXT = frozenset({"not", "pas", "without", "sans", "no", "remove", "hide", "enleve", "retire"})
_EXCLUDE_CONTEXT |= frozenset({"except", "sauf", "drop", "skip", "moins", "minus", "already", "deja"})

_EXCLUDE_VISIBLE = (
    "not these", "not those", "none of these", "none of those", "none of them", "not them",
    "not this", "something else", "other ones", "others", "different ones", "other movies",
    "other films", "show me more", "more of these", "seen them", "seen these", "seen those",
    "already seen", "i ve seen", "pas ceux la", "pas ceux ci", "pas celles la", "pas ca",
    "aucun de ceux la", "aucun de ces films", "autre chose", "d autres", "d autres films",
    "autres films", "deja vu", "deja vus", "je les ai vus", "pas ces films", "not these movies",
    "not these ones", "different movies", "des films differents", "pas ceux ci",
)  # fmt: skip
# These ask for other results only when they are the whole message ("more", "encore ?").
_EXCLUDE_VISIBLE_ALONE = ("more", "more please", "next", "encore", "la suite", "suivants", "other", "autres")
_LIKE_VISIBLE = (
    "like these", "like those", "like them", "more like these", "more like those", "more like this",
    "similar to these", "similar ones", "more of the same", "same kind", "like this", "like that",
    "comme ceux la", "comme ceux ci", "comme ca", "plus comme ca", "dans ce genre la", "du meme genre",
    "dans le meme genre", "similaires", "des films similaires", "le meme genre",
)  # fmt: skip
# "same kind as Inception" names a title: the like-these phrase stops being one before these.
_COMPARISON_LINKS = frozenset({"que", "as", "to", "de", "than", "a"})
_WITHOUT_PRONOUN = re.compile(
    r"(?<!\S)(?:without|not|no more|sans|pas|plus|except|sauf|no)\s(?:with\s|avec\s)?(him|her|them|lui|elle|eux|elles)(?!\S)"
)
_WITH_PRONOUN = re.compile(
    r"(?<!\S)(?:with|more with|again with|avec|encore avec|more of|plus de)\s(him|her|them|lui|elle|eux|elles)(?:\sagain)?(?!\S)"
)
_ORDINAL_WORDS = "|".join(sorted(map(re.escape, lx.ORDINALS), key=len, reverse=True))
_ORDINAL_NOUN = r"(?:one|movie|film|un|une|pick|title)"
# "the last 5 years" / "la dernière décennie" are time, not a reference to a shown movie
_NUMBER_WORDS = "|".join(sorted(map(re.escape, lx.NUMBER_WORDS), key=len, reverse=True))
_NOT_ORDINAL_AFTER = rf"(?!\s(?:\d|{_NUMBER_WORDS}|few|couple|years?|decade|annees?|decennie|time|week|month|semaine|mois)(?!\S))"
_ORDINAL = re.compile(
    rf"(?<!\S)(?:(?:the|le|la|du|au|l|that)\s(?P<word>{_ORDINAL_WORDS})(?:\s{_ORDINAL_NOUN})?{_NOT_ORDINAL_AFTER}"
    rf"|(?P<word2>{_ORDINAL_WORDS})\s{_ORDINAL_NOUN}"
    rf"|(?:number|numero|#)\s?(?P<num>\d{{1,2}}))(?!\S)"
)


async def conversation_markers(reading: Reading) -> None:
    """Read before any other pass consumes their words."""
    text = reading.text
    reading.turn.reset = text.has_phrase(lx.RESET_PHRASES)
    if reading.turn.reset:
        for i, j in text.find_phrases(lx.RESET_PHRASES):
            text.mark(i, j)


async def visible_references(reading: Reading) -> None:
    text, turn, visible = reading.text, reading.turn, reading.visible
    if not visible:
        # "the second one" with nothing on screen: ask which movie, never search the words (the
        # server may offer what the session showed last as the choices)
        for _, i, j in text.matches(_ORDINAL):
            text.mark(i, j)
            if set(text.tokens[max(0, i - 4) : i]) & _TITLE_CONTEXT:
                turn.clarify, turn.clarify_keeps = "title", True
            else:
                turn.clarify = "reference"
            turn.understood = True
        return
    for m, i, j in text.matches(_ORDINAL):
        word = m.group("word") or m.group("word2")
        index = lx.ORDINALS[word] if word else int(m.group("num"))
        position = index - 1 if index > 0 else len(visible) + index
        text.mark(i, j)
        before = set(text.tokens[max(0, i - 4) : i])
        if not 0 <= position < len(visible):
            if not before & _EXCLUDE_CONTEXT:
                # "the fifth one" with two shown: ask which of the shown ones, filters kept
                turn.clarify = "title" if before & _TITLE_CONTEXT else "similar"
                turn.clarify_keeps = True
                turn.choices = [(movie_id, "", None, 0.0) for movie_id in visible]
                turn.understood = True
            continue
        movie_id = visible[position]
        if before & _TITLE_CONTEXT:
            turn.title_visible = movie_id
        elif before & _EXCLUDE_CONTEXT:
            turn.exclude_ids.append(movie_id)
        else:
            turn.similar_visible.append(movie_id)
        turn.understood = True
    for i, j in text.find_phrases(_LIKE_VISIBLE):
        if j < len(text) and text.tokens[j] in _COMPARISON_LINKS:
            text.used[i:j] = [False] * (j - i)
            continue
        turn.similar_visible.extend(visible[:3])
        turn.understood = True
    # "I've seen the first one" excludes that one only: the list-wide phrases need no ordinal
    referenced = bool(turn.exclude_ids or turn.similar_visible or turn.title_visible)
    for _ in text.find_phrases(_EXCLUDE_VISIBLE):
        turn.exclude_visible = turn.exclude_visible or not referenced
        turn.understood = True
    content = [t for t in text.tokens if t not in lx.STOPWORDS and t != ","]
    if " ".join(content) in _EXCLUDE_VISIBLE_ALONE or " ".join(text.tokens) in _EXCLUDE_VISIBLE_ALONE:
        text.mark(0, len(text))
        turn.exclude_visible = True
        turn.understood = True
    if turn.exclude_visible:
        turn.exclude_ids.extend(visible)


async def pronouns(reading: Reading) -> None:
    text, turn, previous = reading.text, reading.turn, reading.previous
    people = previous.people if previous is not None else []
    for m, i, j in text.matches(_WITHOUT_PRONOUN):
        text.mark(i, j)
        turn.understood = True
        if people:
            plural = m.group(1) in ("them", "eux", "elles")
            turn.drop_people.extend(people if plural else people[-1:])
        elif m.group(1) not in ("them", "eux", "elles"):
            turn.clarify = "person"  # "without him", and nobody named yet: who?
    for m, i, j in text.matches(_WITH_PRONOUN):
        text.mark(i, j)
        turn.pronoun_keep = True
        turn.understood = True
        if not people and m.group(1) not in ("them", "eux", "elles"):
            turn.clarify = "person"
