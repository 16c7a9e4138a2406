"""Query.analytics: the admin dashboard; Query.analyticsExport: a link to the latest export
(the permissions are declared on the fields)."""

from __future__ import annotations

from reelgraph.errors import ErrorCode
from reelgraph.jobs.bodies.export_analytics import KIND as EXPORT_KIND
from reelgraph.schema.analytics.types import Analytics, ExportPayload
from reelgraph.schema.context import Info
from reelgraph.schema.errors import UserError


def analytics(info: Info) -> Analytics:
    # The service only wraps the shared session factory: making one per request is free.
    return Analytics(_service=info.context.services.analytics)


async def analytics_export(info: Info) -> ExportPayload:
    viewer = await info.context.signed_in_viewer()
    services = info.context.services
    link = await services.downloads.latest_link(EXPORT_KIND, viewer)
    if link is None:
        message = "No analytics export is available yet: the export-analytics job makes one."
        return ExportPayload(
            url=None,
            expires_at=None,
            errors=[UserError(field=None, message=message, code=str(ErrorCode.NOT_FOUND))],
        )
    # An absolute link: it is meant to be followed as is, from wherever the API was called.
    return ExportPayload(
        url=services.settings.public_url.rstrip("/") + link.path, expires_at=link.expires_at, errors=[]
    )
