"""refresh-catalog: re-reads, hourly and rate limited, the TMDb details and OMDb scores of the
movies people use once they are older than their cache lifetime and REELGRAPH_OMDB_MAX_AGE_DAYS
(see services/catalog_refresh.py). Idempotent: a second run finds them fresh.
"""

from __future__ import annotations

from datetime import timedelta

from reelgraph.config import Settings
from reelgraph.jobs.registry import JobContext, JobSummary, job
from reelgraph.services.catalog_refresh import CatalogRefresh


def _interval(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.catalog_refresh_seconds)


@job("refresh-catalog", every=_interval, timeout=timedelta(minutes=30))
async def refresh_catalog(ctx: JobContext) -> JobSummary:
    """Refreshes stale details and OMDb scores of the movies users rated or interacted with."""
    services = ctx.services
    return await CatalogRefresh(services.sessions, services.reader, services.settings).run()
