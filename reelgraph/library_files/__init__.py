"""Library files other services export (Letterboxd, IMDb, Trakt): parsed into plain rows, bounded.

Pure: no database, no GraphQL, no upstream calls, so parsing can run in a worker thread and be
tested on bytes alone. `reelgraph.services.library_import` matches the rows to movies and writes them.
"""
