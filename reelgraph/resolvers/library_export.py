"""Mutation.exportLibrary: the viewer's library as a download link (IsAuthenticated on the field)."""

from __future__ import annotations

from reelgraph.schema.analytics.types import ExportPayload
from reelgraph.schema.context import Info
from reelgraph.schema.library.exports import ExportFormat
from reelgraph.services.library_export import ExportKind


async def export_library(info: Info, format: ExportFormat) -> ExportPayload:
    viewer = await info.context.signed_in_viewer()
    services = info.context.services
    link = await services.library_export.export(viewer.id, ExportKind(format.name))
    # An absolute link, as analyticsExport's: it is meant to be followed as is.
    return ExportPayload(
        url=services.settings.public_url.rstrip("/") + link.path, expires_at=link.expires_at, errors=[]
    )
