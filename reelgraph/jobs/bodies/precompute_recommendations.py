"""precompute-recommendations: recently active users' lists, ready in the shared cache."""

from __future__ import annotations

from datetime import timedelta

from reelgraph.config import Settings
from reelgraph.jobs.registry import JobContext, JobSummary, job


def _interval(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.recs_precompute_seconds)


@job("precompute-recommendations", every=_interval, timeout=timedelta(minutes=30))
async def precompute_recommendations(ctx: JobContext) -> JobSummary:
    """Precomputes the recommendations of users active in the last REELGRAPH_RECS_PRECOMPUTE_ACTIVE_HOURS
    (at most REELGRAPH_RECS_PRECOMPUTE_MAX_USERS) into the shared cache, so their `recommendations`
    is a cache read until they rate or interact again, or a new model version is served.
    """
    return await ctx.services.recommendations.precompute()
