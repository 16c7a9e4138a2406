"""JWT access tokens (PyJWT) and opaque refresh / reset tokens (stored only as SHA-256 hashes)."""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

ISSUER = "reelgraph"
# User ids are positive 64-bit integers, written in ASCII digits (str.isdigit() also accepts "²").
_USER_ID = re.compile(r"[1-9][0-9]{0,18}")
_MAX_USER_ID = 2**63 - 1
# jti and sid are ours (uuid4 hex / str): anything much longer was not issued here.
_MAX_ID_LENGTH = 64


@dataclass(frozen=True)
class AccessClaims:
    user_id: int
    session_id: str
    jti: str
    issued_at: datetime
    expires_at: datetime


class InvalidToken(Exception):
    """The token is missing, malformed, forged, of the wrong algorithm or expired."""


def _user_id(value: Any) -> int:
    if not isinstance(value, str) or not _USER_ID.fullmatch(value) or int(value) > _MAX_USER_ID:
        raise InvalidToken("bad subject")
    return int(value)


def _identifier(value: Any, name: str) -> str:
    # Printable ASCII only: ours are hex; a lone surrogate or a NUL must never reach a query.
    if (
        not isinstance(value, str)
        or not 0 < len(value) <= _MAX_ID_LENGTH
        or not (value.isascii() and value.isprintable())
    ):
        raise InvalidToken(f"bad {name}")
    return value


def _instant(value: Any, name: str) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidToken(f"bad {name}")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError) as exc:  # 1e30, nan: outside what a datetime holds
        raise InvalidToken(f"bad {name}") from exc


class TokenCodec:
    def __init__(self, secret: str, algorithm: str, ttl_seconds: int) -> None:
        self._secret = secret
        self._algorithm = algorithm
        self.ttl_seconds = ttl_seconds

    def issue(self, user_id: int, session_id: str) -> str:
        now = datetime.now(UTC)
        claims = {
            "sub": str(user_id),
            # The login session: signing out, a password change or reset, or deleting the account
            # revokes it, and with it every access token it issued.
            "sid": session_id,
            "iat": now.timestamp(),
            "exp": now + timedelta(seconds=self.ttl_seconds),
            "jti": uuid.uuid4().hex,
            "iss": ISSUER,
            "typ": "access",
        }
        return jwt.encode(claims, self._secret, algorithm=self._algorithm)

    def decode(self, token: str) -> AccessClaims:
        try:
            # A fixed algorithm list is what stops alg=none and algorithm-confusion forgeries.
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[self._algorithm],
                issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "jti", "sid"]},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from exc
        if claims.get("typ") != "access":
            raise InvalidToken("not an access token")
        # Signed with our secret but not shaped like what issue() writes: refused, never a crash.
        return AccessClaims(
            user_id=_user_id(claims["sub"]),
            session_id=_identifier(claims["sid"], "sid"),
            jti=_identifier(claims["jti"], "jti"),
            issued_at=_instant(claims["iat"], "iat"),
            expires_at=_instant(claims["exp"], "exp"),
        )


def new_opaque_token() -> str:
    return secrets.token_urlsafe(32)


def new_session_id() -> str:
    # Random, never a counter: a session id can never come back for another account.
    return str(uuid.uuid4())


def hash_opaque_token(token: str) -> str:
    # These tokens are 256 random bits, so a fast hash is enough; a DB leak yields no usable token.
    return hashlib.sha256(token.encode()).hexdigest()
