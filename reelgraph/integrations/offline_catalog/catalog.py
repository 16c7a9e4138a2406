"""``OfflineCatalog``: the bundled catalog, loaded once and indexed for lookups, lists and searches."""

from __future__ import annotations

import functools
import gzip
import json
import threading
from array import array
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, timedelta
from importlib import resources
from os import PathLike
from pathlib import Path
from typing import Any, Literal

import cachetools

from reelgraph.integrations.offline_catalog.discover import (
    DEFAULT_SORT,
    SORT_FIELDS,
    IdFilter,
    OfflineDiscoverQuery,
    SortBy,
    movie_checks,
    sort_order,
)
from reelgraph.integrations.offline_catalog.records import (
    DatedList,
    Genre,
    Keyword,
    LocalizedGenre,
    Movie,
    Person,
    movie_from_json,
)
from reelgraph.integrations.offline_catalog.search import SearchIndex, exact_key
from reelgraph.text import fold

CATALOG_FILE = "catalog.json.gz"
# MovieLens-only movies have MovieLens-sized vote counts (tens, not thousands), so the floor is low.
TOP_RATED_MIN_VOTES = 50
NOW_PLAYING_DAYS = 730
UPCOMING_DAYS = 182
# trending/day: popularity boosted for releases in the last TRENDING_RECENT_YEARS years of the data.
TRENDING_RECENT_YEARS = 5
TrendingWindow = Literal["day", "week"]
# Movie ids the discover memo may hold in all (8 bytes each: the ints are the catalog's own).
CACHED_IDS = 500_000


class OfflineCatalog:
    """The offline catalog, indexed for the mock TMDb/OMDb apps. Immutable after construction."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        # Keys are read in the file's order (see _StreamedDocument): reference_date comes last.
        self._genres = tuple(Genre(g["id"], g["name"], g["name_fr"]) for g in document["genres"])
        self._genre_by_id = {g.id: g for g in self._genres}
        self._keywords = {k["id"]: Keyword(k["id"], k["name"]) for k in document["keywords"]}
        memo: dict[Any, Any] = {}
        self._movies: dict[int, Movie] = {m["id"]: movie_from_json(m, memo) for m in document["movies"]}
        self._by_imdb = {m.imdb_id: m.id for m in self._movies.values() if m.imdb_id}

        # One base order (popularity desc, id asc) is the tie-break for every other order.
        base = sorted(self._movies.values(), key=lambda m: (-m.popularity, m.id))
        self._popular: tuple[int, ...] = tuple(m.id for m in base)

        by_genre: dict[int, set[int]] = defaultdict(set)
        by_keyword: dict[int, set[int]] = defaultdict(set)
        by_cast: dict[int, list[int]] = defaultdict(list)
        by_crew: dict[int, list[int]] = defaultdict(list)
        by_director: dict[int, list[int]] = defaultdict(list)
        for m in base:
            for g in m.genre_ids:
                by_genre[g].add(m.id)
            for k in m.keyword_ids:
                by_keyword[k].add(m.id)
            for p in dict.fromkeys(m.cast_ids):
                by_cast[p].append(m.id)
            # TMDb's with_crew matches any crew job.
            for p in dict.fromkeys(c.person_id for c in m.crew):
                by_crew[p].append(m.id)
            for p in m.director_ids:
                by_director[p].append(m.id)
        # Posting lists as tuples (a frozenset costs 4-8 times as much), shared with the people.
        self._by_genre = {k: tuple(v) for k, v in by_genre.items()}
        self._by_keyword = {k: tuple(v) for k, v in by_keyword.items()}
        self._by_cast = {k: tuple(v) for k, v in by_cast.items()}
        self._by_crew = {k: tuple(v) for k, v in by_crew.items()}
        self._by_person = _EitherPostings(self._by_cast, self._by_crew)
        self._people: dict[int, Person] = {
            p["id"]: Person(
                id=p["id"],
                name=p["name"],
                known_for_department=p["known_for_department"],
                popularity=float(p["popularity"]),
                cast_movie_ids=self._by_cast.get(p["id"], ()),
                directed_movie_ids=tuple(by_director.get(p["id"], ())),
                crew_movie_ids=self._by_crew.get(p["id"], ()),
                imdb_id=p.get("imdb_id"),
            )
            for p in document["people"]
        }
        self.reference_date: str = document["reference_date"]
        self._person_by_imdb = {p.imdb_id: p.id for p in self._people.values() if p.imdb_id}

        # Titles are folded several times while indexing; remember them for the load only.
        fold_once = functools.lru_cache(maxsize=None)(fold)
        self._orders: dict[SortBy, tuple[int, ...]] = {}
        for name in SORT_FIELDS:
            for direction in ("asc", "desc"):
                self._orders[f"{name}.{direction}"] = sort_order(base, name, direction == "desc", fold_once)
        # Each order's position of every movie, as arrays indexed by the movie's base row (one
        # dict per order held 16 x 11,000 int objects: 14 MiB).
        self._row = {movie_id: row for row, movie_id in enumerate(self._popular)}
        self._positions: dict[SortBy, array[int]] = {}
        for sort_by, order in self._orders.items():
            positions = array("i", bytes(4 * len(order)))
            for pos, movie_id in enumerate(order):
                positions[self._row[movie_id]] = pos
            self._positions[sort_by] = positions
        self._top_rated = tuple(
            m.id
            for m in sorted(base, key=lambda m: (-m.vote_average, -m.vote_count))
            if m.vote_count >= TOP_RATED_MIN_VOTES
        )
        self._trending = {"week": self._popular, "day": self._trending_day(base)}
        self._now_playing, self._upcoming = self._release_windows(base)

        self._movie_search = SearchIndex((m.id, (m.title, m.original_title, *m.alt_titles)) for m in base)
        people_by_popularity = sorted(self._people.values(), key=lambda p: (-p.popularity, p.name, p.id))
        self._person_search = SearchIndex((p.id, (p.name,)) for p in people_by_popularity)
        keywords_by_use = sorted(
            self._keywords.values(), key=lambda k: (-len(self._by_keyword.get(k.id, ())), k.name, k.id)
        )
        self._keyword_search = SearchIndex((k.id, (k.name,)) for k in keywords_by_use)

        # Filters and searches repeat a lot under load tests; results are immutable tuples.
        # Bounded by the ids they hold, not by entries: one broad filter keeps thousands of ids.
        self._discover_cached = cachetools.cached(
            cachetools.LRUCache(maxsize=CACHED_IDS, getsizeof=_cost), lock=threading.Lock()
        )(self._discover)
        self._search_movies_cached = cachetools.cached(
            cachetools.LRUCache(maxsize=CACHED_IDS // 4, getsizeof=_cost), lock=threading.Lock()
        )(self._search_movie_ids)

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
        return cls(_StreamedDocument(data.decode()))

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

    def person_by_imdb_id(self, imdb_id: str) -> Person | None:
        person_id = self._person_by_imdb.get(imdb_id.strip().lower())
        return self._people.get(person_id) if person_id is not None else None

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
        ids = self._movie_search.rank(query)
        if year is not None:
            ids = [i for i in ids if self._movies[i].year == year]
        return tuple(ids)

    def search_people(self, query: str) -> list[Person]:
        """Name search, same matching as ``search_movies``; popularity order inside each tier."""
        return self.people(self._person_search.rank(query))

    def search_keywords(self, query: str) -> list[Keyword]:
        """Keyword search, same matching; the most used keywords first inside each tier."""
        return [self._keywords[i] for i in self._keyword_search.rank(query)]

    def find_by_title(self, title: str, year: int | None = None) -> Movie | None:
        """Best single match for an exact title (OMDb ``t=``): that year if given, most popular."""
        wanted = exact_key(fold(title))
        for movie_id in self._movie_search.find_exact(wanted):  # popularity order
            movie = self._movies[movie_id]
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
        return tuple(sorted(self.similar(movie_id), key=self._position(DEFAULT_SORT)))

    def person_movies(self, person_id: int) -> tuple[int, ...]:
        """Movies the person acted in or was crew of, by popularity."""
        return self.discover(OfflineDiscoverQuery(with_people=IdFilter.all_of(person_id)))

    def discover(self, query: OfflineDiscoverQuery) -> tuple[int, ...]:
        """Movie ids matching every filter of ``query``, in ``query.sort_by`` order."""
        return self._discover_cached(query)

    # --------------------------------------------------------------------------------- internals

    def _discover(self, q: OfflineDiscoverQuery) -> tuple[int, ...]:
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
            sequence = sorted(candidates, key=self._position(sort_by))
        else:
            sequence = [i for i in order if i in candidates]
        movies = self._movies
        # One list comprehension per filter is much cheaper than all(...) per movie.
        for check in movie_checks(q):
            sequence = [i for i in sequence if check(movies[i])]
        return tuple(sequence)

    def _position(self, sort_by: SortBy) -> Callable[[int], int]:
        """A movie id's position in the ``sort_by`` order (a sort key)."""
        positions, row = self._positions[sort_by], self._row
        return lambda movie_id: positions[row[movie_id]]

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


def _cost(ids: tuple[int, ...]) -> int:
    return len(ids) + 16  # the key and the entry cost something even for an empty answer


class _StreamedDocument(Mapping[str, Any]):
    """The catalog's top-level JSON object, parsed as its keys are asked for, in file order; the
    big arrays come one element at a time, so each movie's raw dict is freed before the next is
    parsed (the whole document at once left ~60 MiB of fragmented heap behind)."""

    _STREAMED = frozenset({"movies", "people"})

    def __init__(self, text: str) -> None:
        self._text = text
        self._decoder = json.JSONDecoder()
        self._pos = self._expect(_skip_space(text, 0), "{")
        self._values: dict[str, Any] = {}
        self._pending: list[Any] | None = None  # the streamed array being read, if any
        self._done = False

    def __getitem__(self, key: str) -> Any:
        while key not in self._values and not self._done:
            self._read_member()
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        while not self._done:
            self._read_member()
        return iter(self._values)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def _expect(self, pos: int, char: str) -> int:
        if self._text[pos : pos + 1] != char:
            raise ValueError(f"catalog JSON: {char!r} expected at {pos}")
        return pos + 1

    def _read_member(self) -> None:
        self._finish_pending()
        text, pos = self._text, _skip_space(self._text, self._pos)
        if text[pos : pos + 1] == "}":
            self._done = True
            return
        if self._values:
            pos = _skip_space(text, self._expect(pos, ","))
        name, pos = self._decoder.raw_decode(text, pos)
        pos = _skip_space(text, self._expect(_skip_space(text, pos), ":"))
        if name in self._STREAMED:
            self._pos = self._expect(pos, "[")
            self._pending = []
            self._values[name] = self._elements(self._pending)
        else:
            self._values[name], self._pos = self._decoder.raw_decode(text, pos)

    def _elements(self, pending: list[Any]) -> Iterator[Any]:
        text, first = self._text, True
        while True:
            pos = _skip_space(text, self._pos)
            if text[pos : pos + 1] == "]":
                self._pos = pos + 1
                self._pending = None
                return
            if not first:
                pos = _skip_space(text, self._expect(pos, ","))
            first = False
            value, self._pos = self._decoder.raw_decode(text, pos)
            if self._pending is not pending:  # read ahead by a later key: kept, not streamed
                pending.append(value)
                continue
            yield value

    def _finish_pending(self) -> None:
        """A streamed array not read to its end when a later key is asked for: read it now."""
        if self._pending is None:
            return
        rest = self._pending
        name = next(k for k, v in self._values.items() if isinstance(v, Iterator))
        generator = self._values[name]
        self._pending = None  # what the generator reads from here on goes to ``rest``
        for _ in generator:
            pass
        self._values[name] = rest


def _skip_space(text: str, pos: int) -> int:
    while text[pos : pos + 1] in (" ", "\n", "\r", "\t"):
        pos += 1
    return pos


class _EitherPostings(Mapping[int, tuple[int, ...]]):
    """Person id -> the movies of their cast or crew credits, joined when asked for."""

    def __init__(self, cast: Mapping[int, tuple[int, ...]], crew: Mapping[int, tuple[int, ...]]) -> None:
        self._cast, self._crew = cast, crew

    def __getitem__(self, person_id: int) -> tuple[int, ...]:
        cast, crew = self._cast.get(person_id), self._crew.get(person_id)
        if cast is None and crew is None:
            raise KeyError(person_id)
        return tuple(dict.fromkeys((*(cast or ()), *(crew or ()))))

    def __iter__(self) -> Iterator[int]:
        return iter({*self._cast, *self._crew})

    def __len__(self) -> int:
        return len({*self._cast, *self._crew})


@functools.cache
def _load_cached(path: str | None) -> OfflineCatalog:
    if path is None:
        resource = resources.files("reelgraph.integrations").joinpath("catalog_data").joinpath(CATALOG_FILE)
        return OfflineCatalog.from_bytes(resource.read_bytes())
    return OfflineCatalog.from_bytes(Path(path).read_bytes())
