"""Query.viewer; Mutation.register, login, refreshToken, logout, requestPasswordReset,
resetPassword, changePassword, updateProfile, deleteAccount."""

from __future__ import annotations

from dataclasses import replace
from typing import TypeVar

import strawberry

from reelgraph.errors import UserErrors
from reelgraph.schema.accounts.types import (
    AuthPayload,
    LoginInput,
    RegisterInput,
    UpdateProfileInput,
    User,
    UserPayload,
)
from reelgraph.schema.context import Info
from reelgraph.schema.errors import OkPayload, user_errors
from reelgraph.services.accounts import Session

T = TypeVar("T")


def _signed_in(session: Session) -> AuthPayload:
    return AuthPayload(
        access_token=session.access_token,
        refresh_token=session.refresh_token,
        expires_in=session.expires_in,
        user=User.from_row(session.user, is_owner=True),
    )


async def viewer(info: Info) -> User | None:
    found = await info.context.viewer()
    return User.from_row(found.user) if found else None


@user_errors(AuthPayload)
async def register(info: Info, input: RegisterInput) -> AuthPayload:
    accounts = info.context.services.accounts
    return _signed_in(await accounts.register(input.email, input.password, input.name, input.locale))


@user_errors(AuthPayload)
async def login(info: Info, input: LoginInput) -> AuthPayload:
    accounts = info.context.services.accounts
    return _signed_in(await accounts.login(input.email, input.password, info.context.client_ip))


@user_errors(AuthPayload)
async def refresh_token(info: Info, refresh_token: str) -> AuthPayload:
    return _signed_in(await info.context.services.accounts.refresh(refresh_token))


@user_errors(OkPayload)
async def logout(
    info: Info, refresh_token: str | None = None, all_sessions: bool | None = False
) -> OkPayload:
    # A refresh token alone is enough to end its own session; "everywhere" needs the viewer.
    viewer = await info.context.viewer()
    await info.context.services.accounts.logout(
        viewer.id if viewer else None, refresh_token, bool(all_sessions)
    )
    return OkPayload(ok=True)


async def request_password_reset(info: Info, email: str) -> OkPayload:
    await info.context.services.accounts.request_password_reset(email)
    return OkPayload(ok=True)


@user_errors(OkPayload)
async def reset_password(info: Info, token: str, new_password: str) -> OkPayload:
    await info.context.services.accounts.reset_password(token, new_password)
    return OkPayload(ok=True)


@user_errors(OkPayload)
async def change_password(info: Info, current_password: str, new_password: str) -> OkPayload:
    viewer = await info.context.signed_in_viewer()
    await info.context.services.accounts.change_password(
        viewer.id, current_password, new_password, keep_session=viewer.session_id
    )
    return OkPayload(ok=True)


@user_errors(OkPayload)
async def delete_account(info: Info, password: str) -> OkPayload:
    viewer = await info.context.signed_in_viewer()
    services = info.context.services
    await services.accounts.confirm_password(viewer.id, password, info.context.client_ip)
    # The admin's deletion: every row of the user goes with it (foreign keys cascade), login
    # sessions included, so every token of theirs stops working at once.
    try:
        await services.admin.delete_user(viewer.id)
    except UserErrors as errors:  # LAST_ADMIN: not about an argument of this mutation
        raise UserErrors(*(replace(problem, field=None) for problem in errors.problems)) from errors
    return OkPayload(ok=True)


def _given(value: T | None) -> T | None:
    """An input field's value, or None when the client left it out."""
    return None if value is strawberry.UNSET else value


@user_errors(UserPayload)
async def update_profile(info: Info, input: UpdateProfileInput) -> UserPayload:
    viewer = await info.context.signed_in_viewer()
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
    return UserPayload(user=User.from_row(user))
