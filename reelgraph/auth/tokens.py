"""JWT access tokens (PyJWT) and opaque refresh / reset tokens (stored only as SHA-256 hashes)."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

ISSUER = "reelgraph"


@dataclass(frozen=True)
class AccessClaims:
    user_id: int
    jti: str
    issued_at: datetime
    expires_at: datetime


class InvalidToken(Exception):
    """The token is missing, malformed, forged, of the wrong algorithm or expired."""


class TokenCodec:
    def __init__(self, secret: str, algorithm: str, ttl_seconds: int) -> None:
        self._secret = secret
        self._algorithm = algorithm
        self.ttl_seconds = ttl_seconds

    def issue(self, user_id: int) -> str:
        now = datetime.now(UTC)
        claims = {
            "sub": str(user_id),
            # Fractional iat (allowed by RFC 7519) so "sign out everywhere" cuts at the exact instant.
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
                options={"require": ["exp", "iat", "sub", "jti"]},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from exc
        if claims.get("typ") != "access" or not str(claims["sub"]).isdigit():
            raise InvalidToken("not an access token")
        return AccessClaims(
            user_id=int(claims["sub"]),
            jti=claims["jti"],
            issued_at=datetime.fromtimestamp(claims["iat"], UTC),
            expires_at=datetime.fromtimestamp(claims["exp"], UTC),
        )


def new_opaque_token() -> str:
    return secrets.token_urlsafe(32)


def hash_opaque_token(token: str) -> str:
    # These tokens are 256 random bits, so a fast hash is enough; a DB leak yields no usable token.
    return hashlib.sha256(token.encode()).hexdigest()
