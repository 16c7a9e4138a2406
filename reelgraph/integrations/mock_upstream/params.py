"""Query-parameter parsing of the mock apps, lenient the way TMDb and OMDb are."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from reelgraph.integrations.mock_upstream.errors import invalid_page, invalid_page_value
from reelgraph.integrations.offline_catalog import DEFAULT_SORT, SORT_FIELDS, IdFilter, OfflineDiscoverQuery

MAX_PAGE = 500
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_INTEGER = re.compile(r"-?[0-9]{1,9}")  # longer is garbage (and int() caps digits)


def parse_page(params: Mapping[str, str], *, validation_errors: bool = False) -> int:
    """The ``page`` parameter; out of 1..500 it is TMDb's 400, or with ``validation_errors`` its 422
    (which TMDb answers for a number out of range; garbage stays a 400)."""
    raw = params.get("page", "1").strip() or "1"
    page = int(raw) if _INTEGER.fullmatch(raw) else None
    if page is not None and validation_errors and not 1 <= page <= MAX_PAGE:
        raise invalid_page_value(page)
    if page is None or not 1 <= page <= MAX_PAGE:
        raise invalid_page()
    return page


def number(params: Mapping[str, str], name: str, kind: Callable[[str], float | int]) -> Any:
    """A numeric query parameter, or None when absent or not a number (TMDb ignores those)."""
    raw = params.get(name, "").strip()
    try:
        return kind(raw) if raw else None
    except ValueError:
        return None


def release_year(params: Mapping[str, str]) -> int | None:
    """TMDb's ``primary_release_year``, else ``year``."""
    year: int | None = number(params, "primary_release_year", int)
    return number(params, "year", int) if year is None else year


def _date(params: Mapping[str, str], *names: str) -> str | None:
    for name in names:
        raw = params.get(name, "").strip()[:10]
        if _DATE.match(raw):
            return raw
    return None


def _id_list(raw: str | None) -> tuple[int, ...]:
    return tuple(int(p) for p in re.split(r"[,|]", raw or "") if p.strip().isdigit())


def parse_discover_query(params: Mapping[str, str]) -> OfflineDiscoverQuery:
    """TMDb ``/discover/movie`` query parameters -> ``OfflineDiscoverQuery``."""
    sort_by = params.get("sort_by", DEFAULT_SORT).strip() or DEFAULT_SORT
    field_name, _, direction = sort_by.partition(".")
    if field_name not in SORT_FIELDS or direction not in ("asc", "desc"):
        sort_by = DEFAULT_SORT
    return OfflineDiscoverQuery(
        with_genres=IdFilter.parse(params.get("with_genres")),
        without_genres=_id_list(params.get("without_genres")),
        release_date_gte=_date(params, "primary_release_date.gte", "release_date.gte"),
        release_date_lte=_date(params, "primary_release_date.lte", "release_date.lte"),
        year=release_year(params),
        vote_average_gte=number(params, "vote_average.gte", float),
        vote_average_lte=number(params, "vote_average.lte", float),
        vote_count_gte=number(params, "vote_count.gte", int),
        vote_count_lte=number(params, "vote_count.lte", int),
        runtime_gte=number(params, "with_runtime.gte", int),
        runtime_lte=number(params, "with_runtime.lte", int),
        original_languages=tuple(
            code for code in re.split(r"[,|]", params.get("with_original_language", "").strip()) if code
        ),
        with_people=IdFilter.parse(params.get("with_people")),
        with_cast=IdFilter.parse(params.get("with_cast")),
        with_crew=IdFilter.parse(params.get("with_crew")),
        with_keywords=IdFilter.parse(params.get("with_keywords")),
        without_keywords=_id_list(params.get("without_keywords")),
        with_watch_providers=bool(params.get("with_watch_providers", "").strip()),
        sort_by=sort_by,
    )
