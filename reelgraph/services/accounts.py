"""Accounts: registration, sign-in, refresh-token rotation, sign-out, passwords and profiles.

Every public method is one transaction: a UserErrors raised inside rolls everything back.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reelgraph.auth.passwords import burn_verify_time, hash_password, needs_rehash, verify_password
from reelgraph.auth.tokens import TokenCodec, hash_opaque_token, new_opaque_token, new_session_id
from reelgraph.config import Settings
from reelgraph.errors import FieldProblem, Unauthenticated, UserErrorCode, UserErrors
from reelgraph.mail import Mail, Mailer
from reelgraph.persistence import users as repo
from reelgraph.persistence.engine import write_transaction
from reelgraph.persistence.models import LoginSessionRow, PasswordResetTokenRow, RefreshTokenRow, UserRow
from reelgraph.persistence.rollups import Tally
from reelgraph.services import validation
from reelgraph.throttling.login_failures import LoginThrottle

log = logging.getLogger("reelgraph.accounts")


@dataclass(frozen=True)
class Session:
    access_token: str
    refresh_token: str
    expires_in: int
    user: UserRow


def _now() -> datetime:
    return datetime.now(UTC)


def _raise_if(*problems: FieldProblem | None) -> None:
    found = [problem for problem in problems if problem is not None]
    if found:
        raise UserErrors(*found)


class AccountService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        codec: TokenCodec,
        settings: Settings,
        mailer: Mailer,
        throttle: LoginThrottle,
    ) -> None:
        self._sessions = sessions
        self._codec = codec
        self._settings = settings
        self._mailer = mailer
        self._throttle = throttle

    async def register(self, email: str, password: str, name: str, locale: str | None) -> Session:
        normalised, email_problem = validation.normalise_email(email, "input", "email")
        _raise_if(
            email_problem,
            validation.check_password(password, "input", "password"),
            validation.check_name(name, "input", "name"),
            validation.check_locale(locale, "input", "locale") if locale is not None else None,
        )
        assert normalised is not None
        password_hash = await hash_password(password)
        taken = UserErrors.one(
            UserErrorCode.EMAIL_TAKEN, "An account with this email already exists.", "input", "email"
        )
        try:
            async with write_transaction(self._sessions) as session:
                if await repo.get_user_by_email(session, normalised) is not None:
                    raise taken
                user = UserRow(
                    email=normalised, name=name.strip(), password_hash=password_hash, locale=locale or "en-US"
                )
                session.add(user)
                await session.flush()
                assert user.id is not None
                await repo.grant_role(session, user.id, "USER")
                tally = Tally()
                tally.user_created(user.created_at)
                await tally.apply(session)
                return await self._open_session(session, user)
        except IntegrityError as exc:  # a concurrent registration won the unique index
            raise taken from exc

    async def login(self, email: str, password: str, client_ip: str) -> Session:
        key = email.strip().lower()
        await self._throttle.check(key, client_ip)
        async with write_transaction(self._sessions) as session:
            user = await repo.get_user_by_email(session, key)
            if user is None:
                await burn_verify_time(password)  # same cost as a real check: no account probing
            if user is None or not await verify_password(user.password_hash, password):
                await self._throttle.record_failure(key, client_ip)
                raise UserErrors.one(UserErrorCode.INVALID_CREDENTIALS, "Wrong email or password.")
            if needs_rehash(user.password_hash):
                user.password_hash = await hash_password(password)
            await self._throttle.record_success(key, client_ip)
            return await self._open_session(session, user)

    async def refresh(self, refresh_token: str) -> Session:
        invalid = UserErrors.one(
            UserErrorCode.INVALID_REFRESH_TOKEN,
            "This refresh token is invalid, expired or revoked.",
            "refreshToken",
        )
        now = _now()
        async with write_transaction(self._sessions) as session:
            stored = await repo.find_refresh_token(session, hash_opaque_token(refresh_token))
            if stored is None or stored.revoked_at is not None or stored.expires_at <= now:
                raise invalid
            if stored.rotated_at is None:
                user = await repo.get_user(session, stored.user_id)
                login_session = await repo.find_login_session(session, stored.family_id)
                if user is None or login_session is None or login_session.revoked_at is not None:
                    raise invalid
                stored.rotated_at = now
                return await self._open_session(session, user, login_session.id)
            # A rotated token came back: it was stolen or replayed. End that whole login session,
            # its access tokens included, committing the revocation before answering.
            log.warning("refresh token reuse detected; revoking session %s", stored.family_id)
            await repo.revoke_login_session(session, stored.family_id, now)
        raise invalid

    async def logout(self, viewer_id: int | None, refresh_token: str | None, all_sessions: bool) -> None:
        now = _now()
        async with write_transaction(self._sessions) as session:
            if all_sessions:
                if viewer_id is None:
                    raise Unauthenticated("Sign in to end all sessions.")
                await repo.revoke_all_login_sessions(session, viewer_id, now)
                return
            if refresh_token is None:
                raise UserErrors.one(
                    UserErrorCode.REFRESH_TOKEN_REQUIRED,
                    "Give the refresh token to revoke, or allSessions: true.",
                    "refreshToken",
                )
            stored = await repo.find_refresh_token(session, hash_opaque_token(refresh_token))
            if stored is None or (viewer_id is not None and stored.user_id != viewer_id):
                raise UserErrors.one(
                    UserErrorCode.INVALID_REFRESH_TOKEN, "Unknown refresh token.", "refreshToken"
                )
            await repo.revoke_login_session(session, stored.family_id, now)

    async def request_password_reset(self, email: str) -> None:
        normalised, problem = validation.normalise_email(email, "email")
        if problem is not None or normalised is None:
            return  # always ok: the answer must not tell whether an account exists
        token = new_opaque_token()
        async with write_transaction(self._sessions) as session:
            user = await repo.get_user_by_email(session, normalised)
            if user is None:
                return
            assert user.id is not None
            session.add(
                PasswordResetTokenRow(
                    user_id=user.id,
                    token_hash=hash_opaque_token(token),
                    expires_at=_now() + timedelta(minutes=self._settings.password_reset_ttl_minutes),
                )
            )
        link = f"{self._settings.public_url}/reset-password?token={token}"
        try:
            await self._mailer.send(
                Mail(
                    to=normalised,
                    subject="Reset your reelgraph password",
                    body=f"Use this link within {self._settings.password_reset_ttl_minutes} minutes:\n{link}\n",
                )
            )
        except Exception:  # the mail server being down must not reveal anything to the caller
            log.exception("could not send the password-reset mail")

    async def reset_password(self, token: str, new_password: str) -> None:
        _raise_if(validation.check_password(new_password, "newPassword"))
        now = _now()
        new_hash = await hash_password(new_password)
        async with write_transaction(self._sessions) as session:
            stored = await repo.find_reset_token(session, hash_opaque_token(token))
            if stored is None or stored.used_at is not None or stored.expires_at <= now:
                raise UserErrors.one(
                    UserErrorCode.INVALID_RESET_TOKEN, "This reset link is invalid or expired.", "token"
                )
            user = await repo.get_user(session, stored.user_id)
            if user is None:
                raise UserErrors.one(
                    UserErrorCode.INVALID_RESET_TOKEN, "This reset link is invalid or expired.", "token"
                )
            stored.used_at = now
            user.password_hash = new_hash
            assert user.id is not None
            # A reset means the old password may be known: sign out everywhere.
            await repo.revoke_all_login_sessions(session, user.id, now)
        # The owner proved control of the mailbox: whatever guessing happened, they sign in at once.
        await self._throttle.forget_account(user.email)

    async def change_password(
        self, user_id: int, current_password: str, new_password: str, *, keep_session: str
    ) -> None:
        _raise_if(validation.check_password(new_password, "newPassword"))
        async with write_transaction(self._sessions) as session:
            user = await repo.get_user(session, user_id)
            if user is None:
                raise Unauthenticated("Your account no longer exists.")
            if not await verify_password(user.password_hash, current_password):
                raise UserErrors.one(
                    UserErrorCode.INVALID_CREDENTIALS, "Current password is wrong.", "currentPassword"
                )
            if current_password == new_password:
                raise UserErrors.one(
                    UserErrorCode.SAME_PASSWORD,
                    "The new password must differ from the current one.",
                    "newPassword",
                )
            user.password_hash = await hash_password(new_password)
            # Every other session ends at once (whoever else knew the old password is out); the one
            # that proved it knows the password carries on.
            await repo.revoke_all_login_sessions(session, user_id, _now(), keep=keep_session)

    async def confirm_password(self, user_id: int, password: str, client_ip: str) -> None:
        """INVALID_CREDENTIALS unless ``password`` is the user's (before deleting the account):
        throttled as sign-ins are, so a stolen access token cannot be used to guess it."""
        async with self._sessions() as session:
            user = await repo.get_user(session, user_id)
        if user is None:
            raise Unauthenticated("Your account no longer exists.")
        await self._throttle.check(user.email, client_ip)
        if not await verify_password(user.password_hash, password):
            await self._throttle.record_failure(user.email, client_ip)
            raise UserErrors.one(UserErrorCode.INVALID_CREDENTIALS, "The password is wrong.", "password")

    async def update_profile(
        self,
        user_id: int,
        *,
        name: str | None,
        locale: str | None,
        region: str | None,
        date_of_birth: date | None,
        clear_region: bool = False,
        clear_date_of_birth: bool = False,
    ) -> UserRow:
        _raise_if(
            validation.check_name(name, "input", "name") if name is not None else None,
            validation.check_locale(locale, "input", "locale") if locale is not None else None,
            validation.check_region(region, "input", "region") if region is not None else None,
            validation.check_date_of_birth(date_of_birth, _now().date(), "input", "dateOfBirth")
            if date_of_birth is not None
            else None,
        )
        async with write_transaction(self._sessions) as session:
            user = await repo.get_user(session, user_id)
            if user is None:
                raise Unauthenticated("Your account no longer exists.")
            if name is not None:
                user.name = name.strip()
            if locale is not None:
                user.locale = locale
            if region is not None or clear_region:
                user.region = region
            if date_of_birth is not None or clear_date_of_birth:
                user.date_of_birth = date_of_birth
            user.updated_at = _now()
            return user

    async def _open_session(
        self, session: AsyncSession, user: UserRow, login_session_id: str | None = None
    ) -> Session:
        """New tokens for a new login session, or for an existing one when a refresh token rotates."""
        assert user.id is not None
        if login_session_id is None:
            login_session_id = new_session_id()
            session.add(LoginSessionRow(id=login_session_id, user_id=user.id))
        refresh = new_opaque_token()
        session.add(
            RefreshTokenRow(
                user_id=user.id,
                token_hash=hash_opaque_token(refresh),
                family_id=login_session_id,
                expires_at=_now() + timedelta(days=self._settings.refresh_token_ttl_days),
            )
        )
        await session.flush()
        return Session(
            access_token=self._codec.issue(user.id, login_session_id),
            refresh_token=refresh,
            expires_in=self._codec.ttl_seconds,
            user=user,
        )
