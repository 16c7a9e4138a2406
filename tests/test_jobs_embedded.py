"""The embedded default (no broker): the same jobs run inside the API process, and the admin API
(jobs, runJob, node) over /graphql."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from strawberry.relay import GlobalID

from reelgraph.app import create_app
from reelgraph.config import Settings
from reelgraph.mail import Mail
from reelgraph.persistence.migrate import upgrade_to_head
from reelgraph.persistence.models import ChatSessionRow
from tests.conftest import RecordingMailer, make_settings
from tests.helpers import GraphQLClient, error_codes, register, unique_email

RUN = "mutation($n: String!) { runJob(name: $n) { job { id name status attempts error durationMs } errors { code field } } }"
JOBS = """
query($status: JobStatus, $first: Int, $after: String) {
  jobs(status: $status, first: $first, after: $after) {
    totalCount
    edges { cursor node { id name status attempts error queuedAt startedAt finishedAt durationMs } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
NODE = "query($id: ID!) { node(id: $id) { ... on Job { id name status } } }"

PATIENCE = 180  # seconds: far beyond what any wait here takes, so a broken engine fails, never hangs


class FlakyMailer(RecordingMailer):
    """Refuses the first message, as a mail server that is briefly down."""

    def __init__(self) -> None:
        super().__init__()
        self.refused = 0

    async def send(self, mail: Mail) -> None:
        if self.refused == 0:
            self.refused += 1
            raise ConnectionRefusedError("smtp down")
        await super().send(mail)


@pytest.fixture
def job_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("REELGRAPH_TEST_JOB_DIR", str(tmp_path))
    return tmp_path


async def _start(settings: Settings, mailer: RecordingMailer) -> AsyncIterator[tuple[Any, GraphQLClient]]:
    app = create_app(settings, mailer=mailer)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield app, GraphQLClient(http)


@pytest.fixture
async def embedded(settings: Settings, job_dir: Path) -> AsyncIterator[tuple[Any, GraphQLClient]]:
    """An app of its own on the suite's database: jobs run as they would under `make run`."""
    own = settings.model_copy(
        update={
            "job_eager": False,
            "job_modules": ["tests.jobs_test_bodies"],
            "job_retry_backoff_seconds": 0.01,
            "job_shutdown_wait_seconds": 1.0,
        }
    )
    async for pair in _start(own, RecordingMailer()):
        yield pair


def _names(directory: Path, pattern: str) -> list[str]:
    return sorted(path.name for path in directory.glob(pattern))


async def _admin(gql: GraphQLClient, app: Any) -> str:
    session = await register(gql, name="Admin")
    user_id = int(GlobalID.from_id(session["user"]["id"]).node_id)
    await app.state.services.admin.assign_role(user_id, "ADMIN")
    return str(session["accessToken"])


async def _wait_for_status(gql: GraphQLClient, token: str, job_id: str, status: str) -> dict[str, Any]:
    """Polls jobs(status:) until the run shows up there (the test's timeout bounds it)."""
    async with asyncio.timeout(PATIENCE):  # a bound against a hang, not a timing check
        while True:
            body = await gql(JOBS, {"status": status, "first": 100}, token=token)
            for edge in body["data"]["jobs"]["edges"]:
                if edge["node"]["id"] == job_id:
                    return dict(edge["node"])
            await asyncio.sleep(0.05)


async def test_run_job_cleanup_succeeds_in_process_and_deletes_what_expired(
    embedded: tuple[Any, GraphQLClient],
) -> None:
    app, gql = embedded
    token = await _admin(gql, app)
    services = app.state.services
    old, fresh = str(uuid.uuid4()), str(uuid.uuid4())
    long_ago = datetime.now(UTC) - timedelta(days=31)
    async with services.sessions.begin() as session:
        session.add(ChatSessionRow(id=old, created_at=long_ago, updated_at=long_ago))
        session.add(ChatSessionRow(id=fresh))

    payload = (await gql(RUN, {"n": "cleanup"}, token=token))["data"]["runJob"]

    assert payload["errors"] == []
    assert payload["job"]["name"] == "cleanup"
    assert payload["job"]["status"] == "SUCCEEDED"
    assert payload["job"]["attempts"] == 1 and payload["job"]["durationMs"] is not None
    async with services.sessions() as session:
        left = await session.scalar(
            select(func.count()).select_from(ChatSessionRow).where(ChatSessionRow.id.in_([old, fresh]))
        )
    assert left == 1  # the month-old session went, the fresh one stayed
    # The run is listed, newest first, and is a node for admins.
    listed = (await gql(JOBS, {"first": 1}, token=token))["data"]["jobs"]["edges"][0]["node"]
    assert listed["id"] == payload["job"]["id"]
    node = (await gql(NODE, {"id": payload["job"]["id"]}, token=token))["data"]["node"]
    assert node == {"id": payload["job"]["id"], "name": "cleanup", "status": "SUCCEEDED"}


async def test_run_job_refuses_unknown_names_and_a_job_already_running(
    embedded: tuple[Any, GraphQLClient], job_dir: Path
) -> None:
    app, gql = embedded
    token = await _admin(gql, app)
    unknown = (await gql(RUN, {"n": "no-such-job"}, token=token))["data"]["runJob"]
    assert unknown == {"job": None, "errors": [{"code": "JOB_NOT_FOUND", "field": ["name"]}]}

    app.state.services.settings.job_run_wait_seconds = 0.2  # do not wait for a job that holds on
    first = (await gql(RUN, {"n": "test-hold"}, token=token))["data"]["runJob"]
    assert first["errors"] == [] and first["job"]["status"] in ("QUEUED", "RUNNING")
    again = (await gql(RUN, {"n": "test-hold"}, token=token))["data"]["runJob"]
    assert again == {"job": None, "errors": [{"code": "JOB_ALREADY_RUNNING", "field": ["name"]}]}

    (job_dir / "release").touch()
    done = await _wait_for_status(gql, token, first["job"]["id"], "SUCCEEDED")
    assert done["finishedAt"] is not None
    # Once it ended, it may run again.
    assert (await gql(RUN, {"n": "test-hold"}, token=token))["data"]["runJob"]["errors"] == []


async def test_run_job_asked_many_times_at_once_starts_one_run(
    embedded: tuple[Any, GraphQLClient], job_dir: Path
) -> None:
    app, gql = embedded
    token = await _admin(gql, app)
    app.state.services.settings.job_run_wait_seconds = 0.2
    payloads = await asyncio.gather(*(gql(RUN, {"n": "test-hold"}, token=token) for _ in range(8)))
    answers = [payload["data"]["runJob"] for payload in payloads]
    started = [answer for answer in answers if answer["errors"] == []]
    assert len(started) == 1, answers
    assert all(
        answer == {"job": None, "errors": [{"code": "JOB_ALREADY_RUNNING", "field": ["name"]}]}
        for answer in answers
        if answer not in started
    )
    (job_dir / "release").touch()
    await _wait_for_status(gql, token, started[0]["job"]["id"], "SUCCEEDED")
    # The finished run gave its key up: the job may run again.
    assert (await gql(RUN, {"n": "test-hold"}, token=token))["data"]["runJob"]["errors"] == []


async def test_a_failing_job_retries_then_is_listed_failed_with_its_error(
    embedded: tuple[Any, GraphQLClient], job_dir: Path
) -> None:
    app, gql = embedded
    token = await _admin(gql, app)
    run = (await gql(RUN, {"n": "test-fail"}, token=token))["data"]["runJob"]["job"]

    failed = await _wait_for_status(gql, token, run["id"], "FAILED")

    assert failed["attempts"] == 2  # max_attempts of test-fail
    assert failed["error"] == "RuntimeError: the upstream said no"
    run_id = GlobalID.from_id(run["id"]).node_id
    assert _names(job_dir, f"failed-{run_id}-*") == [f"failed-{run_id}-1", f"failed-{run_id}-2"]
    succeeded = (await gql(JOBS, {"status": "SUCCEEDED", "first": 100}, token=token))["data"]["jobs"]["edges"]
    assert run["id"] not in [edge["node"]["id"] for edge in succeeded]


async def test_jobs_pages_newest_first_with_cursors(embedded: tuple[Any, GraphQLClient]) -> None:
    app, gql = embedded
    token = await _admin(gql, app)
    ids = [
        (await gql(RUN, {"n": "test-record"}, token=token))["data"]["runJob"]["job"]["id"] for _ in range(3)
    ]
    first = (await gql(JOBS, {"first": 2}, token=token))["data"]["jobs"]
    assert [edge["node"]["id"] for edge in first["edges"]] == ids[::-1][:2]
    assert first["pageInfo"]["hasNextPage"] is True
    rest = (await gql(JOBS, {"first": 1, "after": first["pageInfo"]["endCursor"]}, token=token))["data"][
        "jobs"
    ]
    assert rest["edges"][0]["node"]["id"] == ids[0]
    # A cursor of the FAILED list is not one of the whole list.
    other = await gql(JOBS, {"status": "FAILED", "after": first["pageInfo"]["endCursor"]}, token=token)
    assert error_codes(other) == ["BAD_USER_INPUT"]


async def test_only_admins_see_and_run_jobs(embedded: tuple[Any, GraphQLClient]) -> None:
    app, gql = embedded
    token = await _admin(gql, app)
    run = (await gql(RUN, {"n": "test-record"}, token=token))["data"]["runJob"]["job"]
    user = await register(gql)

    assert error_codes(await gql(JOBS, {}, token=user["accessToken"])) == ["FORBIDDEN"]
    assert error_codes(await gql(RUN, {"n": "cleanup"}, token=user["accessToken"])) == ["FORBIDDEN"]
    assert error_codes(await gql(JOBS, {})) == ["UNAUTHENTICATED"]
    assert error_codes(await gql(RUN, {"n": "cleanup"})) == ["UNAUTHENTICATED"]
    # A Job id names nothing to anyone but admins.
    assert (await gql(NODE, {"id": run["id"]}, token=user["accessToken"]))["data"]["node"] is None
    assert (await gql(NODE, {"id": run["id"]}))["data"]["node"] is None


async def test_password_reset_mail_goes_through_the_queue_and_is_retried(settings: Settings) -> None:
    mailer = FlakyMailer()
    own = settings.model_copy(update={"job_eager": False, "job_retry_backoff_seconds": 0.01})
    async for app, gql in _start(own, mailer):
        token = await _admin(gql, app)
        email = unique_email("reset")
        await register(gql, email=email)
        request = "mutation($e: String!) { requestPasswordReset(email: $e) { ok errors { code } } }"

        assert (await gql(request, {"e": email}))["data"]["requestPasswordReset"] == {
            "ok": True,
            "errors": [],
        }

        async with asyncio.timeout(PATIENCE):  # a bound against a hang, not a timing check
            while not [mail for mail in mailer.outbox if mail.to == email]:  # noqa: ASYNC110  # a job sends it
                await asyncio.sleep(0.02)
        assert "reset-password?token=" in mailer.last_to(email).body
        runs = (await gql(JOBS, {"status": "SUCCEEDED", "first": 100}, token=token))["data"]["jobs"]["edges"]
        sent = [edge["node"] for edge in runs if edge["node"]["name"] == "send-mail"]
        assert sent and sent[0]["attempts"] == 2  # refused once by the mail server, then delivered
        assert sent[0]["error"] is None


def _utc(stamp: str) -> datetime:
    moment = datetime.fromisoformat(stamp)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def test_with_no_broker_the_api_process_fires_the_schedules_and_counts_runs(tmp_path: Path) -> None:
    """`make run` alone: the scheduled jobs run in the API process, and /metrics counts them."""
    own = make_settings(tmp_path, job_schedules=True, job_eager=False, cleanup_seconds=1)
    await asyncio.to_thread(upgrade_to_head, own.database_url)
    # On PostgreSQL the database is shared with earlier tests' runs: count only this process's.
    started = datetime.now(UTC)
    async for app, gql in _start(own, RecordingMailer()):
        token = await _admin(gql, app)
        cleanups: list[dict[str, Any]] = []
        async with asyncio.timeout(PATIENCE):  # a bound against a hang, not a timing check
            while len(cleanups) < 2:  # the schedule fires in the background
                body = await gql(JOBS, {"status": "SUCCEEDED", "first": 100}, token=token)
                cleanups = [
                    edge["node"]
                    for edge in body["data"]["jobs"]["edges"]
                    if edge["node"]["name"] == "cleanup" and _utc(edge["node"]["queuedAt"]) >= started
                ]
                await asyncio.sleep(0.1)
        assert cleanups[0]["queuedAt"] > cleanups[1]["queuedAt"]  # one run per period, newest first
        metrics = (await gql.http.get("/metrics")).text
        assert 'reelgraph_job_runs_total{job="cleanup",status="SUCCEEDED"}' in metrics
        assert "reelgraph_job_queue_depth" in metrics
