"""Analytics entry point of the schema: Query.analytics, for admins."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from reelgraph.schema.permissions import IsAdmin
from reelgraph.schema.types.analytics import AnalyticsType


def analytics(info: Info) -> AnalyticsType:
    # The service only wraps the shared session factory: making one per request is free.
    return AnalyticsType(_service=info.context.services.analytics)


@strawberry.type
class AnalyticsQuery:
    analytics: AnalyticsType = strawberry.field(
        resolver=analytics, permission_classes=[IsAdmin], description="ADMIN only."
    )
