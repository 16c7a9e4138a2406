"""Account and admin entry points of the schema."""

from __future__ import annotations

import strawberry

from reelgraph.resolvers import accounts, admin
from reelgraph.schema.permissions import IsAdmin
from reelgraph.schema.types.payloads import AuthPayload, OkPayload, UserPayload
from reelgraph.schema.types.user import UserConnection, UserType


@strawberry.type
class AccountQuery:
    viewer: UserType | None = strawberry.field(
        resolver=accounts.viewer, description="The signed-in user; null when anonymous."
    )
    users: UserConnection = strawberry.field(
        resolver=admin.users, permission_classes=[IsAdmin], description="ADMIN only."
    )


@strawberry.type
class AccountMutation:
    register: AuthPayload = strawberry.mutation(resolver=accounts.register)
    login: AuthPayload = strawberry.mutation(resolver=accounts.login)
    refresh_token: AuthPayload = strawberry.mutation(
        resolver=accounts.refresh_token, description="Rotates: the old refresh token stops working."
    )
    logout: OkPayload = strawberry.mutation(
        resolver=accounts.logout,
        description="Revokes the given refresh token, or every session of the viewer when allSessions is true.",
    )
    request_password_reset: OkPayload = strawberry.mutation(
        resolver=accounts.request_password_reset, description="Always ok, whether or not the email exists."
    )
    reset_password: OkPayload = strawberry.mutation(resolver=accounts.reset_password)
    change_password: OkPayload = strawberry.mutation(resolver=accounts.change_password)
    update_profile: UserPayload = strawberry.mutation(resolver=accounts.update_profile)
    assign_role: UserPayload = strawberry.mutation(
        resolver=admin.assign_role, permission_classes=[IsAdmin], description="ADMIN only."
    )
    revoke_role: UserPayload = strawberry.mutation(
        resolver=admin.revoke_role, permission_classes=[IsAdmin], description="ADMIN only."
    )
    delete_user: OkPayload = strawberry.mutation(
        resolver=admin.delete_user, permission_classes=[IsAdmin], description="ADMIN only."
    )
