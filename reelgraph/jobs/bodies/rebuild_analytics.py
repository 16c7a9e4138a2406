"""rebuild-analytics: recomputes the analytics rollups and movie aggregates from the raw rows.

On demand only (`runJob(name: "rebuild-analytics")`, or `reelgraph analytics backfill`): the
writes keep the rollups current, so this is for databases loaded behind the API's back (a bulk
COPY, a restore) or to check them. Idempotent: it empties and refills the tables in one
transaction, during which writes wait rather than being lost.
"""

from __future__ import annotations

import time
from datetime import timedelta

from reelgraph.jobs.registry import JobContext, JobSummary, job


@job("rebuild-analytics", max_attempts=1, timeout=timedelta(minutes=30))
async def rebuild_analytics(ctx: JobContext) -> JobSummary:
    """Recomputes the analytics rollups and per-movie aggregates from the raw rows."""
    started = time.perf_counter()
    await ctx.services.analytics.rebuild_rollups()
    return {"seconds": round(time.perf_counter() - started, 3)}
