"""Pass 4: numbers. Runtimes ("under 2 hours", "90 min max"), ages ("for 8 year olds"), "top 10",
years and decades ("from the 90s", "between 1990 and 2000", "the last 5 years") and ratings
("rated 7+", "4 stars", "above 8 on IMDb")."""

from __future__ import annotations

import re

from reelgraph.chat import lexicon as lx
from reelgraph.chat.rules.text import Text
from reelgraph.chat.rules.turn import Reading, Turn

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
# "from 1994 on": an open range, where "from 1994" alone is that year.
_OPEN_ENDED = frozenset({"on", "onwards", "onward"})
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

# Spelled ratings ("rated above seven", "noté plus de sept"): only after a rating word, since a bare
# "more than two" is not a rating. Articles ("a", "un") that NUMBER_WORDS also holds are left out.
_RATING_WORD_VALUES = {w: n for w, n in lx.NUMBER_WORDS.items() if 1 < n <= 10}
_RATING_WORD = "|".join(sorted(map(re.escape, _RATING_WORD_VALUES), key=len, reverse=True))
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
_RE_SPELLED_RATING = re.compile(
    rf"(?<!\S)(?:{_RATING_WORDS})\s(?:of\s|de\s|at\s|a\s)?(?:(?:{_RATING_PREFIX})\s)?(?P<w>{_RATING_WORD})"
    rf"(?:\s(?P<stars>stars|star|etoiles|etoile)|\s(?:out of|sur)\s(?P<scale>ten|dix|five|cinq))?"
    r"(?:\s(?:or more|or higher|or above|and up|and above|plus|et plus|ou plus|minimum|at least|au moins"
    r"|ou mieux|or better))?(?:\s(?:on|sur)\s(?:imdb|tmdb))?(?!\S)"
)


def _numbered(words: str, start: int, step: int = 1) -> dict[str, int]:
    return {w: start + step * n for n, w in enumerate(words.split(" "))}


_EN_UNITS = _numbered("one two three four five six seven eight nine", 1)
_EN_TEENS = _numbered("ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen", 10)
_EN_TENS = _numbered("twenty thirty forty fifty sixty seventy eighty ninety", 20, 10)
_EN_CENTURIES = {"eighteen": 1800, "nineteen": 1900, "twenty": 2000}
_FR_UNITS = _numbered("un deux trois quatre cinq six sept huit neuf", 1)
_FR_TEENS = _numbered("dix onze douze treize quatorze quinze seize", 10)
_FR_TENS = {"vingt": 20, "trente": 30, "quarante": 40, "cinquante": 50, "soixante": 60}


def _en_below_100(tokens: list[str], k: int) -> tuple[int, int] | None:
    """A spelled number under 100 at ``tokens[k]`` ("ninety four", "twelve", "oh five"): value, end."""
    word = tokens[k] if k < len(tokens) else ""
    if word in _EN_TENS:
        if k + 1 < len(tokens) and tokens[k + 1] in _EN_UNITS:
            return _EN_TENS[word] + _EN_UNITS[tokens[k + 1]], k + 2
        return _EN_TENS[word], k + 1
    if word in _EN_TEENS:
        return _EN_TEENS[word], k + 1
    if word in ("oh", "o") and k + 1 < len(tokens) and tokens[k + 1] in _EN_UNITS:
        return _EN_UNITS[tokens[k + 1]], k + 2
    if word in _EN_UNITS:
        return _EN_UNITS[word], k + 1
    return None


def _fr_below_100(tokens: list[str], k: int) -> tuple[int, int] | None:
    """The same in French ("quatre vingt quatorze", "soixante et onze", "deux")."""
    n = len(tokens)
    base = 0
    if k + 1 < n and tokens[k] == "quatre" and tokens[k + 1] in ("vingt", "vingts"):
        base, k = 80, k + 2
    elif k < n and tokens[k] in _FR_TENS:
        base, k = _FR_TENS[tokens[k]], k + 1
    start = k + 1 if base and k < n and tokens[k] == "et" else k
    rest: tuple[int, int] | None = None
    if (
        start < n
        and tokens[start] == "dix"
        and start + 1 < n
        and tokens[start + 1] in ("sept", "huit", "neuf")
    ):
        rest = 10 + _FR_UNITS[tokens[start + 1]], start + 2
    elif start < n and tokens[start] in _FR_TEENS:
        rest = _FR_TEENS[tokens[start]], start + 1
    elif start < n and tokens[start] in _FR_UNITS:
        rest = _FR_UNITS[tokens[start]], start + 1
    if rest is not None and (not base or rest[0] < 10 or base in (60, 80)):
        return base + rest[0], rest[1]
    return (base, k) if base else None


def _spelled_year(tokens: list[str], k: int) -> tuple[int, int] | None:
    """A year in words at ``tokens[k]``: "nineteen ninety four", "two thousand and five",
    "mille neuf cent quatre vingt quatorze", "deux mille dix"; (year, end) or None."""
    word = tokens[k]
    nxt = tokens[k + 1] if k + 1 < len(tokens) else ""
    if word in _EN_CENTURIES and nxt not in ("hundred", "thousand"):
        below = _en_below_100(tokens, k + 1)
        if below is not None and (below[0] >= 10 or nxt in ("oh", "o")):
            return _EN_CENTURIES[word] + below[0], below[1]
        return None
    if word == "two" and nxt == "thousand":
        end = k + 2
        after = end + 1 if end < len(tokens) and tokens[end] == "and" else end
        below = _en_below_100(tokens, after)
        return (2000 + below[0], below[1]) if below is not None else (2000, end)
    century = None
    # "mille neuf cent ..." and "dix-neuf cent ..."
    if word in ("mille", "dix") and nxt in ("huit", "neuf") and tokens[k + 2 : k + 3] == ["cent"]:
        century, end = (1800 if nxt == "huit" else 1900), k + 3
    elif word == "deux" and nxt == "mille":
        century, end = 2000, k + 2
    if century is None:
        return None
    below = _fr_below_100(tokens, end)
    return (century + below[0], below[1]) if below is not None else (century, end)


def _digit_years(text: Text) -> None:
    """Years in words become digits (the year patterns read digits): the first token takes the
    year, the others are used up."""
    k = 0
    while k < len(text):
        found = _spelled_year(text.tokens, k) if not text.used[k] else None
        if found is None or not text.free(k, found[1]) or found[1] - k < 2:
            k += 1
            continue
        year, end = found
        text.tokens[k] = str(year)
        text.mark(k + 1, end)
        k = end


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


# A bare length after these is a span of time, not the movie's ("arguing for an hour").
_ELAPSED = frozenset({"for", "pendant", "depuis", "since", "in", "dans", "ago", "after", "apres"})
# "nobody wants anything longer than 2 hours": a lower bound under a negation is an upper bound.
_LENGTH_NEGATORS = lx.NEGATORS | {"neither", "nobody", "none", "nor", "personne", "jamais", "don"}
_NEGATION_REACH = 5


def _negated_before(text: Text, i: int) -> bool:
    for k in range(i - 1, max(-1, i - 1 - _NEGATION_REACH), -1):
        token = text.tokens[k]
        if token == ",":
            return False
        if token in _LENGTH_NEGATORS:
            return True
    return False


async def runtimes(reading: Reading) -> None:
    """Lengths: a bound, or about N minutes (a maximum a little above N)."""
    text, turn = reading.text, reading.turn
    for pattern, op in _RE_RUNTIME:
        for m, i, j in text.matches(pattern):
            text.mark(i, j)
            minutes = _duration_minutes(m)
            if minutes is None or not 20 <= minutes <= 360:
                continue  # "at 20h" is a time of day, not a length
            if pattern is _RE_RUNTIME[-1][0] and i > 0 and text.tokens[i - 1] in _ELAPSED:
                continue
            bound = "max" if op == "min" and _negated_before(text, i) else op
            if bound == "min":
                turn.runtime_min = minutes
            elif bound == "about":
                turn.runtime_max = minutes + 10
            else:
                turn.runtime_max = minutes
            turn.understood = True


async def ages(reading: Reading) -> None:
    """Ages ("for 8 year olds") ask for family movies."""
    text, turn = reading.text, reading.turn
    for _, i, j in text.matches(_RE_AGE):
        text.mark(i, j)
        turn.family_age = turn.understood = True


async def top_n(reading: Reading) -> None:
    """A "top 10" asks for the best rated first."""
    text, turn = reading.text, reading.turn
    for _, i, j in text.matches(_RE_TOP_N):
        text.mark(i, j)
        turn.sort = turn.sort or "VOTE_AVERAGE_DESC"
        turn.understood = True


async def years(reading: Reading) -> None:
    """Year ranges, decades, open bounds, the last N years, then single years."""
    text, turn = reading.text, reading.turn
    ref = reading.reference_year
    _digit_years(text)
    for pattern in _RE_YEAR_RANGE:
        for m, i, j in text.matches(pattern):
            text.mark(i, j)
            _set_years(turn, _year(m.group("a")), _year(m.group("b")))
    for m, i, j in text.matches(_RE_DECADE_RANGE):
        a, b = int(m.group("a")), int(m.group("b"))
        if a < 100:
            a += 2000 if 2000 + a <= ref else 1900
        if b < 100:
            b += 2000 if 2000 + b <= ref else 1900
        text.mark(i, j)
        _set_years(turn, min(a, b), max(a, b) + 9)
    for m, i, j in text.matches(_RE_SINCE_DECADE):
        text.mark(i, j)
        decade = _decade_start(m, ref)
        if decade is None:
            continue
        low, high = _decade_range(decade, m.group("part"))
        op = m.group("op")
        if op in ("since", "depuis"):
            _set_years(turn, low, None)
        elif op in ("after", "apres", "post"):
            _set_years(turn, high + 1, None)
        else:
            _set_years(turn, None, low - 1)
    for m, i, j in text.matches(_RE_DECADE):
        text.mark(i, j)
        decade = _decade_start(m, ref)
        if decade is not None:
            _set_years(turn, *_decade_range(decade, m.group("part")))
    for m, i, j in text.matches(_RE_LAST_YEARS):
        text.mark(i, j)
        if m.group("decade"):
            years = 10
        else:
            raw = m.group("n") or m.group("fn") or "5"
            years = int(raw) if raw.isdigit() else lx.NUMBER_WORDS.get(raw, 5)
            if raw in ("few", "couple of"):
                years = 5 if raw == "few" else 2
        _set_years(turn, ref - years, None)
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
        open_ended = j < len(text) and text.tokens[j] in _OPEN_ENDED
        if m.group("op") == "from" and not open_ended:
            _set_years(turn, year, year)  # "movies from 1994" are the 1994 ones
            continue
        if open_ended:
            text.mark(j, j + 1)
        _set_years(turn, year + 1 if strict else year, None)
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
        _set_years(turn, None, year if inclusive else year - 1)
    for m, i, j in text.matches(_RE_YEAR_SUFFIX):
        text.mark(i, j)
        year = _year(m.group("y"))
        op = m.group("op")
        if any(w in op for w in ("later", "onward", "after", "newer", "apres", "plus", "tard")):
            _set_years(turn, year, None)
        else:
            _set_years(turn, None, year)
    for m, i, j in text.matches(_RE_SINGLE_YEAR):
        text.mark(i, j)
        year = _year(m.group("y"))
        _set_years(turn, year, year)


async def ratings(reading: Reading) -> None:
    """Minimum ratings, on TMDb's scale unless the message says IMDb; /5 and stars are doubled."""
    text, turn = reading.text, reading.turn
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
            _set_rating(turn, value, imdb)
    for m, i, j in text.matches(_RE_SPELLED_RATING):
        text.mark(i, j)
        value = float(_RATING_WORD_VALUES[m.group("w")])
        if (m.group("stars") and value <= 5) or m.group("scale") in ("five", "cinq"):
            value *= 2
        if 0 < value <= 10:
            _set_rating(turn, value, imdb)


def _set_rating(turn: Turn, value: float, imdb: bool) -> None:
    if imdb:
        turn.imdb_rating = value
    else:
        turn.rating = value
    turn.understood = True


def _set_years(turn: Turn, year_from: int | None, year_to: int | None) -> None:
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
