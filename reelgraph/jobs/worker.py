"""`reelgraph worker` and `reelgraph scheduler`: the processes of the broker setup.

A worker takes runs off the Redis stream (any number of workers, on any machines) and serves
GET /health/ready and /metrics on REELGRAPH_JOB_WORKER_PORT. On SIGTERM/SIGINT it stops taking
runs, lets those in flight finish for REELGRAPH_JOB_SHUTDOWN_WAIT_SECONDS, and hands back what is
still running (QUEUED again; its unacknowledged message is delivered to another worker).

The scheduler fires the schedules; run exactly one (a second one is harmless: each period's run
is created once, under a unique key, whichever fires first).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import uvicorn
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from redis.asyncio import Redis
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from taskiq.receiver import Receiver

from reelgraph.config import Settings
from reelgraph.jobs.engine import JobEngine
from reelgraph.jobs.metrics import JobCollector
from reelgraph.persistence import jobs as repo
from reelgraph.services.container import Services

log = logging.getLogger("reelgraph.jobs")


def _stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)


class _HealthServer(uvicorn.Server):
    """uvicorn without its signal handlers: the worker's own decide how it stops."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def health_app(engine: JobEngine, listening: asyncio.Event) -> Starlette:
    registry = CollectorRegistry(auto_describe=True)
    registry.register(JobCollector(engine.stats))

    async def ready(request: Request) -> Response:
        problems = []
        if not listening.is_set():
            problems.append("not taking runs")
        try:
            async with engine.services.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as exc:  # readiness reports it, it does not raise
            problems.append(f"database: {type(exc).__name__}")
        try:
            async with Redis(connection_pool=engine.broker.connection_pool) as redis:  # type: ignore[attr-defined]
                await redis.ping()
        except Exception as exc:  # readiness reports it, it does not raise
            problems.append(f"broker: {type(exc).__name__}")
        body = {"status": "ready" if not problems else "unavailable", "worker": engine.worker_name}
        if problems:
            body["problems"] = "; ".join(problems)
        return JSONResponse(body, status_code=200 if not problems else 503)

    async def metrics(request: Request) -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return Starlette(routes=[Route("/health/ready", ready), Route("/metrics", metrics)])


async def run_worker(settings: Settings, port: int | None = None) -> None:
    if settings.broker_url is None:
        raise SystemExit("reelgraph worker needs REELGRAPH_BROKER_URL (without it the API runs the jobs)")
    services = await Services.open(settings)
    engine = JobEngine(services)
    await engine.start(schedules=False)
    stop, finish, listening = asyncio.Event(), asyncio.Event(), asyncio.Event()
    _stop_on_signals(stop)
    server = _HealthServer(
        uvicorn.Config(
            health_app(engine, listening),
            host="0.0.0.0",  # probes come from outside the container
            port=port if port is not None else settings.job_worker_port,
            log_config=None,
            access_log=False,
            lifespan="off",
        )
    )
    health = asyncio.create_task(server.serve(), name="worker-health")
    with ThreadPoolExecutor(max_workers=1) as executor:
        engine.broker.is_worker_process = True
        receiver = Receiver(
            broker=engine.broker,
            executor=executor,
            max_async_tasks=settings.job_worker_concurrency,
            wait_tasks_timeout=settings.job_shutdown_wait_seconds,
            run_startup=False,
        )
        listen = asyncio.create_task(receiver.listen(finish), name="worker-receiver")
        listening.set()
        log.info("worker %s taking runs", engine.worker_name)
        waiter = asyncio.create_task(stop.wait())
        await asyncio.wait([listen, waiter], return_when=asyncio.FIRST_COMPLETED)
        listening.clear()
        finish.set()  # stop taking runs; the receiver waits for those in flight (bounded)
        with contextlib.suppress(asyncio.CancelledError, TimeoutError):
            await asyncio.wait_for(listen, settings.job_shutdown_wait_seconds + 5)
        waiter.cancel()
    # Runs still going after the wait are stopped here, before they are handed back, so no run
    # is ever going in two workers at once.
    leftovers = list(engine.in_flight)
    for task in leftovers:
        task.cancel()
    await asyncio.gather(*leftovers, return_exceptions=True)
    released = await repo.release_runs_of(services.sessions, engine.worker_name)
    for run_id in released:
        await engine.send(run_id)  # handed back: another worker takes it from the start
        log.warning("job run handed back on shutdown", extra={"job_id": run_id})
    server.should_exit = True
    await health
    await engine.close()
    await services.close()


async def run_scheduler(settings: Settings) -> None:
    if settings.broker_url is None:
        raise SystemExit(
            "reelgraph scheduler needs REELGRAPH_BROKER_URL (without it the API fires the schedules)"
        )
    services = await Services.open(settings, catalog=False)
    engine = JobEngine(services)
    await engine.start(schedules=True)
    stop = asyncio.Event()
    _stop_on_signals(stop)
    log.info(
        "scheduler firing %s", ", ".join(sorted(n for n, s in engine.specs.items() if s.interval(settings)))
    )
    await stop.wait()
    await engine.close()
    await services.close()
