"""Firing the schedules: taskiq's scheduler loop over the registry's intervals.

Each firing goes through `JobEngine.fire_period`, which creates the period's run under a unique
key ("cleanup@<period number>"): should two schedulers run by mistake, the second one's insert
fails and that period still runs once.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from taskiq import ScheduledTask, ScheduleSource, TaskiqScheduler
from taskiq.api import run_scheduler_task

if TYPE_CHECKING:
    from reelgraph.jobs.engine import JobEngine

FIRE = "reelgraph.fire_schedule"  # a name only: firing creates the period's run and sends it itself


class RegistrySchedules(ScheduleSource):
    """One interval schedule per job that has one (the settings may switch some off)."""

    def __init__(self, engine: JobEngine) -> None:
        self._engine = engine

    async def get_schedules(self) -> list[ScheduledTask]:
        schedules = []
        for name, spec in sorted(self._engine.specs.items()):
            interval = spec.interval(self._engine.settings)
            if interval is None:
                continue
            seconds = max(int(interval.total_seconds()), 1)
            schedules.append(
                ScheduledTask(
                    task_name=FIRE,
                    labels={},
                    args=[name],
                    kwargs={},
                    schedule_id=name,
                    interval=seconds,
                )
            )
        return schedules


class PeriodScheduler(TaskiqScheduler):
    def __init__(self, engine: JobEngine) -> None:
        super().__init__(engine.broker, [RegistrySchedules(engine)])
        self._engine = engine

    async def on_ready(self, source: ScheduleSource, task: ScheduledTask) -> None:
        await self._engine.fire_period(str(task.args[0]))

    async def startup(self) -> None:
        pass  # the engine started the broker


async def run_schedules(engine: JobEngine) -> None:
    """Runs until cancelled. The schedules are read again every minute."""
    await run_scheduler_task(
        PeriodScheduler(engine), interval=timedelta(minutes=1), loop_interval=timedelta(seconds=1)
    )
