"""Pure helpers over TMDb-shaped dicts, shared by every layer that reads them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def imdb_id_of(details: Mapping[str, Any] | None) -> str | None:
    """The IMDb id of movie details: top-level, or under external_ids (append_to_response)."""
    if not details:
        return None
    return details.get("imdb_id") or (details.get("external_ids") or {}).get("imdb_id") or None


def genre_dicts(genre_ids: Iterable[int], names: Mapping[int, str]) -> list[dict[str, Any]]:
    """TMDb's `genres` list for a list item's `genre_ids`; an unknown id keeps its number as name."""
    return [{"id": g, "name": names.get(g, str(g))} for g in genre_ids]
