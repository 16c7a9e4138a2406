"""Release dates and certification systems (TMDb's release_dates and /certification/movie/list)."""

from __future__ import annotations

from datetime import date
from enum import Enum
from typing import Any

import strawberry

from reelgraph import certifications
from reelgraph.errors import BadUserInput


@strawberry.enum
class ReleaseType(Enum):
    PREMIERE = "PREMIERE"
    THEATRICAL_LIMITED = "THEATRICAL_LIMITED"
    THEATRICAL = "THEATRICAL"
    DIGITAL = "DIGITAL"
    PHYSICAL = "PHYSICAL"
    TV = "TV"


@strawberry.type
class ReleaseDate:
    region: str
    type: ReleaseType
    date: date | None
    certification: str | None
    note: str | None

    @classmethod
    def many_from_tmdb(cls, body: dict[str, Any] | None, region: str | None) -> list[ReleaseDate]:
        """TMDb's ``release_dates`` body flattened, region by region, each region's by date; one
        region's only when ``region`` is given. Entries of an unknown type are left out."""
        found: list[ReleaseDate] = []
        for entry in (body or {}).get("results") or []:
            code = str(entry.get("iso_3166_1") or "")
            if region is not None and code != region:
                continue
            for dated in entry.get("release_dates") or []:
                kind = certifications.RELEASE_TYPES.get(dated.get("type"))
                if kind is None:
                    continue
                found.append(
                    cls(
                        region=code,
                        type=ReleaseType(kind),
                        date=_day(dated.get("release_date")),
                        certification=str(dated.get("certification") or "").strip() or None,
                        note=str(dated.get("note") or "").strip() or None,
                    )
                )
        return sorted(found, key=lambda r: (r.region, r.date or date.max))


@strawberry.type
class Certification:
    certification: str
    meaning: str | None
    order: int = strawberry.field(description="Position in the region's system, youngest audience first.")

    @classmethod
    def system(cls, levels: list[dict[str, Any]]) -> list[Certification]:
        """A region's levels, youngest audience first (TMDb's order; ties by name)."""
        ordered = sorted(levels, key=lambda c: (int(c.get("order") or 0), str(c.get("certification"))))
        return [
            cls(
                certification=str(c.get("certification") or ""),
                meaning=str(c.get("meaning") or "").strip() or None,
                order=int(c.get("order") or 0),
            )
            for c in ordered
        ]


def region_argument(region: str, argument: str = "region") -> str:
    """A region argument as TMDb's code ("fr" -> "FR"); BAD_USER_INPUT when it is not one."""
    code = certifications.normalized_region(region)
    if code is None:
        raise BadUserInput(f"{argument} must be an ISO 3166-1 country code such as 'US'.", field=argument)
    return code


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None
