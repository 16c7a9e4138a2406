"""The viewer's library as a download: Letterboxd's CSVs (zipped) or everything reelgraph holds.

``export`` reads the viewer's rows in one transaction, names every movie in English from the
catalog (CatalogReader's English details, fresh or stale, from the shared cache; else the
database's own copy of the movie, which every movie in a library has), builds the file in a worker
thread, stores it as a download of the viewer's alone (replacing their previous export of that
format, so that storage stays one file per viewer and format) and returns a signed link that
expires with the file. A viewer may export REELGRAPH_LIBRARY_EXPORT_RATE_LIMIT times (10 an
hour), then RATE_LIMITED. It never calls TMDb: a cold export of 5,000 movies would otherwise spend
the operation's 250 lookups at the shared upstream rate limit (about 6 s of everyone's TMDb
budget) for titles the database already holds; tmdbID and imdbID, not titles, are what importers
match.

It runs in the request, not as a job: the answer is the link (``ExportPayload`` has no job to poll)
and the work is bounded. The rows are a few indexed reads, one row per (viewer, movie, kind) for
interactions, ratings and reviews, views deduplicated per 30 minutes, chat sessions expiring after
30 days; the movie names are cache reads; building, encoding and zipping run in a thread.

LETTERBOXD: ``watched.csv`` (SEEN, dated when marked), ``ratings.csv`` (dated when last changed),
``watchlist.csv`` (WATCH_LATER), ``diary.csv`` (one row per view in the watch history: its day,
Rewatch when the movie was viewed before, the movie's rating on its latest view) and
``reviews.csv`` (the review's own rating; reelgraph's reviews belong to no viewing, so no Watched
Date), each with ``tmdbID`` and ``imdbID`` (reelgraph.library_files.letterboxd_export).

JSON, ``reelgraph-library`` version 1 (UTF-8; times ISO 8601 in UTC; a ``movie`` is
``{"tmdbId", "imdbId", "title", "year"}``, with an English title):

- ``format``, ``version``, ``exportedAt``
- ``profile``: ``email``, ``name``, ``locale``, ``region``, ``dateOfBirth``, ``roles``,
  ``createdAt``, ``updatedAt`` (the password hash is never exported)
- ``preferences``: ``favoriteGenres``, ``dislikedGenres`` (TMDb genre ids), ``favoritePeople``
  (TMDb person ids), ``favoriteMovies`` (movies), in the viewer's order
- ``interactions``: ``{kind, movie, createdAt}``, kind SEEN, WATCH_LATER, NOT_INTERESTED, LIKED or
  FAVORITE
- ``ratings``: ``{movie, value, createdAt, updatedAt}``, value 0.5-5
- ``reviews``: ``{movie, body, rating, createdAt, updatedAt}``
- ``watchHistory``: ``{movie, watchedAt}``, oldest first
- ``chatSessions``: ``{id, createdAt, updatedAt, filters, messages: [{role, content, createdAt}]}``
- ``signIns``: ``{createdAt, revokedAt}`` of the login sessions (never a token)
- ``imports``: ``{source, status, dryRun, filename, total, processed, matched, skipped,
  unmatchedCount, unmatched, error, createdAt, finishedAt}`` of the viewer's library imports
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

from limits import parse
from limits.aio.storage import Storage
from limits.aio.strategies import MovingWindowRateLimiter
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reelgraph.errors import ApiError, RateLimited, Unauthenticated
from reelgraph.integrations.call_budget import upstream_budget
from reelgraph.library_files.letterboxd_export import (
    DiaryEntry,
    Film,
    LetterboxdLibrary,
    Logged,
    Rated,
    Reviewed,
    letterboxd_zip,
)
from reelgraph.loaders.catalog_reader import ENGLISH, CatalogReader
from reelgraph.persistence import library_export as repo
from reelgraph.persistence.library_export import UserData
from reelgraph.services.downloads import DownloadService, Link
from reelgraph.tmdb_payloads import imdb_id_of

KIND_PREFIX = "library-export-"  # the downloads' kind: library-export-letterboxd, -json
JSON_FORMAT = "reelgraph-library"
JSON_VERSION = 1
# Cache reads at once (round trips to Redis when it is the cache).
_LOOKUPS_AT_ONCE = 16
_PREFERENCE_FIELDS = {
    "FAVORITE_GENRE": "favoriteGenres",
    "DISLIKED_GENRE": "dislikedGenres",
    "FAVORITE_PERSON": "favoritePeople",
    "FAVORITE_MOVIE": "favoriteMovies",
}


class ExportKind(StrEnum):
    LETTERBOXD = "LETTERBOXD"
    JSON = "JSON"


@dataclass(frozen=True)
class ExportFile:
    filename: str
    content_type: str
    content: bytes


def _year(release_date: object) -> int | None:
    text = str(release_date or "")
    return int(text[:4]) if len(text) >= 4 and text[:4].isdigit() else None


def _film_from_mirror(tmdb_id: int, row: Row[Any] | None) -> Film:
    if row is None:  # a favourite movie never mirrored, and not cached either
        return Film(tmdb_id=tmdb_id, name="", year=None, imdb_id=None)
    year = row.release_date.year if row.release_date else None
    return Film(tmdb_id=tmdb_id, name=row.title, year=year, imdb_id=row.imdb_id)


def _movie_ids(data: UserData) -> list[int]:
    ids = {row.movie_id for row in data.interactions}
    ids.update(row.movie_id for row in data.ratings)
    ids.update(row.movie_id for row in data.reviews)
    ids.update(row.movie_id for row in data.watch_events)
    ids.update(row.target_id for row in data.preferences if row.kind == "FAVORITE_MOVIE")
    return sorted(ids)


class LibraryExportService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        catalog: CatalogReader,
        downloads: DownloadService,
        ttl: timedelta,
        limit_storage: Storage,
        rate_limit: str,
    ) -> None:
        self._sessions = sessions
        self._catalog = catalog
        self._downloads = downloads
        self._ttl = ttl
        self._limiter = MovingWindowRateLimiter(limit_storage)
        self._limit = parse(rate_limit)

    async def export(self, user_id: int, kind: ExportKind) -> Link:
        """Builds the viewer's export, stores it for them alone (in place of their previous one
        of this format) and links it."""
        await self._check_rate(user_id)
        async with self._sessions() as session, session.begin():
            data = await repo.user_data(session, user_id)
            if data is None:
                raise Unauthenticated("Your account no longer exists.")
            movie_ids = _movie_ids(data)
            mirrored = await repo.mirrored_movies(session, movie_ids)
        films = await self._films(movie_ids, mirrored)
        now = datetime.now(UTC)
        build = _letterboxd_file if kind is ExportKind.LETTERBOXD else _json_file
        # Building, encoding and zipping are CPU work: off the event loop.
        file = await asyncio.to_thread(build, data, films, now)
        row = await self._downloads.create(
            owner_id=user_id,
            kind=KIND_PREFIX + kind.value.lower(),
            filename=file.filename,
            content_type=file.content_type,
            content=file.content,
            ttl=self._ttl,
        )
        # One file per viewer and format: asking again cannot pile megabytes up in the database.
        async with self._sessions.begin() as session:
            await repo.delete_older_downloads(session, user_id, row.kind, than=row.created_at)
        return self._downloads.link(row.id, user_id, row.expires_at)

    async def _check_rate(self, user_id: int) -> None:
        # Each export reads the whole library and builds a file: a budget per viewer.
        key = str(user_id)
        if not await self._limiter.hit(self._limit, "library-export", key):
            stats = await self._limiter.get_window_stats(self._limit, "library-export", key)
            raise RateLimited(
                "Too many exports; try again later.", max(1, math.ceil(stats.reset_time - time.time()))
            )

    async def _films(self, movie_ids: list[int], mirrored: dict[int, Row[Any]]) -> dict[int, Film]:
        """Each movie named as the catalog's cache names it in English, else as the database's
        copy does (the title of the language it was last read in)."""
        limit = asyncio.Semaphore(_LOOKUPS_AT_ONCE)

        async def film(tmdb_id: int) -> Film:
            async with limit:
                try:
                    details = await self._catalog.movie(tmdb_id, ENGLISH)
                except ApiError:  # not cached: the budget of no lookups refused the call
                    details = None
            if not details or not str(details.get("title") or "").strip():
                return _film_from_mirror(tmdb_id, mirrored.get(tmdb_id))
            return Film(
                tmdb_id=tmdb_id,
                name=str(details["title"]),
                year=_year(details.get("release_date")),
                imdb_id=imdb_id_of(details),
            )

        # A budget of no upstream lookups: cache hits (fresh or stale) only. The tasks inherit it.
        with upstream_budget(0):
            found = await asyncio.gather(*(film(tmdb_id) for tmdb_id in movie_ids))
        return {item.tmdb_id: item for item in found}


# -- LETTERBOXD ------------------------------------------------------------------------------


def letterboxd_library(data: UserData, films: dict[int, Film]) -> LetterboxdLibrary:
    ratings = {row.movie_id: row.value for row in data.ratings}
    diary: list[DiaryEntry] = []
    viewed: set[int] = set()
    last_view = {row.movie_id: index for index, row in enumerate(data.watch_events)}
    for index, view in enumerate(data.watch_events):  # oldest first
        day = view.watched_at.astimezone(UTC).date()
        diary.append(
            DiaryEntry(
                film=films[view.movie_id],
                day=day,
                watched_on=day,
                # The rating is today's: on the latest viewing only, not made up for older ones.
                rating=ratings.get(view.movie_id) if last_view[view.movie_id] == index else None,
                rewatch=view.movie_id in viewed,
            )
        )
        viewed.add(view.movie_id)
    return LetterboxdLibrary(
        watched=_logged(data, "SEEN", films),
        ratings=[Rated(films[row.movie_id], _day(row.updated_at), row.value) for row in data.ratings],
        watchlist=_logged(data, "WATCH_LATER", films),
        diary=diary,
        reviews=[
            Reviewed(
                film=films[row.movie_id],
                day=_day(row.created_at),
                review=row.body,
                rating=row.rating,
                rewatch=False,
                watched_on=None,
            )
            for row in data.reviews
        ],
    )


def _day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def _logged(data: UserData, kind: str, films: dict[int, Film]) -> list[Logged]:
    return [
        Logged(films[row.movie_id], _day(row.created_at)) for row in data.interactions if row.kind == kind
    ]


def _letterboxd_file(data: UserData, films: dict[int, Film], now: datetime) -> ExportFile:
    return ExportFile(
        filename=f"reelgraph-letterboxd-{now:%Y-%m-%d}.zip",
        content_type="application/zip",
        content=letterboxd_zip(letterboxd_library(data, films)),
    )


# -- JSON --------------------------------------------------------------------------------------


def _time(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment is not None else None


def _movie(film: Film) -> dict[str, Any]:
    return {"tmdbId": film.tmdb_id, "imdbId": film.imdb_id, "title": film.name, "year": film.year}


def _preferences(data: UserData, films: dict[int, Film]) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {name: [] for name in _PREFERENCE_FIELDS.values()}
    for row in data.preferences:  # by kind, then the viewer's order
        name = _PREFERENCE_FIELDS.get(row.kind)
        if name is None:
            continue
        found[name].append(_movie(films[row.target_id]) if row.kind == "FAVORITE_MOVIE" else row.target_id)
    return found


def library_document(data: UserData, films: dict[int, Film], now: datetime) -> dict[str, Any]:
    """Everything reelgraph holds about the viewer (the format is in the module's docstring)."""
    user = data.user

    def movie(tmdb_id: int) -> dict[str, Any]:
        return _movie(films[tmdb_id])

    return {
        "format": JSON_FORMAT,
        "version": JSON_VERSION,
        "exportedAt": _time(now),
        "profile": {
            "email": user.email,
            "name": user.name,
            "locale": user.locale,
            "region": user.region,
            "dateOfBirth": user.date_of_birth.isoformat() if user.date_of_birth else None,
            "roles": data.roles,
            "createdAt": _time(user.created_at),
            "updatedAt": _time(user.updated_at),
        },
        "preferences": _preferences(data, films),
        "interactions": [
            {"kind": row.kind, "movie": movie(row.movie_id), "createdAt": _time(row.created_at)}
            for row in data.interactions
        ],
        "ratings": [
            {
                "movie": movie(row.movie_id),
                "value": row.value,
                "createdAt": _time(row.created_at),
                "updatedAt": _time(row.updated_at),
            }
            for row in data.ratings
        ],
        "reviews": [
            {
                "movie": movie(row.movie_id),
                "body": row.body,
                "rating": row.rating,
                "createdAt": _time(row.created_at),
                "updatedAt": _time(row.updated_at),
            }
            for row in data.reviews
        ],
        "watchHistory": [
            {"movie": movie(row.movie_id), "watchedAt": _time(row.watched_at)} for row in data.watch_events
        ],
        "chatSessions": [
            {
                "id": chat.id,
                "createdAt": _time(chat.created_at),
                "updatedAt": _time(chat.updated_at),
                "filters": chat.filters,
                "messages": [
                    {"role": message.role, "content": message.content, "createdAt": _time(message.created_at)}
                    for message in data.chat_messages.get(chat.id, [])
                ],
            }
            for chat in data.chat_sessions
        ],
        "signIns": [
            {"createdAt": _time(login.created_at), "revokedAt": _time(login.revoked_at)}
            for login in data.login_sessions
        ],
        "imports": [
            {
                "source": item.source,
                "status": item.status,
                "dryRun": item.dry_run,
                "filename": item.filename,
                "total": item.total,
                "processed": item.processed,
                "matched": item.matched,
                "skipped": item.skipped,
                "unmatchedCount": item.unmatched_count,
                "unmatched": item.unmatched,
                "error": item.error,
                "createdAt": _time(item.created_at),
                "finishedAt": _time(item.finished_at),
            }
            for item in data.imports
        ],
    }


def _json_file(data: UserData, films: dict[int, Film], now: datetime) -> ExportFile:
    text = json.dumps(library_document(data, films, now), ensure_ascii=False, indent=2)
    return ExportFile(
        filename=f"reelgraph-library-{now:%Y-%m-%d}.json",
        content_type="application/json",
        content=text.encode("utf-8"),
    )
