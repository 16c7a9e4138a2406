"""export-analytics: the admin figures as CSV and JSON files, downloadable by admins for a while."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from reelgraph.config import Settings
from reelgraph.jobs.registry import JobContext, JobSummary, job
from reelgraph.services.analytics import DEFAULT_DAYS, MAX_FIRST, AnalyticsService

KIND = "analytics-export"  # the downloads' kind: Query.analyticsExport links the newest one
CONTENT_TYPE = "application/zip"


def _interval(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.analytics_export_seconds)


async def analytics_figures(analytics: AnalyticsService, days: int = DEFAULT_DAYS) -> dict[str, Any]:
    """What the admin `analytics` query shows, as plain JSON-able data."""
    new_users = await analytics.new_users(days)
    active = await analytics.daily_active_users(days)
    return {
        "generatedAt": datetime.now(UTC).isoformat(),
        "days": days,
        "userCount": await analytics.user_count(),
        "daily": [
            {"date": new.day.isoformat(), "newUsers": new.count, "activeUsers": act.count}
            for new, act in zip(new_users, active, strict=True)
        ],
        "mostWatched": [
            {"tmdbId": t.tmdb_id, "count": t.count} for t in await analytics.most_watched(MAX_FIRST, days)
        ],
        "mostRated": [{"tmdbId": t.tmdb_id, "count": t.count} for t in await analytics.most_rated(MAX_FIRST)],
    }


def _csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def export_archive(figures: dict[str, Any]) -> bytes:
    """One zip: analytics.json (everything) and one CSV per table, for spreadsheets."""
    files = {
        "analytics.json": json.dumps(figures, indent=2),
        "daily.csv": _csv(
            ("date", "new_users", "active_users"),
            ((d["date"], d["newUsers"], d["activeUsers"]) for d in figures["daily"]),
        ),
        "most_watched.csv": _csv(
            ("tmdb_id", "watch_events"), ((m["tmdbId"], m["count"]) for m in figures["mostWatched"])
        ),
        "most_rated.csv": _csv(
            ("tmdb_id", "ratings"), ((m["tmdbId"], m["count"]) for m in figures["mostRated"])
        ),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


@job("export-analytics", every=_interval)
async def export_analytics(ctx: JobContext) -> JobSummary:
    """Exports the admin analytics (daily new and active users, most watched and most rated) as
    CSV and JSON files in one zip, downloadable by admins for REELGRAPH_ANALYTICS_EXPORT_TTL_SECONDS
    through `analyticsExport`. Expired exports are deleted on the way.
    """
    services = ctx.services
    figures = await analytics_figures(services.analytics)
    content = export_archive(figures)
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    row = await services.downloads.create(
        owner_id=None,  # the server's own: any admin may download it
        kind=KIND,
        filename=f"reelgraph-analytics-{day}.zip",
        content_type=CONTENT_TYPE,
        content=content,
        ttl=timedelta(seconds=services.settings.analytics_export_ttl_seconds),
    )
    removed = await services.downloads.delete_expired()
    return {
        "download": row.id,
        "bytes": len(content),
        "expiresAt": row.expires_at.isoformat(),
        "expiredRemoved": removed,
    }
