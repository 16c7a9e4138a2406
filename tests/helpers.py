"""Helpers shared by the HTTP tests."""

from __future__ import annotations

import socket
import uuid
from typing import Any

import httpx


class GraphQLClient:
    """Posts GraphQL to /graphql and returns the decoded JSON body."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def __call__(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None, **headers: str
    ) -> dict[str, Any]:
        if token:
            headers["authorization"] = f"Bearer {token}"
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        body = response.json()
        body["_status"] = response.status_code
        return body


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"


PASSWORD = "correct horse battery"

REGISTER = """
mutation Register($input: RegisterInput!) {
  register(input: $input) {
    accessToken refreshToken expiresIn
    user { id name email locale roles }
    errors { field message code }
  }
}
"""


async def register(
    gql: GraphQLClient, email: str | None = None, password: str = PASSWORD, name: str = "Ann"
) -> dict[str, Any]:
    body = await gql(
        REGISTER, {"input": {"email": email or unique_email(), "password": password, "name": name}}
    )
    payload = body["data"]["register"]
    assert payload["errors"] == [], payload
    return payload


def error_codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]


def free_port() -> int:
    """A free TCP port on loopback, for a server a test or benchmark starts."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
