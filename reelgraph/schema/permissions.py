"""Role checks declared on fields (Strawberry permission classes)."""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission
from strawberry.types import Info

from reelgraph.errors import ErrorCode


class IsAuthenticated(BasePermission):
    message = "Sign in to do this."
    error_extensions = {"code": ErrorCode.UNAUTHENTICATED.value}

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return await info.context.viewer() is not None


class HasRole(BasePermission):
    role = "ADMIN"
    message = "You do not have permission to do this."
    error_extensions = {"code": ErrorCode.FORBIDDEN.value}

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        # Anonymous callers get UNAUTHENTICATED (raised by require_viewer), not FORBIDDEN.
        viewer = await info.context.require_viewer()
        return viewer.has_role(self.role)


class IsAdmin(HasRole):
    role = "ADMIN"
    message = "Only admins can do this."
