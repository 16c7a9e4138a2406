"""Query.users; Mutation.assignRole, revokeRole, deleteUser (admins only, declared on the fields)."""

from __future__ import annotations

import strawberry

from reelgraph.errors import BadUserInput
from reelgraph.schema import ids
from reelgraph.schema.accounts.types import Role, User, UserConnection, UserPayload
from reelgraph.schema.context import Info
from reelgraph.schema.errors import OkPayload, user_errors

MAX_SEARCH_LENGTH = 254


def user_pk(global_id: str, argument: str = "userId") -> int:
    """The database id inside a User global id; BAD_USER_INPUT for anything else."""
    return ids.row_argument(global_id, "User", argument)


async def users(
    info: Info, first: int | None = 20, after: str | None = None, search: str | None = None
) -> UserConnection:
    if search is not None and len(search) > MAX_SEARCH_LENGTH:
        # Names are at most 100 characters, emails 254; SQLite refuses very long LIKE patterns.
        raise BadUserInput(f"search must be at most {MAX_SEARCH_LENGTH} characters.", field="search")
    admin = info.context.services.admin
    connection: UserConnection = await UserConnection.from_rows(
        "user", first, after, lambda position, limit: admin.users(search, position, limit), User.from_row
    )
    return connection


@user_errors(UserPayload)
async def assign_role(info: Info, user_id: strawberry.ID, role: Role) -> UserPayload:
    row = await info.context.services.admin.assign_role(user_pk(user_id), role.value)
    info.context.loaders.roles.clear_all()  # the payload must show the roles after the change
    return UserPayload(user=User.from_row(row))


@user_errors(UserPayload)
async def revoke_role(info: Info, user_id: strawberry.ID, role: Role) -> UserPayload:
    row = await info.context.services.admin.revoke_role(user_pk(user_id), role.value)
    info.context.loaders.roles.clear_all()  # the payload must show the roles after the change
    return UserPayload(user=User.from_row(row))


@user_errors(OkPayload)
async def delete_user(info: Info, user_id: strawberry.ID) -> OkPayload:
    await info.context.services.admin.delete_user(user_pk(user_id))
    return OkPayload(ok=True)
