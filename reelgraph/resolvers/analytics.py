"""Query.analytics: the admin dashboard (the permission is declared on the field)."""

from __future__ import annotations

from reelgraph.schema.analytics.types import Analytics
from reelgraph.schema.context import Info


def analytics(info: Info) -> Analytics:
    # The service only wraps the shared session factory: making one per request is free.
    return Analytics(_service=info.context.services.analytics)
