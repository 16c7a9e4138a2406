"""What the services know of background jobs: a queue to put work on, and the runs to read.

The engine lives a layer above (reelgraph.jobs), so services never import it: they hold a
`JobQueue` slot that the composition root (the app's lifespan, the worker) connects to the real
engine. Until then (CLI commands, a bare `Services.create`) `QueuedMailer` delivers directly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reelgraph.mail import Mail, Mailer
from reelgraph.persistence import jobs as repo
from reelgraph.persistence.models import JobRunRow

SEND_MAIL = "send-mail"


class JobQueue(Protocol):
    async def enqueue(self, name: str, params: Mapping[str, Any] | None = None) -> int:
        """Queues a run of job `name` and returns its run id; never waits for the job itself."""
        ...

    async def run_now(self, name: str) -> JobRunRow:
        """A run of `name` now (UserErrors: no such job, one already queued or running); in the
        embedded default it waits a few seconds for the run to end."""
        ...


class QueueSlot:
    """The queue the services enqueue on, connected to the engine once it is up."""

    def __init__(self) -> None:
        self.queue: JobQueue | None = None

    def connect(self, queue: JobQueue | None) -> None:
        self.queue = queue

    def connected(self) -> JobQueue:
        if self.queue is None:
            raise RuntimeError("no job engine is running in this process")
        return self.queue


class QueuedMailer:
    """A Mailer whose send() only enqueues a `send-mail` run (retried with backoff by the engine);
    with no engine connected it delivers through `direct`."""

    def __init__(self, slot: QueueSlot, direct: Mailer) -> None:
        self._slot = slot
        self._direct = direct

    async def send(self, mail: Mail) -> None:
        if self._slot.queue is None:
            await self._direct.send(mail)
            return
        await self._slot.queue.enqueue(SEND_MAIL, mail_params(mail))


def mail_params(mail: Mail) -> dict[str, str]:
    return {"to": mail.to, "subject": mail.subject, "body": mail.body}


def mail_of(params: Mapping[str, Any]) -> Mail:
    return Mail(to=str(params["to"]), subject=str(params["subject"]), body=str(params["body"]))


class JobRuns:
    """The job runs as the admin API reads them."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def page(self, status: str | None, position: int | None, limit: int) -> tuple[list[JobRunRow], int]:
        return await repo.page_of_runs(self._sessions, status, position, limit)

    async def find_many(self, run_ids: Sequence[int]) -> list[JobRunRow | None]:
        return await repo.runs_by_id(self._sessions, run_ids)

    async def get(self, run_id: int) -> JobRunRow | None:
        return await repo.get_run(self._sessions, run_id)
