"""The read-by-id path of the catalog: the shared cache (with stale fallback), then the database
mirror of movies and their OMDb scores, then TMDb/OMDb. One per process; the request's
DataLoaders (loaders/catalog.py) batch and memoise on top of it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reelgraph.caching.upstream_data import CachedFetcher, cache_key
from reelgraph.config import Settings
from reelgraph.errors import UpstreamUnavailableError
from reelgraph.integrations.call_budget import UpstreamBudgetExceeded, spend_upstream
from reelgraph.integrations.omdb import OmdbQuotaExhausted
from reelgraph.integrations.tmdb import DEFAULT_LANGUAGE, DEFAULT_MOVIE_APPEND, normalized_imdb_id
from reelgraph.integrations.upstream import Upstreams
from reelgraph.loaders.mirror_writer import MirrorWriter
from reelgraph.persistence import catalog_mirror as mirror
from reelgraph.persistence.models import MovieRow
from reelgraph.tmdb_payloads import genre_dicts

log = logging.getLogger("reelgraph.catalog")

DEFAULT_IMAGE_BASE = "https://image.tmdb.org/t/p/"
ENGLISH = "en-US"
# Certification systems change a few times a year.
CERTIFICATIONS_TTL_SECONDS = 86_400
# Texts TMDb leaves empty (or out) when a movie has no translation in the asked language.
TRANSLATED_FIELDS = ("title", "overview", "tagline")


def untranslated(item: dict[str, Any], fields: Sequence[str] = TRANSLATED_FIELDS) -> list[str]:
    """The fields of a TMDb movie dict its translation left empty or missing."""
    return [name for name in fields if not str(item.get(name) or "").strip()]


def with_english(
    item: dict[str, Any], english: dict[str, Any] | None, fields: Sequence[str]
) -> dict[str, Any]:
    """`item` with its empty `fields` taken from the English `english` (a new dict)."""
    if not english:
        return item
    filled = {name: english[name] for name in fields if str(english.get(name) or "").strip()}
    return {**item, **filled} if filled else item


class CatalogReader:
    def __init__(
        self,
        upstreams: Upstreams,
        fetcher: CachedFetcher,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
    ) -> None:
        self._tmdb = upstreams.tmdb
        self._omdb = upstreams.omdb
        self.fetcher = fetcher
        self._sessions = sessions
        self._settings = settings
        self.image_base = DEFAULT_IMAGE_BASE
        # A cold page's lookups at once; the HTTP policy's rate limit still applies on top.
        self._omdb_concurrency = asyncio.Semaphore(32)
        self.mirror = MirrorWriter(sessions)

    # -- configuration and genres -------------------------------------------------------------

    async def load_configuration(self) -> None:
        """Image base URL from TMDb's configuration (the public default when TMDb is unreachable),
        and the English genre names, which every list page needs: read at start, they are not one
        more round trip in front of the first list request."""
        configuration, genres = await asyncio.gather(
            self.fetcher.get(
                "configuration", self._settings.cache_ttl_details_seconds, self._tmdb.configuration
            ),
            self.genres(DEFAULT_LANGUAGE),
            return_exceptions=True,
        )
        if isinstance(configuration, UpstreamUnavailableError):
            log.warning("TMDb configuration unavailable; using %s", DEFAULT_IMAGE_BASE)
        elif isinstance(configuration, BaseException):
            raise configuration
        else:
            self.image_base = configuration.get("images", {}).get("secure_base_url") or DEFAULT_IMAGE_BASE
        if isinstance(genres, Exception):  # a warm-up only: the first list request asks again
            log.warning("TMDb genre list unavailable at start: %s", genres)
        elif isinstance(genres, BaseException):
            raise genres

    async def genres(self, language: str) -> list[dict[str, Any]]:
        data = await self.fetcher.get(
            cache_key("genres", language),
            self._settings.cache_ttl_details_seconds,
            lambda: self._tmdb.genres(language),
        )
        return list(data.get("genres", []))

    async def genre_names(self, language: str) -> dict[int, str]:
        return {int(genre["id"]): str(genre["name"]) for genre in await self.genres(language)}

    # -- single entities ----------------------------------------------------------------------

    async def movie(
        self, tmdb_id: int, language: str, extra_parts: Sequence[str] = ()
    ) -> dict[str, Any] | None:
        """Details with credits, videos, keywords, ids, providers; None if unknown. `extra_parts`
        (release_dates) are appended when the details are read from TMDb; a cached copy may lack
        them. Appended release dates are cached for Movie.releaseDates in every language too."""
        if tmdb_id < 1:
            return None

        async def fetch() -> dict[str, Any] | None:
            append = (*DEFAULT_MOVIE_APPEND, *extra_parts)
            details = await self._tmdb.movie(tmdb_id, language, append=append)
            if details is not None:
                self.mirror.movie(details, language)
                if isinstance(details.get("release_dates"), dict):
                    await self.fetcher.put(
                        cache_key("release_dates", tmdb_id),
                        details["release_dates"],
                        self._settings.cache_ttl_details_seconds,
                    )
            return details

        try:
            details = await self.fetcher.get(
                cache_key("movie", tmdb_id, language), self._settings.cache_ttl_details_seconds, fetch
            )
            return await self._english_where_untranslated(details, language)
        except UpstreamUnavailableError:
            mirrored = await self._movie_from_mirror(tmdb_id, language)
            if mirrored is None:
                raise
            log.warning("TMDb unavailable: movie %s served from the database mirror", tmdb_id)
            return mirrored

    async def refresh_movie(self, tmdb_id: int, language: str = DEFAULT_LANGUAGE) -> bool:
        """Reads a movie's details from TMDb again (not from the cache) into the cache and the
        mirror; False when TMDb no longer knows it."""
        details = await self._tmdb.movie(tmdb_id, language)
        if details is None:
            return False
        self.mirror.movie(details, language)
        await self.fetcher.put(
            cache_key("movie", tmdb_id, language), details, self._settings.cache_ttl_details_seconds
        )
        return True

    async def refresh_omdb(self, tmdb_id: int, imdb_id: str) -> bool:
        """Reads a movie's OMDb scores again into the cache and the mirror; False when OMDb could
        not answer (quota spent, outage: the old scores stay)."""
        if self._omdb.quota_exhausted:
            return False
        try:
            found = await self._omdb.by_imdb_id(imdb_id)
        except Exception as exc:  # quota, outage: the next run tries again
            log.warning("OMDb refresh of %s failed: %s", imdb_id, exc)
            return False
        scores = _scores_dict(asdict(found)) if found else None
        await self._remember_omdb(imdb_id, scores)
        self.mirror.omdb_scores(tmdb_id, scores)
        return True

    async def _english_where_untranslated(
        self, details: dict[str, Any] | None, language: str
    ) -> dict[str, Any] | None:
        """Empty translated texts filled from the English details: one more request per movie at
        most, cached like any English read (and shared with English readers)."""
        if details is None or language == ENGLISH:
            return details
        missing = untranslated(details)
        if not missing:
            return details
        try:
            english = await self.movie(int(details["id"]), ENGLISH)
        except (UpstreamUnavailableError, UpstreamBudgetExceeded):
            return details  # the translation as it is beats no answer; a later read fills it
        return with_english(details, english, missing)

    async def movie_id_for_imdb(self, imdb_id: str) -> int | None:
        """The TMDb movie id of an IMDb title id ("tt0133093"), from TMDb's /find; None when it is
        not an IMDb id (no call made) or TMDb knows no movie by it. Both answers are cached (the
        negative one wrapped, so it is a hit too) and concurrent lookups share one call; when TMDb
        is down, the database mirror answers for movies it has seen."""
        normalized = normalized_imdb_id(imdb_id)
        if normalized is None:
            return None

        async def fetch() -> dict[str, int | None]:
            found = await self._tmdb.find_by_imdb_id(normalized)
            movies = found.get("movie_results") or []
            return {"tmdb_id": int(movies[0]["id"]) if movies else None}

        try:
            answer = await self.fetcher.get(
                cache_key("imdb", normalized), self._settings.cache_ttl_details_seconds, fetch
            )
        except UpstreamUnavailableError:
            async with self._sessions() as session:
                mirrored = await mirror.tmdb_id_for_imdb(session, normalized)
            if mirrored is None:
                raise
            log.warning("TMDb unavailable: IMDb id %s answered from the database mirror", normalized)
            return mirrored
        return answer["tmdb_id"]

    async def release_dates(self, tmdb_id: int) -> dict[str, Any] | None:
        """A movie's release dates and certifications per region (TMDb's ``release_dates``), the
        same in every language: one cached read per movie, shared by every request and language;
        None if unknown."""
        if tmdb_id < 1:
            return None
        return await self.fetcher.get(
            cache_key("release_dates", tmdb_id),
            self._settings.cache_ttl_details_seconds,
            lambda: self._tmdb.release_dates(tmdb_id),
        )

    async def certification_systems(self) -> dict[str, list[dict[str, Any]]]:
        """Every region's certification levels (TMDb's /certification/movie/list), cached a day."""
        data = await self.fetcher.get(
            "certifications:movie", CERTIFICATIONS_TTL_SECONDS, self._tmdb.movie_certifications
        )
        return dict(data.get("certifications") or {})

    async def person(self, tmdb_id: int, language: str) -> dict[str, Any] | None:
        if tmdb_id < 1:
            return None
        return await self.fetcher.get(
            cache_key("person", tmdb_id, language),
            self._settings.cache_ttl_details_seconds,
            lambda: self._tmdb.person(tmdb_id, language),
        )

    async def omdb_scores(self, movies: Sequence[tuple[int, str | None]]) -> list[dict[str, Any] | None]:
        """OMDb scores for (tmdb_id, imdb_id) pairs: shared cache, then the mirror, then OMDb (once per movie)."""
        results: dict[int, dict[str, Any] | None] = {}
        wanted: dict[int, str] = {tmdb_id: imdb_id for tmdb_id, imdb_id in movies if imdb_id}
        cached = await self.fetcher.peek_many([cache_key("omdb", imdb_id) for imdb_id in wanted.values()])
        for tmdb_id, hit in zip(list(wanted), cached, strict=True):
            if hit is not None:
                results[tmdb_id] = hit.get("scores")
                wanted.pop(tmdb_id)
        if wanted:
            fresh_after = datetime.now(UTC) - timedelta(days=self._settings.omdb_max_age_days)
            async with self._sessions() as session:
                rows = await mirror.get_movies(session, list(wanted))
            for tmdb_id, row in rows.items():
                if row.omdb_fetched_at is not None and row.omdb_fetched_at > fresh_after:
                    results[tmdb_id] = _scores_from_row(row)
                    await self._remember_omdb(wanted.pop(tmdb_id), results[tmdb_id])
        if wanted and self._omdb.quota_exhausted:
            wanted = {}  # OMDb's daily quota is spent: scores stay null, nothing is asked or cached
        if wanted:
            spend_upstream(len(wanted))  # all of them or none: one batch, one answer
            fetched = await asyncio.gather(*(self._fetch_omdb(t, i) for t, i in wanted.items()))
            results.update(zip(wanted, fetched, strict=True))
        return [results.get(tmdb_id) for tmdb_id, _ in movies]

    async def _fetch_omdb(self, tmdb_id: int, imdb_id: str) -> dict[str, Any] | None:
        async with self._omdb_concurrency:
            try:
                found = await self._omdb.by_imdb_id(imdb_id)
            except OmdbQuotaExhausted:  # the client logs it once a day
                return None
            except Exception as exc:  # scores are an enrichment: an OMDb outage leaves them null
                log.warning("OMDb lookup for %s failed: %s", imdb_id, exc)
                return None
        scores = _scores_dict(asdict(found)) if found else None
        await self._remember_omdb(imdb_id, scores)
        self.mirror.omdb_scores(tmdb_id, scores)
        return scores

    async def _remember_omdb(self, imdb_id: str, scores: dict[str, Any] | None) -> None:
        # Wrapped so that "OMDb has no scores" (None) is a cache hit too; that negative answer is
        # kept as long as the mirror trusts it, so unknown titles do not spend the daily quota.
        ttl = (
            self._settings.cache_ttl_details_seconds
            if scores is not None
            else self._settings.omdb_max_age_days * 86_400
        )
        await self.fetcher.put(cache_key("omdb", imdb_id), {"scores": scores}, ttl)

    # -- mirror -----------------------------------------------------------------------------------

    async def _movie_from_mirror(self, tmdb_id: int, language: str) -> dict[str, Any] | None:
        async with self._sessions() as session:
            row = (await mirror.get_movies(session, [tmdb_id])).get(tmdb_id)
            if row is None:
                return None
            genre_ids = (await mirror.genre_ids_of(session, [tmdb_id])).get(tmdb_id, [])
            # TMDb is down: the genre list may not be cached, but the mirror has the names.
            names = await mirror.genre_names(session, language)
        with contextlib.suppress(UpstreamUnavailableError):
            names = {**names, **await self.genre_names(language)}
        return {
            "id": row.tmdb_id,
            "imdb_id": row.imdb_id,
            "title": row.title,
            "original_title": row.original_title,
            "original_language": row.original_language,
            "overview": row.overview,
            "release_date": row.release_date.isoformat() if row.release_date else "",
            "runtime": row.runtime,
            "popularity": row.popularity,
            "vote_average": row.vote_average,
            "vote_count": row.vote_count,
            "poster_path": row.poster_path,
            "backdrop_path": row.backdrop_path,
            "genres": genre_dicts(genre_ids, names),
            "_from_mirror": True,
        }


def _scores_dict(raw: dict[str, Any]) -> dict[str, Any]:
    return {key: raw.get(key) for key in ("imdb_rating", "imdb_votes", "metascore", "rotten_tomatoes")}


def _scores_from_row(row: MovieRow) -> dict[str, Any] | None:
    scores = {
        "imdb_rating": row.imdb_rating,
        "imdb_votes": row.imdb_votes,
        "metascore": row.metascore,
        "rotten_tomatoes": row.rotten_tomatoes,
    }
    return scores if any(value is not None for value in scores.values()) else None
