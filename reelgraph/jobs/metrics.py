"""Job metrics of this process (runs, failures, durations by job) and the queue depth, read by
Prometheus from the API's or the worker's /metrics."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0)


@dataclass
class JobStats:
    """Kept by the runner as runs end; the queue depth by the engine's sweep."""

    runs: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    attempts_failed: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    buckets: dict[str, list[int]] = field(default_factory=dict)
    duration_sum: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    running: int = 0
    queue_depth: int = 0

    def attempt_failed(self, name: str) -> None:
        self.attempts_failed[name] += 1

    def run_ended(self, name: str, status: str, seconds: float) -> None:
        self.runs[(name, status)] += 1
        counts = self.buckets.setdefault(name, [0] * (len(DURATION_BUCKETS) + 1))
        for index, bound in enumerate(DURATION_BUCKETS):
            if seconds <= bound:
                counts[index] += 1
        counts[-1] += 1  # +Inf
        self.duration_sum[name] += seconds


class JobCollector(Collector):
    def __init__(self, stats: JobStats) -> None:
        self._stats = stats

    def describe(self) -> list[Metric]:
        return []  # collected lazily

    def collect(self) -> Iterator[Metric]:
        stats = self._stats
        runs = CounterMetricFamily(
            "reelgraph_job_runs",
            "Job runs ended in this process, by job and final status.",
            labels=["job", "status"],
        )
        for (name, status), count in sorted(stats.runs.items()):
            runs.add_metric([name, status], count)
        yield runs
        failures = CounterMetricFamily(
            "reelgraph_job_attempt_failures",
            "Failed job attempts (retried or final), by job.",
            labels=["job"],
        )
        for name, count in sorted(stats.attempts_failed.items()):
            failures.add_metric([name], count)
        yield failures
        durations = HistogramMetricFamily(
            "reelgraph_job_duration_seconds", "How long job runs took, by job.", labels=["job"]
        )
        for name, counts in sorted(stats.buckets.items()):
            bounds = [str(bound) for bound in DURATION_BUCKETS] + ["+Inf"]
            durations.add_metric([name], list(zip(bounds, counts, strict=True)), stats.duration_sum[name])
        yield durations
        yield GaugeMetricFamily(
            "reelgraph_jobs_running", "Jobs running in this process.", value=stats.running
        )
        yield GaugeMetricFamily(
            "reelgraph_job_queue_depth",
            "Job runs queued and not yet started (all processes).",
            value=stats.queue_depth,
        )
