"""ChatFilterState: what the assistant understood, as plain data.

It mirrors the contract's ``ChatFilters`` (ids where the schema has objects) plus what the chat
layer needs between turns: the intent, ids to hide ("not these"), excluded people, the genre
match mode and display names. ``to_dict``/``from_dict`` give the JSON stored in
``chat_sessions.filters``; ``to_chat_filters`` gives the contract's field names.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Literal

from reelgraph.movie_filter import MovieFilterSpec

Intent = Literal["DISCOVER", "SIMILAR", "PERSON", "TITLE", "TRENDING", "REFINE", "SMALLTALK", "CLARIFY"]
Sort = Literal[
    "POPULARITY_DESC",
    "RELEASE_DATE_DESC",
    "RELEASE_DATE_ASC",
    "VOTE_AVERAGE_DESC",
    "IMDB_RATING_DESC",
    "TITLE_ASC",
]
INTENTS: tuple[str, ...] = (
    "DISCOVER",
    "SIMILAR",
    "PERSON",
    "TITLE",
    "TRENDING",
    "REFINE",
    "SMALLTALK",
    "CLARIFY",
)
# What a CLARIFY question asks for: which movie (then TITLE or SIMILAR), or which person.
CLARIFY_KINDS: tuple[str, ...] = ("title", "similar", "reference", "person")
SORTS: tuple[str, ...] = (
    "POPULARITY_DESC",
    "RELEASE_DATE_DESC",
    "RELEASE_DATE_ASC",
    "VOTE_AVERAGE_DESC",
    "IMDB_RATING_DESC",
    "TITLE_ASC",
)
GENRE_MATCHES: tuple[str, ...] = ("ANY", "ALL")

# Same bounds as services.discovery.validate, so a state always converts into a valid filter.
YEAR_MIN, YEAR_MAX = 1870, 2100
RUNTIME_MAX_MINUTES = 1000
MAX_KEYWORDS, MAX_KEYWORD_CHARS = 20, 100
# Lists a session can grow turn after turn ("not these" x 50) are capped so stored JSON stays small.
MAX_IDS = 200
MAX_LIST = 20
_LANGUAGE = re.compile(r"^[a-z]{2}$")
_LIST_FIELDS = frozenset(
    {
        "genres",
        "exclude_genres",
        "people",
        "exclude_people",
        "similar_to",
        "exclude_ids",
        "choices",
        "disliked",
    }
)

# The fields that are filters (as opposed to intent and bookkeeping).
FILTER_FIELDS: tuple[str, ...] = (
    "genres",
    "exclude_genres",
    "people",
    "exclude_people",
    "similar_to",
    "year_from",
    "year_to",
    "min_imdb_rating",
    "min_vote_average",
    "runtime_min",
    "runtime_max",
    "original_language",
    "keywords",
    "sort",
)


@dataclass(slots=True)
class ChatFilterState:
    """The filters in force after a turn, and how the turn was understood.

    Extensions beyond the contract's ChatFilters (apply them, they just are not exposed):
    ``genre_match`` (ALL for "sci-fi comedy", ANY for "horror or thriller"), ``exclude_people``
    ("without Tom Cruise": hide movies crediting them), ``runtime_min`` ("longer than 2 hours")
    and ``exclude_ids`` (movies the user dismissed with "not these" / "others").
    For intent TITLE, ``similar_to`` holds the movie asked about.
    """

    intent: Intent = "DISCOVER"
    genres: list[int] = field(default_factory=list)
    exclude_genres: list[int] = field(default_factory=list)
    genre_match: Literal["ANY", "ALL"] = "ALL"
    people: list[int] = field(default_factory=list)
    exclude_people: list[int] = field(default_factory=list)
    similar_to: list[int] = field(default_factory=list)
    year_from: int | None = None
    year_to: int | None = None
    min_imdb_rating: float | None = None
    min_vote_average: float | None = None
    runtime_min: int | None = None
    runtime_max: int | None = None
    original_language: str | None = None
    keywords: list[str] = field(default_factory=list)
    sort: Sort | None = None
    exclude_ids: list[int] = field(default_factory=list)
    # "I hated Alien": movies whose related lists hide their likes too (each is in exclude_ids).
    disliked: list[int] = field(default_factory=list)
    # With intent CLARIFY: the movies offered, in order, and what the answer will mean.
    choices: list[int] = field(default_factory=list)
    clarify: str | None = None
    # "I loved Alien": the movie a signed-in viewer is offered to rate (this turn only).
    rate_offer: int | None = None
    # Display names for replies and for the LLM's view of the previous turn (ids -> names).
    person_names: dict[int, str] = field(default_factory=dict)
    movie_titles: dict[int, str] = field(default_factory=dict)
    movie_years: dict[int, int] = field(default_factory=dict)  # of the choices: "the 1931 one"
    # "en" or "fr": the language replies should use.
    language: str = "en"
    # A short reply written by the LLM (None with the rule engine); replies.py may use it.
    reply: str | None = None
    # "rules" or "llm": which engine produced this state (for logs and tests).
    source: str = "rules"

    # ------------------------------------------------------------------------------ queries

    def has_filters(self) -> bool:
        """True when any filter is set (intent and bookkeeping aside)."""
        return any(getattr(self, name) not in (None, [], "") for name in FILTER_FIELDS)

    def copy(self) -> ChatFilterState:
        return copy.deepcopy(self)

    # ------------------------------------------------------------------------- normalising

    def normalized(self) -> ChatFilterState:
        """A copy with every value in range: the one gate both engines' output goes through."""
        s = self.copy()
        s.intent = s.intent if s.intent in INTENTS else "DISCOVER"
        s.sort = s.sort if s.sort in SORTS else None
        s.genre_match = s.genre_match if s.genre_match in GENRE_MATCHES else "ALL"
        s.genres = _ids(s.genres, MAX_LIST)
        s.exclude_genres = _ids(s.exclude_genres, MAX_LIST)
        s.genres = [g for g in s.genres if g not in s.exclude_genres]
        s.people = _ids(s.people, MAX_LIST)
        s.exclude_people = [p for p in _ids(s.exclude_people, MAX_LIST) if p not in s.people]
        s.similar_to = _ids(s.similar_to, MAX_LIST)
        s.exclude_ids = _ids(s.exclude_ids, MAX_IDS, keep_last=True)
        s.disliked = _ids(s.disliked, MAX_LIST, keep_last=True)
        s.choices = _ids(s.choices, MAX_LIST)
        s.clarify = s.clarify if s.clarify in CLARIFY_KINDS and s.intent == "CLARIFY" else None
        if s.intent != "CLARIFY":
            s.choices = []
        s.rate_offer = _bounded_int(s.rate_offer, 1, 2**31 - 1)
        s.year_from = _bounded_int(s.year_from, YEAR_MIN, YEAR_MAX)
        s.year_to = _bounded_int(s.year_to, YEAR_MIN, YEAR_MAX)
        if s.year_from is not None and s.year_to is not None and s.year_from > s.year_to:
            s.year_from, s.year_to = s.year_to, s.year_from
        s.min_imdb_rating = _bounded_float(s.min_imdb_rating, 0.0, 10.0)
        s.min_vote_average = _bounded_float(s.min_vote_average, 0.0, 10.0)
        s.runtime_min = _bounded_int(s.runtime_min, 0, RUNTIME_MAX_MINUTES)
        s.runtime_max = _bounded_int(s.runtime_max, 1, RUNTIME_MAX_MINUTES)
        if s.runtime_min is not None and s.runtime_max is not None and s.runtime_min > s.runtime_max:
            s.runtime_min = None  # the later, more specific "under N minutes" wins
        lang = (s.original_language or "").strip().lower()
        s.original_language = lang if _LANGUAGE.match(lang) else None
        s.keywords = list(
            dict.fromkeys(
                k.strip().lower()[:MAX_KEYWORD_CHARS] for k in s.keywords if isinstance(k, str) and k.strip()
            )
        )[:MAX_KEYWORDS]
        s.language = "fr" if s.language == "fr" else "en"
        if s.reply is not None:
            s.reply = " ".join(str(s.reply).split())[:400] or None
        wanted_people = {*s.people, *s.exclude_people}
        s.person_names = {int(k): str(v)[:200] for k, v in s.person_names.items() if int(k) in wanted_people}
        wanted_movies = {*s.similar_to, *s.choices, *s.disliked, *([s.rate_offer] if s.rate_offer else [])}
        s.movie_titles = {int(k): str(v)[:300] for k, v in s.movie_titles.items() if int(k) in wanted_movies}
        s.movie_years = {int(k): int(v) for k, v in s.movie_years.items() if int(k) in s.choices}
        return s

    # ------------------------------------------------------------------------ conversions

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict for storage (dict keys become strings)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, dict):
                value = {str(k): v for k, v in value.items()}
            elif isinstance(value, list):
                value = list(value)
            out[f.name] = value
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> ChatFilterState:
        """Tolerant inverse of ``to_dict``: unknown keys and bad values are dropped, not raised,
        so a session stored by an older version still loads."""
        state = cls()
        if not data:
            return state
        known = {f.name for f in fields(cls)}
        for key, value in data.items():
            if key not in known or value is None:
                continue
            try:
                if key in ("person_names", "movie_titles"):
                    setattr(state, key, {int(k): str(v) for k, v in dict(value).items()})
                elif key == "movie_years":
                    state.movie_years = {int(k): int(v) for k, v in dict(value).items()}
                elif key == "keywords":
                    if isinstance(value, list):
                        state.keywords = [v for v in value if isinstance(v, str)]
                elif key in _LIST_FIELDS:
                    if isinstance(value, list):  # items are checked one by one in normalized()
                        setattr(state, key, list(value))
                elif key in ("year_from", "year_to", "runtime_min", "runtime_max", "rate_offer"):
                    setattr(state, key, int(value))
                elif key in ("min_imdb_rating", "min_vote_average"):
                    setattr(state, key, float(value))
                else:
                    setattr(state, key, value if isinstance(value, str) else str(value))
            except (TypeError, ValueError, AttributeError):
                continue
        return state.normalized()

    def to_chat_filters(self) -> dict[str, Any]:
        """The contract's ChatFilters with ids in place of objects (camelCase keys)."""
        return {
            "genres": list(self.genres),
            "excludeGenres": list(self.exclude_genres),
            "people": list(self.people),
            "similarTo": list(self.similar_to),
            "yearFrom": self.year_from,
            "yearTo": self.year_to,
            "minImdbRating": self.min_imdb_rating,
            "minVoteAverage": self.min_vote_average,
            "runtimeMax": self.runtime_max,
            "originalLanguage": self.original_language,
            "keywords": list(self.keywords),
            "sort": self.sort,
        }

    def to_movie_filter_spec(self) -> MovieFilterSpec:
        """The discover filter for this state. ``similar_to``, ``exclude_people`` and
        ``exclude_ids`` are not discover filters: the caller applies them around discover."""
        return MovieFilterSpec(
            genres=list(self.genres),
            genre_match=self.genre_match,
            exclude_genres=list(self.exclude_genres),
            year_from=self.year_from,
            year_to=self.year_to,
            min_vote_average=self.min_vote_average,
            min_imdb_rating=self.min_imdb_rating,
            runtime_min=self.runtime_min,
            runtime_max=self.runtime_max,
            original_language=self.original_language,
            with_people=list(self.people),
            keywords=list(self.keywords),
        )


def _ids(values: Iterable[Any], cap: int, keep_last: bool = False) -> list[int]:
    out: list[int] = []
    for v in values:
        if isinstance(v, bool):
            continue
        try:
            i = int(v)
        except (TypeError, ValueError):
            continue
        if i > 0:
            out.append(i)
    unique = list(dict.fromkeys(out))
    return unique[-cap:] if keep_last else unique[:cap]


def _bounded_int(value: Any, low: int, high: int) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if low <= number <= high else None


def _bounded_float(value: Any, low: float, high: float) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return round(number, 2) if math.isfinite(number) and low <= number <= high else None
