"""Real-format library exports for the import tests, written from each service's documented columns."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from typing import Any

from reelgraph.integrations.offline_catalog import OfflineCatalog
from reelgraph.services.library_import_matching import normalized_title

LETTERBOXD_RATINGS = (
    "\ufeffDate,Name,Year,Letterboxd URI,Rating\r\n"
    "2021-03-05,Amélie,2001,https://boxd.it/2b0w,4.5\r\n"
    '2021-03-06,"Crouching Tiger, Hidden Dragon",2000,https://boxd.it/1ZGq,5\r\n'
    "2021-03-07,War of the Worlds,2005,https://boxd.it/1Zyo,2\r\n"  # two 2005 films share the title
    "2021-03-08,=cmd|' /C calc'!A0,2001,https://boxd.it/x,1\r\n"  # formula injection: plain text
    "2021-03-09,Amélie,2001,https://boxd.it/2b0w,4.5\r\n"  # a duplicate row
)
LETTERBOXD_DIARY = (
    "Date,Name,Year,Letterboxd URI,Rating,Rewatch,Tags,Watched Date\r\n"
    "2021-03-05,Amélie,2001,https://boxd.it/a1,4.5,,paris,2021-03-04\r\n"
    "2022-01-03,Amélie,2001,https://boxd.it/a2,4.5,Yes,,2022-01-02\r\n"
    '2021-03-06,"Crouching Tiger, Hidden Dragon",2000,https://boxd.it/a3,5,,,2021-03-06\r\n'
)
LETTERBOXD_WATCHED = (
    "Date,Name,Year,Letterboxd URI\r\n"
    "2021-03-05,Amélie,2001,https://boxd.it/2b0w\r\n"
    "2020-07-01,Das Boot,1981,https://boxd.it/1a\r\n"
)
LETTERBOXD_WATCHLIST = (
    "Date,Name,Year,Letterboxd URI\r\n"
    "2020-05-01,Spirited Away,2001,https://boxd.it/w1\r\n"
    "2020-05-02,Amélie,2001,https://boxd.it/2b0w\r\n"  # already seen: stays off the watchlist
)
LETTERBOXD_REVIEWS = (
    "Date,Name,Year,Letterboxd URI,Rating,Rewatch,Review,Tags,Watched Date\r\n"
    '2021-04-01,City of God,2002,https://boxd.it/r1,4,,"Breathless.\r\nA second line, with a comma.",,2021-03-31\r\n'
)


def zipped(members: dict[str, str | bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def letterboxd_export() -> bytes:
    """Letterboxd's export ZIP, with the members the importer must leave alone."""
    return zipped(
        {
            "profile.csv": "Date Joined,Username\r\n2019-01-01,ann\r\n",
            "ratings.csv": LETTERBOXD_RATINGS,
            "diary.csv": LETTERBOXD_DIARY,
            "watched.csv": LETTERBOXD_WATCHED,
            "watchlist.csv": LETTERBOXD_WATCHLIST,
            "reviews.csv": LETTERBOXD_REVIEWS,
            "deleted/diary.csv": LETTERBOXD_DIARY.replace("Amélie", "Heat"),
            "lists/favourites.csv": "Letterboxd list export v7\r\n",
        }
    )


IMDB_HEADER = (
    "Const,Your Rating,Date Rated,Title,Original Title,URL,Title Type,IMDb Rating,Runtime (mins),"
    "Year,Genres,Num Votes,Release Date,Directors\r\n"
)
IMDB_RATINGS = IMDB_HEADER + (
    'tt0133093,9,2020-05-01,The Matrix,The Matrix,https://www.imdb.com/title/tt0133093/,Movie,8.7,136,1999,"Action, Sci-Fi",2000000,1999-03-31,"Lana Wachowski, Lilly Wachowski"\r\n'
    "tt0113277,7,2020-05-02,Heat,Heat,https://www.imdb.com/title/tt0113277/,Movie,8.3,170,1995,Crime,700000,1995-12-15,Michael Mann\r\n"
    "tt0110413,10,2020-05-03,Léon: The Professional,Léon,https://www.imdb.com/title/tt0110413/,Movie,8.5,110,1994,Crime,1200000,1994-09-14,Luc Besson\r\n"
    "tt0903747,10,2020-05-04,Breaking Bad,Breaking Bad,https://www.imdb.com/title/tt0903747/,TV Series,9.5,49,2008,Drama,2000000,2008-01-20,\r\n"
    "tt0959621,9,2020-05-04,Pilot,Pilot,https://www.imdb.com/title/tt0959621/,TV Episode,9.0,58,2008,Drama,40000,2008-01-20,Vince Gilligan\r\n"
    # An id TMDb does not know: matched by title and year instead.
    "tt9999999,8,2020-05-05,Oldboy,Oldeuboi,https://www.imdb.com/title/tt9999999/,Movie,8.4,120,2003,Thriller,600000,2003-11-21,Park Chan-wook\r\n"
    "tt0133093,8,2020-06-01,The Matrix,The Matrix,https://www.imdb.com/title/tt0133093/,Movie,8.7,136,1999,Action,2000000,1999-03-31,Lana Wachowski\r\n"
)


def _trakt_movie(title: str, year: int, tmdb: int | None, imdb: str | None) -> dict[str, Any]:
    return {
        "title": title,
        "year": year,
        "ids": {
            "trakt": 1000 + (tmdb or 0),
            "slug": title.lower().replace(" ", "-"),
            "imdb": imdb,
            "tmdb": tmdb,
        },
    }


TRAKT_SHOW = {
    "title": "Breaking Bad",
    "year": 2008,
    "ids": {"trakt": 1388, "tmdb": 1396, "imdb": "tt0903747"},
}
TRAKT_RATINGS = [
    {
        "rated_at": "2019-03-31T12:34:56.000Z",
        "rating": 8,
        "type": "movie",
        "movie": _trakt_movie("Heat", 1995, 949, "tt0113277"),
    },
    {"rated_at": "2019-04-01T10:00:00.000Z", "rating": 10, "type": "show", "show": TRAKT_SHOW},
]
TRAKT_HISTORY = [
    {
        "id": 1,
        "watched_at": "2018-12-24T20:00:00.000Z",
        "action": "watch",
        "type": "movie",
        "movie": _trakt_movie("The Matrix", 1999, 603, "tt0133093"),
    },
    {
        "id": 2,
        "watched_at": "2019-01-05T21:00:00.000Z",
        "action": "scrobble",
        "type": "episode",
        "episode": {"season": 1, "number": 1, "title": "Pilot"},
        "show": TRAKT_SHOW,
    },
    # No TMDb id: found by its IMDb id.
    {
        "id": 3,
        "watched_at": "2019-02-14T19:30:00.000Z",
        "action": "checkin",
        "type": "movie",
        "movie": _trakt_movie("City of God", 2002, None, "tt0317248"),
    },
]
TRAKT_WATCHLIST = [
    {
        "rank": 1,
        "id": 9,
        "listed_at": "2019-05-01T08:00:00.000Z",
        "notes": None,
        "type": "movie",
        "movie": _trakt_movie("Spirited Away", 2001, 129, "tt0245429"),
    },
]


def trakt_export() -> bytes:
    return zipped(
        {
            "trakt-export/watched-history.json": json.dumps(TRAKT_HISTORY),
            "trakt-export/ratings-movies.json": json.dumps(TRAKT_RATINGS),
            "trakt-export/lists-watchlist.json": json.dumps(TRAKT_WATCHLIST),
            "trakt-export/user-settings.json": json.dumps({"user": {"username": "ann"}}),
        }
    )


def catalog_sample(count: int) -> list[tuple[str, int, int]]:
    """(title, year, tmdb id) of `count` catalog movies whose title no other movie has."""
    catalog = OfflineCatalog.load()
    movies = catalog.movies(sorted(catalog._movies))  # every movie, in id order
    titles: dict[str, int] = {}
    for movie in movies:
        key = normalized_title(movie.title)
        titles[key] = titles.get(key, 0) + 1
    unique = [m for m in movies if m.year and m.title and titles[normalized_title(m.title)] == 1]
    return [(m.title, int(m.year), m.id) for m in unique[:count]]


def letterboxd_ratings(sample: list[tuple[str, int, int]]) -> bytes:
    """A ratings.csv with one row per movie: ratings cycle through 0.5..5."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["Date", "Name", "Year", "Letterboxd URI", "Rating"])
    for index, (title, year, _) in enumerate(sample):
        writer.writerow(
            [
                f"2020-{1 + index % 12:02d}-{1 + index % 28:02d}",
                title,
                year,
                f"https://boxd.it/{index}",
                (index % 10 + 1) / 2,
            ]
        )
    return out.getvalue().encode()


def letterboxd_diary_export(sample: list[tuple[str, int, int]], watches: int) -> bytes:
    """A Letterboxd ZIP: ratings.csv rates each sampled movie, diary.csv logs `watches` dated
    watches of each (a first watch and rewatches, one a month)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["Date", "Name", "Year", "Letterboxd URI", "Rating", "Rewatch", "Tags", "Watched Date"])
    for index, (title, year, _) in enumerate(sample):
        for watch in range(watches):
            day = f"{2015 + watch}-{1 + index % 12:02d}-{1 + index % 28:02d}"
            writer.writerow(
                [day, title, year, f"https://boxd.it/d{index}-{watch}", "", "Yes" if watch else "", "", day]
            )
    return zipped({"ratings.csv": letterboxd_ratings(sample), "diary.csv": out.getvalue()})
