"""community-trending: ranks this server's own trending lists (DAY and WEEK) from its viewers'
signals every few minutes (see services/community_trending.py for the score). Idempotent: a run
replaces the stored rankings whole.
"""

from __future__ import annotations

from datetime import timedelta

from reelgraph.config import Settings
from reelgraph.jobs.registry import JobContext, JobSummary, job


def _interval(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.community_trending_seconds)


@job("community-trending", every=_interval, timeout=timedelta(minutes=5))
async def community_trending(ctx: JobContext) -> JobSummary:
    """Ranks the community trending lists from views, ratings and interactions."""
    sizes = await ctx.services.community.recompute()
    return {f"{window}_movies": size for window, size in sizes.items()}
