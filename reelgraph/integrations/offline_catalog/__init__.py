"""Read-only access to reelgraph's bundled offline movie catalog.

The catalog (``catalog_data/catalog.json.gz``) is built by ``scripts/build_catalog.py`` from the
TMDB 5000 extract (movies, credits, people, poster paths), MovieLens ml-latest-small and the IMDb top
1000 extract; see ``catalog_data/ATTRIBUTION.md`` for sources and terms. Movie, person, genre and
most keyword ids are real TMDb ids. Person ids >= 2,000,000,000 (IMDb top 1000 names that match no
TMDb person) and keyword ids >= 80,000,000 (MovieLens tags) are offline-only.

Things the data cannot give, and what the catalog does instead:

* Credits (up to 30 billed actors with characters; directors, writers and composers) are TMDb's
  for the TMDB 5000 movies; other movies have at most the IMDb top 1000 director and four stars,
  without characters. Posters exist for the movies TMDb's 2025 poster list covers.
* MovieLens-only movies know only their release year: ``release_date`` is ``YYYY-01-01`` and
  ``date_precision`` is ``"year"``; their ``original_language`` is ``""``; their ``vote_count`` and
  ``vote_average`` come from MovieLens ratings (so vote counts are much smaller than TMDb's).
* There is no French text: titles and overviews are the source ones; only genre names are localised.
* The data ends in 2018, so "now playing" and "upcoming" are windows at the end of the data (see
  ``reference_date``), not today's releases.

Everything costly (parsing, indexes, sort orders) happens once in ``OfflineCatalog.load``; lookups
are dict hits and list walks afterwards.

Modules: ``records`` (the Movie/Person/... records and their parsing), ``search`` (title and name
ranking), ``discover`` (discover filters and sort orders), ``catalog`` (loading and the indexes).
"""

from reelgraph.integrations.offline_catalog.catalog import TOP_RATED_MIN_VOTES, OfflineCatalog
from reelgraph.integrations.offline_catalog.discover import (
    DEFAULT_SORT,
    SORT_FIELDS,
    IdFilter,
    OfflineDiscoverQuery,
)
from reelgraph.integrations.offline_catalog.records import (
    OFFLINE_KEYWORD_ID_MIN,
    OFFLINE_PERSON_ID_MIN,
    CastCredit,
    CrewCredit,
    Movie,
    Person,
)

__all__ = [
    "DEFAULT_SORT",
    "OFFLINE_KEYWORD_ID_MIN",
    "OFFLINE_PERSON_ID_MIN",
    "SORT_FIELDS",
    "TOP_RATED_MIN_VOTES",
    "CastCredit",
    "CrewCredit",
    "IdFilter",
    "Movie",
    "OfflineCatalog",
    "OfflineDiscoverQuery",
    "Person",
]
