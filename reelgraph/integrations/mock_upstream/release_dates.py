"""TMDb's ``release_dates`` and ``/certification/movie/list`` from what the offline catalog knows.

A movie's certification comes from the IMDb top 1000 extract's ``Certificate``: MPAA ratings are
US certifications, CBFC ones (U, UA, U/A, A) Indian; others (Passed, Approved, TV-*) are left
out. The catalog's release date is a THEATRICAL release in the movie's first production country
(the US when it names none), carrying the certification when that is the same region. Movies
the sources say nothing about have no release dates, as TMDb answers for an unreleased one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

from reelgraph.certifications import THEATRICAL
from reelgraph.integrations.offline_catalog import Movie

JsonDict = dict[str, Any]
CERTIFICATIONS_FILE = "certification_movie_list.json"
_IMDB_CERTIFICATES: Mapping[str, tuple[str, str]] = {
    "G": ("US", "G"),
    "PG": ("US", "PG"),
    "PG-13": ("US", "PG-13"),
    "R": ("US", "R"),
    "NC-17": ("US", "NC-17"),
    "U": ("IN", "U"),
    "UA": ("IN", "UA"),
    "U/A": ("IN", "UA"),
    "A": ("IN", "A"),
}


@cache
def certification_list() -> JsonDict:
    """TMDb's /certification/movie/list body, as captured from the live API (shipped with the package)."""
    path = resources.files("reelgraph.integrations").joinpath("catalog_data").joinpath(CERTIFICATIONS_FILE)
    body: JsonDict = json.loads(path.read_text(encoding="utf-8"))
    return body


def certification_of(movie: Movie) -> tuple[str, str] | None:
    """(region, certification) the sources give the movie, or None."""
    certificate = movie.imdb.certificate if movie.imdb else None
    return _IMDB_CERTIFICATES.get((certificate or "").strip())


def _release(date: str, certification: str) -> JsonDict:
    return {
        "certification": certification,
        "descriptors": [],
        "iso_639_1": "",
        "note": "",
        "release_date": f"{date}T00:00:00.000Z",
        "type": THEATRICAL,
    }


def release_dates(movie: Movie) -> JsonDict:
    """The ``release_dates`` part of a movie (without its id), in TMDb's shape."""
    certified = certification_of(movie)
    countries = [c["iso_3166_1"] for c in movie.production_countries if c.get("iso_3166_1")]
    home = countries[0] if countries else "US"
    results: list[JsonDict] = []
    if movie.release_date and movie.date_precision == "day":
        same = certified is not None and certified[0] == home
        results.append(
            {
                "iso_3166_1": home,
                "release_dates": [_release(movie.release_date, certified[1] if same and certified else "")],
            }
        )
    if certified is not None and not (results and certified[0] == home):
        date = movie.release_date if movie.date_precision == "day" else ""
        results.append(
            {
                "iso_3166_1": certified[0],
                "release_dates": [_release(date or f"{movie.year or 1900}-01-01", certified[1])],
            }
        )
    return {"results": sorted(results, key=lambda entry: entry["iso_3166_1"])}


def admits(movie: Movie, region: str, params: Mapping[str, str]) -> bool:
    """Discover's certification filter: ``certification`` ("|" for any of several), ``.lte`` and
    ``.gte`` (by the system's order) in ``certification_country``. Like TMDb, a movie without a
    certification there never matches a certification filter."""
    certified = certification_of(movie)
    if certified is None or certified[0] != region:
        return False
    value = certified[1]
    wanted = params.get("certification")
    if wanted is not None and value not in {v.strip() for v in wanted.split("|")}:
        return False
    order = {c["certification"]: c["order"] for c in certification_list()["certifications"].get(region, [])}
    lte, gte = params.get("certification.lte"), params.get("certification.gte")
    if lte is not None and (lte not in order or order.get(value, 99) > order[lte]):
        return False
    return gte is None or (gte in order and order.get(value, -1) >= order[gte])


def has_certification_filter(params: Mapping[str, str]) -> bool:
    return any(k in params for k in ("certification", "certification.lte", "certification.gte"))
