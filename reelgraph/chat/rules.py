"""The deterministic rule-based parser: one chat message (English or French) -> ChatFilterState.

A message is normalised into folded tokens, then read in passes, each marking the tokens it
used so later passes do not read them twice:

1. references to what the client shows ("the second one", "not these") and pronouns ("without him");
2. similar-to and title triggers ("like Inception", "tell me about Amélie"), resolved through the
   EntityResolver; titles go first because they may contain ordinary words ("Scary Movie");
3. person triggers ("with Tom Hanks", "réalisé par Nolan", "sans Tom Cruise");
4. numbers: runtimes, years and decades, ratings;
5. the lexicon's phrases, longest first, with a rapidfuzz pass for typos ("thriler");
6. negation ("no horror", "pas de dessin animé") assigned to the genres, moods and people it precedes;
7. leftovers: names without a trigger ("Tom Hanks comedies"), or a message that is just a title.

The turn is then merged with the previous state (refinement) or replaces it (a new search).
Nothing here does I/O except through the resolver, and no text of the message ever reaches the
state other than as resolved ids, known vocabulary, numbers and keyword names from the lexicon.
"""

from __future__ import annotations

import bisect
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from rapidfuzz import fuzz, process

from reelgraph.chat import lexicon as lx
from reelgraph.chat.filters import ChatFilterState
from reelgraph.chat.resolvers import EntityResolver, MovieHit, PersonHit

logger = logging.getLogger("reelgraph.chat.rules")

MAX_MESSAGE_CHARS = 1000
MAX_TITLE_SPAN = 8
MAX_PERSON_SPAN = 4
PERSON_FUZZY_MIN = 80.0  # rapidfuzz ratio: "tom hanx" ~ "tom hanks" is 82
TITLE_FUZZY_MIN = 88.0
LEFTOVER_PERSON_FUZZY_MIN = 88.0
LEFTOVER_TITLE_FUZZY_MIN = 90.0
TYPO_MIN = 88.0
MAX_RESOLVER_CALLS = 8  # a hostile message full of "with X" must not fan out into many searches

_ARTICLES = frozenset({"the", "a", "an", "le", "la", "les", "l", "un", "une"})
_HEAD_NOUNS = frozenset({"movie", "movies", "film", "films", "flick", "flicks"})
_NAME_PARTICLES = frozenset({"de", "del", "della", "van", "von", "da", "di", "du", "le", "la", "der", "den"})
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
_PERSON_STOPS = _TITLE_STOPS | _HEAD_NOUNS | {"and", "et", "or", "ou", "in", "des", "s"}
# Words after which a person trigger is not followed by a name.
_NOT_NAME_STARTS = lx.STOPWORDS - {"will", "ben", "don", "guy", "may", "max", "art", "rose", "lee"}
_LIST_LINKS = frozenset({"and", "et", "or", "ou", ",", "&", "ni", "nor"})
_NEGATION_LINKS = frozenset({"or", "ou", "ni", "nor"})
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
_NOT_ORDINAL_AFTER = r"(?!\s(?:\d|few|couple|years?|decade|annees?|decennie|time|week|month|semaine|mois))"
_ORDINAL = re.compile(
    rf"(?<!\S)(?:(?:the|le|la|du|au|l|that)\s(?P<word>{_ORDINAL_WORDS})(?:\s{_ORDINAL_NOUN})?{_NOT_ORDINAL_AFTER}"
    rf"|(?P<word2>{_ORDINAL_WORDS})\s{_ORDINAL_NOUN}"
    rf"|(?:number|numero|#)\s?(?P<num>\d{{1,2}}))(?!\S)"
)

# ---- numbers ------------------------------------------------------------------------------------

_NUM_WORDS = "|".join(sorted(map(re.escape, lx.NUMBER_WORDS), key=len, reverse=True))
_DURATION = (
    r"(?P<hours>\d+(?:\.\d+)?|" + _NUM_WORDS + r")\s?(?:h|hr|hrs|hour|hours|heure|heures)"
    r"(?:\s?(?P<hmin>\d{1,2})(?:\s?(?:min|mins|minutes|mn))?)?"
    r"(?:\s(?P<half>and a half|et demie|et demi|and a quarter|et quart))?"
    r"|(?P<minutes>\d{2,3}|ninety|hundred|quatre vingt dix|cent)\s?(?:min|mins|minute|minutes|mn|m)"
    r"|(?P<compact>\d)h(?P<cmin>\d{2})"
)
_RUNTIME_MAX_PREFIX = (
    r"under|less than|shorter than|below|max|maximum|at most|no more than|no longer than|not more than"
    r"|not longer than|not over|within|up to|tops|lower than|max of|moins de|de moins de|pas plus de"
    r"|au maximum|au max|maxi|en dessous de|inferieur a|inferieure a|qui dure moins de|qui durent moins de"
    r"|< =|<|less then|shorter then|ne depassant pas|pas plus long que|moins longs? que"
)
_RUNTIME_MIN_PREFIX = (
    r"over|more than|longer than|at least|plus de|au moins|minimum|> =|>|de plus de|plus longs? que"
)
_RUNTIME_MAX_SUFFIX = r"max|maximum|maxi|or less|or under|at most|tops|au maximum|au max|ou moins|grand max"
_RUNTIME_MIN_SUFFIX = r"or more|minimum|ou plus|at least|au moins|or longer|and up"
_RE_RUNTIME = [
    (
        re.compile(
            rf"(?<!\S)(?:{_RUNTIME_MAX_PREFIX})\s(?:about\s|around\s|environ\s)?(?:{_DURATION})(?!\S)"
        ),
        "max",
    ),
    (
        re.compile(
            rf"(?<!\S)(?:{_RUNTIME_MIN_PREFIX})\s(?:about\s|around\s|environ\s)?(?:{_DURATION})(?!\S)"
        ),
        "min",
    ),
    (re.compile(rf"(?<!\S)(?:{_DURATION})\s(?:{_RUNTIME_MAX_SUFFIX})(?!\S)"), "max"),
    (re.compile(rf"(?<!\S)(?:{_DURATION})\s(?:{_RUNTIME_MIN_SUFFIX})(?!\S)"), "min"),
    (re.compile(rf"(?<!\S)(?:about|around|environ|approximately|roughly)\s(?:{_DURATION})(?!\S)"), "about"),
    (re.compile(rf"(?<!\S)(?:{_DURATION})(?!\S)"), "max"),
]

_Y = r"(?:18[7-9]\d|19\d\d|20\d\d)"
_DECADE_WORDS = "|".join(sorted(map(re.escape, lx.DECADE_WORDS), key=len, reverse=True))
_DECADE = (
    rf"(?:(?P<part>early|mid|late|debut|milieu|fin)\s(?:of\s)?(?:the\s|des\s|les\s)?)?"
    rf"(?:the\s|les\s|des\s|in\s(?:the\s)?)?"
    rf"(?:(?P<dnum>(?:18|19|20)?\d0)\s?s|annees\s(?P<fnum>(?:19|20)?\d0)|annees\s(?P<fword>{_DECADE_WORDS})"
    rf"|(?P<eword>twenties|thirties|forties|fifties|sixties|seventies|eighties|nineties|noughties|aughts))"
)
_RE_YEAR_RANGE = [
    re.compile(rf"(?<!\S)(?:between|entre)\s(?:the\s)?(?P<a>{_Y})\s(?:and|et|to|a)\s(?P<b>{_Y})(?!\S)"),
    re.compile(
        rf"(?<!\S)(?:from|de|du|des|released|made)?\s?(?P<a>{_Y})\s(?:to|until|till|through|a|au|jusqu a|jusqu en)\s(?P<b>{_Y})(?!\S)"
    ),
]
_RE_DECADE_RANGE = re.compile(
    r"(?<!\S)(?:from\s|between\s|entre\s)?(?:the\s|les\s)?(?:annees\s)?(?P<a>(?:19|20)?\d0)\s?s?\s(?:to|and|et|a|through|or|ou)\s(?:the\s|les\s)?(?:annees\s)?(?P<b>(?:19|20)?\d0)\s?s?(?!\S)"
)
_RE_SINCE_DECADE = re.compile(
    rf"(?<!\S)(?P<op>since|depuis|after|apres|post|before|avant|pre)\s{_DECADE}(?!\S)"
)
_RE_DECADE = re.compile(rf"(?<!\S){_DECADE}(?!\S)")
_RE_FROM_YEAR = re.compile(
    rf"(?<!\S)(?P<op>from|since|after|post|starting|starting from|starting in|depuis|a partir de|apres|later than"
    rf"|newer than|released after|made after|sortis? apres|plus recents? que|more recent than|beyond)"
    rf"\s(?:the\s|l\s)?(?:year\s|annee\s|an\s)?(?P<y>{_Y})(?!\S)"
)
_RE_TO_YEAR = re.compile(
    rf"(?<!\S)(?P<op>before|pre|prior to|earlier than|older than|avant|until|till|up to|up until|jusqu a|jusqu en"
    rf"|through|released before|made before|sortis? avant|plus anciens? que|no later than)"
    rf"\s(?:the\s|l\s)?(?:year\s|annee\s|an\s)?(?P<y>{_Y})(?!\S)"
)
_RE_YEAR_SUFFIX = re.compile(
    rf"(?<!\S)(?P<y>{_Y})\s(?P<op>or later|and later|onwards|onward|and after|and newer|or newer|or after"
    rf"|ou plus tard|et apres|et plus|ou apres|or earlier|and earlier|and before|or before|ou avant|et avant"
    rf"|and older|or older)(?!\S)"
)
_RE_LAST_YEARS = re.compile(
    rf"(?<!\S)(?:(?:in\s)?(?:the\s)?(?:last|past|previous)\s(?P<n>\d{{1,2}}|{_NUM_WORDS}|few|couple of)\s(?:years|yrs)"
    rf"|(?:ces|les|des|depuis)\s(?P<fn>\d{{1,2}}|{_NUM_WORDS})?\s?dernieres\sannees"
    rf"|(?P<decade>(?:the\s)?(?:last|past)\sdecade|(?:la\s)?derniere\sdecennie|cette\sdecennie|this\sdecade))(?!\S)"
)
_RE_SINGLE_YEAR = re.compile(
    rf"(?<!\S)(?:(?:in|en|from|de|of|released in|sorti en|sortis en|made in|year|annee|circa)\s)?(?P<y>{_Y})(?!\S)"
)
_RE_AGE = re.compile(r"(?<!\S)\d{1,2}\s(?:ans|year old|years old|yo|year olds)(?!\S)")
_RE_TOP_N = re.compile(r"(?<!\S)top\s\d{1,3}(?!\S)")

_RATING_NUM = r"(?P<n>\d{1,2}(?:\.\d{1,2})?)"
_SCALE = r"(?:\s?/\s?(?P<scale>10|5|100)|\sout of\s(?P<scale2>10|5)|\ssur\s(?P<scale3>10|5)|\s(?P<stars>stars|star|etoiles|etoile))?"
_RATING_PREFIX = (
    r"above|over|at least|more than|greater than|higher than|minimum|min|>|> =|plus de|au moins|superieur a"
    r"|superieure a|au dessus de|de plus de|better than|mieux que|of at least|d au moins|minimum de"
    r"|no less than|pas moins de|>="
)
_RATING_WORDS = (
    r"rated|rating|ratings|score|scored|scores|note|notes|notee|notees|avec une note de|with a rating of"
    r"|with a score of|imdb|tmdb|imdb rating|note imdb|rating on imdb|une note de|note de|notes de"
)
_RE_RATING = [
    re.compile(
        rf"(?<!\S)(?:(?:{_RATING_WORDS})\s(?:of\s|de\s)?)?(?:{_RATING_PREFIX})\s{_RATING_NUM}{_SCALE}(?:\s(?:on|sur)\s(?:imdb|tmdb))?(?!\S)"
    ),
    re.compile(
        rf"(?<!\S)(?:(?:{_RATING_WORDS})\s(?:of\s|de\s)?)?{_RATING_NUM}{_SCALE}\s?(?:\+|or more|or higher|or above|and up|and above|and over|plus|et plus|ou plus|minimum|at least|au moins|ou mieux|or better)(?:\s(?:on|sur)\s(?:imdb|tmdb))?(?!\S)"
    ),
    re.compile(
        rf"(?<!\S)(?:{_RATING_WORDS})\s(?:of\s|de\s|at\s|a\s)?{_RATING_NUM}{_SCALE}(?:\s(?:on|sur)\s(?:imdb|tmdb))?(?!\S)"
    ),
    re.compile(rf"(?<!\S){_RATING_NUM}\s?(?:/\s?10|out of 10|sur 10)(?:\s(?:on|sur)\s(?:imdb|tmdb))?(?!\S)"),
]


# ---- the turn being read -------------------------------------------------------------------------


@dataclass(slots=True)
class _Mention:
    start: int
    end: int
    kind: str
    effect: lx.Effect | None = None
    person: PersonHit | None = None
    negated: bool = False


@dataclass(slots=True)
class _Turn:
    """Everything one message says, before it is merged with the previous state."""

    mentions: list[_Mention] = field(default_factory=list)
    similar: list[MovieHit] = field(default_factory=list)
    title: MovieHit | None = None
    title_person: PersonHit | None = None
    similar_visible: list[int] = field(default_factory=list)
    title_visible: int | None = None
    exclude_ids: list[int] = field(default_factory=list)
    exclude_visible: bool = False
    drop_people: list[int] = field(default_factory=list)
    pronoun_keep: bool = False
    year_from: int | None = None
    year_to: int | None = None
    years_set: bool = False
    runtime_min: int | None = None
    runtime_max: int | None = None
    rating: float | None = None
    imdb_rating: float | None = None
    relatives: list[str] = field(default_factory=list)
    sort: str | None = None
    trending: bool = False
    smalltalk: bool = False
    family_age: bool = False
    understood: bool = False
    resolver_calls: int = 0


class _Text:
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


def _capitalized_words(raw: str) -> frozenset[str]:
    """Folded forms of the words the user wrote with a capital letter (a hint for names)."""
    return frozenset(lx.fold_text(w) for w in re.findall(r"[^\W\d_]+", raw) if w[:1].isupper())


def _match_at(text: _Text, start: int, words: list[str]) -> int | None:
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


def _is_particle(token: str) -> bool:
    return token in _NAME_PARTICLES or (len(token) == 1 and token.isalpha())


def _year(value: str) -> int:
    return int(value)


def _decade_start(m: re.Match[str], reference_year: int) -> int | None:
    raw = m.group("dnum") or m.group("fnum")
    if raw:
        number = int(raw)
        if number < 100:  # "90s", "annees 80"
            number += 2000 if 2000 + number <= reference_year else 1900
        return number
    word = m.group("fword") or m.group("eword")
    return lx.DECADE_WORDS.get(word) if word else None


def _decade_range(start: int, part: str | None) -> tuple[int, int]:
    if part in ("early", "debut"):
        return start, start + 4
    if part in ("mid", "milieu"):
        return start + 3, start + 7
    if part in ("late", "fin"):
        return start + 5, start + 9
    return start, start + 9


def _duration_minutes(m: re.Match[str]) -> int | None:
    groups = m.groupdict()
    if groups.get("compact"):
        return int(groups["compact"]) * 60 + int(groups["cmin"])
    if groups.get("hours"):
        raw = groups["hours"]
        hours = float(raw) if raw[0].isdigit() else float(lx.NUMBER_WORDS.get(raw, 0))
        minutes = hours * 60 + int(groups.get("hmin") or 0)
        half = groups.get("half") or ""
        minutes += 30 if "half" in half or "demi" in half else 15 if half else 0
        return int(minutes)
    if groups.get("minutes"):
        raw = groups["minutes"]
        if raw.isdigit():
            return int(raw)
        return 90 if raw in ("ninety", "quatre vingt dix") else 100
    return None


def _folded_tokens(text: str) -> list[str]:
    return lx.normalize(text).replace(",", " ").split()


def _title_variants(title: str) -> list[list[str]]:
    """Token lists a title may be written as: as is, without a leading article, before a colon."""
    variants: list[list[str]] = []
    for text in (title, title.split(":")[0]):
        tokens = _folded_tokens(text)
        if tokens:
            variants.append(tokens)
            if tokens[0] in _ARTICLES and len(tokens) > 1:
                variants.append(tokens[1:])
    return variants


# ---- the parser ----------------------------------------------------------------------------------


class RuleParser:
    """Deterministic message -> filters, with people and titles resolved through ``resolver``."""

    def __init__(self, resolver: EntityResolver, reference_year: int | None = None) -> None:
        self.resolver = resolver
        self.reference_year = reference_year or date.today().year
        # Single words of the lexicon that a typo may stand for ("thriler" -> "thriller").
        self._typo_choices = sorted(
            {
                key[0]
                for key, effect in lx.PHRASES.items()
                if len(key) == 1
                and len(key[0]) >= 5
                and effect.kind in ("genre", "mood", "topic", "language")
            }
        )
        self._trigger_index = self._build_triggers()

    @staticmethod
    def _build_triggers() -> dict[str, list[tuple[list[str], str]]]:
        """First token -> [(trigger tokens, kind)], longest first: one dict hit per token."""
        index: dict[str, list[tuple[list[str], str]]] = {}
        for kind, phrases in (
            ("title", lx.TITLE_TRIGGERS),
            ("similar", lx.SIMILAR_TRIGGERS),
            ("person", lx.PERSON_TRIGGERS),
            (
                "neg_person",
                ("without", "sans", "no", "not with", "pas avec", "except", "sauf", "hormis", "but not"),
            ),
        ):
            for phrase in phrases:
                key = phrase.split()
                index.setdefault(key[0], []).append((key, kind))
        for entries in index.values():
            entries.sort(key=lambda e: len(e[0]), reverse=True)
        return index

    # ------------------------------------------------------------------------------ entry point

    async def parse(
        self,
        message: str,
        previous: ChatFilterState | None = None,
        visible_ids: Sequence[int] = (),
        language: str | None = None,
    ) -> ChatFilterState:
        text = _Text(lx.normalize(message[:MAX_MESSAGE_CHARS]))
        visible = [int(v) for v in visible_ids if isinstance(v, int) and v > 0]
        turn = _Turn()
        lang = self._language(text.tokens, language, previous)
        # Conversation markers are read before any pass consumes their words.
        reset = text.has_phrase(lx.RESET_PHRASES)
        if reset:
            for i, j in text.find_phrases(lx.RESET_PHRASES):
                text.mark(i, j)
        self._visible_references(text, turn, visible)
        self._pronouns(text, turn, previous)
        await self._triggers(text, turn, kinds=("title", "similar"))
        await self._triggers(text, turn, kinds=("person", "neg_person"))
        self._numbers(text, turn)
        self._phrases(text, turn)
        self._typos(text, turn)
        self._negation(text, turn)
        await self._leftovers(text, turn, _capitalized_words(message[:MAX_MESSAGE_CHARS]))
        state = self._combine(text, turn, previous, visible, lang, reset)
        state.source = "rules"
        return state.normalized()

    # ------------------------------------------------------------------------------ language

    @staticmethod
    def _language(tokens: list[str], requested: str | None, previous: ChatFilterState | None) -> str:
        fr = sum(1 for t in tokens if t in lx.FRENCH_HINTS)
        en = sum(1 for t in tokens if t in lx.ENGLISH_HINTS)
        if fr > en:
            return "fr"
        if en > fr:
            return "en"
        if requested:
            return "fr" if requested.lower().replace("_", "-").split("-")[0] == "fr" else "en"
        return previous.language if previous is not None else "en"

    # ------------------------------------------------------------------------ visible movies

    def _visible_references(self, text: _Text, turn: _Turn, visible: list[int]) -> None:
        if not visible:
            return
        for m, i, j in text.matches(_ORDINAL):
            word = m.group("word") or m.group("word2")
            index = lx.ORDINALS[word] if word else int(m.group("num"))
            position = index - 1 if index > 0 else len(visible) + index
            text.mark(i, j)
            if not 0 <= position < len(visible):
                continue
            movie_id = visible[position]
            before = set(text.tokens[max(0, i - 4) : i])
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

    def _pronouns(self, text: _Text, turn: _Turn, previous: ChatFilterState | None) -> None:
        people = previous.people if previous is not None else []
        for m, i, j in text.matches(_WITHOUT_PRONOUN):
            text.mark(i, j)
            turn.understood = True
            if people:
                plural = m.group(1) in ("them", "eux", "elles")
                turn.drop_people.extend(people if plural else people[-1:])
        for _, i, j in text.matches(_WITH_PRONOUN):
            text.mark(i, j)
            turn.pronoun_keep = True
            turn.understood = True

    # ------------------------------------------------------------------------------ triggers

    async def _triggers(self, text: _Text, turn: _Turn, kinds: tuple[str, ...]) -> None:
        i = 0
        while i < len(text):
            if text.used[i]:
                i += 1
                continue
            hit = None
            for key, kind in self._trigger_index.get(text.tokens[i], ()):
                n = len(key)
                if kind in kinds and text.tokens[i : i + n] == key and text.free(i, i + n):
                    hit = (n, kind)
                    break
            if hit is None:
                i += 1
                continue
            n, kind = hit
            start = i + n
            if kind in ("title", "similar"):
                end = await self._title_span(text, turn, start, strong=kind == "similar" or n > 1, kind=kind)
                if end is None and kind == "title":
                    end = await self._person_span(text, turn, start, as_title=True)
            else:
                end = await self._person_span(text, turn, start)
                # "with Tom Hanks and Meg Ryan": a list continues the trigger
                while end is not None and end < len(text) and text.tokens[end] in _LIST_LINKS:
                    more = await self._person_span(text, turn, end + 1)
                    if more is None:
                        break
                    text.mark(end, end + 1)
                    end = more
            if end is None:
                i += 1
                continue
            text.mark(i, start)
            i = end

    async def _search_people(self, query: str) -> list[PersonHit]:
        try:
            return list(await self.resolver.search_people(query))
        except Exception:  # an upstream outage costs the names, not the whole turn
            logger.warning("chat: person search failed", exc_info=True)
            return []

    async def _search_movies(self, query: str) -> list[MovieHit]:
        try:
            return list(await self.resolver.search_movies(query))
        except Exception:
            logger.warning("chat: movie search failed", exc_info=True)
            return []

    @staticmethod
    def _budget(turn: _Turn) -> bool:
        # counted per turn, not on the parser: one parser serves concurrent requests
        turn.resolver_calls += 1
        return turn.resolver_calls <= MAX_RESOLVER_CALLS

    def _span(
        self, text: _Text, start: int, stops: frozenset[str], limit: int, names: bool = False
    ) -> list[str]:
        span: list[str] = []
        for k in range(start, min(len(text), start + limit)):
            token = text.tokens[k]
            if text.used[k] or token in stops:
                break
            # a name stops at ordinary words, but keeps particles and initials ("Samuel L Jackson")
            if names and span and token in _NOT_NAME_STARTS and not _is_particle(token):
                break
            span.append(token)
        return span

    def _vocab_at(self, tokens: Sequence[str], i: int) -> lx.Effect | None:
        """The lexicon phrase starting at tokens[i], longest first (not topics: those can be titles)."""
        for n in range(min(lx.MAX_PHRASE_TOKENS, len(tokens) - i), 0, -1):
            effect = lx.PHRASES.get(tuple(tokens[i : i + n]))
            if effect is not None:
                return effect if effect.kind != "topic" else None
        return None

    async def _title_span(self, text: _Text, turn: _Turn, start: int, strong: bool, kind: str) -> int | None:
        span = self._span(text, start, _TITLE_STOPS, MAX_TITLE_SPAN)
        if not span:
            return None
        content = span[1:] if span[0] in _ARTICLES and len(span) > 1 else span
        first = content[0]
        starts_with_vocab = self._vocab_at(content, 0) is not None
        whole = lx.PHRASES.get(tuple(content))
        whole_is_vocab = whole is not None and whole.kind != "topic"
        if whole_is_vocab or (first in _NOT_NAME_STARTS and first not in _ARTICLES):
            return None
        if kind == "title" and starts_with_vocab:
            return None
        if not self._budget(turn):
            return None
        candidates = await self._search_movies(" ".join(span))
        if not candidates:
            return None
        best: tuple[int, MovieHit] | None = None  # (tokens used, hit)
        for offset in (0, 1) if span[0] in _ARTICLES and len(span) > 1 else (0,):
            # offset 1: the article in the message is not part of the title ("like the Inception")
            for hit in candidates:
                for variant in _title_variants(hit[1]):
                    end = _match_at(text, start + offset, variant)
                    if end is not None and (best is None or end - start > best[0]):
                        best = (end - start, hit)
            if best is not None:
                break
        if best is None and not starts_with_vocab and first[:1].isalpha():
            query = " ".join(span)
            scored = [
                (max(fuzz.ratio(query, " ".join(v)) for v in _title_variants(hit[1])), hit)
                for hit in candidates
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
        hit = self._prefer_year(text, end, hit, candidates)
        if end < len(text) and hit[2] is not None and text.tokens[end] == str(hit[2]):
            end += 1  # "Titanic 1997": the year belongs to the title
        if kind == "title":
            turn.title = hit
        else:
            turn.similar.append(hit)
        turn.understood = True
        text.mark(start, end)
        return end

    @staticmethod
    def _prefer_year(text: _Text, end: int, hit: MovieHit, candidates: list[MovieHit]) -> MovieHit:
        if end >= len(text) or not text.tokens[end].isdigit():
            return hit
        wanted = int(text.tokens[end])
        folded = _folded_tokens(hit[1])
        for other in candidates:
            if other[2] == wanted and _folded_tokens(other[1]) == folded:
                return other
        return hit

    async def _person_span(self, text: _Text, turn: _Turn, start: int, as_title: bool = False) -> int | None:
        span = self._span(text, start, _PERSON_STOPS, MAX_PERSON_SPAN, names=True)
        while span and _is_particle(span[-1]):
            span.pop()
        if not span or span[0] in _NOT_NAME_STARTS or span[0][:1].isdigit():
            return None
        if self._vocab_at(span, 0) is not None or lx.PHRASES.get((span[0],)) is not None:
            return None
        found = await self._match_person(turn, span, trigger=True)
        if found is None:
            return None
        n, hit = found
        mention = _Mention(start, start + n, "person", person=hit)
        turn.mentions.append(mention)
        if as_title:
            turn.title_person = hit
        turn.understood = True
        text.mark(start, start + n)
        return start + n

    async def _match_person(
        self, turn: _Turn, span: list[str], trigger: bool, surname_ok: bool = True
    ) -> tuple[int, PersonHit] | None:
        """Longest name the span starts with: exact, a surname ("Nolan"), or a close typo."""
        if not self._budget(turn):
            return None
        candidates = await self._search_people(" ".join(span))
        if not candidates and len(span) > 2:
            if not self._budget(turn):
                return None
            candidates = await self._search_people(" ".join(span[:2]))
        if not candidates:
            return None
        best: tuple[int, PersonHit] | None = None
        for hit in candidates:
            name = _folded_tokens(hit[1])
            n = len(name)
            # "Park Chan-wook" is TMDb's "Chan-wook Park": the same words in another order count
            exact = span[:n] == name or (n > 1 and sorted(span[:n]) == sorted(name))
            if exact and (best is None or n > best[0]):
                best = (n, hit)
        if best is not None:
            return best
        if surname_ok and len(span[0]) >= 3:
            by_surname = [h for h in candidates if _folded_tokens(h[1])[-1:] == [span[0]]]
            if by_surname:
                return 1, max(by_surname, key=lambda h: h[2])
            # "with Keanu": a first name after a trigger, when only one candidate has it
            by_first = [h for h in candidates if _folded_tokens(h[1])[:1] == [span[0]]]
            if trigger and len(by_first) == 1 and len(span[0]) >= 4:
                return 1, by_first[0]
        minimum = PERSON_FUZZY_MIN if trigger else LEFTOVER_PERSON_FUZZY_MIN
        scored: list[tuple[float, int, PersonHit]] = []
        for hit in candidates:
            name = _folded_tokens(hit[1])
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

    # ------------------------------------------------------------------------------- numbers

    def _numbers(self, text: _Text, turn: _Turn) -> None:
        ref = self.reference_year
        for pattern, op in _RE_RUNTIME:
            for m, i, j in text.matches(pattern):
                text.mark(i, j)
                minutes = _duration_minutes(m)
                if minutes is None or not 20 <= minutes <= 360:
                    continue  # "at 20h" is a time of day, not a length
                if op == "min":
                    turn.runtime_min = minutes
                elif op == "about":
                    turn.runtime_max = minutes + 10
                else:
                    turn.runtime_max = minutes
                turn.understood = True
        for _, i, j in text.matches(_RE_AGE):
            text.mark(i, j)
            turn.family_age = turn.understood = True
        for _, i, j in text.matches(_RE_TOP_N):
            text.mark(i, j)
            turn.sort = turn.sort or "VOTE_AVERAGE_DESC"
            turn.understood = True
        for pattern in _RE_YEAR_RANGE:
            for m, i, j in text.matches(pattern):
                text.mark(i, j)
                self._set_years(turn, _year(m.group("a")), _year(m.group("b")))
        for m, i, j in text.matches(_RE_DECADE_RANGE):
            a, b = int(m.group("a")), int(m.group("b"))
            if a < 100:
                a += 2000 if 2000 + a <= ref else 1900
            if b < 100:
                b += 2000 if 2000 + b <= ref else 1900
            text.mark(i, j)
            self._set_years(turn, min(a, b), max(a, b) + 9)
        for m, i, j in text.matches(_RE_SINCE_DECADE):
            text.mark(i, j)
            decade = _decade_start(m, ref)
            if decade is None:
                continue
            low, high = _decade_range(decade, m.group("part"))
            op = m.group("op")
            if op in ("since", "depuis"):
                self._set_years(turn, low, None)
            elif op in ("after", "apres", "post"):
                self._set_years(turn, high + 1, None)
            else:
                self._set_years(turn, None, low - 1)
        for m, i, j in text.matches(_RE_DECADE):
            text.mark(i, j)
            decade = _decade_start(m, ref)
            if decade is not None:
                self._set_years(turn, *_decade_range(decade, m.group("part")))
        for m, i, j in text.matches(_RE_LAST_YEARS):
            text.mark(i, j)
            if m.group("decade"):
                years = 10
            else:
                raw = m.group("n") or m.group("fn") or "5"
                years = int(raw) if raw.isdigit() else lx.NUMBER_WORDS.get(raw, 5)
                if raw in ("few", "couple of"):
                    years = 5 if raw == "few" else 2
            self._set_years(turn, ref - years, None)
        for m, i, j in text.matches(_RE_FROM_YEAR):
            text.mark(i, j)
            year = _year(m.group("y"))
            strict = m.group("op").split()[0] in (
                "after",
                "post",
                "later",
                "newer",
                "apres",
                "released",
                "made",
            )
            strict = strict or m.group("op").startswith(("sorti", "plus recent", "more recent", "beyond"))
            self._set_years(turn, year + 1 if strict else year, None)
        for m, i, j in text.matches(_RE_TO_YEAR):
            text.mark(i, j)
            year = _year(m.group("y"))
            op = m.group("op")
            inclusive = op in (
                "until",
                "till",
                "up to",
                "up until",
                "jusqu a",
                "jusqu en",
                "through",
                "no later than",
            )
            self._set_years(turn, None, year if inclusive else year - 1)
        for m, i, j in text.matches(_RE_YEAR_SUFFIX):
            text.mark(i, j)
            year = _year(m.group("y"))
            op = m.group("op")
            if any(w in op for w in ("later", "onward", "after", "newer", "apres", "plus", "tard")):
                self._set_years(turn, year, None)
            else:
                self._set_years(turn, None, year)
        for m, i, j in text.matches(_RE_SINGLE_YEAR):
            text.mark(i, j)
            year = _year(m.group("y"))
            self._set_years(turn, year, year)
        imdb = "imdb" in text.tokens
        for pattern in _RE_RATING:
            for m, i, j in text.matches(pattern):
                text.mark(i, j)
                value = float(m.group("n"))
                scale = m.group("scale") or m.group("scale2") or m.group("scale3")
                if scale == "5" or (m.group("stars") and value <= 5):
                    value *= 2
                elif scale == "100":
                    value /= 10
                if not 0 < value <= 10:
                    continue
                if imdb:
                    turn.imdb_rating = value
                else:
                    turn.rating = value
                turn.understood = True

    @staticmethod
    def _set_years(turn: _Turn, year_from: int | None, year_to: int | None) -> None:
        if year_from is not None:
            turn.year_from = year_from
        if year_to is not None:
            turn.year_to = year_to
        if turn.year_from is not None and turn.year_to is not None and turn.year_from > turn.year_to:
            # the later phrase wins: drop the bound it contradicts
            if year_from is not None:
                turn.year_to = None
            else:
                turn.year_from = None
        turn.years_set = turn.understood = True

    # ------------------------------------------------------------------------------- phrases

    def _phrases(self, text: _Text, turn: _Turn) -> None:
        tokens = text.tokens
        smalltalk = {tuple(p.split()) for p in lx.SMALLTALK_PHRASES}
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
                    turn.mentions.append(_Mention(i, i + n, effect.kind, effect=effect))
                    turn.understood = True
                    i += n
                    break
                if key in smalltalk and text.free(i, i + n):
                    text.mark(i, i + n, vocab=True)
                    turn.smalltalk = True
                    i += n
                    break
            else:
                i += 1

    def _typos(self, text: _Text, turn: _Turn) -> None:
        for i, token in enumerate(text.tokens):
            if text.used[i] or len(token) < 5 or token in lx.STOPWORDS or not token.isalpha():
                continue
            match = process.extractOne(token, self._typo_choices, scorer=fuzz.ratio, score_cutoff=TYPO_MIN)
            if match is None:
                continue
            effect = lx.PHRASES[(match[0],)]
            text.mark(i, i + 1, vocab=True)
            turn.mentions.append(_Mention(i, i + 1, effect.kind, effect=effect))
            turn.understood = True

    # ------------------------------------------------------------------------------ negation

    def _negation(self, text: _Text, turn: _Turn) -> None:
        tokens = text.tokens
        negator_at: set[int] = {i for i, t in enumerate(tokens) if t in lx.NEGATORS}
        for phrase in lx.NEGATOR_PHRASES:
            key = phrase.split()
            for i in range(len(tokens) - len(key) + 1):
                if tokens[i : i + len(key)] == key:
                    negator_at.update(range(i, i + len(key)))
        owner: dict[int, _Mention] = {}
        for mention in sorted(turn.mentions, key=lambda m: m.start):
            for k in range(mention.start, mention.end):
                owner[k] = mention
        for mention in sorted(turn.mentions, key=lambda m: m.start):
            if mention.kind not in ("genre", "mood", "topic", "language", "person"):
                continue
            mention.negated = self._negated_at(tokens, mention, negator_at, owner)

    @staticmethod
    def _negated_at(
        tokens: list[str], mention: _Mention, negator_at: set[int], owner: dict[int, _Mention]
    ) -> bool:
        fillers = 0
        linked = False
        k = mention.start - 1
        while k >= 0:
            other = owner.get(k)
            if k in negator_at:
                return True
            if other is not None and other is not mention:
                # "no horror or gore": a listed mention shares the negation of the one before it
                return (
                    other.negated
                    if linked and (other.kind == "person") == (mention.kind == "person")
                    else False
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
            else:
                return False
            k -= 1
        return False

    # ----------------------------------------------------------------------------- leftovers

    def _runs(self, text: _Text) -> list[tuple[int, int]]:
        """Maximal runs of unread content words (name particles allowed inside)."""
        runs: list[tuple[int, int]] = []
        i = 0
        n = len(text)
        while i < n:
            if text.used[i] or not self._content(text.tokens[i]):
                i += 1
                continue
            j = i + 1
            while j < n and not text.used[j]:
                token = text.tokens[j]
                if self._content(token):
                    j += 1
                elif (
                    _is_particle(token)
                    and j + 1 < n
                    and not text.used[j + 1]
                    and self._content(text.tokens[j + 1])
                ):
                    j += 2
                else:
                    break
            runs.append((i, j))
            i = j
        return runs

    @staticmethod
    def _content(token: str) -> bool:
        return token not in lx.STOPWORDS and token != "," and not token.isdigit() and len(token) > 1

    async def _leftovers(self, text: _Text, turn: _Turn, capitalized: frozenset[str]) -> None:
        runs = self._runs(text)
        if not runs:
            return
        alone = not turn.understood and len(runs) == 1
        for i, j in runs:
            span = text.tokens[i:j][:MAX_PERSON_SPAN]
            head_after = j < len(text) and text.tokens[j] in _HEAD_NOUNS
            # a lone surname is a name when the message says so: alone, "Nolan movies", or "Spielberg"
            surname_ok = alone or head_after or span[0] in capitalized
            found = await self._match_person(turn, span, trigger=False, surname_ok=surname_ok)
            if found is not None:
                n, hit = found
                if n == 1 and not surname_ok:
                    continue
                turn.mentions.append(_Mention(i, i + n, "person", person=hit))
                text.mark(i, i + n)
                turn.understood = True
                continue
            if alone:
                await self._lone_title(text, turn, i, j)
        if any(m.kind == "person" for m in turn.mentions):
            self._negation(text, turn)  # new person mentions: their negation, e.g. "no Tom Cruise"

    async def _lone_title(self, text: _Text, turn: _Turn, i: int, j: int) -> None:
        """A message that is only a title ("Inception?") asks about that movie."""
        if not self._budget(turn):
            return
        span = text.tokens[i:j]
        query = " ".join(span)
        candidates = await self._search_movies(query)
        best: MovieHit | None = None
        for hit in candidates:
            if any(v == span for v in _title_variants(hit[1])):
                best = hit
                break
        if best is None and len(query) >= 5:
            scored = [
                (max(fuzz.ratio(query, " ".join(v)) for v in _title_variants(h[1])), h) for h in candidates
            ]
            if scored:
                score, hit = max(scored, key=lambda s: s[0])
                best = hit if score >= LEFTOVER_TITLE_FUZZY_MIN else None
        if best is not None:
            turn.title = best
            turn.understood = True
            text.mark(i, j)

    # ------------------------------------------------------------------------------- combine

    def _combine(
        self,
        text: _Text,
        turn: _Turn,
        previous: ChatFilterState | None,
        visible: list[int],
        lang: str,
        reset: bool,
    ) -> ChatFilterState:
        delta = self._delta(text, turn)
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
            or first in lx.ELLIPTIC_STARTS
            or any(t in lx.REFINE_WORDS for k, t in enumerate(tokens) if not text.vocab[k])
            or text.has_phrase(lx.REFINE_PHRASES, only_free_of_vocab=True)
            or text.has_phrase(lx.SWITCH_PHRASES, only_free_of_vocab=True)
        )
        # "recommend me a movie" asks for movies even with no filter; "give me the users" does not
        wants_movies = any(t in _HEAD_NOUNS for t in tokens) or text.has_phrase(lx.WATCH_PHRASES)
        if turn.title is not None or turn.title_visible is not None or turn.title_person is not None:
            return self._title_state(turn, lang)
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
        if not refine:
            base.exclude_ids = []
        switch = refine and text.has_phrase(lx.SWITCH_PHRASES, only_free_of_vocab=True)
        add_any = refine and any(t in lx.ANY_WORDS for t in tokens) and bool(base.genres) and not switch
        state = self._apply(base, delta, turn, switch=switch, add_any=add_any)
        state.language = lang
        state.reply = None
        if refine:
            state.intent = "REFINE"
        elif turn.similar or turn.similar_visible:
            state.intent = "SIMILAR"
        elif delta.people:
            state.intent = "PERSON"
        elif (turn.trending or state.sort == "POPULARITY_DESC") and not self._has_non_sort_filters(state):
            state.intent = "TRENDING"
            state.sort = "POPULARITY_DESC"
        else:
            state.intent = "DISCOVER"
        return state

    @staticmethod
    def _has_non_sort_filters(state: ChatFilterState) -> bool:
        probe = state.copy()
        probe.sort = None
        return probe.has_filters()

    def _title_state(self, turn: _Turn, lang: str) -> ChatFilterState:
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

    def _delta(self, text: _Text, turn: _Turn) -> ChatFilterState:
        """This message's own filters, as a state (no previous turn involved)."""
        d = ChatFilterState()
        positive_genres = 0
        for mention in sorted(turn.mentions, key=lambda m: m.start):
            effect = mention.effect
            if mention.kind == "person" and mention.person is not None:
                pid, name, _ = mention.person
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
        self, base: ChatFilterState, d: ChatFilterState, turn: _Turn, switch: bool, add_any: bool
    ) -> ChatFilterState:
        s = base.copy()
        ref = self.reference_year
        # genres: replace on "what about ...", otherwise add; a genre named again is no longer excluded
        if d.genres:
            s.genres = list(d.genres) if switch or not s.genres else [*s.genres, *d.genres]
            s.genre_match = (
                "ANY" if add_any or d.genre_match == "ANY" else ("ALL" if switch else s.genre_match)
            )
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
            self._relative(s, base, relative, ref)
        s.exclude_ids = [*s.exclude_ids, *turn.exclude_ids]
        return s

    @staticmethod
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
