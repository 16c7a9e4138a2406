"""import-library: one viewer's uploaded Letterboxd / IMDb / Trakt file, matched and written."""

from __future__ import annotations

from datetime import timedelta

from reelgraph.jobs.registry import JobContext, JobSummary, job
from reelgraph.services.library_import import IMPORT_JOB

MAX_ATTEMPTS = 3


# Title matching goes through TMDb search at the upstream rate limit (40/s by default): 50,000
# rows may take half an hour. Retries are safe: an import applied twice changes nothing.
@job(IMPORT_JOB, max_attempts=MAX_ATTEMPTS, timeout=timedelta(hours=2))
async def import_library(ctx: JobContext) -> JobSummary:
    """Imports an uploaded library file (importLibrary): matches its rows to movies and writes
    ratings, watches, watchlist and reviews one batch per transaction, with progress on the
    import (importJob). Its last failed attempt marks the import FAILED.
    """
    import_id = ctx.params.get("import_id")
    if not isinstance(import_id, int):  # run by hand (runJob): there is no upload to import
        return {"skipped": "no import to run: importLibrary queues this job with its upload"}
    imports = ctx.services.library_import
    try:
        return await imports.run(import_id)
    except Exception as exc:
        if ctx.attempt >= MAX_ATTEMPTS:
            await imports.fail(import_id, f"{type(exc).__name__}: {exc}")
        raise
