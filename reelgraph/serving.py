"""`reelgraph serve --workers N`: N uvicorn worker processes answering on one socket.

Several processes need state they can share: PostgreSQL (SQLite takes one writer at a time
across processes) and a Redis cache (otherwise each worker keeps its own rate-limit counters,
sign-in failure counts, response cache and persisted queries). The parent applies migrations
once, then uvicorn spawns fresh interpreters that each build the app from `worker_app`; one of
them, elected by a file lock, fires the embedded job schedules (the period key would dedup the
others' firings anyway, this spares the attempts).
"""

from __future__ import annotations

import fcntl
import logging
import os
import tempfile
from pathlib import Path
from typing import IO

from starlette.applications import Starlette

from reelgraph.config import Settings, get_settings

log = logging.getLogger("reelgraph.serving")

# Passed from the parent to the spawned workers (uvicorn gives a factory no arguments).
LOG_LEVEL_ENV = "_REELGRAPH_WORKER_LOG_LEVEL"
SCHEDULE_LOCK_ENV = "_REELGRAPH_WORKER_SCHEDULE_LOCK"
# A worker busy with startup or a long request answers uvicorn's health ping late on a loaded
# machine; 5 s (uvicorn's default) got healthy workers killed.
HEALTHCHECK_SECONDS = 30

_schedule_lock: IO[bytes] | None = None  # held for the worker's life by the scheduling worker


def multi_worker_problems(settings: Settings, workers: int) -> list[str]:
    """Why `workers` processes cannot share this configuration (empty: they can)."""
    if workers <= 1:
        return []
    problems = []
    if not settings.database_url.startswith("postgresql"):
        problems.append(
            f"--workers {workers} needs PostgreSQL (REELGRAPH_DATABASE_URL=postgresql+asyncpg://...): "
            "SQLite lets one process write at a time, so workers would fail each other's writes with "
            "'database is locked'; serve SQLite with one worker"
        )
    if not settings.cache_url.startswith(("redis://", "rediss://")):
        problems.append(
            f"--workers {workers} needs a shared cache (REELGRAPH_CACHE_URL=redis://host:6379/0): with "
            f"{settings.cache_url} every worker keeps its own rate-limit counters, sign-in failure "
            "counts and cache, so limits would be that many times looser and invalidations partial"
        )
    return problems


def run_workers(settings: Settings, workers: int, *, host: str, port: int, log_level: str) -> int:
    """Serves until stopped (SIGINT/SIGTERM to this parent); 1 when the workers could not start."""
    from uvicorn import Config
    from uvicorn.config import STARTUP_FAILURE
    from uvicorn.supervisors import Multiprocess

    with tempfile.TemporaryDirectory(prefix="reelgraph-workers-") as tmp:
        os.environ[LOG_LEVEL_ENV] = log_level
        os.environ[SCHEDULE_LOCK_ENV] = str(Path(tmp) / "schedules.lock")
        config = Config(
            "reelgraph.serving:worker_app",
            factory=True,
            workers=workers,
            host=host,
            port=port,
            log_level=log_level,
            proxy_headers=True,
            timeout_keep_alive=settings.keep_alive_seconds,
            timeout_worker_healthcheck=HEALTHCHECK_SECONDS,
        )
        supervisor = Multiprocess(config, sockets=[config.bind_socket()])
        supervisor.run()
    if any(process.exitcode == STARTUP_FAILURE for process in supervisor.processes):
        log.error("a worker failed to start (see its log lines above); stopped")
        return 1
    return 0


class _WorkerPid(logging.Filter):
    """Stamps each record with the worker's pid (a JSON log line shows it as `worker`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.worker = os.getpid()
        return True


def _holds_schedule_lock() -> bool:
    """True in the one worker that locked the parent's lock file first; a worker started to
    replace a dead one takes it over, since the lock dies with its holder."""
    global _schedule_lock
    path = os.environ.get(SCHEDULE_LOCK_ENV)
    if path is None:
        return True  # not started by run_workers: the only process
    handle = open(path, "ab")  # noqa: SIM115  # held open for the process's life
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return False
    _schedule_lock = handle
    return True


def worker_app() -> Starlette:
    """The app of one worker process (uvicorn calls this in each spawned worker)."""
    from reelgraph.app import create_app  # lazy: the parent never loads the app
    from reelgraph.observability import ObservabilityOptions, configure_logging

    settings = get_settings()
    handler = configure_logging(
        ObservabilityOptions.from_settings().log_format, access_level=os.environ.get(LOG_LEVEL_ENV)
    )
    handler.addFilter(_WorkerPid())
    if not _holds_schedule_lock():
        settings = settings.model_copy(update={"job_schedules": False})
    fires = settings.job_schedules and settings.broker_url is None
    log.info("worker %d started%s", os.getpid(), " (fires the job schedules)" if fires else "")
    return create_app(settings)
