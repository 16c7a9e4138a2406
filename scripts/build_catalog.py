"""Build reelgraph's offline movie catalog from the bundled public datasets.

Usage::

    python scripts/build_catalog.py [--datasets DIR] [--out FILE]

Inputs (see ``../shared/datasets/README.md``): the TMDB 5000 extract (``tmdb-5000/``: movies,
credits, people, poster paths), MovieLens ``ml-latest-small`` and the "IMDb top 1000" extract. Output: one gzip'd JSON document that
``reelgraph.integrations.offline_catalog`` loads, plus ``ATTRIBUTION.md`` next to it. The output is
deterministic: same input, byte-identical file (sorted keys, gzip mtime 0, no timestamps).

How the sources are merged:

* Movies are the union of the TMDb extract and the MovieLens movies that have a ``tmdbId`` in
  ``links.csv``, keyed by TMDb id. On overlap the TMDb extract wins; MovieLens only fills what it
  lacks (imdb id, keywords from tags, genres).
* MovieLens-only movies: the title is un-inverted ("Matrix, The (1999)" -> "The Matrix"), alternative
  titles in parentheses are kept for search, ``release_date`` is ``YYYY-01-01`` with
  ``date_precision: "year"`` (MovieLens only knows the year), ``vote_count`` is the number of
  MovieLens ratings, ``vote_average`` the mean rating x 2, and ``popularity`` is
  ``scale * ratings ** exponent``, a log-log least-squares fit of TMDb popularity against MovieLens
  rating count on the ~3,500 movies both sources share (about ``7 * ratings ** 0.41``), so the two
  scales line up. ``original_language`` is unknown for them and left empty.
* IMDb top 1000 rows are joined by normalised title + year (exact year, then +-1 year, then a
  year-less movie) and add rating, votes, metascore, certificate, gross, director and stars.
* Credits of the TMDB 5000 movies are TMDb's, with TMDb person ids: the first CAST_PER_MOVIE (30)
  billed actors with character and billing order, and the crew jobs in CREW_JOBS (directors,
  writers, composers) with TMDb's department. Other movies joined to IMDb top 1000 get its director
  and Star1-4 as credits (no characters); their names get TMDb ids by name and film, then by a name
  unique in the role's department (``match_imdb_names``).
* Catalog-only person ids: the IMDb top 1000 names that match no TMDb person are numbered
  PERSON_ID_BASE (2,000,000,000) + rank of the name in sorted order; two such people with the same
  name are one person. TMDb numbers people sequentially from 1 (below 6,000,000 in 2025), so the
  range never collides with TMDb's, and it stays inside a 32-bit integer (GraphQL ``Int``,
  PostgreSQL ``integer``). Every other person id is TMDb's own.
* People are everyone with a kept credit: name, ``known_for_department`` and popularity from
  ``tmdb_people.csv.gz`` when it has them, else derived (``build_people``); their IMDb id (``nm``
  and digits, the file's first column) when that file has one.
* Posters: ``poster_path`` from ``poster_paths.csv`` (TMDb's own paths) for the catalog's movies.
* MovieLens tags that are not already TMDb keyword names get offline-only keyword ids
  80,000,000 + rank in sorted order.
* Each movie gets up to 20 precomputed "similar" movies: IDF-weighted cosine over genres plus twice
  the IDF-weighted cosine over keywords and people (directors and the first SIMILAR_CAST billed
  actors), ties broken by popularity.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import math
import re
import sys
import time
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATASETS = REPO_ROOT / ".." / "shared" / "datasets"
DEFAULT_OUT = REPO_ROOT / "reelgraph" / "integrations" / "catalog_data" / "catalog.json.gz"

CATALOG_FORMAT = 2
# Catalog-only person ids: the top of the 32-bit range (GraphQL Int, PostgreSQL integer). TMDb numbers
# people sequentially from 1 and was below 6,000,000 in 2025, so it cannot reach this range.
PERSON_ID_BASE = 2_000_000_000
KEYWORD_ID_BASE = 80_000_000
# IMDb name ids ("nconst"), as the TMDb people file's first column holds them.
PERSON_IMDB_ID = re.compile(r"nm[0-9]{7,10}")
SIMILAR_PER_MOVIE = 20
# Billed actors kept per movie (TMDb lists up to 200; the API pages cast 10 at a time).
CAST_PER_MOVIE = 30
# Only the leads count for precomputed "similar" movies; a bit part is no likeness.
SIMILAR_CAST = 10
# Crew jobs kept: the ones the API names (directors, writers, composers). Department per job as TMDb.
CREW_JOBS: dict[str, str] = {
    "Director": "Directing",
    "Screenplay": "Writing",
    "Writer": "Writing",
    "Story": "Writing",
    "Novel": "Writing",
    "Author": "Writing",
    "Characters": "Writing",
    "Original Story": "Writing",
    "Book": "Writing",
    "Screenstory": "Writing",
    "Theatre Play": "Writing",
    "Adaptation": "Writing",
    "Comic Book": "Writing",
    "Short Story": "Writing",
    "Teleplay": "Writing",
    "Co-Writer": "Writing",
    "Original Music Composer": "Sound",
    "Music": "Sound",
    "Composer": "Sound",
}
# Keyword/people overlap is a stronger signal than sharing broad genres.
RARE_FEATURE_WEIGHT = 2.0
DIRECTOR_WEIGHT = 1.5

# (id, English name, TMDb fr-FR name), in TMDb's /genre/movie/list order.
GENRES: tuple[tuple[int, str, str], ...] = (
    (28, "Action", "Action"),
    (12, "Adventure", "Aventure"),
    (16, "Animation", "Animation"),
    (35, "Comedy", "Comédie"),
    (80, "Crime", "Crime"),
    (99, "Documentary", "Documentaire"),
    (18, "Drama", "Drame"),
    (10751, "Family", "Familial"),
    (14, "Fantasy", "Fantastique"),
    (36, "History", "Histoire"),
    (27, "Horror", "Horreur"),
    (10402, "Music", "Musique"),
    (9648, "Mystery", "Mystère"),
    (10749, "Romance", "Romance"),
    (878, "Science Fiction", "Science-Fiction"),
    (10770, "TV Movie", "Téléfilm"),
    (53, "Thriller", "Thriller"),
    (10752, "War", "Guerre"),
    (37, "Western", "Western"),
)

# MovieLens genre name -> TMDb genre id; None drops the genre.
MOVIELENS_GENRES: dict[str, int | None] = {
    "Action": 28,
    "Adventure": 12,
    "Animation": 16,
    "Children": 10751,
    "Comedy": 35,
    "Crime": 80,
    "Documentary": 99,
    "Drama": 18,
    "Fantasy": 14,
    # Film noir is a crime genre first (detectives, heists, murder); TMDb files classic noirs under
    # Crime, and Thriller is mostly used for modern suspense.
    "Film-Noir": 80,
    "Horror": 27,
    "Musical": 10402,
    "Mystery": 9648,
    "Romance": 10749,
    "Sci-Fi": 878,
    "Thriller": 53,
    "War": 10752,
    "Western": 37,
    # A projection format, not a genre.
    "IMAX": None,
    "(no genres listed)": None,
}

# The IMDb top 1000 extract lists only five names per film ("Director" + Star1-4). When a film has
# several directors, the extra directors spill into Star1.. and push actors out. These rows were
# checked by hand: value = how many leading Star columns are really co-directors. Not exhaustive.
IMDB_CO_DIRECTOR_ROWS: dict[tuple[str, str], int] = {
    ("The Matrix", "1999"): 1,
    ("Cidade de Deus", "2002"): 1,
    ("The Intouchables", "2011"): 1,
    ("The Lion King", "1994"): 1,
    ("Vikram Vedha", "2017"): 1,
    ("Spider-Man: Into the Spider-Verse", "2018"): 2,
    ("Avengers: Endgame", "2019"): 1,
    ("Avengers: Infinity War", "2018"): 1,
    ("Captain America: Civil War", "2016"): 1,
    ("Captain America: The Winter Soldier", "2014"): 1,
    ("Coco", "2017"): 1,
    ("Taare Zameen Par", "2007"): 1,
    ("Tumbbad", "2018"): 2,
    ("Up", "2009"): 1,
    ("Monty Python and the Holy Grail", "1975"): 1,
    ("Soul", "2020"): 1,
    ("Inside Out", "2015"): 1,
    ("How to Train Your Dragon", "2010"): 1,
    ("No Country for Old Men", "2007"): 1,
    ("True Grit", "2010"): 1,
    ("The Big Lebowski", "1998"): 1,
    ("Fargo", "1996"): 1,
    ("O Brother, Where Art Thou?", "2000"): 1,
    ("Barton Fink", "1991"): 1,
    ("Miller's Crossing", "1990"): 1,
    ("Blood Simple", "1984"): 1,
    ("Finding Nemo", "2003"): 1,
    ("Monsters, Inc.", "2001"): 2,
    ("Toy Story 2", "1999"): 2,
    ("Shin seiki Evangelion Gekijô-ban: Air/Magokoro wo, kimi ni", "1997"): 1,
    ("Singin' in the Rain", "1952"): 1,
    ("Tangled", "2010"): 1,
    ("Delicatessen", "1991"): 1,
    ("The Little Mermaid", "1989"): 1,
    ("Aladdin", "1992"): 1,
    ("Beauty and the Beast", "1991"): 1,
    ("Moana", "2016"): 3,
    ("Despicable Me", "2010"): 1,
    ("The Secret of Kells", "2009"): 1,
    ("The Butterfly Effect", "2004"): 1,
    ("Mulan", "1998"): 1,
    ("Vizontele", "2001"): 1,
    ("The General", "1926"): 1,
    ("What We Do in the Shadows", "2014"): 1,
    ("Watership Down", "1978"): 1,
    ("Omoide no Mânî", "2014"): 1,
    ("The Peanut Butter Falcon", "2019"): 1,
    ("The Lego Movie", "2014"): 1,
    ("Slumdog Millionaire", "2008"): 1,
    ("Persepolis", "2007"): 1,
    ("Mou gaan dou", "2002"): 1,
    ("Big Hero 6", "2014"): 1,
    ("Shrek", "2001"): 1,
    ("Little Miss Sunshine", "2006"): 1,
    ("Loving Vincent", "2017"): 1,
    ("The Red Shoes", "1948"): 1,
    ("The Adventures of Robin Hood", "1938"): 1,
    ("A Night at the Opera", "1935"): 1,
    ("King Kong", "1933"): 1,
    ("Red River", "1948"): 1,
    ("Scarface: The Shame of the Nation", "1932"): 1,
    ("Ratatouille", "2007"): 1,
    ("Klaus", "2019"): 1,
    ("Cowboy Bebop: Tengoku no tobira", "2001"): 3,
    ("Batman: Mask of the Phantasm", "1993"): 4,
    ("The Longest Day", "1962"): 4,
    ("Tombstone", "1993"): 1,
    ("Gone with the Wind", "1939"): 2,
    ("The Wizard of Oz", "1939"): 4,
    ("Fantasia", "1940"): 4,
    ("Zootopia", "2016"): 2,
    ("Sin City", "2005"): 2,
    ("Airplane!", "1980"): 2,
}

# Rows whose Released_Year column holds something else (Apollo 13 has "PG").
IMDB_YEAR_FIXES: dict[str, str] = {"Apollo 13": "1995"}

# Articles MovieLens moves to the end of a title ("Postino, Il").
_TRAILING_ARTICLES = {
    "the", "a", "an", "les", "la", "le", "l'", "il", "lo", "gli", "das", "der", "die", "den", "det",
    "el", "los", "las", "un", "une",
}  # fmt: skip
_YEAR_SUFFIX = re.compile(r"\s*\((\d{4})(?:\s*[-\u2013]\s*\d{0,4})?\)\s*$")


@dataclass
class MovieRecord:
    """One catalog movie while it is being assembled (serialised by ``to_json``)."""

    id: int
    title: str
    original_title: str
    original_language: str = ""
    overview: str = ""
    tagline: str = ""
    release_date: str = ""
    date_precision: str = "day"
    runtime: int | None = None
    popularity: float = 0.0
    vote_average: float = 0.0
    vote_count: int = 0
    genre_ids: list[int] = field(default_factory=list)
    keyword_ids: list[int] = field(default_factory=list)
    imdb_id: str | None = None
    status: str = "Released"
    budget: int = 0
    revenue: int = 0
    homepage: str = ""
    production_companies: list[dict[str, Any]] = field(default_factory=list)
    production_countries: list[dict[str, str]] = field(default_factory=list)
    spoken_languages: list[dict[str, str]] = field(default_factory=list)
    alt_titles: list[str] = field(default_factory=list)
    movielens_id: int | None = None
    sources: list[str] = field(default_factory=list)
    imdb: dict[str, Any] | None = None
    # [person id, character ("" when unknown), TMDb billing order], billing order.
    cast: list[list[Any]] = field(default_factory=list)
    # [person id, department, job], TMDb order.
    crew: list[list[Any]] = field(default_factory=list)
    poster_path: str | None = None
    similar: list[int] = field(default_factory=list)
    # Build-only: MovieLens tags, lowercased, most frequent first.
    tags: list[str] = field(default_factory=list)

    @property
    def year(self) -> int | None:
        return int(self.release_date[:4]) if self.release_date else None

    @property
    def cast_ids(self) -> list[int]:
        return [credit[0] for credit in self.cast]

    @property
    def director_ids(self) -> list[int]:
        return list(dict.fromkeys(pid for pid, _, job in self.crew if job == "Director"))

    def to_json(self) -> dict[str, Any]:
        """Serialise, leaving out empty optional fields to keep the file small."""
        out: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "original_title": self.original_title,
            "original_language": self.original_language,
            "release_date": self.release_date,
            "popularity": self.popularity,
            "vote_average": self.vote_average,
            "vote_count": self.vote_count,
            "genre_ids": self.genre_ids,
            "status": self.status,
            "sources": self.sources,
        }
        optional: dict[str, Any] = {
            "overview": self.overview,
            "tagline": self.tagline,
            "runtime": self.runtime,
            "keyword_ids": self.keyword_ids,
            "imdb_id": self.imdb_id,
            "budget": self.budget,
            "revenue": self.revenue,
            "homepage": self.homepage,
            "production_companies": self.production_companies,
            "production_countries": self.production_countries,
            "spoken_languages": self.spoken_languages,
            "alt_titles": self.alt_titles,
            "movielens_id": self.movielens_id,
            "imdb": self.imdb,
            "cast": self.cast,
            "crew": self.crew,
            "poster_path": self.poster_path,
            "similar": self.similar,
        }
        out.update({k: v for k, v in optional.items() if v not in (None, "", 0, [], {})})
        if self.date_precision != "day":
            out["date_precision"] = self.date_precision
        return out


# ---------------------------------------------------------------------------------------------- text


def fix_trailing_article(title: str) -> str:
    """'Matrix, The' -> 'The Matrix'; "Homme, L'" -> "L'Homme"."""
    head, sep, tail = title.rpartition(", ")
    if not sep or tail.lower() not in _TRAILING_ARTICLES:
        return title
    return f"{tail}{head}" if tail.endswith("'") else f"{tail} {head}"


def fold(text: str) -> str:
    """Lowercase and strip accents ('Léon' -> 'leon')."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def title_key(title: str) -> str:
    """Join key for titles across sources: folded, no punctuation, no leading English article."""
    text = fold(fix_trailing_article(title.strip())).replace("&", " and ")
    tokens = re.sub(r"[^\w\s]|_", " ", text).split()
    if len(tokens) > 1 and tokens[0] in ("the", "a", "an"):
        tokens = tokens[1:]
    return " ".join(tokens)


def name_key(name: str) -> str:
    """Join key for people's names: folded words in any order ("Chan-wook Park" = "Park Chan-wook")."""
    return " ".join(sorted(fold(name).split()))


def title_heads(title: str) -> list[str]:
    """Join keys of a title's main part.

    'Avengers: Infinity War - Part I' -> ['avengers', 'avengers infinity war'].
    """
    heads = []
    for sep in (":", " - "):
        head, found, _ = title.partition(sep)
        if found and head.strip():
            heads.append(title_key(head))
    return [h for h in heads if h]


def split_movielens_title(raw: str) -> tuple[str, list[str], int | None]:
    """'City of Lost Children, The (Cité des enfants perdus, La) (1995)' ->
    ('The City of Lost Children', ['La Cité des enfants perdus'], 1995)."""
    text = raw.strip()
    year: int | None = None
    match = _YEAR_SUFFIX.search(text)
    if match:
        year = int(match.group(1))
        text = text[: match.start()].rstrip()
    alts: list[str] = []
    # Peel balanced trailing "(...)" groups: MovieLens puts original / a.k.a. titles there.
    while text.endswith(")"):
        depth = 0
        start = -1
        for i in range(len(text) - 1, -1, -1):
            depth += {")": 1, "(": -1}.get(text[i], 0)
            if depth == 0:
                start = i
                break
        if start <= 0:
            break
        inner = text[start + 1 : -1].strip()
        inner = re.sub(r"^(a\.k\.a\.|aka)\s+", "", inner, flags=re.IGNORECASE)
        if inner:
            alts.insert(0, fix_trailing_article(inner))
        text = text[:start].rstrip()
    return fix_trailing_article(text), alts, year


# -------------------------------------------------------------------------------------------- readers


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def load_tmdb(path: Path) -> dict[int, MovieRecord]:
    movies: dict[int, MovieRecord] = {}
    for row in read_csv(path):
        movie_id = int(row["id"])
        movies[movie_id] = MovieRecord(
            id=movie_id,
            title=row["title"].strip(),
            original_title=row["original_title"].strip() or row["title"].strip(),
            original_language=row["original_language"],
            overview=row["overview"].strip(),
            tagline=row["tagline"].strip(),
            release_date=row["release_date"],
            runtime=int(float(row["runtime"])) if row["runtime"] else None,
            popularity=round(float(row["popularity"]), 3),
            vote_average=float(row["vote_average"]),
            vote_count=int(row["vote_count"]),
            genre_ids=[g["id"] for g in json.loads(row["genres"])],
            # Keyword names are kept aside; ids are resolved once all keywords are known.
            keyword_ids=[k["id"] for k in json.loads(row["keywords"])],
            status=row["status"] or "Released",
            budget=int(row["budget"] or 0),
            revenue=int(row["revenue"] or 0),
            homepage=row["homepage"].strip(),
            production_companies=[
                {"id": c["id"], "name": c["name"]} for c in json.loads(row["production_companies"])
            ],
            production_countries=json.loads(row["production_countries"]),
            spoken_languages=json.loads(row["spoken_languages"]),
            sources=["tmdb"],
        )
    return movies


def load_tmdb_keywords(path: Path) -> dict[int, str]:
    names: dict[int, str] = {}
    for row in read_csv(path):
        for keyword in json.loads(row["keywords"]):
            names[int(keyword["id"])] = keyword["name"]
    return names


@dataclass
class MovieLensData:
    movies: dict[int, dict[str, str]]
    tmdb_by_movielens: dict[int, int]
    imdb_by_movielens: dict[int, str]
    rating_count: Counter[int]
    rating_sum: dict[int, float]
    tags: dict[int, Counter[str]]
    duplicate_links: list[int]


def load_movielens(folder: Path) -> MovieLensData:
    movies = {int(r["movieId"]): r for r in read_csv(folder / "movies.csv")}
    tmdb_by_ml: dict[int, int] = {}
    imdb_by_ml: dict[int, str] = {}
    for row in read_csv(folder / "links.csv"):
        ml_id = int(row["movieId"])
        if row["imdbId"]:
            imdb_by_ml[ml_id] = f"tt{int(row['imdbId']):07d}"
        if row["tmdbId"]:
            tmdb_by_ml[ml_id] = int(row["tmdbId"])
    counts: Counter[int] = Counter()
    sums: dict[int, float] = defaultdict(float)
    for row in read_csv(folder / "ratings.csv"):
        ml_id = int(row["movieId"])
        counts[ml_id] += 1
        sums[ml_id] += float(row["rating"])
    tags: dict[int, Counter[str]] = defaultdict(Counter)
    for row in read_csv(folder / "tags.csv"):
        tag = " ".join(row["tag"].split()).lower()
        if tag:
            tags[int(row["movieId"])][tag] += 1
    # Several MovieLens ids can point at one TMDb id; keep the most rated (then lowest id).
    by_tmdb: dict[int, list[int]] = defaultdict(list)
    for ml_id, tmdb_id in tmdb_by_ml.items():
        by_tmdb[tmdb_id].append(ml_id)
    duplicates: list[int] = []
    for tmdb_id, ml_ids in by_tmdb.items():
        if len(ml_ids) > 1:
            ml_ids.sort(key=lambda m: (-counts[m], m))
            duplicates.append(tmdb_id)
            for loser in ml_ids[1:]:
                del tmdb_by_ml[loser]
    return MovieLensData(movies, tmdb_by_ml, imdb_by_ml, counts, sums, tags, sorted(duplicates))


# --------------------------------------------------------------------------------------------- merge


def fit_power_law(xs: list[int], ys: list[float]) -> tuple[float, float]:
    """Least squares on log-log: y ~= scale * x**exponent."""
    lx = [math.log(x) for x in xs]
    ly = [math.log(y) for y in ys]
    mean_x = sum(lx) / len(lx)
    mean_y = sum(ly) / len(ly)
    exponent = sum((x - mean_x) * (y - mean_y) for x, y in zip(lx, ly, strict=True)) / sum(
        (x - mean_x) ** 2 for x in lx
    )
    return math.exp(mean_y - exponent * mean_x), exponent


def merge_movielens(movies: dict[int, MovieRecord], ml: MovieLensData) -> dict[str, int]:
    """Add MovieLens movies and fill TMDb rows from MovieLens. Returns counters for the report."""
    overlap = [
        (movies[t].popularity, ml.rating_count[m])
        for m, t in sorted(ml.tmdb_by_movielens.items())
        if t in movies and ml.rating_count[m] and movies[t].popularity > 0
    ]
    scale, exponent = fit_power_law([c for _, c in overlap], [p for p, _ in overlap])
    stats = Counter[str]()
    for ml_id, tmdb_id in sorted(ml.tmdb_by_movielens.items()):
        row = ml.movies[ml_id]
        title, alts, year = split_movielens_title(row["title"])
        genre_ids: list[int] = []
        for name in row["genres"].split("|"):
            gid = MOVIELENS_GENRES.get(name)
            if gid is not None and gid not in genre_ids:
                genre_ids.append(gid)
        tags = [t for t, _ in sorted(ml.tags.get(ml_id, Counter()).items(), key=lambda kv: (-kv[1], kv[0]))]
        movie = movies.get(tmdb_id)
        if movie is None:
            count = ml.rating_count[ml_id]
            movie = MovieRecord(
                id=tmdb_id,
                title=title,
                original_title=title,
                release_date=f"{year:04d}-01-01" if year else "",
                date_precision="year" if year else "day",
                popularity=round(scale * count**exponent, 3) if count else 0.0,
                vote_average=round(ml.rating_sum[ml_id] / count * 2, 1) if count else 0.0,
                vote_count=count,
                genre_ids=genre_ids,
                alt_titles=alts,
                sources=["movielens"],
            )
            movies[tmdb_id] = movie
            stats["movielens_only"] += 1
        else:
            movie.sources.append("movielens")
            stats["overlap"] += 1
            if not movie.genre_ids and genre_ids:
                movie.genre_ids = genre_ids
            # Keep MovieLens titles only when they add something (often the original-language title).
            known = {title_key(movie.title), title_key(movie.original_title)}
            movie.alt_titles = [a for a in [title, *alts] if title_key(a) not in known]
        movie.movielens_id = ml_id
        movie.imdb_id = ml.imdb_by_movielens.get(ml_id)
        movie.tags = tags
    stats["popularity_scale_x1000"] = round(scale * 1000)
    stats["popularity_exponent_x1000"] = round(exponent * 1000)
    return dict(stats)


def assign_tag_keywords(movies: dict[int, MovieRecord], keyword_names: dict[int, str]) -> int:
    """MovieLens tags become keywords of movies without TMDb keywords. Returns tag-keyword count."""
    id_by_name = {name: kid for kid, name in keyword_names.items()}
    new_names = sorted(
        {tag for m in movies.values() if not m.keyword_ids for tag in m.tags if tag not in id_by_name}
    )
    for rank, name in enumerate(new_names):
        id_by_name[name] = KEYWORD_ID_BASE + rank
        keyword_names[KEYWORD_ID_BASE + rank] = name
    for movie in movies.values():
        if not movie.keyword_ids and movie.tags:
            movie.keyword_ids = list(dict.fromkeys(id_by_name[t] for t in movie.tags))
    return len(new_names)


@dataclass
class ImdbJoin:
    matched: int = 0
    unmatched: list[str] = field(default_factory=list)
    collisions: list[str] = field(default_factory=list)
    overview_filled: int = 0
    runtime_filled: int = 0
    year_filled: int = 0
    loose_matches: int = 0
    # movie id -> (directors, stars) as names
    people: dict[int, tuple[list[str], list[str]]] = field(default_factory=dict)


def _pick_imdb_match(candidates: list[MovieRecord], year: int) -> MovieRecord | None:
    """Exact year first, then +-1 year (festival vs. release year), then a movie with no year."""
    for distance in (0, 1, None):
        picked = [
            m
            for m in candidates
            if (m.year is None if distance is None else m.year is not None and abs(m.year - year) == distance)
        ]
        if picked:
            # Prefer the richer TMDb row, then the most voted.
            return min(picked, key=lambda m: ("tmdb" not in m.sources, -m.vote_count, m.id))
    return None


def join_imdb(movies: dict[int, MovieRecord], rows: list[dict[str, str]]) -> ImdbJoin:
    index: dict[str, list[int]] = defaultdict(list)
    for movie in sorted(movies.values(), key=lambda m: m.id):
        for key in dict.fromkeys(
            title_key(t) for t in (movie.title, movie.original_title, *movie.alt_titles)
        ):
            index[key].append(movie.id)
    head_index: dict[str, list[int]] = defaultdict(list)
    for movie in sorted(movies.values(), key=lambda m: m.id):
        for key in dict.fromkeys(
            k for t in (movie.title, movie.original_title, *movie.alt_titles) for k in title_heads(t)
        ):
            head_index[key].append(movie.id)
    result = ImdbJoin()
    taken: set[int] = set()
    for row in rows:
        title = row["Series_Title"].strip()
        year_text = IMDB_YEAR_FIXES.get(title, row["Released_Year"])
        year = int(year_text)
        candidates = [movies[i] for i in index.get(title_key(title), []) if i not in taken]
        match = _pick_imdb_match(candidates, year)
        if match is None:
            # Fallback for "Rogue One" vs "Rogue One: A Star Wars Story" (and the reverse):
            # one side's full title equals the other's main title, same year, single candidate.
            loose = {i for k in title_heads(title) for i in index.get(k, [])}
            loose |= set(head_index.get(title_key(title), []))
            picked = [movies[i] for i in sorted(loose - taken) if movies[i].year == year]
            if len(picked) == 1:
                match = picked[0]
                result.loose_matches += 1
        if match is None:
            clash = [i for i in index.get(title_key(title), []) if i in taken]
            (result.collisions if clash else result.unmatched).append(f"{title} ({year})")
            continue
        taken.add(match.id)
        result.matched += 1
        match.sources.append("imdb")
        metascore = row["Meta_score"].strip()
        certificate = row["Certificate"].strip()
        gross = row["Gross"].replace(",", "").strip()
        match.imdb = {
            "rating": float(row["IMDB_Rating"]),
            "votes": int(row["No_of_Votes"]),
            "metascore": int(float(metascore)) if metascore else None,
            "certificate": certificate or None,
            "gross": int(gross) if gross else None,
        }
        match.imdb = {k: v for k, v in match.imdb.items() if v is not None}
        if match.runtime is None and row["Runtime"].endswith(" min"):
            match.runtime = int(row["Runtime"].split()[0])
            result.runtime_filled += 1
        if not match.overview and row["Overview"].strip():
            match.overview = row["Overview"].strip()
            result.overview_filled += 1
        if not match.release_date:
            match.release_date = f"{year:04d}-01-01"
            match.date_precision = "year"
            result.year_filled += 1
        names = [row["Director"].strip(), *(row[f"Star{i}"].strip() for i in range(1, 5))]
        shifted = IMDB_CO_DIRECTOR_ROWS.get((title, year_text), 0)
        directors = list(dict.fromkeys(n for n in names[: 1 + shifted] if n))
        stars = list(dict.fromkeys(n for n in names[1 + shifted :] if n))
        result.people[match.id] = (directors, stars)
    return result


# ------------------------------------------------------------------------------------------- people


@dataclass
class MovieCredits:
    """One movie's TMDb credits: what is kept, and every credited name for matching IMDb names."""

    cast: list[list[Any]]
    crew: list[list[Any]]
    ids_by_name: dict[str, set[int]]


@dataclass(frozen=True)
class TmdbPerson:
    name: str
    known_for_department: str
    popularity: float | None  # None where the file says NaN
    imdb_id: str | None = None  # "nm0000206"; None where the file has none or a malformed one


@dataclass
class TmdbCredits:
    movies: dict[int, MovieCredits]
    # Every credited person of the extract (kept or not): name and departments, for matching.
    names: dict[int, str]
    departments: dict[int, Counter[str]]


def load_tmdb_credits(path: Path) -> TmdbCredits:
    csv.field_size_limit(1 << 30)  # the cast and crew JSON cells are long
    result = TmdbCredits({}, {}, defaultdict(Counter))
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            movie_id = int(row["movie_id"])
            cast = sorted(json.loads(row["cast"]), key=lambda c: (c["order"], c["id"]))
            crew = json.loads(row["crew"])
            ids_by_name: dict[str, set[int]] = defaultdict(set)
            for credit in (*cast, *crew):
                person = int(credit["id"])
                ids_by_name[name_key(credit["name"])].add(person)
                result.names.setdefault(person, credit["name"].strip())
                result.departments[person][credit.get("department", "Acting")] += 1
            film = MovieCredits(
                cast=[[int(c["id"]), c["character"].strip(), int(c["order"])] for c in cast[:CAST_PER_MOVIE]],
                crew=[[int(c["id"]), CREW_JOBS[c["job"]], c["job"]] for c in crew if c["job"] in CREW_JOBS],
                ids_by_name=dict(ids_by_name),
            )
            # A film without kept credits counts as uncredited: the IMDb names fill it instead.
            if film.cast or film.crew:
                result.movies[movie_id] = film
    return result


def load_tmdb_people(path: Path) -> dict[int, TmdbPerson]:
    people: dict[int, TmdbPerson] = {}
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            department = row["known_for_department"].strip()
            popularity = float(row["popularity"] or "nan")
            nconst = row[""].strip()  # the file's first column has no header
            people[int(row["id"])] = TmdbPerson(
                name=row["name"].strip(),
                known_for_department="" if department in ("", "NaN") else department,
                popularity=round(popularity, 3) if math.isfinite(popularity) else None,
                imdb_id=nconst if PERSON_IMDB_ID.fullmatch(nconst) else None,
            )
    return people


def load_posters(path: Path) -> dict[int, str]:
    return {int(r["tmdb_id"]): r["poster_path"].strip() for r in read_csv(path) if r["poster_path"].strip()}


@dataclass
class PeopleStats:
    imdb_names: int = 0
    matched_by_film: int = 0
    matched_by_unique_name: int = 0
    catalog_only: int = 0


def _main_department(counts: Counter[str]) -> str:
    # Ties go to Acting: actor-directors are usually searched for as actors.
    return max(sorted(counts), key=lambda d: (counts[d], d == "Acting")) if counts else "Acting"


def match_imdb_names(
    join: ImdbJoin, credits: TmdbCredits, tmdb_people: dict[int, TmdbPerson], stats: PeopleStats
) -> dict[str, int]:
    """TMDb person ids for the IMDb top 1000 names, catalog ids for the names left over.

    Names compare by ``name_key`` (folded, word order ignored).

    1. By name and film: the name is credited on the TMDb credits of a film the IMDb row
       was joined to; the id most often found that way wins.
    2. By unique name: of the TMDb people (credits and people file) with that folded name, exactly
       one works in the role's department (Directing for a director, Acting for a star): a credit
       of the extract in it, or it is their ``known_for_department``.
    3. Otherwise, for names credited on films without TMDb credits, a catalog id: PERSON_ID_BASE +
       rank of the name in sorted order. (On films with TMDb credits, those credits win.)
    """
    roles: dict[str, set[str]] = defaultdict(set)
    by_film: dict[str, Counter[int]] = defaultdict(Counter)
    for movie_id, (directors, stars) in sorted(join.people.items()):
        film = credits.movies.get(movie_id)
        for name, role in [*((n, "Directing") for n in directors), *((n, "Acting") for n in stars)]:
            roles[name].add(role)
            ids = film.ids_by_name.get(name_key(name), set()) if film else set()
            if len(ids) == 1:
                by_film[name][next(iter(ids))] += 1
    ids_by_name: dict[str, set[int]] = defaultdict(set)
    for person, name in (*credits.names.items(), *((p, t.name) for p, t in tmdb_people.items())):
        ids_by_name[name_key(name)].add(person)

    def works_in(person: int, departments: set[str]) -> bool:
        known = tmdb_people.get(person)
        credited = credits.departments.get(person, Counter())
        return any(credited[d] for d in departments) or (
            known is not None and known.known_for_department in departments
        )

    resolved: dict[str, int] = {}
    for name in sorted(roles):
        stats.imdb_names += 1
        if by_film[name]:
            resolved[name] = min(by_film[name], key=lambda p: (-by_film[name][p], p))
            stats.matched_by_film += 1
            continue
        fitting = [p for p in sorted(ids_by_name.get(name_key(name), ())) if works_in(p, roles[name])]
        if len(fitting) == 1:
            resolved[name] = fitting[0]
            stats.matched_by_unique_name += 1
    uncredited = {
        n
        for movie_id, (directors, stars) in join.people.items()
        if movie_id not in credits.movies
        for n in (*directors, *stars)
    }
    leftover = sorted(uncredited - set(resolved), key=lambda n: (n.casefold(), n))
    for rank, name in enumerate(leftover):
        resolved[name] = PERSON_ID_BASE + rank
    stats.catalog_only = len(leftover)
    return resolved


def assign_credits(
    movies: dict[int, MovieRecord], credits: TmdbCredits, join: ImdbJoin, person_id: dict[str, int]
) -> None:
    """TMDb credits where the extract has them, else the IMDb director and stars."""
    for movie_id, film in credits.movies.items():
        if movie_id in movies:
            movies[movie_id].cast, movies[movie_id].crew = film.cast, film.crew
    for movie_id, (directors, stars) in sorted(join.people.items()):
        movie = movies[movie_id]
        if movie_id in credits.movies:
            continue
        movie.cast = [[person_id[name], "", order] for order, name in enumerate(stars)]
        movie.crew = [[person_id[name], "Directing", "Director"] for name in directors]


def build_people(
    movies: dict[int, MovieRecord],
    credits: TmdbCredits,
    tmdb_people: dict[int, TmdbPerson],
    imdb_ids: dict[str, int],
) -> list[dict[str, Any]]:
    """Everyone with a kept credit. Name, department and popularity from the TMDb people file when
    it has the person; otherwise the credited name, the department most credited (cast = Acting).
    Popularity where the file has none (absent or NaN) is a stand-in: the mean popularity of their
    movies times the median ratio of person to movie popularity among the people the file has."""
    imdb_names = {pid: name for name, pid in imdb_ids.items()}
    departments: dict[int, Counter[str]] = defaultdict(Counter)
    movie_pops: dict[int, list[float]] = defaultdict(list)
    for movie in sorted(movies.values(), key=lambda m: m.id):
        for pid in movie.cast_ids:
            departments[pid]["Acting"] += 1
        for pid, department, _ in movie.crew:
            departments[pid][department] += 1
        for pid in dict.fromkeys([*movie.cast_ids, *(c[0] for c in movie.crew)]):
            movie_pops[pid].append(movie.popularity)
    mean_pop = {pid: sum(pops) / len(pops) for pid, pops in movie_pops.items()}
    known_pops = {pid: p.popularity for pid, p in tmdb_people.items() if p.popularity is not None}
    ratios = sorted(
        known_pops[pid] / mean_pop[pid] for pid in mean_pop if pid in known_pops and mean_pop[pid] > 0
    )
    ratio = ratios[len(ratios) // 2] if ratios else 1.0
    people = []
    for pid in sorted(movie_pops):
        known = tmdb_people.get(pid)
        # Credits of the TMDb extract know more about a person than the kept credits do.
        counts = credits.departments.get(pid) or departments[pid]
        person: dict[str, Any] = {
            "id": pid,
            "name": known.name if known else credits.names.get(pid) or imdb_names[pid],
            "known_for_department": (known.known_for_department if known else "") or _main_department(counts),
            "popularity": known_pops.get(pid, round(mean_pop[pid] * ratio, 3)),
        }
        if known is not None and known.imdb_id:  # left out, not null, where unknown: a smaller file
            person["imdb_id"] = known.imdb_id
        people.append(person)
    return people


# ------------------------------------------------------------------------------------------ similar


def compute_similar(movies: dict[int, MovieRecord]) -> None:
    """Fill ``movie.similar`` with up to SIMILAR_PER_MOVIE ids, best first.

    score = cos_idf(genres) + RARE_FEATURE_WEIGHT * cos_idf(keywords + people). The genre part is
    computed per distinct genre set (a few hundred), and candidates for the rare part come from
    inverted indexes, so no all-pairs loop over movies is needed.
    """
    ordered = sorted(movies.values(), key=lambda m: (-m.popularity, m.id))
    rank = {m.id: r for r, m in enumerate(ordered)}
    n = len(ordered)

    genre_df = Counter(g for m in ordered for g in set(m.genre_ids))
    genre_w = {g: math.log(n / df) for g, df in genre_df.items()}

    # Genre part: group movies by genre set; similarity between sets is precomputed.
    groups: dict[frozenset[int], list[int]] = defaultdict(list)
    for m in ordered:  # popularity order inside each group
        if m.genre_ids:
            groups[frozenset(m.genre_ids)].append(m.id)
    set_list = sorted(groups, key=lambda s: sorted(s))
    set_norm = {s: math.sqrt(sum(genre_w[g] ** 2 for g in s)) for s in set_list}

    def set_sim(a: frozenset[int], b: frozenset[int]) -> float:
        shared = a & b
        if not shared:
            return 0.0
        return sum(genre_w[g] ** 2 for g in shared) / (set_norm[a] * set_norm[b])

    genre_sim: dict[frozenset[int], dict[frozenset[int], float]] = {}
    neighbours: dict[frozenset[int], list[tuple[float, frozenset[int]]]] = {}
    for a in set_list:
        sims = {b: set_sim(a, b) for b in set_list}
        genre_sim[a] = sims
        neighbours[a] = sorted(((s, b) for b, s in sims.items() if s > 0), key=lambda x: -x[0])

    # Rare part: keywords and people, IDF-weighted, cosine-normalised.
    features: dict[int, dict[str, float]] = {}
    for m in ordered:
        raw: dict[str, float] = {f"k{k}": 1.0 for k in m.keyword_ids}
        raw.update({f"p{p}": 1.0 for p in m.cast_ids[:SIMILAR_CAST]})
        raw.update({f"p{p}": DIRECTOR_WEIGHT for p in m.director_ids})
        features[m.id] = raw
    feature_df = Counter(f for raw in features.values() for f in raw)
    postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for m in ordered:
        vec = {f: w * math.log(n / feature_df[f]) for f, w in sorted(features[m.id].items())}
        norm = math.sqrt(sum(v * v for v in vec.values()))
        vec = {f: v / norm for f, v in vec.items() if v > 0} if norm else {}
        features[m.id] = vec
        for f, v in vec.items():
            postings[f].append((m.id, v))

    for m in ordered:
        my_set = frozenset(m.genre_ids)
        scores: dict[int, float] = {}
        for f, v in features[m.id].items():
            for other, w in postings[f]:
                if other != m.id:
                    scores[other] = scores.get(other, 0.0) + RARE_FEATURE_WEIGHT * v * w
        if my_set:
            sims = genre_sim[my_set]
            for other in scores:
                other_set = frozenset(movies[other].genre_ids)
                if other_set:
                    scores[other] += sims[other_set]
            # Best genre-only candidates: walk sets by similarity until enough movies are collected,
            # always finishing a similarity level so ties are decided by popularity below.
            collected = 0
            last_sim = None
            for sim, other_set in neighbours[my_set]:
                if collected > SIMILAR_PER_MOVIE and sim != last_sim:
                    break
                for other in groups[other_set][: SIMILAR_PER_MOVIE + 1]:
                    if other != m.id and other not in scores:
                        scores[other] = sim
                        collected += 1
                last_sim = sim
        best = sorted(scores.items(), key=lambda kv: (-kv[1], rank[kv[0]]))
        m.similar = [other for other, score in best[:SIMILAR_PER_MOVIE] if score > 0]


# -------------------------------------------------------------------------------------------- output

ATTRIBUTION = """# Offline catalog: data sources and terms

`catalog.json.gz` is derived from four public datasets. It is shipped for development, tests,
demos and research only, under the terms below.

## TMDb

This product uses the TMDB API but is not endorsed or certified by TMDB.

Movie data (titles, overviews, taglines, release dates, genres, keywords, popularity and votes,
budgets and revenues, production data), credits (cast with characters and billing order; directors,
writers and composers) and people (names, departments, popularity) come from the public "TMDB 5000"
extract of The Movie Database (TMDb), https://www.themoviedb.org/; poster paths are the ones TMDb
served in 2025 (the images themselves are TMDb's, at https://image.tmdb.org/). TMDb movie, person,
genre and keyword ids are TMDb's own.

## MovieLens

Contains data from the MovieLens "ml-latest-small" dataset by GroupLens Research, University of
Minnesota (https://grouplens.org/datasets/movielens/): movie titles and years, genres, links to
TMDb and IMDb ids, aggregated ratings (used for vote counts, vote averages and popularity of movies
outside the TMDb extract) and user tags (used as keywords).

- The data may be used for research purposes only; no commercial or revenue-bearing use without
  permission from the GroupLens Research Project.
- No endorsement by the University of Minnesota or the GroupLens Research Group is stated or
  implied.
- This derived data is redistributed under the same conditions.
- Citation: F. Maxwell Harper and Joseph A. Konstan. 2015. The MovieLens Datasets: History and
  Context. ACM Transactions on Interactive Intelligent Systems (TiiS) 5, 4: 19:1-19:19.
  https://doi.org/10.1145/2827872

## IMDb top 1000

IMDb ratings, vote counts, Metascores, certificates, US gross, directors and main stars for the
films that appear in the public "IMDb top 1000" extract of IMDb listings (https://www.imdb.com/).
Only the fields a demo needs are shipped. IMDb and Metacritic are not affiliated with this project
and do not endorse it.

## Offline-only ids

- Person ids >= 2,000,000,000 are offline-only: people of the IMDb top 1000 extract whose name
  matches no TMDb person (neither on the TMDb credits of one of their films nor as a unique TMDb
  name in their department) are numbered 2,000,000,000 + their rank in name order. TMDb numbers
  people sequentially and was below 6,000,000 in 2025, so these never collide with TMDb ids; they
  change when the source data changes. Every other person id is TMDb's own.
- Keyword ids >= 80,000,000 are offline-only: they number MovieLens tags that are not TMDb keywords.
"""


def write_catalog(path: Path, document: dict[str, Any]) -> int:
    payload = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    # mtime=0 and no file name in the header keep the file byte-identical across builds.
    data = gzip.compress(payload.encode("utf-8"), compresslevel=9, mtime=0)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return len(data)


def build(datasets: Path, out: Path) -> dict[str, Any]:
    tmdb_folder = datasets / "tmdb-5000"
    tmdb_csv = tmdb_folder / "tmdb_5000_movies.csv"
    movies = load_tmdb(tmdb_csv)
    keyword_names = load_tmdb_keywords(tmdb_csv)
    ml = load_movielens(datasets / "movielens-latest-small")
    merge_stats = merge_movielens(movies, ml)
    tag_keywords = assign_tag_keywords(movies, keyword_names)
    join = join_imdb(movies, read_csv(datasets / "imdb-top-1000" / "imdb_top_1000.csv"))
    credits = load_tmdb_credits(tmdb_folder / "tmdb_5000_credits.csv.gz")
    tmdb_people = load_tmdb_people(tmdb_folder / "tmdb_people.csv.gz")
    people_stats = PeopleStats()
    imdb_ids = match_imdb_names(join, credits, tmdb_people, people_stats)
    assign_credits(movies, credits, join, imdb_ids)
    people = build_people(movies, credits, tmdb_people, imdb_ids)
    posters = load_posters(tmdb_folder / "poster_paths.csv")
    for movie in movies.values():
        movie.poster_path = posters.get(movie.id)
    compute_similar(movies)

    used_keywords = sorted({k for m in movies.values() for k in m.keyword_ids})
    dated = [m.release_date for m in movies.values() if m.release_date]
    document = {
        "format": CATALOG_FORMAT,
        # The newest release date in the data: the offline "today" for now_playing / upcoming.
        "reference_date": max(dated),
        "genres": [{"id": gid, "name": name, "name_fr": fr} for gid, name, fr in GENRES],
        "keywords": [{"id": k, "name": keyword_names[k]} for k in used_keywords],
        "people": people,
        "movies": [movies[i].to_json() for i in sorted(movies)],
    }
    size = write_catalog(out, document)
    (out.parent / "ATTRIBUTION.md").write_text(ATTRIBUTION, encoding="utf-8")
    return {
        "movies": len(movies),
        "movies_from_tmdb_extract": sum(1 for m in movies.values() if "tmdb" in m.sources),
        "movies_movielens_only": merge_stats.get("movielens_only", 0),
        "tmdb_movielens_overlap": merge_stats.get("overlap", 0),
        "people": len(people),
        "people_in_tmdb_people_file": sum(1 for p in people if p["id"] in tmdb_people),
        "people_with_imdb_id": sum(1 for p in people if "imdb_id" in p),
        "imdb_names": people_stats.imdb_names,
        "imdb_names_matched_by_film": people_stats.matched_by_film,
        "imdb_names_matched_by_unique_name": people_stats.matched_by_unique_name,
        "imdb_names_catalog_only": people_stats.catalog_only,
        "movies_with_poster": sum(1 for m in movies.values() if m.poster_path),
        "movies_with_full_release_date": sum(
            1 for m in movies.values() if m.release_date and m.date_precision == "day"
        ),
        "keywords": len(used_keywords),
        "tag_keywords": tag_keywords,
        "movies_with_overview": sum(1 for m in movies.values() if m.overview),
        "movies_with_imdb_rating": sum(1 for m in movies.values() if m.imdb),
        "movies_with_imdb_id": sum(1 for m in movies.values() if m.imdb_id),
        "movies_with_credits": sum(1 for m in movies.values() if m.cast or m.crew),
        "imdb_top1000_matched": join.matched,
        "imdb_top1000_unmatched": len(join.unmatched),
        "imdb_top1000_loose_title_matches": join.loose_matches,
        "imdb_top1000_title_collisions": len(join.collisions),
        "imdb_overviews_filled": join.overview_filled,
        "imdb_runtimes_filled": join.runtime_filled,
        "imdb_years_filled": join.year_filled,
        "duplicate_movielens_links": ml.duplicate_links,
        "popularity_fit": (
            f"{merge_stats['popularity_scale_x1000'] / 1000} * ratings ** "
            f"{merge_stats['popularity_exponent_x1000'] / 1000}"
        ),
        "file_size_bytes": size,
        "unmatched_imdb_rows": join.unmatched,
        "colliding_imdb_rows": join.collisions,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=Path, default=DEFAULT_DATASETS, help="dataset folder")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="catalog file to write")
    parser.add_argument("--verbose", action="store_true", help="list unmatched IMDb rows")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    report = build(args.datasets.resolve(), args.out)
    unmatched = report.pop("unmatched_imdb_rows")
    colliding = report.pop("colliding_imdb_rows")
    for key, value in report.items():
        print(f"{key:>32}: {value}")
    print(f"{'file_size':>32}: {report['file_size_bytes'] / 1_048_576:.2f} MiB -> {args.out}")
    print(f"{'build_seconds':>32}: {time.perf_counter() - started:.1f}")
    if args.verbose:
        print("unmatched IMDb top 1000 rows:", "; ".join(unmatched))
        print("IMDb rows whose title matched an already-joined movie:", "; ".join(colliding))
    return 0


if __name__ == "__main__":
    sys.exit(main())
