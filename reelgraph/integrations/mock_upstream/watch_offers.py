"""A movie's ``watch/providers`` body when the mock plays real offers (``provider_offers``)."""

from __future__ import annotations

from typing import Any

from reelgraph.integrations.mock_upstream.tables import PROVIDERS, REGION_OFFERS

JsonDict = dict[str, Any]


def _provider(key: str) -> JsonDict:
    provider_id, name, logo_path, priority = PROVIDERS[key]
    return {
        "logo_path": logo_path,
        "provider_id": provider_id,
        "provider_name": name,
        "display_priority": priority,
    }


def watch_offers(movie_id: int) -> JsonDict:
    """The same offers for every movie: in TMDb's shape, with a link per region."""
    return {
        "results": {
            region: {
                "link": f"https://www.themoviedb.org/movie/{movie_id}/watch?locale={region}",
                **{kind: [_provider(key) for key in keys] for kind, keys in offers.items()},
            }
            for region, offers in REGION_OFFERS.items()
        }
    }
