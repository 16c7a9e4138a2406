"""Who is asking: the viewer behind a Bearer access token, resolved once per request."""

from __future__ import annotations

import time
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reelgraph.auth.tokens import AccessClaims, InvalidToken, TokenCodec
from reelgraph.errors import Unauthenticated
from reelgraph.persistence import users as repo
from reelgraph.persistence.models import UserRow


@dataclass(frozen=True)
class Viewer:
    user: UserRow
    roles: frozenset[str]
    session_id: str  # the login session the access token belongs to

    @property
    def id(self) -> int:
        assert self.user.id is not None
        return self.user.id

    def has_role(self, role: str) -> bool:
        return role in self.roles

    def is_owner_or_admin(self, user_id: int) -> bool:
        """The one rule for a user's private data: the user themself, or an admin."""
        return self.id == user_id or self.has_role("ADMIN")


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("The Authorization header must be 'Bearer <access token>'.")
    return token.strip()


# Tokens already verified, per codec (its secret and algorithm): a client sends the same access
# token on every request, and checking its signature and claims again each time was a tenth of a
# signed-in request. Only good tokens are kept, each until its own expiry; the session behind it
# is still read on every request.
MAX_DECODED_TOKENS = 10_000
_decoded: weakref.WeakKeyDictionary[TokenCodec, dict[str, AccessClaims]] = weakref.WeakKeyDictionary()


def decode_access_token(codec: TokenCodec, token: str) -> AccessClaims:
    """codec.decode(token), remembered while the token is unexpired; raises InvalidToken."""
    known = _decoded.get(codec)
    if known is None:
        known = _decoded[codec] = {}
    claims = known.get(token)
    if claims is not None:
        if time.time() < claims.expires_at.timestamp():  # PyJWT's own rule (no leeway)
            return claims
        del known[token]
    claims = codec.decode(token)
    if len(known) >= MAX_DECODED_TOKENS:
        known.clear()
    known[token] = claims
    return claims


# Runs in the viewer's session once the viewer is good (the request's loaders read their first
# data there: one session, one transaction for both).
# (session, user id, the user's library version): what else the request reads in that session.
AlsoRead = Callable[[AsyncSession, int, int], Awaitable[None]]


async def resolve_viewer(
    authorization: str | None,
    codec: TokenCodec,
    sessions: async_sessionmaker[AsyncSession],
    also: AlsoRead | None = None,
) -> Viewer | None:
    """None when anonymous; raises Unauthenticated for a token that is present but not good."""
    token = bearer_token(authorization)
    if token is None:
        return None
    try:
        claims = decode_access_token(codec, token)
    except InvalidToken as exc:
        raise Unauthenticated("Invalid or expired access token.") from exc
    async with sessions() as session:
        # Read on every request, never cached: a revoked session is refused at once, on every replica.
        # One statement: the session, its account and the account's roles.
        found = await repo.login_session_with_user_and_roles(session, claims.session_id)
        if found is None:
            raise Unauthenticated("This session has ended or the account no longer exists.")
        login_session, user, roles = found
        # The session names its account: no token can act for another one, whatever the ids.
        if login_session.user_id != claims.user_id:
            raise Unauthenticated("Invalid or expired access token.")
        if login_session.revoked_at is not None:
            raise Unauthenticated("This session was signed out.")
        if also is not None:
            await also(session, claims.user_id, user.library_version)
    return Viewer(user=user, roles=frozenset(roles), session_id=login_session.id)
