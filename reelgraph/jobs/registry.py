"""The background jobs by name: each a plain async function over the services, with its schedule.

A body never knows what runs it: the in-process runner (no broker configured) and the task
engine's workers call the same function with a ``JobContext``. Bodies live one per module in
``reelgraph.jobs.bodies`` and register themselves on import with ``@job``.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reelgraph.config import Settings
    from reelgraph.services.container import Services

# What a body returns: a small JSON-able summary of what it did (logged and stored with the run).
JobSummary = Mapping[str, Any] | None


@dataclass(frozen=True)
class JobContext:
    services: Services
    job_id: str
    attempt: int = 1
    # JSON-able arguments given when the job was enqueued (send-mail's message, say).
    params: Mapping[str, Any] = field(default_factory=dict)


JobBody = Callable[[JobContext], Awaitable[JobSummary]]
# A fixed interval, one read from the settings (None there: not scheduled), or None (on demand).
Schedule = timedelta | Callable[["Settings"], timedelta | None] | None


@dataclass(frozen=True)
class JobSpec:
    name: str
    body: JobBody
    every: Schedule
    max_attempts: int
    timeout: timedelta
    description: str

    def interval(self, settings: Settings) -> timedelta | None:
        """How often the scheduler fires this job, or None when only asked for."""
        return self.every(settings) if callable(self.every) else self.every


_REGISTRY: dict[str, JobSpec] = {}


def job(
    name: str,
    *,
    every: Schedule = None,
    max_attempts: int = 3,
    timeout: timedelta = timedelta(minutes=10),
) -> Callable[[JobBody], JobBody]:
    """Registers ``body`` under ``name`` (kebab-case, as the admin API names it)."""

    def register(body: JobBody) -> JobBody:
        known = _REGISTRY.get(name)
        if known is not None and known.body.__qualname__ != body.__qualname__:
            raise ValueError(f"two jobs are named {name!r}")
        description = (body.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")
        _REGISTRY[name] = JobSpec(name, body, every, max_attempts, timeout, description)
        return body

    return register


def registered_jobs() -> Mapping[str, JobSpec]:
    """Every job by name, importing the bodies' modules first (each registers itself)."""
    # By name: the bodies import this module to register, so a static import would be a cycle.
    bodies = importlib.import_module("reelgraph.jobs.bodies")
    for module in pkgutil.iter_modules(bodies.__path__):
        importlib.import_module(f"{bodies.__name__}.{module.name}")
    return MappingProxyType(_REGISTRY)
