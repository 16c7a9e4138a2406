"""The records of the offline catalog (movies, people, genres, keywords) and how they are parsed."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple, TypedDict

from reelgraph.text import is_french

# Catalog-only person ids (IMDb top 1000 names that match no TMDb person): the top of the 32-bit
# range, far above TMDb's sequential ids. Every lower person id is TMDb's own.
OFFLINE_PERSON_ID_MIN = 2_000_000_000
OFFLINE_KEYWORD_ID_MIN = 80_000_000


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
class CastCredit:
    person_id: int
    character: str  # "" when the source does not say, as TMDb
    order: int  # TMDb billing order


@dataclass(frozen=True, slots=True)
class CrewCredit:
    person_id: int
    department: str
    job: str


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
    cast: tuple[CastCredit, ...]  # billing order
    crew: tuple[CrewCredit, ...]  # directors, writers, composers; one credit per job
    poster_path: str | None  # TMDb's own image path
    cast_ids: tuple[int, ...]  # of ``cast``, billing order
    director_ids: tuple[int, ...]  # of ``crew`` with job "Director", once each
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
    crew_movie_ids: tuple[int, ...] = ()  # any kept crew job, directing included
    imdb_id: str | None = None  # "nm0000206", where the TMDb people file has it

    @property
    def movie_ids(self) -> tuple[int, ...]:
        return tuple(dict.fromkeys((*self.cast_movie_ids, *self.crew_movie_ids)))


class DatedList(NamedTuple):
    """A movie list that TMDb returns with a ``dates`` window (now_playing, upcoming)."""

    movie_ids: tuple[int, ...]
    minimum: str
    maximum: str


def _shared(memo: dict[Any, Any], value: Any) -> Any:
    """One object for equal read-only values (companies, countries, languages, job names recur
    across thousands of movies): the catalog holds each once."""
    try:
        key = (type(value), tuple(value.items())) if isinstance(value, dict) else (type(value), value)
        return memo.setdefault(key, value)
    except TypeError:  # unhashable inside: kept as it is
        return value


def movie_from_json(raw: Mapping[str, Any], memo: dict[Any, Any] | None = None) -> Movie:
    """One movie of the catalog document; missing optional fields get their empty value.
    ``memo`` (kept across a load) shares equal values between movies."""
    memo = {} if memo is None else memo
    share = functools.partial(_shared, memo)
    imdb = raw.get("imdb")
    cast = tuple(CastCredit(pid, character, order) for pid, character, order in raw.get("cast", ()))
    crew = tuple(
        share(CrewCredit(pid, share(department), share(job))) for pid, department, job in raw.get("crew", ())
    )
    return Movie(
        id=raw["id"],
        title=raw["title"],
        original_title=raw.get("original_title") or raw["title"],
        original_language=share(raw.get("original_language", "")),
        overview=raw.get("overview", ""),
        tagline=raw.get("tagline", ""),
        release_date=raw.get("release_date", ""),
        date_precision=raw.get("date_precision", "day"),
        runtime=raw.get("runtime"),
        popularity=float(raw.get("popularity", 0.0)),
        vote_average=float(raw.get("vote_average", 0.0)),
        vote_count=int(raw.get("vote_count", 0)),
        genre_ids=share(tuple(raw.get("genre_ids", ()))),
        keyword_ids=tuple(raw.get("keyword_ids", ())),
        imdb_id=raw.get("imdb_id"),
        status=share(raw.get("status", "Released")),
        budget=int(raw.get("budget", 0)),
        revenue=int(raw.get("revenue", 0)),
        homepage=raw.get("homepage", ""),
        production_companies=tuple(share(c) for c in raw.get("production_companies", ())),
        production_countries=share(tuple(share(c) for c in raw.get("production_countries", ()))),
        spoken_languages=share(tuple(share(c) for c in raw.get("spoken_languages", ()))),
        alt_titles=tuple(raw.get("alt_titles", ())),
        movielens_id=raw.get("movielens_id"),
        sources=share(tuple(raw.get("sources", ()))),
        imdb=ImdbInfo(**imdb) if imdb else None,
        cast=cast,
        crew=crew,
        poster_path=raw.get("poster_path"),
        cast_ids=tuple(c.person_id for c in cast),
        director_ids=tuple(dict.fromkeys(c.person_id for c in crew if c.job == "Director")),
        similar_ids=tuple(raw.get("similar", ())),
    )
