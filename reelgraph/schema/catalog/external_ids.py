"""ExternalIds: a movie's or a person's ids on IMDb, Wikidata and social sites, from TMDb's
`external_ids` (appended to every details read, so no request of its own)."""

from __future__ import annotations

from typing import Any

import strawberry


def _id(value: Any) -> str | None:
    # TMDb sends null or "" for an id it does not know.
    text = str(value).strip() if value is not None else ""
    return text or None


@strawberry.type(description="Ids of the same movie or person elsewhere; null where TMDb knows none.")
class ExternalIds:
    imdb: str | None = strawberry.field(description="IMDb id: tt... for a movie, nm... for a person.")
    wikidata: str | None = strawberry.field(description="Wikidata item, e.g. Q83495.")
    facebook: str | None
    instagram: str | None
    twitter: str | None

    @classmethod
    def from_tmdb(cls, details: dict[str, Any]) -> ExternalIds:
        """From details with `external_ids` appended; the top-level `imdb_id` when they are not
        there (details served from the database mirror)."""
        ids = details.get("external_ids") or {}
        return cls(
            imdb=_id(ids.get("imdb_id")) or _id(details.get("imdb_id")),
            wikidata=_id(ids.get("wikidata_id")),
            facebook=_id(ids.get("facebook_id")),
            instagram=_id(ids.get("instagram_id")),
            twitter=_id(ids.get("twitter_id")),
        )
