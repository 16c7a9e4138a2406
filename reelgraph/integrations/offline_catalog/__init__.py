"""Read-only access to reelgraph's bundled offline movie catalog.

The catalog (``catalog_data/catalog.json.gz``) is built by ``scripts/build_catalog.py`` from the TMDb
3,000-movie extract, MovieLens ml-latest-small and the IMDb top 1000 extract; see
``catalog_data/ATTRIBUTION.md`` for sources and terms. Movie, genre and most keyword ids are real TMDb
ids. Person ids >= 90,000,000 and keyword ids >= 80,000,000 are offline-only: the sources have no TMDb
person ids, and MovieLens tags have no TMDb keyword ids.

Things the data cannot give, and what the catalog does instead:

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
    Movie,
    Person,
)

__all__ = [
    "DEFAULT_SORT",
    "OFFLINE_KEYWORD_ID_MIN",
    "OFFLINE_PERSON_ID_MIN",
    "SORT_FIELDS",
    "TOP_RATED_MIN_VOTES",
    "IdFilter",
    "Movie",
    "OfflineCatalog",
    "OfflineDiscoverQuery",
    "Person",
]
