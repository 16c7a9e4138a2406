"""The assistant's reply text, in English or French: what was understood, the first few titles,
and an honest answer when nothing matches (naming what to relax)."""

from __future__ import annotations

from collections.abc import Sequence

from reelgraph.chat import lexicon as lx
from reelgraph.chat.filters import ChatFilterState
from reelgraph.text import is_french

MAX_TITLES = 3

_SORT_WORDS: dict[str, tuple[str, str]] = {
    "POPULARITY_DESC": ("most popular first", "les plus populaires d'abord"),
    "RELEASE_DATE_DESC": ("newest first", "les plus récents d'abord"),
    "RELEASE_DATE_ASC": ("oldest first", "les plus anciens d'abord"),
    "VOTE_AVERAGE_DESC": ("best rated first", "les mieux notés d'abord"),
    "IMDB_RATING_DESC": ("best IMDb rating first", "les mieux notés sur IMDb d'abord"),
    "TITLE_ASC": ("from A to Z", "de A à Z"),
}

# What to suggest relaxing when nothing matches, most restrictive first: (field, English, French).
_RELAX_ORDER: tuple[tuple[str, str, str], ...] = (
    ("people", "the person", "la personne"),
    ("min_imdb_rating", "the IMDb minimum", "la note IMDb minimale"),
    ("min_vote_average", "the rating minimum", "la note minimale"),
    ("runtime_max", "the length limit", "la durée maximale"),
    ("runtime_min", "the minimum length", "la durée minimale"),
    ("original_language", "the language", "la langue"),
    ("keywords", "the themes", "les thèmes"),
    ("years", "the years", "les années"),
    ("genres", "a genre", "un genre"),
    ("exclude_genres", "the excluded genres", "les genres exclus"),
    ("exclude_people", "the excluded people", "les personnes exclues"),
    ("similar_to", "the movie to match", "le film de référence"),
)


def _fr(language: str | None, state: ChatFilterState) -> bool:
    if language:
        return is_french(language)
    return state.language == "fr"


def _join(items: Sequence[str], fr: bool, word: str | None = None) -> str:
    items = [i for i in items if i]
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    last = word or ("et" if fr else "and")
    return f"{', '.join(items[:-1])} {last} {items[-1]}"


def _quote(title: str, fr: bool) -> str:
    return f"« {title} »" if fr else f"“{title}”"


def _years(state: ChatFilterState, fr: bool) -> str:
    a, b = state.year_from, state.year_to
    if a is None and b is None:
        return ""
    if a is not None and b is not None:
        if a == b:
            return f"de {a}" if fr else f"from {a}"
        if a % 10 == 0 and b == a + 9:
            return f"des années {a}" if fr else f"from the {a}s"
        return f"de {a} à {b}" if fr else f"from {a} to {b}"
    if a is not None:
        return f"depuis {a}" if fr else f"from {a} on"
    return f"jusqu'à {b}" if fr else f"up to {b}"


def describe_filters(state: ChatFilterState, language: str | None = None) -> str:
    """What the filters ask for, as a phrase: "science fiction movies from the 1990s with Tom Hanks"."""
    fr = _fr(language, state)
    lang = "fr" if fr else "en"
    genres = [lx.genre_name(g, lang).lower() for g in state.genres]
    link = ("ou" if fr else "or") if state.genre_match == "ANY" else None
    genre_text = _join(genres, fr, link)
    if fr:
        head = f"des films ({genre_text})" if genre_text else "des films"
    else:
        head = f"{genre_text} movies" if genre_text else "movies"
    # "with", "like", "from" read as one phrase with the head; limits and exclusions follow commas
    parts: list[str] = [head]
    if state.original_language:
        name = lx.language_name(state.original_language, lang)
        parts.append(f"en {name}" if fr else f"in {name}")
    people = [state.person_names.get(p, "") for p in state.people]
    if any(people):
        parts.append(("avec " if fr else "with ") + _join(people, fr))
    titles = [state.movie_titles.get(m, "") for m in state.similar_to]
    if any(titles):
        parts.append(
            ("dans la veine de " if fr else "like ") + _join([_quote(t, fr) for t in titles if t], fr)
        )
    elif state.similar_to:
        parts.append("dans la veine de votre choix" if fr else "like the one you picked")
    if state.keywords:
        parts.append(("sur le thème " if fr else "about ") + _join(state.keywords, fr, "ou" if fr else "or"))
    years = _years(state, fr)
    if years:
        parts.append(years)
    phrase = " ".join(parts)
    parts = [phrase]
    if state.runtime_max is not None:
        parts.append(
            f"de moins de {state.runtime_max} minutes" if fr else f"under {state.runtime_max} minutes"
        )
    if state.runtime_min is not None:
        parts.append(f"de plus de {state.runtime_min} minutes" if fr else f"over {state.runtime_min} minutes")
    if state.min_vote_average is not None:
        parts.append(f"notés {state.min_vote_average:g}+" if fr else f"rated {state.min_vote_average:g}+")
    if state.min_imdb_rating is not None:
        parts.append(
            f"notés {state.min_imdb_rating:g}+ sur IMDb" if fr else f"IMDb {state.min_imdb_rating:g}+"
        )
    excluded = [lx.genre_name(g, lang).lower() for g in state.exclude_genres]
    excluded += [state.person_names.get(p, "") for p in state.exclude_people]
    if any(excluded):
        parts.append(
            ("sans " if fr else "without ") + _join([e for e in excluded if e], fr, "ni" if fr else "or")
        )
    if state.sort:
        parts.append(_SORT_WORDS[state.sort][1 if fr else 0])
    return ", ".join(parts)


def _narrowed(state: ChatFilterState) -> bool:
    probe = state.copy()
    probe.sort = None
    return probe.has_filters()


def relaxation_candidates(state: ChatFilterState) -> list[str]:
    """Constraints worth dropping when nothing matches, most restrictive first (field names;
    "years" stands for year_from/year_to)."""
    out: list[str] = []
    for name, _, _ in _RELAX_ORDER:
        if name == "years":
            present = state.year_from is not None or state.year_to is not None
        elif name == "genres":
            present = len(state.genres) > 1 or (bool(state.genres) and state.has_filters())
        else:
            present = getattr(state, name) not in (None, [], "")
        if present:
            out.append(name)
    return out


def smalltalk_reply(language: str | None = None) -> str:
    if language == "fr":
        return (
            "Je vous aide à trouver un film : dites-moi un genre, une humeur, un acteur ou un réalisateur, "
            "un film que vous avez aimé ou une époque, par exemple « un polar des années 90 de moins de "
            "2 heures » ou « comme Amélie »."
        )
    return (
        "I can help you find a movie: tell me a genre, a mood, an actor or director, a movie you liked or "
        "a decade, for example “90s sci-fi under 2 hours” or “something like Inception”."
    )


def _question(state: ChatFilterState, choices: Sequence[tuple[str, int | None]], fr: bool) -> str:
    """A CLARIFY turn: which movie (numbered choices), or which movie or person a reference means."""
    if choices:
        listed = ", ".join(
            f"{n}. {_quote(t, fr)}" + (f" ({y})" if y else "") for n, (t, y) in enumerate(choices, start=1)
        )
        return f"Lequel voulez-vous dire ? {listed}" if fr else f"Which one do you mean? {listed}"
    if state.clarify == "person":
        return "De qui parlez-vous ? Donnez-moi son nom." if fr else "Who do you mean? Tell me their name."
    return (
        "De quel film parlez-vous ? Je n'en affiche aucun pour l'instant ; donnez-moi son titre."
        if fr
        else "Which movie do you mean? None is shown yet; tell me its title."
    )


def compose_reply(
    state: ChatFilterState,
    titles: Sequence[str],
    language: str | None = None,
    *,
    relaxed: Sequence[str] = (),
    choices: Sequence[tuple[str, int | None]] = (),
    signed_in: bool = False,
) -> str:
    """The reply for a turn: ``titles`` are the movies found, in display order; ``relaxed`` the
    state fields dropped to find them (the reply says so, and describes what was applied)."""
    fr = _fr(language, state)
    if state.intent == "CLARIFY":
        return _question(state, choices, fr)
    text = _compose(state, titles, fr, relaxed)
    if signed_in and state.rate_offer and titles:
        title = _quote(state.movie_titles.get(state.rate_offer, ""), fr)
        text += f" Voulez-vous noter {title} ?" if fr else f" Want to rate {title}?"
    return text


def _compose(state: ChatFilterState, titles: Sequence[str], fr: bool, relaxed: Sequence[str]) -> str:
    lang = "fr" if fr else "en"
    shown = [_quote(t, fr) for t in titles[:MAX_TITLES]]
    more = len(titles) > MAX_TITLES
    if state.intent == "SMALLTALK" and not titles:
        return state.reply or smalltalk_reply(lang)
    if state.intent == "TITLE":
        if not titles:
            return (
                "Je n'ai pas trouvé ce film. Pouvez-vous préciser le titre ?"
                if fr
                else "I couldn't find that movie. Could you check the title?"
            )
        return (
            f"Voici {shown[0]}. Vous en voulez d'autres dans le même genre ?"
            if fr
            else f"Here is {shown[0]}. Want more like it?"
        )
    description = describe_filters(state, lang)
    if not titles:
        relax = relaxation_candidates(state)[:2]
        names = {name: (en, fr_name) for name, en, fr_name in _RELAX_ORDER}
        hints = [names[r][1 if fr else 0] for r in relax]
        if fr:
            text = f"Je n'ai rien trouvé pour {description}."
            if hints:
                text += f" Essayez sans {_join(hints, fr, 'ou')}."
        else:
            text = f"I found nothing for {description}."
            if hints:
                text += f" Try dropping {_join(hints, fr, 'or')}."
        return text
    tail = " et d'autres" if fr else " and more"
    listing = ", ".join(shown) + tail if more else _join(shown, fr)
    opener = state.reply
    if not opener and state.intent == "TRENDING" and not _narrowed(state):
        return f"Les films du moment : {listing}." if fr else f"Here's what's popular right now: {listing}."
    if opener:
        return f"{opener.rstrip()} {listing}." if opener.rstrip().endswith(":") else f"{opener} {listing}."
    if relaxed:
        applied = state.copy()
        for name in relaxed:
            setattr(applied, name, [] if name in ("people", "keywords") else None)
        wanted = description
        found = describe_filters(applied, lang)
        if fr:
            return f"Aucun résultat pour {wanted} ; voici {found} : {listing}."
        return f"No {wanted}; here are {found}: {listing}."
    if fr:
        return f"Voici {description} : {listing}."
    return f"Here are {description}: {listing}."
