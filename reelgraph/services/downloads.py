"""Downloads: a file produced for someone (an export), served from a signed link until it expires.

``create`` stores the file; ``link`` signs a token naming the download and the one user it is for
(``/downloads/<token>``, expiring with the file); ``open`` serves it only to that user, signed in,
and only while they may still have it (its owner, or any admin for what the server produced).
Anything else, an expired file included, is "not found": a link says nothing to someone else.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reelgraph.auth.viewer import Viewer
from reelgraph.persistence import downloads as repo
from reelgraph.persistence.models import DownloadRow

PATH_PREFIX = "/downloads/"
_AUDIENCE = "reelgraph-download"
_ALGORITHM = "HS256"


@dataclass(frozen=True)
class Link:
    path: str  # /downloads/<token>
    expires_at: datetime


@dataclass(frozen=True)
class DownloadFile:
    filename: str
    content_type: str
    content: bytes


class DownloadService:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], secret: str) -> None:
        self._sessions = sessions
        # A key of its own, derived from the server secret: a download token is never an access
        # token, nor the other way round.
        self._key = hmac.new(secret.encode(), b"reelgraph downloads", hashlib.sha256).digest()

    async def create(
        self,
        *,
        owner_id: int | None,
        kind: str,
        filename: str,
        content_type: str,
        content: bytes,
        ttl: timedelta,
    ) -> DownloadRow:
        """Stores a file; ``owner_id`` None means any admin may have it (what the server produced)."""
        row = DownloadRow(
            id=str(uuid.uuid4()),
            owner_id=owner_id,
            kind=kind,
            filename=filename,
            content_type=content_type,
            content=content,
            expires_at=datetime.now(UTC) + ttl,
        )
        async with self._sessions() as session:
            await repo.add(session, row)
        return row

    async def latest_link(self, kind: str, viewer: Viewer) -> Link | None:
        """A link for ``viewer`` to the newest unexpired download of ``kind`` they may have."""
        async with self._sessions() as session:
            found = await repo.latest_of_kind(session, kind, datetime.now(UTC))
        if found is None or not _may_have(viewer, found.owner_id):
            return None
        return self.link(found.id, viewer.id, found.expires_at)

    def link(self, download_id: str, user_id: int, expires_at: datetime) -> Link:
        claims = {"dl": download_id, "sub": str(user_id), "aud": _AUDIENCE, "exp": expires_at}
        token = jwt.encode(claims, self._key, algorithm=_ALGORITHM)
        return Link(f"{PATH_PREFIX}{token}", expires_at)

    async def open(self, token: str, viewer: Viewer | None) -> DownloadFile | None:
        """The file behind ``token`` for ``viewer``, or None (bad or expired token, someone else's,
        anonymous, or the file gone)."""
        if viewer is None:
            return None
        try:
            claims = jwt.decode(
                token, self._key, algorithms=[_ALGORITHM], audience=_AUDIENCE, options={"require": ["exp"]}
            )
        except jwt.PyJWTError:
            return None
        if claims.get("sub") != str(viewer.id):
            return None
        async with self._sessions() as session:
            row = await repo.get(session, str(claims.get("dl")))
        if row is None or row.expires_at <= datetime.now(UTC) or not _may_have(viewer, row.owner_id):
            return None
        return DownloadFile(row.filename, row.content_type, row.content)

    async def delete_expired(self) -> int:
        async with self._sessions() as session:
            return await repo.delete_expired(session, datetime.now(UTC))


def _may_have(viewer: Viewer, owner_id: int | None) -> bool:
    # Checked again when the file is served: a role or account lost since the link still counts.
    return viewer.is_owner_or_admin(owner_id) if owner_id is not None else viewer.has_role("ADMIN")
