"""Read-only access to reelgraph's bundled offline movie catalog.

The catalog (``catalog_data/catalog.json.gz``) is built by ``scripts/build_catalog.py`` from the TMDb
3,000-movie extract, MovieLens ml-latest-small and the IMDb top 1000 extract; see
``catalog_data/ATTRIBUTION.md`` for sources and terms. Movie, genre and most keyword ids are real TMDb
ids. Person ids >= 90,000,000 and keyword ids >= 80,000,000 are offline-only: the sources have no TMDb
person ids, and MovieLens tags have no TMDb keyword ids.

Things the data cannot give, and what the catalog does instead:

* MovieLens-only movies know only their release year: ``release_date`` is ``YYYY-01-01`` and
  ``date_precision`` is ``"year"``; their ``original_language`` is ``""``; their ``vote_count`` and
  ``vote_average`` come from MovieLens ratings (so vote counts are much smaller than TMDb's).
* There is no French text: titles and overviews are the source ones; only genre names are localised.
* The data ends in 2018, so "now playing" and "upcoming" are windows at the end of the data (see
  ``reference_date``), not today's releases.

Everything costly (parsing, indexes, sort orders) happens once in ``OfflineCatalog.load``; lookups
are dict hits and list walks afterwards.
"""

from __future__ import annotations

import functools
import gzip
import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from importlib import resources
from os import PathLike
from pathlib import Path
from typing import Any, Literal, NamedTuple, TypedDict

CATALOG_FILE = "catalog.json.gz"
OFFLINE_PERSON_ID_MIN = 90_000_000
OFFLINE_KEYWORD_ID_MIN = 80_000_000
# MovieLens-only movies have MovieLens-sized vote counts (tens, not thousands), so the floor is low.
TOP_RATED_MIN_VOTES = 50
NOW_PLAYING_DAYS = 730
UPCOMING_DAYS = 182
# trending/day: popularity boosted for releases in the last TRENDING_RECENT_YEARS years of the data.
TRENDING_RECENT_YEARS = 5

SORT_FIELDS = (
    "popularity",
    "primary_release_date",
    "release_date",
    "vote_average",
    "vote_count",
    "original_title",
    "title",
    "revenue",
)
SortBy = str  # "<field>.<asc|desc>", field from SORT_FIELDS
DEFAULT_SORT: SortBy = "popularity.desc"
TrendingWindow = Literal["day", "week"]


class Company(TypedDict):
    id: int
    name: str


class Country(TypedDict):
    iso_3166_1: str
    name: str


class SpokenLanguage(TypedDict):
    iso_639_1: str
    name: str


class LocalizedGenre(NamedTuple):
    id: int
    name: str


@dataclass(frozen=True, slots=True)
class Genre:
    id: int
    name: str
    name_fr: str

    def localized(self, language: str | None) -> str:
        """Name in ``language`` (TMDb style "fr-FR" / "fr"); English for anything but French."""
        return self.name_fr if is_french(language) else self.name


@dataclass(frozen=True, slots=True)
class Keyword:
    id: int
    name: str

    @property
    def offline_only(self) -> bool:
        return self.id >= OFFLINE_KEYWORD_ID_MIN


@dataclass(frozen=True, slots=True)
class ImdbInfo:
    """What the IMDb top 1000 extract knows about a movie."""

    rating: float
    votes: int
    metascore: int | None = None
    certificate: str | None = None
    gross: int | None = None


@dataclass(frozen=True, slots=True)
class Movie:
    id: int
    title: str
    original_title: str
    original_language: str
    overview: str
    tagline: str
    release_date: str  # "YYYY-MM-DD" or ""
    date_precision: Literal["day", "year"]
    runtime: int | None
    popularity: float
    vote_average: float
    vote_count: int
    genre_ids: tuple[int, ...]
    keyword_ids: tuple[int, ...]
    imdb_id: str | None
    status: str
    budget: int
    revenue: int
    homepage: str
    production_companies: tuple[Company, ...]
    production_countries: tuple[Country, ...]
    spoken_languages: tuple[SpokenLanguage, ...]
    alt_titles: tuple[str, ...]
    movielens_id: int | None
    sources: tuple[str, ...]
    imdb: ImdbInfo | None
    cast_ids: tuple[int, ...]  # billing order
    director_ids: tuple[int, ...]
    similar_ids: tuple[int, ...]  # best first, precomputed by the build

    @property
    def year(self) -> int | None:
        return int(self.release_date[:4]) if self.release_date else None


@dataclass(frozen=True, slots=True)
class Person:
    id: int
    name: str
    known_for_department: str
    popularity: float
    cast_movie_ids: tuple[int, ...] = ()  # by popularity, best first
    directed_movie_ids: tuple[int, ...] = ()

    @property
    def movie_ids(self) -> tuple[int, ...]:
        return tuple(dict.fromkeys((*self.cast_movie_ids, *self.directed_movie_ids)))


@dataclass(frozen=True, slots=True)
class IdFilter:
    """TMDb id-list filter: "28,12" means all of them, "28|12" any of them."""

    ids: tuple[int, ...]
    match_all: bool = True

    @classmethod
    def parse(cls, raw: str | None) -> IdFilter | None:
        """Parse TMDb syntax; any "|" makes the whole list an OR (TMDb does not mix the two)."""
        if not raw:
            return None
        match_all = "|" not in raw
        ids = tuple(int(p) for p in re.split(r"[,|]", raw) if p.strip().lstrip("-").isdigit())
        return cls(ids, match_all) if ids else None

    @classmethod
    def all_of(cls, *ids: int) -> IdFilter:
        return cls(tuple(ids), True)

    @classmethod
    def any_of(cls, *ids: int) -> IdFilter:
        return cls(tuple(ids), False)

    def select(self, index: Mapping[int, frozenset[int]]) -> set[int]:
        """Movie ids that satisfy the filter, given an inverted index value id -> movie ids."""
        sets = [index.get(i, frozenset()) for i in self.ids]
        if not sets:
            return set()
        if self.match_all:
            return set.intersection(*map(set, sorted(sets, key=len)))
        return set().union(*sets)


@dataclass(frozen=True, slots=True)
class DiscoverQuery:
    """``/discover/movie`` filters. Dates are "YYYY-MM-DD" strings (they compare as text)."""

    with_genres: IdFilter | None = None
    without_genres: tuple[int, ...] = ()
    release_date_gte: str | None = None
    release_date_lte: str | None = None
    year: int | None = None
    vote_average_gte: float | None = None
    vote_average_lte: float | None = None
    vote_count_gte: int | None = None
    vote_count_lte: int | None = None
    runtime_gte: int | None = None
    runtime_lte: int | None = None
    original_languages: tuple[str, ...] = ()
    with_people: IdFilter | None = None
    with_cast: IdFilter | None = None
    with_crew: IdFilter | None = None
    with_keywords: IdFilter | None = None
    without_keywords: tuple[int, ...] = ()
    # The catalog has no watch-provider data: asking for any provider matches nothing.
    with_watch_providers: bool = False
    sort_by: SortBy = DEFAULT_SORT


class DatedList(NamedTuple):
    """A movie list that TMDb returns with a ``dates`` window (now_playing, upcoming)."""

    movie_ids: tuple[int, ...]
    minimum: str
    maximum: str


@dataclass(slots=True)
class _SearchEntry:
    item_id: int
    blob: str  # folded, punctuation-free texts, each preceded by a newline
    exact: frozenset[str]  # texts without a leading English article
    tokens: frozenset[str] = field(default_factory=frozenset)


# ------------------------------------------------------------------------------------------- helpers


_NON_WORD = re.compile(r"[^\w]+|_")


def is_french(language: str | None) -> bool:
    return bool(language) and language.lower().replace("_", "-").split("-")[0] == "fr"


def fold(text: str) -> str:
    """Case- and accent-insensitive form: 'Léon, The PROFESSIONAL!' -> 'leon the professional'."""
    text = text.replace("&", " and ")
    if not text.isascii():
        decomposed = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_NON_WORD.sub(" ", text.casefold()).split())


def _drop_article(text: str) -> str:
    head, _, rest = text.partition(" ")
    return rest if rest and head in ("the", "a", "an") else text


def _rank_matches(entries: Iterable[_SearchEntry], query: str) -> list[int]:
    """Ids whose texts match ``query``, best tier first; order inside a tier is entry order.

    Tiers: exact title (ignoring a leading article), prefix, substring, then all query words
    present as words (the last one may be a word prefix, for type-ahead).
    """
    q = fold(query)
    if not q:
        return []
    q_exact = _drop_article(q)
    line_prefixes = (f"\n{q}", f"\n{q_exact}")
    words = q.split()
    head, last = frozenset(words[:-1]), words[-1]
    tiers: list[list[int]] = [[], [], [], []]
    for entry in entries:
        # One substring test on the joined texts rejects almost every entry cheaply.
        if q in entry.blob:
            if q_exact in entry.exact:
                tiers[0].append(entry.item_id)
            elif any(p in entry.blob for p in line_prefixes):
                tiers[1].append(entry.item_id)
            else:
                tiers[2].append(entry.item_id)
        elif head and head <= entry.tokens and any(tok.startswith(last) for tok in entry.tokens):
            tiers[3].append(entry.item_id)
    return [i for tier in tiers for i in tier]


def _search_entry(item_id: int, texts: Iterable[str], fold_fn: Callable[[str], str] = fold) -> _SearchEntry:
    folded = tuple(dict.fromkeys(f for f in map(fold_fn, texts) if f))
    return _SearchEntry(
        item_id=item_id,
        blob="".join(f"\n{t}" for t in folded),
        exact=frozenset(_drop_article(t) for t in folded),
        tokens=frozenset(tok for t in folded for tok in t.split()),
    )


def _movie_from_json(raw: Mapping[str, Any]) -> Movie:
    imdb = raw.get("imdb")
    return Movie(
        id=raw["id"],
        title=raw["title"],
        original_title=raw.get("original_title") or raw["title"],
        original_language=raw.get("original_language", ""),
        overview=raw.get("overview", ""),
        tagline=raw.get("tagline", ""),
        release_date=raw.get("release_date", ""),
        date_precision=raw.get("date_precision", "day"),
        runtime=raw.get("runtime"),
        popularity=float(raw.get("popularity", 0.0)),
        vote_average=float(raw.get("vote_average", 0.0)),
        vote_count=int(raw.get("vote_count", 0)),
        genre_ids=tuple(raw.get("genre_ids", ())),
        keyword_ids=tuple(raw.get("keyword_ids", ())),
        imdb_id=raw.get("imdb_id"),
        status=raw.get("status", "Released"),
        budget=int(raw.get("budget", 0)),
        revenue=int(raw.get("revenue", 0)),
        homepage=raw.get("homepage", ""),
        production_companies=tuple(raw.get("production_companies", ())),
        production_countries=tuple(raw.get("production_countries", ())),
        spoken_languages=tuple(raw.get("spoken_languages", ())),
        alt_titles=tuple(raw.get("alt_titles", ())),
        movielens_id=raw.get("movielens_id"),
        sources=tuple(raw.get("sources", ())),
        imdb=ImdbInfo(**imdb) if imdb else None,
        cast_ids=tuple(raw.get("cast", ())),
        director_ids=tuple(raw.get("directors", ())),
        similar_ids=tuple(raw.get("similar", ())),
    )


# ------------------------------------------------------------------------------------------- catalog


class OfflineCatalog:
    """The offline catalog, indexed for the mock TMDb/OMDb apps. Immutable after construction."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.reference_date: str = document["reference_date"]
        self._genres = tuple(Genre(g["id"], g["name"], g["name_fr"]) for g in document["genres"])
        self._genre_by_id = {g.id: g for g in self._genres}
        self._keywords = {k["id"]: Keyword(k["id"], k["name"]) for k in document["keywords"]}
        self._movies: dict[int, Movie] = {m["id"]: _movie_from_json(m) for m in document["movies"]}
        self._by_imdb = {m.imdb_id: m.id for m in self._movies.values() if m.imdb_id}

        # One base order (popularity desc, id asc) is the tie-break for every other order.
        base = sorted(self._movies.values(), key=lambda m: (-m.popularity, m.id))
        self._popular: tuple[int, ...] = tuple(m.id for m in base)

        by_genre: dict[int, set[int]] = defaultdict(set)
        by_keyword: dict[int, set[int]] = defaultdict(set)
        by_cast: dict[int, list[int]] = defaultdict(list)
        by_crew: dict[int, list[int]] = defaultdict(list)
        for m in base:
            for g in m.genre_ids:
                by_genre[g].add(m.id)
            for k in m.keyword_ids:
                by_keyword[k].add(m.id)
            for p in m.cast_ids:
                by_cast[p].append(m.id)
            for p in m.director_ids:
                by_crew[p].append(m.id)
        self._by_genre = {k: frozenset(v) for k, v in by_genre.items()}
        self._by_keyword = {k: frozenset(v) for k, v in by_keyword.items()}
        self._by_cast = {k: frozenset(v) for k, v in by_cast.items()}
        self._by_crew = {k: frozenset(v) for k, v in by_crew.items()}
        self._by_person = {
            p: self._by_cast.get(p, frozenset()) | self._by_crew.get(p, frozenset())
            for p in {*self._by_cast, *self._by_crew}
        }
        self._people: dict[int, Person] = {
            p["id"]: Person(
                id=p["id"],
                name=p["name"],
                known_for_department=p["known_for_department"],
                popularity=float(p["popularity"]),
                cast_movie_ids=tuple(by_cast.get(p["id"], ())),
                directed_movie_ids=tuple(by_crew.get(p["id"], ())),
            )
            for p in document["people"]
        }

        # Titles are folded several times while indexing; remember them for the load only.
        fold_once = functools.lru_cache(maxsize=None)(fold)
        self._orders: dict[SortBy, tuple[int, ...]] = {}
        for name in SORT_FIELDS:
            for direction in ("asc", "desc"):
                self._orders[f"{name}.{direction}"] = self._sorted(base, name, direction == "desc", fold_once)
        self._positions: dict[SortBy, dict[int, int]] = {
            sort_by: {movie_id: pos for pos, movie_id in enumerate(order)}
            for sort_by, order in self._orders.items()
        }
        self._top_rated = tuple(
            m.id
            for m in sorted(base, key=lambda m: (-m.vote_average, -m.vote_count))
            if m.vote_count >= TOP_RATED_MIN_VOTES
        )
        self._trending = {"week": self._popular, "day": self._trending_day(base)}
        self._now_playing, self._upcoming = self._release_windows(base)

        self._movie_search = [_search_entry(m.id, (m.title, m.original_title, *m.alt_titles)) for m in base]
        people_by_popularity = sorted(self._people.values(), key=lambda p: (-p.popularity, p.name, p.id))
        self._person_search = [_search_entry(p.id, (p.name,)) for p in people_by_popularity]
        keywords_by_use = sorted(
            self._keywords.values(), key=lambda k: (-len(self._by_keyword.get(k.id, ())), k.name, k.id)
        )
        self._keyword_search = [_search_entry(k.id, (k.name,)) for k in keywords_by_use]

        # Filters and searches repeat a lot under load tests; results are immutable tuples.
        self._discover_cached = functools.lru_cache(maxsize=1024)(self._discover)
        self._search_movies_cached = functools.lru_cache(maxsize=1024)(self._search_movie_ids)

    # ----------------------------------------------------------------------------------- loading

    @classmethod
    def load(cls, path: str | PathLike[str] | None = None) -> OfflineCatalog:
        """The catalog from ``path`` or from the packaged file; parsed once per path and cached."""
        return _load_cached(None if path is None else str(Path(path).resolve()))

    @classmethod
    def from_bytes(cls, data: bytes) -> OfflineCatalog:
        """From catalog bytes, gzip'd (as shipped) or plain JSON."""
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        return cls(json.loads(data))

    # ----------------------------------------------------------------------------------- lookups

    @property
    def movie_count(self) -> int:
        return len(self._movies)

    @property
    def person_count(self) -> int:
        return len(self._people)

    def movie(self, movie_id: int) -> Movie | None:
        return self._movies.get(movie_id)

    def movies(self, movie_ids: Iterable[int]) -> list[Movie]:
        """Movies for ids, in the given order, skipping unknown ids."""
        return [m for i in movie_ids if (m := self._movies.get(i)) is not None]

    def movie_by_imdb_id(self, imdb_id: str) -> Movie | None:
        movie_id = self._by_imdb.get(imdb_id.strip().lower())
        return None if movie_id is None else self._movies[movie_id]

    def person(self, person_id: int) -> Person | None:
        return self._people.get(person_id)

    def people(self, person_ids: Iterable[int]) -> list[Person]:
        return [p for i in person_ids if (p := self._people.get(i)) is not None]

    def genres(self, language: str | None = None) -> list[LocalizedGenre]:
        """The 19 TMDb movie genres, names in ``language`` (French for "fr"/"fr-FR", else English)."""
        return [LocalizedGenre(g.id, g.localized(language)) for g in self._genres]

    def genre(self, genre_id: int) -> Genre | None:
        return self._genre_by_id.get(genre_id)

    def keyword(self, keyword_id: int) -> Keyword | None:
        return self._keywords.get(keyword_id)

    def keywords_of(self, movie: Movie) -> list[Keyword]:
        return [k for i in movie.keyword_ids if (k := self._keywords.get(i)) is not None]

    # ---------------------------------------------------------------------------------- searches

    def search_movies(self, query: str, year: int | None = None) -> list[Movie]:
        """Title search over title, original and alternative titles; case/accent-insensitive.

        Exact titles first, then prefix, substring and all-words matches; popularity order inside
        each tier. ``year`` keeps only movies released that year.
        """
        return self.movies(self._search_movies_cached(query, year))

    def _search_movie_ids(self, query: str, year: int | None) -> tuple[int, ...]:
        ids = _rank_matches(self._movie_search, query)
        if year is not None:
            ids = [i for i in ids if self._movies[i].year == year]
        return tuple(ids)

    def search_people(self, query: str) -> list[Person]:
        """Name search, same matching as ``search_movies``; popularity order inside each tier."""
        return self.people(_rank_matches(self._person_search, query))

    def search_keywords(self, query: str) -> list[Keyword]:
        """Keyword search, same matching; the most used keywords first inside each tier."""
        return [self._keywords[i] for i in _rank_matches(self._keyword_search, query)]

    def find_by_title(self, title: str, year: int | None = None) -> Movie | None:
        """Best single match for an exact title (OMDb ``t=``): that year if given, most popular."""
        wanted = _drop_article(fold(title))
        for entry in self._movie_search:  # popularity order
            if wanted in entry.exact:
                movie = self._movies[entry.item_id]
                if year is None or movie.year == year:
                    return movie
        return None

    # ------------------------------------------------------------------------------------- lists

    def popular(self) -> tuple[int, ...]:
        return self._popular

    def top_rated(self) -> tuple[int, ...]:
        """By vote average, only movies with at least TOP_RATED_MIN_VOTES votes."""
        return self._top_rated

    def trending(self, window: TrendingWindow) -> tuple[int, ...]:
        """week: popularity order. day: popularity boosted for the most recent years of the data."""
        return self._trending[window]

    def now_playing(self) -> DatedList:
        """Released in the NOW_PLAYING_DAYS before ``reference_date``, newest first."""
        return self._now_playing

    def upcoming(self) -> DatedList:
        """Not yet "Released", then the last UPCOMING_DAYS of the data; oldest first."""
        return self._upcoming

    def similar(self, movie_id: int) -> tuple[int, ...]:
        """Precomputed content neighbours (genres, keywords, people), best first."""
        movie = self._movies.get(movie_id)
        return movie.similar_ids if movie else ()

    def recommendations(self, movie_id: int) -> tuple[int, ...]:
        """The similar movies ordered by popularity, so they differ from ``similar`` as on TMDb."""
        return tuple(sorted(self.similar(movie_id), key=self._position(DEFAULT_SORT).__getitem__))

    def person_movies(self, person_id: int) -> tuple[int, ...]:
        """Movies the person acted in or directed, by popularity."""
        return self.discover(DiscoverQuery(with_people=IdFilter.all_of(person_id)))

    def discover(self, query: DiscoverQuery) -> tuple[int, ...]:
        """Movie ids matching every filter of ``query``, in ``query.sort_by`` order."""
        return self._discover_cached(query)

    # --------------------------------------------------------------------------------- internals

    def _discover(self, q: DiscoverQuery) -> tuple[int, ...]:
        if q.with_watch_providers:
            return ()
        sort_by = q.sort_by if q.sort_by in self._orders else DEFAULT_SORT
        candidates: set[int] | None = None
        for id_filter, index in (
            (q.with_genres, self._by_genre),
            (q.with_keywords, self._by_keyword),
            (q.with_people, self._by_person),
            (q.with_cast, self._by_cast),
            (q.with_crew, self._by_crew),
        ):
            if id_filter is not None:
                selected = id_filter.select(index)
                candidates = selected if candidates is None else candidates & selected
        order = self._orders[sort_by]
        sequence: Sequence[int]
        if candidates is None:
            sequence = order
        elif len(candidates) * 8 < len(order):
            # Small candidate sets: sorting them by precomputed position beats walking everything.
            sequence = sorted(candidates, key=self._position(sort_by).__getitem__)
        else:
            sequence = [i for i in order if i in candidates]
        movies = self._movies
        # One list comprehension per filter is much cheaper than all(...) per movie.
        for check in self._checks(q):
            sequence = [i for i in sequence if check(movies[i])]
        return tuple(sequence)

    @staticmethod
    def _checks(q: DiscoverQuery) -> list[Callable[[Movie], bool]]:
        checks: list[Callable[[Movie], bool]] = []
        if q.without_genres:
            excluded = frozenset(q.without_genres)
            checks.append(lambda m: excluded.isdisjoint(m.genre_ids))
        if q.without_keywords:
            excluded_kw = frozenset(q.without_keywords)
            checks.append(lambda m: excluded_kw.isdisjoint(m.keyword_ids))
        if q.release_date_gte:
            gte = q.release_date_gte
            checks.append(lambda m: bool(m.release_date) and m.release_date >= gte)
        if q.release_date_lte:
            lte = q.release_date_lte
            checks.append(lambda m: bool(m.release_date) and m.release_date <= lte)
        if q.year is not None:
            year = q.year
            checks.append(lambda m: m.year == year)
        if q.vote_average_gte is not None:
            va_gte = q.vote_average_gte
            checks.append(lambda m: m.vote_average >= va_gte)
        if q.vote_average_lte is not None:
            va_lte = q.vote_average_lte
            checks.append(lambda m: m.vote_average <= va_lte)
        if q.vote_count_gte is not None:
            vc_gte = q.vote_count_gte
            checks.append(lambda m: m.vote_count >= vc_gte)
        if q.vote_count_lte is not None:
            vc_lte = q.vote_count_lte
            checks.append(lambda m: m.vote_count <= vc_lte)
        if q.runtime_gte is not None:
            rt_gte = q.runtime_gte
            checks.append(lambda m: m.runtime is not None and m.runtime >= rt_gte)
        if q.runtime_lte is not None:
            rt_lte = q.runtime_lte
            checks.append(lambda m: m.runtime is not None and m.runtime <= rt_lte)
        if q.original_languages:
            languages = frozenset(q.original_languages)
            checks.append(lambda m: m.original_language in languages)
        return checks

    def _position(self, sort_by: SortBy) -> dict[int, int]:
        return self._positions[sort_by]

    @staticmethod
    def _sorted(
        base: Sequence[Movie], name: str, descending: bool, fold_fn: Callable[[str], str]
    ) -> tuple[int, ...]:
        """Stable sort over the popularity-ordered base; movies without a release date go last."""
        keys: dict[str, Callable[[Movie], Any]] = {
            "popularity": lambda m: m.popularity,
            "primary_release_date": lambda m: m.release_date,
            "release_date": lambda m: m.release_date,
            "vote_average": lambda m: m.vote_average,
            "vote_count": lambda m: m.vote_count,
            "original_title": lambda m: fold_fn(m.original_title),
            "title": lambda m: fold_fn(m.title),
            "revenue": lambda m: m.revenue,
        }
        dated = name.endswith("release_date")
        present = [m for m in base if m.release_date or not dated]
        missing = [m for m in base if dated and not m.release_date]
        present.sort(key=keys[name], reverse=descending)
        return tuple(m.id for m in (*present, *missing))

    def _trending_day(self, base: Sequence[Movie]) -> tuple[int, ...]:
        last_year = int(self.reference_date[:4])

        def score(m: Movie) -> float:
            recent = max(0, (m.year or 0) - (last_year - TRENDING_RECENT_YEARS))
            return m.popularity * (1 + recent / TRENDING_RECENT_YEARS)

        return tuple(m.id for m in sorted(base, key=lambda m: -score(m)))

    def _release_windows(self, base: Sequence[Movie]) -> tuple[DatedList, DatedList]:
        reference = date.fromisoformat(self.reference_date)
        now_from = (reference - timedelta(days=NOW_PLAYING_DAYS)).isoformat()
        upcoming_from = (reference - timedelta(days=UPCOMING_DAYS)).isoformat()
        playing = [m for m in base if m.release_date and now_from <= m.release_date <= self.reference_date]
        playing.sort(key=lambda m: m.release_date, reverse=True)
        unreleased = [m for m in base if m.status != "Released"]
        tail = [m for m in base if m.status == "Released" and m.release_date >= upcoming_from]
        tail.sort(key=lambda m: m.release_date)
        upcoming = [*unreleased, *tail]
        upcoming_dates = [m.release_date for m in upcoming if m.release_date] or [self.reference_date]
        return (
            DatedList(tuple(m.id for m in playing), now_from, self.reference_date),
            DatedList(tuple(m.id for m in upcoming), min(upcoming_dates), max(upcoming_dates)),
        )


@functools.cache
def _load_cached(path: str | None) -> OfflineCatalog:
    if path is None:
        resource = resources.files("reelgraph.integrations").joinpath("catalog_data").joinpath(CATALOG_FILE)
        return OfflineCatalog.from_bytes(resource.read_bytes())
    return OfflineCatalog.from_bytes(Path(path).read_bytes())
