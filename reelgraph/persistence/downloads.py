"""Downloads: files produced for someone (exports), kept until they expire."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from reelgraph.persistence.models import DownloadRow


class DownloadHeader(NamedTuple):
    """A download without its content (what listing and linking need)."""

    id: str
    owner_id: int | None
    kind: str
    filename: str
    expires_at: datetime


_HEADER = (
    DownloadRow.id,
    DownloadRow.owner_id,
    DownloadRow.kind,
    DownloadRow.filename,
    DownloadRow.expires_at,
)


async def add(session: AsyncSession, row: DownloadRow) -> None:
    session.add(row)
    await session.commit()


async def get(session: AsyncSession, download_id: str) -> DownloadRow | None:
    return await session.get(DownloadRow, download_id)


async def latest_of_kind(session: AsyncSession, kind: str, now: datetime) -> DownloadHeader | None:
    """The newest unexpired download of ``kind`` (the (kind, created_at) index)."""
    query = (
        select(*_HEADER)
        .where(DownloadRow.kind == kind, DownloadRow.expires_at > now)
        .order_by(DownloadRow.created_at.desc())
        .limit(1)
    )
    row = (await session.execute(query)).first()
    return None if row is None else DownloadHeader(*row)


async def delete_expired(session: AsyncSession, now: datetime) -> int:
    result = await session.execute(delete(DownloadRow).where(DownloadRow.expires_at <= now))
    await session.commit()
    return int(result.rowcount or 0)
