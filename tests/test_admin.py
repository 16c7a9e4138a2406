"""Roles and admin-only operations over HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import GraphQLClient, error_codes, register, unique_email

USERS = """
query Users($first: Int, $after: String, $search: String) {
  users(first: $first, after: $after, search: $search) {
    totalCount
    edges { cursor node { id name email roles } }
    nodes { id }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""
ASSIGN = "mutation($u: ID!, $r: Role!) { assignRole(userId: $u, role: $r) { user { id roles } errors { code field } } }"
REVOKE = "mutation($u: ID!, $r: Role!) { revokeRole(userId: $u, role: $r) { user { id roles } errors { code field } } }"
DELETE = "mutation($u: ID!) { deleteUser(userId: $u) { ok errors { code field } } }"


@pytest.fixture
async def admin(gql: GraphQLClient, app: Any) -> dict[str, Any]:
    session = await register(gql, name="Admin")
    from strawberry.relay import GlobalID

    user_id = int(GlobalID.from_id(session["user"]["id"]).node_id)
    await app.state.services.admin.assign_role(user_id, "ADMIN")
    return session


async def test_admin_only_operations_refuse_others(gql: GraphQLClient) -> None:
    user = await register(gql)
    target = user["user"]["id"]
    for query, variables in (
        (USERS, {}),
        (ASSIGN, {"u": target, "r": "ADMIN"}),
        (REVOKE, {"u": target, "r": "USER"}),
        (DELETE, {"u": target}),
    ):
        assert error_codes(await gql(query, variables)) == ["UNAUTHENTICATED"]
        forbidden = await gql(query, variables, token=user["accessToken"])
        assert error_codes(forbidden) == ["FORBIDDEN"]
    # The user could not make themself admin.
    me = await gql("{ viewer { roles } }", token=user["accessToken"])
    assert me["data"]["viewer"]["roles"] == ["USER"]


async def test_users_search_and_pagination(gql: GraphQLClient, admin: dict[str, Any]) -> None:
    tag = unique_email("pager").split("@")[0]
    created = [await register(gql, email=f"{tag}-{i}@example.com", name=f"Pager {i}") for i in range(5)]
    token = admin["accessToken"]
    first = (await gql(USERS, {"first": 2, "search": tag}, token=token))["data"]["users"]
    assert first["totalCount"] == 5
    assert [node["id"] for node in first["nodes"]] == [c["user"]["id"] for c in created[:2]]
    assert first["edges"][0]["node"]["email"] == f"{tag}-0@example.com"  # admins see emails
    assert first["pageInfo"]["hasNextPage"] is True and first["pageInfo"]["hasPreviousPage"] is False
    seen = [node["id"] for node in first["nodes"]]
    after = first["pageInfo"]["endCursor"]
    while after:
        page = (await gql(USERS, {"first": 2, "after": after, "search": tag}, token=token))["data"]["users"]
        seen += [node["id"] for node in page["nodes"]]
        after = page["pageInfo"]["endCursor"] if page["pageInfo"]["hasNextPage"] else None
    assert seen == [c["user"]["id"] for c in created]
    by_name = (await gql(USERS, {"search": "PAGER 3"}, token=token))["data"]["users"]
    assert [node["id"] for node in by_name["nodes"]] == [created[3]["user"]["id"]]


async def test_bad_paging_arguments(gql: GraphQLClient, admin: dict[str, Any]) -> None:
    token = admin["accessToken"]
    too_many = await gql(USERS, {"first": 101}, token=token)
    assert error_codes(too_many) == ["BAD_USER_INPUT"] and "first" in too_many["errors"][0]["message"]
    tampered = await gql(USERS, {"after": "bm90LWEtY3Vyc29y"}, token=token)
    assert error_codes(tampered) == ["BAD_USER_INPUT"]
    assert error_codes(await gql(USERS, {"after": "%%%"}, token=token)) == ["BAD_USER_INPUT"]


async def test_assign_and_revoke_roles(gql: GraphQLClient, admin: dict[str, Any]) -> None:
    user = await register(gql)
    uid = user["user"]["id"]
    token = admin["accessToken"]
    granted = (await gql(ASSIGN, {"u": uid, "r": "MODERATOR"}, token=token))["data"]["assignRole"]
    assert granted == {"user": {"id": uid, "roles": ["USER", "MODERATOR"]}, "errors": []}
    again = (await gql(ASSIGN, {"u": uid, "r": "MODERATOR"}, token=token))["data"]["assignRole"]
    assert again["user"]["roles"] == ["USER", "MODERATOR"]  # idempotent
    me = await gql("{ viewer { roles } }", token=user["accessToken"])
    assert me["data"]["viewer"]["roles"] == ["USER", "MODERATOR"]
    revoked = (await gql(REVOKE, {"u": uid, "r": "MODERATOR"}, token=token))["data"]["revokeRole"]
    assert revoked["user"]["roles"] == ["USER"]
    kept = (await gql(REVOKE, {"u": uid, "r": "USER"}, token=token))["data"]["revokeRole"]
    assert kept["errors"] == [{"code": "ROLE_REQUIRED", "field": ["role"]}]
    # A promoted admin can use admin operations at once.
    await gql(ASSIGN, {"u": uid, "r": "ADMIN"}, token=token)
    assert "errors" not in await gql(USERS, {"first": 1}, token=user["accessToken"])


async def test_bad_ids(gql: GraphQLClient, admin: dict[str, Any]) -> None:
    token = admin["accessToken"]
    assert error_codes(await gql(ASSIGN, {"u": "garbage", "r": "ADMIN"}, token=token)) == ["BAD_USER_INPUT"]
    from strawberry.relay import GlobalID

    missing = str(GlobalID("User", "987654321"))
    payload = (await gql(ASSIGN, {"u": missing, "r": "ADMIN"}, token=token))["data"]["assignRole"]
    assert payload["errors"] == [{"code": "USER_NOT_FOUND", "field": ["userId"]}]
    wrong_type = str(GlobalID("Movie", "603"))
    assert error_codes(await gql(DELETE, {"u": wrong_type}, token=token)) == ["BAD_USER_INPUT"]
    bad_enum = await gql(ASSIGN, {"u": missing, "r": "OWNER"}, token=token)
    assert bad_enum["data"] is None and bad_enum["errors"]


async def test_delete_user_removes_the_account_and_its_sessions(
    gql: GraphQLClient, admin: dict[str, Any]
) -> None:
    email = unique_email()
    user = await register(gql, email=email)
    result = (await gql(DELETE, {"u": user["user"]["id"]}, token=admin["accessToken"]))["data"]["deleteUser"]
    assert result == {"ok": True, "errors": []}
    assert error_codes(await gql("{ viewer { id } }", token=user["accessToken"])) == ["UNAUTHENTICATED"]
    refresh = "mutation($t: String!) { refreshToken(refreshToken: $t) { errors { code } } }"
    assert (await gql(refresh, {"t": user["refreshToken"]}))["data"]["refreshToken"]["errors"][0][
        "code"
    ] == "INVALID_REFRESH_TOKEN"
    login = 'mutation($e: String!) { login(input: {email: $e, password: "correct horse battery"}) { errors { code } } }'
    assert (await gql(login, {"e": email}))["data"]["login"]["errors"][0]["code"] == "INVALID_CREDENTIALS"
    gone = (await gql("query($id: ID!) { node(id: $id) { id } }", {"id": user["user"]["id"]}))["data"]
    assert gone == {"node": None}
    # The address can be used again.
    await register(gql, email=email)


async def test_the_last_admin_cannot_be_removed(gql: GraphQLClient, app: Any) -> None:
    services = app.state.services
    from sqlalchemy import select

    from reelgraph.persistence.models import RoleRow, UserRoleRow

    # Demote every existing admin but one fresh admin, then try to remove that one.
    solo = await register(gql, name="Solo")
    from strawberry.relay import GlobalID

    solo_id = int(GlobalID.from_id(solo["user"]["id"]).node_id)
    await services.admin.assign_role(solo_id, "ADMIN")
    async with services.sessions() as session:
        admin_role = (await session.execute(select(RoleRow.id).where(RoleRow.name == "ADMIN"))).scalar_one()
        admins = (
            (await session.execute(select(UserRoleRow.user_id).where(UserRoleRow.role_id == admin_role)))
            .scalars()
            .all()
        )
    for other in admins:
        if other != solo_id:
            await services.admin.revoke_role(other, "ADMIN")
    token = solo["accessToken"]
    revoke = (await gql(REVOKE, {"u": solo["user"]["id"], "r": "ADMIN"}, token=token))["data"]["revokeRole"]
    assert revoke["errors"] == [{"code": "LAST_ADMIN", "field": ["role"]}]
    delete = (await gql(DELETE, {"u": solo["user"]["id"]}, token=token))["data"]["deleteUser"]
    assert delete["errors"][0]["code"] == "LAST_ADMIN"
    assert (await gql("{ viewer { roles } }", token=token))["data"]["viewer"]["roles"] == ["USER", "ADMIN"]
