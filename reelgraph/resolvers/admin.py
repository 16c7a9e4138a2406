"""Admin resolvers (the permission check is declared on the fields in the schema)."""

from __future__ import annotations

import strawberry
from strawberry import relay
from strawberry.types import Info

from reelgraph.errors import BadUserInput, UserErrors
from reelgraph.schema.errors import UserError
from reelgraph.schema.pagination import check_first, decode_cursor, encode_cursor
from reelgraph.schema.types.payloads import OkPayload, UserPayload
from reelgraph.schema.types.user import Role, UserConnection, UserType

_CURSOR = "user"


def user_pk(global_id: relay.GlobalID | str, argument: str = "userId") -> int:
    """The database id inside a User global id; BAD_USER_INPUT for anything else."""
    try:
        parsed = global_id if isinstance(global_id, relay.GlobalID) else relay.GlobalID.from_id(global_id)
    except Exception as exc:  # GlobalIDValueError and decoding errors alike
        raise BadUserInput(f"'{argument}' is not a valid id.", field=argument) from exc
    if parsed.type_name != "User" or not parsed.node_id.isdigit():
        raise BadUserInput(f"'{argument}' is not a user id.", field=argument)
    return int(parsed.node_id)


async def users(
    info: Info, first: int | None = 20, after: str | None = None, search: str | None = None
) -> UserConnection:
    limit = check_first(20 if first is None else first)
    after_id = decode_cursor(after, _CURSOR)
    rows, total = await info.context.services.admin.users(search, after_id, limit + 1)
    pairs = [(encode_cursor(_CURSOR, row.id or 0), UserType.from_row(row)) for row in rows[:limit]]
    return UserConnection.of(
        pairs, has_next=len(rows) > limit, has_previous=after_id is not None, total=total
    )


async def assign_role(info: Info, user_id: strawberry.ID, role: Role) -> UserPayload:
    pk = user_pk(user_id)
    try:
        row = await info.context.services.admin.assign_role(pk, role.value)
    except UserErrors as errors:
        return UserPayload(errors=UserError.from_errors(errors))
    info.context.loaders.roles.clear_all()  # the payload must show the roles after the change
    return UserPayload(user=UserType.from_row(row))


async def revoke_role(info: Info, user_id: strawberry.ID, role: Role) -> UserPayload:
    pk = user_pk(user_id)
    try:
        row = await info.context.services.admin.revoke_role(pk, role.value)
    except UserErrors as errors:
        return UserPayload(errors=UserError.from_errors(errors))
    info.context.loaders.roles.clear_all()  # the payload must show the roles after the change
    return UserPayload(user=UserType.from_row(row))


async def delete_user(info: Info, user_id: strawberry.ID) -> OkPayload:
    try:
        await info.context.services.admin.delete_user(user_pk(user_id))
    except UserErrors as errors:
        return OkPayload(ok=False, errors=UserError.from_errors(errors))
    return OkPayload(ok=True)
