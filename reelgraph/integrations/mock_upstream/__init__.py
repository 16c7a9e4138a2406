"""TMDb v3 and OMDb compatible ASGI apps backed by the offline catalog.

reelgraph's real TMDb/OMDb clients talk to these apps in-process (``httpx.ASGITransport``) when no API
key is configured, and ``reelgraph mock-upstream`` serves them over HTTP as a deterministic upstream
for tests and load/fault testing. Responses have TMDb's and OMDb's real shapes; what the offline data
cannot provide is answered the way the real APIs answer "nothing":

* no images: ``poster_path``/``backdrop_path``/``profile_path`` are null (``/3/configuration`` is
  still the real one, so clients build URLs the usual way);
* no videos and no watch providers: empty ``results``; ``discover`` with ``with_watch_providers``
  returns no movies, whatever ``watch_region`` is;
* ``language=fr-FR`` localises genre names only (the data has no French titles or overviews);
  ``region`` and ``include_adult`` are accepted and ignored (no per-region dates, no adult titles);
* the data ends in 2018: ``now_playing`` and ``upcoming`` are release-date windows at the end of the
  data (see ``OfflineCatalog.now_playing`` / ``upcoming``), ``trending`` is popularity-based.

Every app counts requests in ``app.state.calls`` (a ``Counter`` keyed by path, plus the ``i``/``t``/``s``
parameter for OMDb) so tests can assert how many upstream calls a query made; ``reset_calls(app)``
clears it. ``FaultConfig`` adds latency, random 503s, "timeouts" and a 429 rate limit;
``RealApiQuirks`` (all off by default) what the real services do besides: 19-21-item pages, 422
bodies, OMDb's ``Response: "False"`` for unknown ids and its 401 daily quota, ``ads``/``free``
offers, movies nobody voted on.

Modules: ``tmdb_app`` (routes, auth) with ``tmdb_bodies`` (JSON bodies) and ``params`` (query
parsing), ``pages`` (page sizes), ``quirks`` (``RealApiQuirks``), ``watch_offers``, ``omdb_app``,
``faults`` (``FaultConfig``), ``calls`` (call counting, the shared middleware
stack), ``errors`` (error bodies), ``tables`` (fixed data) and ``server`` (the combined app, uvicorn).
"""

from reelgraph.integrations.mock_upstream.calls import reset_calls
from reelgraph.integrations.mock_upstream.errors import tmdb_error_response
from reelgraph.integrations.mock_upstream.faults import FaultConfig
from reelgraph.integrations.mock_upstream.omdb_app import create_omdb_app
from reelgraph.integrations.mock_upstream.quirks import RealApiQuirks
from reelgraph.integrations.mock_upstream.server import create_mock_upstream_app, run_mock_upstream
from reelgraph.integrations.mock_upstream.tmdb_app import create_tmdb_app

__all__ = [
    "FaultConfig",
    "RealApiQuirks",
    "create_mock_upstream_app",
    "create_omdb_app",
    "create_tmdb_app",
    "reset_calls",
    "run_mock_upstream",
    "tmdb_error_response",
]
