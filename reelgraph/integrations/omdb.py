"""OMDb client: IMDb rating/votes, Metascore and Rotten Tomatoes by IMDb id.

OMDb quirks handled here: failures come back as HTTP 200 with Response "False", an unknown
title as "Movie not found!" or "Error getting data."; every value is a string; "N/A" means
missing; votes look like "2,097,177"; the daily quota answers HTTP 401 "Request limit reached!"
(not a bad key): the client then pauses its lookups and says so once a day.
The parsers never raise: garbage becomes None.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import httpx

from reelgraph.integrations.errors import UpstreamAuthError, UpstreamNotFound, UpstreamUnavailable
from reelgraph.integrations.http_policy import UpstreamPolicy

log = logging.getLogger(__name__)

SERVICE = "omdb"
# After OMDb says the daily quota is spent, one probe per this many seconds (it resets once a day).
QUOTA_PAUSE_SECONDS = 1800
_IMDB_ID = re.compile(r"^tt\d{7,10}$")
_MISSING = frozenset({"", "n/a", "na", "none", "null"})
_NOT_FOUND_ERRORS = ("not found", "incorrect imdb id")
# Real OMDb says exactly this as often as "Movie not found!" for a well-formed unknown id.
_UNKNOWN_ID_ERROR = "error getting data."
_NUMBER = re.compile(r"[+]?[0-9]+(?:\.[0-9]+)?")
_VOTES = re.compile(r"[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+")  # plain, or well-formed thousands groups


@dataclass(frozen=True, slots=True)
class OmdbScores:
    imdb_id: str
    imdb_rating: float | None = None  # 0..10
    imdb_votes: int | None = None
    metascore: int | None = None  # 0..100
    rotten_tomatoes: int | None = None  # Tomatometer, 0..100 (%)
    rated: str | None = None  # certificate, e.g. "PG-13"


# -- pure parsers -----------------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    """A stripped string, or None for non-strings and OMDb's missing markers."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    return None if value.lower() in _MISSING else value


def _number(value: Any, denominator: str | None = None) -> float | None:
    """Parse "8.7", "8.7/10" (denominator "10"); anything else is None."""
    text = _text(value)
    if text is None:
        return None
    if "/" in text:
        numerator, _, denom = text.partition("/")
        if denominator is None or denom.strip() != denominator:
            return None
        text = numerator.strip()
    if not _NUMBER.fullmatch(text):
        return None
    number = float(text)
    return number if math.isfinite(number) else None


def parse_imdb_rating(value: Any) -> float | None:
    """ "8.7" or "8.7/10" -> 8.7; outside 0..10 or garbage -> None."""
    number = _number(value, "10")
    return round(number, 1) if number is not None and 0 <= number <= 10 else None


def parse_votes(value: Any) -> int | None:
    """ "2,097,177" -> 2097177; garbage -> None."""
    text = _text(value)
    if text is None:
        return None
    # Well-formed groups only, so "1,2,3" is not silently 123 (and ASCII digits only: "²".isdigit()).
    if not _VOTES.fullmatch(text):
        return None
    return int(text.replace(",", ""))


def parse_percent(value: Any) -> int | None:
    """ "87%" (or "87") -> 87; outside 0..100 or garbage -> None."""
    text = _text(value)
    if text is None:
        return None
    number = _number(text.removesuffix("%").strip())
    return round(number) if number is not None and 0 <= number <= 100 else None


def parse_metascore(value: Any) -> int | None:
    """ "74" or "74/100" -> 74; outside 0..100 or garbage -> None."""
    number = _number(value, "100")
    return round(number) if number is not None and 0 <= number <= 100 else None


def _ratings_by_source(data: Mapping[str, Any]) -> dict[str, Any]:
    ratings = data.get("Ratings")
    if not isinstance(ratings, list):
        return {}
    found: dict[str, Any] = {}
    for entry in ratings:
        if isinstance(entry, Mapping) and isinstance(entry.get("Source"), str):
            found.setdefault(entry["Source"].strip().lower(), entry.get("Value"))
    return found


def parse_scores(data: Mapping[str, Any], imdb_id: str | None = None) -> OmdbScores:
    """OmdbScores from an OMDb by-id answer; top-level fields win, `Ratings` fills the gaps."""
    ratings = _ratings_by_source(data)
    imdb_rating = parse_imdb_rating(data.get("imdbRating"))
    if imdb_rating is None:
        imdb_rating = parse_imdb_rating(ratings.get("internet movie database"))
    metascore = parse_metascore(data.get("Metascore"))
    if metascore is None:
        metascore = parse_metascore(ratings.get("metacritic"))
    return OmdbScores(
        imdb_id=_text(data.get("imdbID")) or imdb_id or "",
        imdb_rating=imdb_rating,
        imdb_votes=parse_votes(data.get("imdbVotes")),
        metascore=metascore,
        rotten_tomatoes=parse_percent(ratings.get("rotten tomatoes")),
        rated=_text(data.get("Rated")),
    )


# -- client -----------------------------------------------------------------------------------------


class OmdbQuotaExhausted(UpstreamUnavailable):
    """OMDb's daily request limit is spent: scores stay null until it resets (not an outage)."""

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(SERVICE, "daily request limit reached", status=401, detail=detail)


class OMDbClient:
    """OMDb lookups by IMDb id through the shared UpstreamPolicy."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        policy: UpstreamPolicy,
        api_key: str | None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http = http
        self._policy = policy
        self._api_key = api_key  # None only for the offline mock, which ignores keys
        self._clock = clock
        self._quota_paused_until: float | None = None
        self._quota_logged_on: date | None = None

    @property
    def quota_exhausted(self) -> bool:
        return self._quota_paused_until is not None and self._clock() < self._quota_paused_until

    def _quota_spent(self, detail: str | None) -> OmdbQuotaExhausted:
        """Pauses lookups for a while and says so once per UTC day."""
        self._quota_paused_until = self._clock() + QUOTA_PAUSE_SECONDS
        today = datetime.now(UTC).date()
        if self._quota_logged_on != today:
            self._quota_logged_on = today
            log.warning(
                "OMDb daily request limit reached (%s): IMDb scores are null until it resets; "
                "not logged again today.",
                detail or "no detail",
            )
        return OmdbQuotaExhausted(detail)

    async def by_imdb_id(self, imdb_id: str) -> OmdbScores | None:
        """Scores for one IMDb id, or None when OMDb has no such title.

        A malformed id (TMDb sometimes has "" or None) returns None without a request.
        Raises OmdbQuotaExhausted while the daily quota is spent (without a request), UpstreamAuthError
        for a rejected key, UpstreamUnavailable otherwise.
        """
        imdb_id = (imdb_id or "").strip()
        if not _IMDB_ID.match(imdb_id):
            return None
        if self.quota_exhausted:
            raise OmdbQuotaExhausted()
        params = {"i": imdb_id}
        if self._api_key:
            params["apikey"] = self._api_key
        try:
            data = await self._policy.get_json(self._http, "/", params=params)
        except UpstreamNotFound:
            return None
        except UpstreamUnavailable as exc:
            if not isinstance(exc, UpstreamAuthError) and exc.status == 401:
                raise self._quota_spent(exc.detail) from None  # the policy's 401 "limit reached"
            raise

        if not isinstance(data, Mapping):
            raise UpstreamUnavailable(SERVICE, "unexpected response shape")
        if str(data.get("Response", "True")).strip().lower() == "false":
            error = _text(data.get("Error")) or ""
            if self._api_key:
                error = error.replace(self._api_key, "***")  # never echo the key, even if OMDb did
            self._handle_error(error)
            return None
        return parse_scores(data, imdb_id)

    def _handle_error(self, error: str) -> None:
        """Response "False" arrives with HTTP 200: sort not-found from real failures."""
        lowered = error.lower()
        if lowered == _UNKNOWN_ID_ERROR or any(marker in lowered for marker in _NOT_FOUND_ERRORS):
            return None
        if "api key" in lowered:
            # The policy's once-per-process loud log, for the 200 flavour of a rejected key.
            self._policy.report_auth_failure("GET / (OMDb)", error)
            raise UpstreamAuthError(SERVICE, "credentials rejected", detail=error[:200])
        if "limit" in lowered:
            raise self._quota_spent(error[:200])
        raise UpstreamUnavailable(SERVICE, "error response", detail=error[:200])
