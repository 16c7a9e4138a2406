"""Who may resolve a field, declared on it (Strawberry permission classes), never checked by hand.

Anonymous callers get UNAUTHENTICATED; signed-in ones without the right get FORBIDDEN.
"""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission

from reelgraph.errors import ErrorCode
from reelgraph.schema.context import Info


class IsAuthenticated(BasePermission):
    message = "Sign in to do this."
    error_extensions = {"code": ErrorCode.UNAUTHENTICATED.value}

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        # A present but bad token raises UNAUTHENTICATED with its own reason.
        return await info.context.viewer() is not None


class _HasRole(BasePermission):
    role = "ADMIN"
    message = "You do not have permission to do this."
    error_extensions = {"code": ErrorCode.FORBIDDEN.value}

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        viewer = await info.context.signed_in_viewer()
        return viewer.has_role(self.role)


class IsAdmin(_HasRole):
    role = "ADMIN"
    message = "Only admins can do this."


class IsOwnerOrAdmin(BasePermission):
    """On fields of User: the user themself or an admin (the source is the User)."""

    message = "Only the user themself and admins can see this."
    error_extensions = {"code": ErrorCode.FORBIDDEN.value}

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        viewer = await info.context.signed_in_viewer()
        return viewer.is_owner_or_admin(source.user_id)
