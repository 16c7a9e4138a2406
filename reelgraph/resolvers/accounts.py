"""Account resolvers: thin adapters from GraphQL arguments to AccountService calls."""

from __future__ import annotations

from typing import TypeVar

import strawberry
from strawberry.types import Info

from reelgraph.errors import UserErrors
from reelgraph.schema.errors import UserError
from reelgraph.schema.types.payloads import (
    AuthPayload,
    LoginInput,
    OkPayload,
    RegisterInput,
    UpdateProfileInput,
    UserPayload,
)
from reelgraph.schema.types.user import UserType
from reelgraph.services.accounts import Session

T = TypeVar("T")


def _auth_payload(session: Session) -> AuthPayload:
    return AuthPayload(
        access_token=session.access_token,
        refresh_token=session.refresh_token,
        expires_in=session.expires_in,
        user=UserType.from_row(session.user, is_owner=True),
    )


async def viewer(info: Info) -> UserType | None:
    found = await info.context.viewer()
    return UserType.from_row(found.user) if found else None


async def register(info: Info, input: RegisterInput) -> AuthPayload:
    try:
        session = await info.context.services.accounts.register(
            input.email, input.password, input.name, input.locale
        )
    except UserErrors as errors:
        return AuthPayload(errors=UserError.from_errors(errors))
    return _auth_payload(session)


async def login(info: Info, input: LoginInput) -> AuthPayload:
    try:
        session = await info.context.services.accounts.login(
            input.email, input.password, info.context.client_ip
        )
    except UserErrors as errors:
        return AuthPayload(errors=UserError.from_errors(errors))
    return _auth_payload(session)


async def refresh_token(info: Info, refresh_token: str) -> AuthPayload:
    try:
        session = await info.context.services.accounts.refresh(refresh_token)
    except UserErrors as errors:
        return AuthPayload(errors=UserError.from_errors(errors))
    return _auth_payload(session)


async def logout(
    info: Info, refresh_token: str | None = None, all_sessions: bool | None = False
) -> OkPayload:
    # A refresh token alone is enough to end its own session; "everywhere" needs the viewer.
    viewer = await info.context.viewer()
    try:
        await info.context.services.accounts.logout(
            viewer.id if viewer else None, refresh_token, all_sessions
        )
    except UserErrors as errors:
        return OkPayload(ok=False, errors=UserError.from_errors(errors))
    return OkPayload(ok=True)


async def request_password_reset(info: Info, email: str) -> OkPayload:
    await info.context.services.accounts.request_password_reset(email)
    return OkPayload(ok=True)


async def reset_password(info: Info, token: str, new_password: str) -> OkPayload:
    try:
        await info.context.services.accounts.reset_password(token, new_password)
    except UserErrors as errors:
        return OkPayload(ok=False, errors=UserError.from_errors(errors))
    return OkPayload(ok=True)


async def change_password(info: Info, current_password: str, new_password: str) -> OkPayload:
    viewer = await info.context.require_viewer()
    try:
        await info.context.services.accounts.change_password(viewer.id, current_password, new_password)
    except UserErrors as errors:
        return OkPayload(ok=False, errors=UserError.from_errors(errors))
    return OkPayload(ok=True)


def _given(value: T | None) -> T | None:
    """An input field's value, or None when the client left it out."""
    return None if value is strawberry.UNSET else value


async def update_profile(info: Info, input: UpdateProfileInput) -> UserPayload:
    viewer = await info.context.require_viewer()
    try:
        user = await info.context.services.accounts.update_profile(
            viewer.id,
            name=_given(input.name),
            locale=_given(input.locale),
            region=_given(input.region),
            date_of_birth=_given(input.date_of_birth),
            # An explicit null clears the optional fields; leaving them out keeps them.
            clear_region=input.region is None,
            clear_date_of_birth=input.date_of_birth is None,
        )
    except UserErrors as errors:
        return UserPayload(errors=UserError.from_errors(errors))
    return UserPayload(user=UserType.from_row(user))
