"""cleanup: deletes what has expired, hourly: login sessions and refresh tokens no longer usable,
used or expired password-reset tokens, and chat sessions idle for 30 days. Idempotent: a second
run finds nothing left to delete.

Pagination needs nothing here: cursors are signed and stateless, nothing is stored for them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from reelgraph.config import Settings
from reelgraph.jobs.registry import JobContext, JobSummary, job
from reelgraph.persistence import chat, users
from reelgraph.persistence.engine import write_transaction


def _interval(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.cleanup_seconds)


@job("cleanup", every=_interval, timeout=timedelta(minutes=5))
async def cleanup(ctx: JobContext) -> JobSummary:
    """Deletes expired credentials and chat sessions idle past their age limit."""
    settings = ctx.services.settings
    now = datetime.now(UTC)
    # An access token names its login session and lives this long: a session goes only once
    # none of its access tokens can still be presented.
    grace = timedelta(seconds=settings.access_token_ttl_seconds)
    async with write_transaction(ctx.services.sessions) as session:
        removed = await users.delete_expired_credentials(session, now, grace)
    async with write_transaction(ctx.services.sessions) as session:
        max_age = timedelta(days=settings.chat_session_max_age_days)
        removed["chat_sessions"] = await chat.delete_idle_sessions(session, now - max_age)
    return removed
