"""Certification systems as ages: the youngest viewer each certification admits, per region.

Pure data and arithmetic (no I/O): the age gate, the mock upstream and the schema share it.
A certification's age is the age from which the system lets someone watch alone; advisory
levels that name an age (US PG-13, GB 12A, IN U/A 13+) count as that age. Certifications that
say nothing about age ("NR", "UR", an empty string, a ban) are unknown: ``age_of`` gives None.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

DEFAULT_REGION = "US"

# TMDb's release types, 1..6.
RELEASE_TYPES: Mapping[int, str] = {
    1: "PREMIERE",
    2: "THEATRICAL_LIMITED",
    3: "THEATRICAL",
    4: "DIGITAL",
    5: "PHYSICAL",
    6: "TV",
}
THEATRICAL = 3

_US = {"G": 0, "PG": 0, "PG-13": 13, "R": 17, "NC-17": 18}

# Region -> certification (as TMDb spells it, see /certification/movie/list) -> minimum age.
# Only the systems whose levels clearly name an age; other regions fall back to DEFAULT_REGION.
MINIMUM_AGES: Mapping[str, Mapping[str, int]] = {
    "US": _US,
    "PR": _US,
    "VI": _US,
    "FR": {"TP": 0, "U": 0, "10": 10, "12": 12, "16": 16, "18": 18},
    "DE": {"0": 0, "6": 6, "12": 12, "16": 16, "18": 18},
    "GB": {"U": 0, "PG": 0, "12A": 12, "12": 12, "15": 15, "18": 18, "R18": 18},
    "IE": {"G": 0, "PG": 0, "12A": 12, "12": 12, "15A": 15, "15": 15, "16": 16, "18": 18},
    "CA": {"G": 0, "PG": 0, "14A": 14, "18A": 18, "R": 18, "A": 18},
    "AU": {"E": 0, "G": 0, "PG": 0, "M": 15, "MA 15+": 15, "R 18+": 18, "X 18+": 18},
    "NZ": {
        "G": 0,
        "PG": 0,
        "M": 16,
        "R13": 13,
        "RP13": 13,
        "R15": 15,
        "R16": 16,
        "RP16": 16,
        "R18": 18,
        "RP18": 18,
    },
    "BR": {"L": 0, "10": 10, "12": 12, "14": 14, "16": 16, "18": 18},
    "ES": {"A": 0, "Ai": 0, "7": 7, "7i": 7, "12": 12, "16": 16, "18": 18, "X": 18},
    "IT": {"T": 0, "6+": 6, "14+": 14, "18+": 18},
    "NL": {"AL": 0, "6": 6, "9": 9, "12": 12, "14": 14, "16": 16, "18": 18},
    "JP": {"G": 0, "PG12": 12, "R15+": 15, "R18+": 18},
    "KR": {"All": 0, "12": 12, "15": 15, "18": 18},
    "IN": {"U": 0, "U/A 7+": 7, "UA": 12, "U/A 13+": 13, "U/A 16+": 16, "A": 18},
    "SE": {"Btl": 0, "7": 7, "11": 11, "15": 15},
    "DK": {"A": 0, "7": 7, "11": 11, "15": 15},
    "NO": {"A": 0, "6": 6, "9": 9, "12": 12, "15": 15, "18": 18},
    "FI": {"S": 0, "K-7": 7, "K-12": 12, "K-16": 16, "K-18": 18},
    "CH": {"0": 0, "6": 6, "8": 8, "10": 10, "12": 12, "14": 14, "16": 16, "18": 18},
    "AR": {"ATP": 0, "+13": 13, "+16": 16, "+18": 18},
    "RU": {"0+": 0, "6+": 6, "12+": 12, "16+": 16, "18+": 18},
    "TW": {"0+": 0, "6+": 6, "12+": 12, "15+": 15, "18+": 18},
    "LV": {"U": 0, "7+": 7, "12+": 12, "16+": 16, "18+": 18},
    "LT": {"V": 0, "N-7": 7, "N-13": 13, "N-16": 16, "N-18": 18},
    "CZ": {"U": 0, "12+": 12, "15+": 15, "18+": 18},
    "SK": {"U": 0, "7": 7, "12": 12, "15": 15, "18": 18},
    "HU": {"KN": 0, "6": 6, "12": 12, "16": 16, "18": 18, "X": 18},
    "PT": {"Públicos": 0, "M/3": 3, "M/6": 6, "M/12": 12, "M/14": 14, "M/16": 16, "M/18": 18},
    "GR": {"K": 0, "K12": 12, "K15": 15, "K18": 18},
    "IL": {"All": 0, "12": 12, "14": 14, "16": 16, "18": 18},
    "LU": {"EA": 0, "6": 6, "12": 12, "16": 16, "18": 18},
    "SG": {"G": 0, "PG": 0, "PG13": 13, "NC16": 16, "M18": 18, "R21": 21},
    "ID": {"SU": 0, "13+": 13, "17+": 17, "21+": 21},
    "TH": {"P": 0, "G": 0, "13": 13, "15": 15, "18": 18, "20": 20},
    "TR": {
        "Genel İzleyici Kitlesi": 0,
        "6A": 6,
        "6+": 6,
        "10A": 10,
        "10+": 10,
        "13A": 13,
        "13+": 13,
        "16+": 16,
        "18+": 18,
    },
    "PH": {"G": 0, "PG": 0, "R-13": 13, "R-16": 16, "R-18": 18, "X": 18},
}


def normalized_region(region: str | None) -> str | None:
    """An ISO 3166-1 alpha-2 code in upper case, or None when ``region`` is not one."""
    if region is None:
        return None
    code = region.strip().upper()
    return code if len(code) == 2 and code.isascii() and code.isalpha() else None


def system_region(region: str | None) -> str:
    """The region whose system judges a viewer: theirs when this module knows it, else the US."""
    code = normalized_region(region)
    return code if code is not None and code in MINIMUM_AGES else DEFAULT_REGION


def normalized_certification(region: str, certification: str) -> str:
    """TMDb's spelling of a certification: French labels come as "-16" too."""
    value = certification.strip()
    if region == "FR" and value.startswith("-"):
        value = value[1:]
    return value


def age_of(region: str, certification: str | None) -> int | None:
    """The youngest age ``certification`` admits in ``region``'s system; None when unknown."""
    if not certification:
        return None
    ages = MINIMUM_AGES.get(region, {})
    return ages.get(normalized_certification(region, certification))


def admitted(region: str, age: int) -> list[str]:
    """The certifications of ``region`` a viewer of ``age`` may watch, youngest audience first."""
    ages = MINIMUM_AGES.get(region, {})
    return sorted((c for c, minimum in ages.items() if minimum <= age), key=lambda c: (ages[c], c))


def certification_in(release_dates: Mapping[str, object] | None, region: str) -> str | None:
    """A movie's certification in ``region`` from TMDb's ``release_dates`` body: the theatrical
    release's when it has one, else the first non-empty one; None when the region has none."""
    results = (release_dates or {}).get("results")
    if not isinstance(results, list):
        return None
    for entry in results:
        if not isinstance(entry, dict) or entry.get("iso_3166_1") != region:
            continue
        dated = [d for d in entry.get("release_dates") or [] if isinstance(d, dict)]
        certified = [d for d in dated if str(d.get("certification") or "").strip()]
        theatrical = [d for d in certified if d.get("type") == THEATRICAL]
        chosen = (theatrical or certified)[:1]
        return str(chosen[0]["certification"]).strip() if chosen else None
    return None


def strictest_age(release_dates: Mapping[str, object] | None, region: str) -> int | None:
    """The age a movie is judged at for a viewer in ``region``'s system: its certification there;
    when it has none there, the strictest (highest) age among its certifications in the other
    systems known here; None when no certification of it names an age."""
    own = age_of(region, certification_in(release_dates, region))
    if own is not None:
        return own
    results = (release_dates or {}).get("results")
    ages = [
        age
        for entry in (results if isinstance(results, list) else [])
        if isinstance(entry, dict) and entry.get("iso_3166_1") in MINIMUM_AGES
        for dated in entry.get("release_dates") or []
        if isinstance(dated, dict)
        and (age := age_of(str(entry["iso_3166_1"]), str(dated.get("certification") or ""))) is not None
    ]
    return max(ages) if ages else None


def years_between(born: date, today: date) -> int:
    """Completed years of age on ``today``."""
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def discover_bounds(levels: Sequence[Mapping[str, object]], region: str, age: int) -> tuple[str, str] | None:
    """The (``certification.gte``, ``certification.lte``) pair of TMDb's discover that selects
    exactly the levels of ``region`` a viewer of ``age`` may watch, by TMDb's ``order`` of the
    region's ``levels`` (its /certification/movie/list entries); None when no range does (levels
    sharing an order across the age line, or nothing admitted)."""
    order: dict[str, int] = {}
    for level in levels:
        name, position = level.get("certification"), level.get("order")
        if isinstance(name, str) and isinstance(position, int):
            order[name] = position
    admitted_here = [c for c in order if (minimum := age_of(region, c)) is not None and minimum <= age]
    if not admitted_here:
        return None
    low = min(admitted_here, key=lambda c: order[c])
    high = max(admitted_here, key=lambda c: order[c])
    inside = {c for c, position in order.items() if order[low] <= position <= order[high]}
    return (low, high) if inside == set(admitted_here) else None
