"""The merge: what one message said (the ``Turn``) combined with the previous state.

A turn either refines the previous filters (a follow-up: "and from the 90s", "shorter", "without
him") or replaces them (a new search); a message about one title or person asks about it alone.
Comparatives and relative time ("newer", "shorter", "better") are measured against the
previous turn's values.
"""

from __future__ import annotations

from reelgraph.chat import lexicon as lx
from reelgraph.chat.filters import ChatFilterState
from reelgraph.chat.rules.text import HEAD_NOUNS, Text
from reelgraph.chat.rules.turn import Reading, Turn


def merge(reading: Reading, lang: str) -> ChatFilterState:
    """The state after this turn, replies in ``lang``; not yet normalised."""
    turn = reading.turn
    state = _merged(reading, lang)
    if turn.liked is not None and turn.liked in state.similar_to:
        state.rate_offer = turn.liked
    if turn.clarify is not None:
        return _question(state, reading, lang)
    return state


def _question(state: ChatFilterState, reading: Reading, lang: str) -> ChatFilterState:
    """A CLARIFY state: the choices to offer, and the filters the answer will keep."""
    turn, previous = reading.turn, reading.previous
    kind = turn.clarify
    choice_ids = [hit[0] for hit in turn.choices]
    if turn.clarify_keeps:
        question = previous.copy() if previous is not None and not turn.reset else ChatFilterState()
    elif kind == "title":
        question = ChatFilterState()
    elif kind == "similar":
        question = state.copy()
        question.similar_to = [m for m in question.similar_to if m not in choice_ids]
    else:  # an unresolved reference or pronoun: the filters in force stay for the next turn
        question = previous.copy() if previous is not None and not turn.reset else ChatFilterState()
    question.intent = "CLARIFY"
    question.clarify = kind
    question.choices = choice_ids
    question.movie_titles.update({hit[0]: hit[1] for hit in turn.choices if hit[1]})
    question.movie_years = {hit[0]: hit[2] for hit in turn.choices if hit[2] is not None}
    question.rate_offer = None
    question.language = lang
    question.reply = None
    return question


def answer_choice(previous: ChatFilterState, picked: int, lang: str) -> ChatFilterState:
    """The state once the user picked ``picked`` among a CLARIFY question's choices."""
    title = previous.movie_titles.get(picked, "")
    if previous.clarify == "title":
        state = ChatFilterState(intent="TITLE", similar_to=[picked], movie_titles={picked: title})
    else:
        state = previous.copy()
        state.intent = "SIMILAR"
        state.similar_to = [*state.similar_to, picked]
        state.movie_titles[picked] = title
    state.choices, state.clarify, state.movie_years = [], None, {}
    state.language = lang
    return state


def _merged(reading: Reading, lang: str) -> ChatFilterState:
    text, turn, previous, reset = reading.text, reading.turn, reading.previous, reading.turn.reset
    delta = _delta(text, turn)
    subject = bool(
        delta.genres
        or delta.keywords
        or delta.people
        or turn.similar
        or turn.similar_visible
        or turn.trending
    )
    tokens = text.tokens
    first = next((t for t in tokens if t != ","), "")
    refine_signal = bool(
        turn.relatives
        or turn.similar_visible
        or turn.exclude_ids
        or turn.exclude_visible
        or turn.drop_people
        or turn.pronoun_keep
        or turn.disliked
        or first in lx.ELLIPTIC_STARTS
        or any(t in lx.REFINE_WORDS for k, t in enumerate(tokens) if not text.vocab[k])
        or text.has_phrase(lx.REFINE_PHRASES, only_free_of_vocab=True)
        or text.has_phrase(lx.SWITCH_PHRASES, only_free_of_vocab=True)
    )
    # "recommend me a movie" asks for movies even with no filter; "give me the users" does not
    wants_movies = any(t in HEAD_NOUNS for t in tokens) or text.has_phrase(lx.WATCH_PHRASES)
    if turn.title is not None or turn.title_visible is not None or turn.title_person is not None:
        return _title_state(turn, lang)
    has_previous = (
        previous is not None and not reset and (previous.has_filters() or bool(previous.exclude_ids))
    )
    meaningful = bool(
        delta.has_filters()
        or turn.relatives
        or subject
        or turn.exclude_ids
        or turn.drop_people
        or turn.pronoun_keep
        or turn.disliked
        or turn.clarify
    )
    if not meaningful:
        if has_previous and previous is not None:
            # nothing new: the filters stay; a bare request ("show me some") shows them again
            kept = previous.copy()
            kept.intent = "REFINE" if wants_movies else "SMALLTALK"
            kept.language = lang
            kept.reply = None
            return kept
        return ChatFilterState(intent="DISCOVER" if wants_movies else "SMALLTALK", language=lang)
    refine = has_previous and (refine_signal or not subject)
    base = previous.copy() if refine and previous is not None else ChatFilterState()
    if not refine and has_previous and previous is not None and turn.similar and not delta.people:
        # "something like Alien" after "90s movies under 2 hours": the constraints in force stay
        # (the seed replaces the last one; genres the message names replace the last ones)
        base = previous.copy()
        base.similar_to, base.sort = [], None
        if delta.genres:
            base.genres, base.genre_match = [], "ALL"
    if not refine:
        base.exclude_ids = []
    switch = refine and text.has_phrase(lx.SWITCH_PHRASES, only_free_of_vocab=True)
    add_any = refine and any(t in lx.ANY_WORDS for t in tokens) and bool(base.genres) and not switch
    state = _apply(base, delta, turn, reading.reference_year, switch=switch, add_any=add_any)
    state.language = lang
    state.reply = None
    if refine:
        state.intent = "REFINE"
    elif turn.similar or turn.similar_visible:
        state.intent = "SIMILAR"
    elif delta.people:
        state.intent = "PERSON"
    elif (turn.trending or state.sort == "POPULARITY_DESC") and not _has_non_sort_filters(state):
        state.intent = "TRENDING"
        state.sort = "POPULARITY_DESC"
    else:
        state.intent = "DISCOVER"
    return state


def _has_non_sort_filters(state: ChatFilterState) -> bool:
    probe = state.copy()
    probe.sort = None
    return probe.has_filters()


def _title_state(turn: Turn, lang: str) -> ChatFilterState:
    state = ChatFilterState(intent="TITLE", language=lang)
    if turn.title is not None:
        state.similar_to = [turn.title[0]]
        state.movie_titles = {turn.title[0]: turn.title[1]}
    elif turn.title_visible is not None:
        state.similar_to = [turn.title_visible]
    elif turn.title_person is not None:
        state.intent = "PERSON"
        state.people = [turn.title_person[0]]
        state.person_names = {turn.title_person[0]: turn.title_person[1]}
    return state


def _delta(text: Text, turn: Turn) -> ChatFilterState:
    """This message's own filters, as a state (no previous turn involved)."""
    d = ChatFilterState()
    positive_genres = 0
    for mention in sorted(turn.mentions, key=lambda m: m.start):
        effect = mention.effect
        if mention.kind == "person" and mention.person is not None:
            pid, name = mention.person[:2]
            (d.exclude_people if mention.negated else d.people).append(pid)
            d.person_names[pid] = name
            continue
        if effect is None:
            continue
        kind = effect.kind
        if kind in ("genre", "mood", "topic"):
            if mention.negated:
                if kind != "topic":  # keywords cannot be excluded through discover
                    d.exclude_genres.extend(effect.genres)
                continue
            d.genres.extend(effect.genres)
            positive_genres += bool(effect.genres)
            d.keywords.extend(effect.keywords)
            if effect.language:
                d.original_language = effect.language
        elif kind == "language":
            if not mention.negated:
                d.original_language = effect.language
        elif kind == "time":
            if effect.relative:
                turn.relatives.append(effect.relative)
            if effect.year_from is not None:
                d.year_from = effect.year_from
            if effect.year_to is not None:
                d.year_to = effect.year_to
        elif kind == "quality":
            if "imdb" in text.tokens:
                d.min_imdb_rating = effect.min_vote_average
            else:
                d.min_vote_average = effect.min_vote_average
        elif kind == "length":
            if effect.runtime_max is not None:
                d.runtime_max = effect.runtime_max
            if effect.runtime_min is not None:
                d.runtime_min = effect.runtime_min
        elif kind == "sort":
            sort = effect.sort
            if sort == "VOTE_AVERAGE_DESC" and "imdb" in text.tokens:
                sort = "IMDB_RATING_DESC"
            d.sort = sort
        elif kind == "trending":
            turn.trending = True
        elif kind == "compare" and effect.relative:
            turn.relatives.append(effect.relative)
    if turn.family_age:
        d.genres.append(lx.FAMILY)
    if turn.years_set:
        d.year_from = turn.year_from if turn.year_from is not None else d.year_from
        d.year_to = turn.year_to if turn.year_to is not None else d.year_to
    if turn.runtime_max is not None:
        d.runtime_max = turn.runtime_max
    if turn.runtime_min is not None:
        d.runtime_min = turn.runtime_min
    if turn.rating is not None:
        d.min_vote_average = turn.rating
    if turn.imdb_rating is not None:
        d.min_imdb_rating = turn.imdb_rating
    if turn.sort and d.sort is None:
        d.sort = turn.sort
    if turn.trending and d.sort is None:
        d.sort = "POPULARITY_DESC"
    for hit in turn.similar:
        d.similar_to.append(hit[0])
        d.movie_titles[hit[0]] = hit[1]
    d.similar_to.extend(turn.similar_visible)
    if positive_genres >= 2 and any(t in ("or", "ou", "either", "soit") for t in text.tokens):
        d.genre_match = "ANY"
    d.genres = list(dict.fromkeys(d.genres))
    d.keywords = list(dict.fromkeys(d.keywords))
    return d


def _apply(
    base: ChatFilterState, d: ChatFilterState, turn: Turn, ref: int, switch: bool, add_any: bool
) -> ChatFilterState:
    s = base.copy()
    # genres: replace on "what about ...", otherwise add; a genre named again is no longer excluded
    if d.genres:
        s.genres = list(d.genres) if switch or not s.genres else [*s.genres, *d.genres]
        s.genre_match = "ANY" if add_any or d.genre_match == "ANY" else ("ALL" if switch else s.genre_match)
    elif not base.genres:
        s.genre_match = d.genre_match
    s.exclude_genres = [g for g in [*s.exclude_genres, *d.exclude_genres] if g not in d.genres]
    s.genres = [g for g in s.genres if g not in s.exclude_genres]
    if d.keywords:
        s.keywords = list(d.keywords) if switch else [*s.keywords, *d.keywords]
    # people: "without him" drops and excludes; new names add (or replace on a switch)
    dropped = set(turn.drop_people)
    s.people = [p for p in s.people if p not in dropped]
    if d.people:
        s.people = list(d.people) if switch else [*s.people, *d.people]
    s.exclude_people = [
        p for p in [*s.exclude_people, *turn.drop_people, *d.exclude_people] if p not in d.people
    ]
    s.person_names.update(d.person_names)
    if d.similar_to:
        s.similar_to = list(d.similar_to)
        s.movie_titles.update(d.movie_titles)
    # scalars: what this message says wins; a one-sided bound drops a contradicting other side
    if d.year_from is not None or d.year_to is not None:
        if d.year_from is not None and d.year_to is not None:
            s.year_from, s.year_to = d.year_from, d.year_to
        elif d.year_from is not None:
            s.year_from = d.year_from
            if s.year_to is not None and s.year_to < d.year_from:
                s.year_to = None
        else:
            s.year_to = d.year_to
            if s.year_from is not None and d.year_to is not None and s.year_from > d.year_to:
                s.year_from = None
    if d.runtime_max is not None:
        s.runtime_max = d.runtime_max
        if s.runtime_min is not None and s.runtime_min > d.runtime_max:
            s.runtime_min = None
    if d.runtime_min is not None:
        s.runtime_min = d.runtime_min
        if s.runtime_max is not None and s.runtime_max < d.runtime_min:
            s.runtime_max = None
    if d.min_vote_average is not None:
        s.min_vote_average = d.min_vote_average
    if d.min_imdb_rating is not None:
        s.min_imdb_rating = d.min_imdb_rating
    if d.original_language is not None:
        s.original_language = d.original_language
    if d.sort is not None:
        s.sort = d.sort
    for relative in turn.relatives:
        _relative(s, base, relative, ref)
    s.exclude_ids = [*s.exclude_ids, *turn.exclude_ids, *(hit[0] for hit in turn.disliked)]
    s.disliked = [*s.disliked, *(hit[0] for hit in turn.disliked)]
    s.movie_titles.update({hit[0]: hit[1] for hit in turn.disliked})
    return s


def _relative(s: ChatFilterState, base: ChatFilterState, relative: str, ref: int) -> None:
    """Comparatives and relative time, measured against the previous turn's values."""
    if relative == "recent":
        s.year_from = ref - lx.RECENT_YEARS
        if s.year_to is not None and s.year_to < s.year_from:
            s.year_to = None
    elif relative == "this_year":
        s.year_from = s.year_to = ref
    elif relative == "last_year":
        s.year_from = s.year_to = ref - 1
    elif relative == "newer":
        if base.year_to is not None:
            s.year_from = min(base.year_to + 1, ref)
        elif base.year_from is not None:
            s.year_from = min(base.year_from + 5, ref)
        else:
            s.year_from = ref - 10
        s.year_to = None
    elif relative == "older":
        if base.year_from is not None:
            s.year_to = base.year_from - 1
        elif base.year_to is not None:
            s.year_to = base.year_to - 10
        else:
            s.year_to = ref - 20
        s.year_from = None
    elif relative == "shorter":
        s.runtime_max = (
            max(lx.MIN_SHORTER, base.runtime_max - lx.SHORTER_STEP)
            if base.runtime_max is not None
            else lx.SHORT_RUNTIME
        )
        if s.runtime_min is not None and s.runtime_min > s.runtime_max:
            s.runtime_min = None
    elif relative == "longer":
        s.runtime_min = base.runtime_max if base.runtime_max is not None else lx.NOT_TOO_LONG_RUNTIME
        s.runtime_max = None
    elif relative == "better":
        if base.min_imdb_rating is not None:
            s.min_imdb_rating = min(9.5, base.min_imdb_rating + lx.BETTER_STEP)
        elif base.min_vote_average is not None:
            s.min_vote_average = min(9.5, base.min_vote_average + lx.BETTER_STEP)
        else:
            s.min_vote_average = lx.GOOD_RATING
    elif relative == "popular":
        s.sort = "POPULARITY_DESC"
