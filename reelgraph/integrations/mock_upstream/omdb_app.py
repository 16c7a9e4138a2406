"""The offline OMDb app at ``/``: ``?i=`` (IMDb id), ``?t=&y=`` (title), ``?s=`` (search)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from reelgraph.integrations.mock_upstream.calls import counted_app, omdb_call_key
from reelgraph.integrations.mock_upstream.errors import omdb_error_response
from reelgraph.integrations.mock_upstream.faults import FaultConfig
from reelgraph.integrations.mock_upstream.params import number
from reelgraph.integrations.mock_upstream.quirks import NO_QUIRKS, RealApiQuirks
from reelgraph.integrations.mock_upstream.tables import LANGUAGE_NAMES, OMDB_COUNTRY_NAMES
from reelgraph.integrations.offline_catalog import Movie, OfflineCatalog

OMDB_PAGE_SIZE = 10
NA = "N/A"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_IMDB_ID = re.compile(r"^tt\d{7,}$")
QUOTA_ERROR = "Request limit reached!"

JsonDict = dict[str, Any]


def _omdb_date(movie: Movie) -> str:
    if not movie.release_date or movie.date_precision != "day":
        return NA
    day = date.fromisoformat(movie.release_date)
    return f"{day.day:02d} {_MONTHS[day.month - 1]} {day.year}"


def omdb_record(catalog: OfflineCatalog, movie: Movie) -> JsonDict:
    """OMDb's ``?i=`` answer: strings everywhere, "N/A" for anything unknown."""
    imdb = movie.imdb
    ratings: list[JsonDict] = []
    if imdb is not None:
        ratings.append({"Source": "Internet Movie Database", "Value": f"{imdb.rating:.1f}/10"})
        if imdb.metascore is not None:
            ratings.append({"Source": "Metacritic", "Value": f"{imdb.metascore}/100"})
    genres = [g.name for gid in movie.genre_ids if (g := catalog.genre(gid)) is not None]
    languages = [LANGUAGE_NAMES.get(s["iso_639_1"], s["name"]) for s in movie.spoken_languages]
    countries = [OMDB_COUNTRY_NAMES.get(c["name"], c["name"]) for c in movie.production_countries]

    def joined(values: Sequence[str]) -> str:
        return ", ".join(values) if values else NA

    return {
        "Title": movie.title,
        "Year": str(movie.year) if movie.year else NA,
        "Rated": imdb.certificate if imdb and imdb.certificate else NA,
        "Released": _omdb_date(movie),
        "Runtime": f"{movie.runtime} min" if movie.runtime else NA,
        "Genre": joined(genres),
        "Director": joined([p.name for p in catalog.people(movie.director_ids)]),
        "Writer": NA,
        "Actors": joined([p.name for p in catalog.people(movie.cast_ids)]),
        "Plot": movie.overview or NA,
        "Language": joined(languages),
        "Country": joined(countries),
        "Awards": NA,
        "Poster": NA,
        "Ratings": ratings,
        "Metascore": str(imdb.metascore) if imdb and imdb.metascore is not None else NA,
        "imdbRating": f"{imdb.rating:.1f}" if imdb else NA,
        "imdbVotes": f"{imdb.votes:,}" if imdb else NA,
        "imdbID": movie.imdb_id or NA,
        "Type": "movie",
        "DVD": NA,
        "BoxOffice": f"${imdb.gross:,}" if imdb and imdb.gross else NA,
        "Production": NA,
        "Website": NA,
        "Response": "True",
    }


def unknown_id_error(imdb_id: str) -> str:
    """What real OMDb says for a well-formed id it does not have: it varies, so by the id's parity."""
    return "Error getting data." if int(imdb_id[2:]) % 2 == 0 else "Movie not found!"


def create_omdb_app(
    catalog: OfflineCatalog,
    faults: FaultConfig | None = None,
    *,
    required_key: str | None = None,
    quirks: RealApiQuirks = NO_QUIRKS,
) -> Starlette:
    """OMDb API at ``/``: ``?i=`` (IMDb id), ``?t=&y=`` (title), ``?s=`` (search).

    ``quirks.omdb_daily_limit`` counts every request since the app was created (one app, one day).
    """
    requests_served = 0

    async def omdb(request: Request) -> JSONResponse:
        nonlocal requests_served
        params = request.query_params
        if required_key is not None and params.get("apikey") != required_key:
            return omdb_error_response("Invalid API key!", 401)
        requests_served += 1
        if quirks.omdb_daily_limit and requests_served > quirks.omdb_daily_limit:
            return omdb_error_response(QUOTA_ERROR, 401)
        if params.get("type") not in (None, "", "movie"):
            return omdb_error_response("Movie not found!")
        if "i" in params:
            imdb_id = params["i"].strip().lower()
            well_formed = _IMDB_ID.match(imdb_id) is not None
            movie = catalog.movie_by_imdb_id(imdb_id) if well_formed else None
            if movie is None and well_formed and quirks.omdb_unknown_ids:
                return omdb_error_response(unknown_id_error(imdb_id))
            if movie is None:
                return omdb_error_response("Incorrect IMDb ID.")
            return JSONResponse(omdb_record(catalog, movie))
        year = number(params, "y", int)
        if params.get("t", "").strip():
            movie = catalog.find_by_title(params["t"], year)
            if movie is None:
                return omdb_error_response("Movie not found!")
            return JSONResponse(omdb_record(catalog, movie))
        if params.get("s", "").strip():
            return _omdb_search(params["s"], year, params)
        return omdb_error_response("Something went wrong.")

    def _omdb_search(query: str, year: int | None, params: Mapping[str, str]) -> JSONResponse:
        found = [m for m in catalog.search_movies(query, year) if m.imdb_id]
        page = number(params, "page", int) or 1
        start = (page - 1) * OMDB_PAGE_SIZE
        chunk = found[start : start + OMDB_PAGE_SIZE]
        if not chunk:
            return omdb_error_response("Movie not found!")
        results = [
            {
                "Title": m.title,
                "Year": str(m.year) if m.year else NA,
                "imdbID": m.imdb_id,
                "Type": "movie",
                "Poster": NA,
            }
            for m in chunk
        ]
        return JSONResponse({"Search": results, "totalResults": str(len(found)), "Response": "True"})

    return counted_app(catalog, [Route("/", omdb)], faults, call_key=omdb_call_key, omdb_prefix="/")
