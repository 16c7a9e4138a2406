"""retrain-recommender: train and store a new shared model version when one is due."""

from __future__ import annotations

from datetime import timedelta

from reelgraph.config import Settings
from reelgraph.jobs.registry import JobContext, JobSummary, job


def _check_interval(settings: Settings) -> timedelta:
    # Often and cheap: the body compares two max ids with the stored model's and usually stops there.
    return timedelta(seconds=settings.recs_check_seconds)


@job("retrain-recommender", every=_check_interval, max_attempts=2, timeout=timedelta(hours=1))
async def retrain_recommender(ctx: JobContext) -> JobSummary:
    """Retrains the recommender when due: no stored model, the newest older than
    REELGRAPH_RECS_REFRESH_SECONDS, or REELGRAPH_RECS_RETRAIN_AFTER new ratings and interactions;
    `force: true` retrains regardless. Every replica swaps to the stored version within its poll.

    Running it twice does no harm: the second run finds the new version up to date.
    """
    return await ctx.services.recommendations.retrain(force=bool(ctx.params.get("force", False)))
