"""Downloads: the analytics export an admin fetches through its signed link, refused to anyone
else, and gone once expired; a user's own download bound to them."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import update
from strawberry.relay import GlobalID

from reelgraph.jobs.registry import JobContext, registered_jobs
from reelgraph.persistence.models import DownloadRow
from reelgraph.services.container import Services
from tests.helpers import GraphQLClient, error_codes, register

EXPORT = "{ analyticsExport { url expiresAt errors { code } } }"


async def signed_in(gql: GraphQLClient, app: Any, role: str | None = None) -> tuple[int, str]:
    session = await register(gql)
    user_id = int(GlobalID.from_id(session["user"]["id"]).node_id)
    if role:
        await app.state.services.admin.assign_role(user_id, role)
    return user_id, str(session["accessToken"])


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def path_of(url: str) -> str:
    return httpx.URL(url).path


async def export(app: Any) -> dict[str, Any]:
    """Runs the export job's body, as the task engine would."""
    services: Services = app.state.services
    summary = await registered_jobs()["export-analytics"].body(JobContext(services, job_id="test-export"))
    assert summary is not None
    return dict(summary)


async def test_the_admin_downloads_the_latest_analytics_export(
    gql: GraphQLClient, client: httpx.AsyncClient, app: Any
) -> None:
    _, admin = await signed_in(gql, app, "ADMIN")
    await export(app)
    payload = (await gql(EXPORT, token=admin))["data"]["analyticsExport"]
    assert payload["errors"] == [] and payload["url"]
    assert datetime.fromisoformat(payload["expiresAt"]) > datetime.now(UTC) + timedelta(hours=23)

    response = await client.get(path_of(payload["url"]), headers=bearer(admin))
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith('attachment; filename="reelgraph-analytics-')
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert set(archive.namelist()) == {
            "analytics.json",
            "daily.csv",
            "most_watched.csv",
            "most_rated.csv",
        }
        figures = json.loads(archive.read("analytics.json"))
        daily = archive.read("daily.csv").decode().splitlines()
    assert figures["userCount"] >= 1 and len(figures["daily"]) == figures["days"] == 30
    assert daily[0] == "date,new_users,active_users" and len(daily) == 31


async def test_no_one_else_gets_the_export(gql: GraphQLClient, client: httpx.AsyncClient, app: Any) -> None:
    _, admin = await signed_in(gql, app, "ADMIN")
    _, user = await signed_in(gql, app)
    _, other_admin = await signed_in(gql, app, "ADMIN")
    await export(app)
    assert error_codes(await gql(EXPORT, token=user)) == ["FORBIDDEN"]
    assert error_codes(await gql(EXPORT)) == ["UNAUTHENTICATED"]
    path = path_of((await gql(EXPORT, token=admin))["data"]["analyticsExport"]["url"])

    assert (await client.get(path)).status_code == 404  # anonymous
    assert (await client.get(path, headers=bearer(user))).status_code == 404
    # Bound to the admin it was made for: another admin asks for a link of their own.
    assert (await client.get(path, headers=bearer(other_admin))).status_code == 404
    assert (await client.get(path + "x", headers=bearer(admin))).status_code == 404  # tampered
    assert (await client.get(path, headers=bearer(admin))).status_code == 200


async def test_an_expired_download_is_gone(gql: GraphQLClient, client: httpx.AsyncClient, app: Any) -> None:
    services: Services = app.state.services
    owner_id, owner = await signed_in(gql, app)
    _, someone = await signed_in(gql, app)
    row = await services.downloads.create(
        owner_id=owner_id,
        kind="test-export",
        filename="library.json",
        content_type="application/json",
        content=b'{"movies": []}',
        ttl=timedelta(hours=1),
    )
    link = services.downloads.link(row.id, owner_id, row.expires_at)
    # Someone else cannot use the owner's link, nor one minted for themselves.
    assert (await client.get(link.path, headers=bearer(someone))).status_code == 404
    response = await client.get(link.path, headers=bearer(owner))
    assert response.status_code == 200 and response.content == b'{"movies": []}'
    assert response.headers["content-type"].startswith("application/json")

    # Time passes (the link itself is still within its signature's lifetime): the file is gone.
    async with services.sessions.begin() as session:
        past = datetime.now(UTC) - timedelta(seconds=1)
        await session.execute(update(DownloadRow).where(DownloadRow.id == row.id).values(expires_at=past))
    assert (await client.get(link.path, headers=bearer(owner))).status_code == 404
    assert await services.downloads.delete_expired() >= 1
    assert (await client.get(link.path, headers=bearer(owner))).status_code == 404
