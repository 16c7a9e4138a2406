"""Inputs and payloads of the account and admin mutations."""

from __future__ import annotations

from datetime import date

import strawberry

from reelgraph.schema.errors import UserError
from reelgraph.schema.types.user import UserType


@strawberry.input
class RegisterInput:
    email: str
    password: str
    name: str
    locale: str | None = None


@strawberry.input
class LoginInput:
    email: str
    password: str


@strawberry.input
class UpdateProfileInput:
    name: str | None = strawberry.UNSET
    locale: str | None = strawberry.UNSET
    region: str | None = strawberry.UNSET
    date_of_birth: date | None = strawberry.UNSET


@strawberry.type
class AuthPayload:
    access_token: str | None = None
    refresh_token: str | None = None
    expires_in: int | None = strawberry.field(
        default=None, description="Seconds until the access token expires."
    )
    user: UserType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class OkPayload:
    ok: bool
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class UserPayload:
    user: UserType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
