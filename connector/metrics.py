"""Prometheus metrics: counters and histograms the web and workers update, served at /metrics.

With gunicorn's several processes set PROMETHEUS_MULTIPROC_DIR (an empty directory, wiped at
start; the Procfile does this): every process then writes its samples there and /metrics adds
them up. Without it each process reports only its own samples (fine for ``connector serve``).
Queue depth (and, given a counter, the pending and running job runs of the job_runs table) is read
when /metrics is scraped, so it is the same in every process.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

WEBHOOKS_RECEIVED = Counter("connector_webhooks_received_total", "Webhooks stored (new or duplicate).",
                            ["platform", "outcome"])
WEBHOOKS_REJECTED = Counter("connector_webhooks_rejected_total", "Webhooks answered with an error status.",
                            ["platform", "reason"])
JOB_DURATION = Histogram("connector_job_duration_seconds", "How long one job ran, by job and outcome.",
                         ["job", "outcome"], buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300))
PLATFORM_THROTTLED = Counter("connector_platform_throttled_total",
                             "Answers from a store platform that said slow down (HTTP 429 or THROTTLED).",
                             ["platform"])

REJECT_REASONS = {400: "malformed", 401: "unauthorised", 404: "not_found", 413: "too_large", 503: "unavailable"}


def reject_reason(status: int) -> str:
    return REJECT_REASONS.get(status, str(status))


def platform_of(name: str) -> str:
    """'shopify:shop.myshopify.com' -> 'shopify' (transport names; keeps label values few)."""
    head = name.split(":", 1)[0].strip().lower()
    return head if head in {"shopify", "woocommerce"} else "other"


class _QueueDepth:
    def __init__(self, depth: Callable[[], int]) -> None:
        self._depth = depth

    def collect(self) -> Any:
        gauge = GaugeMetricFamily("connector_queue_depth", "Jobs waiting or scheduled in the job queue.")
        try:
            gauge.add_metric([], float(self._depth()))
        except Exception:  # noqa: BLE001 - an unreachable queue must not break the scrape
            gauge.add_metric([], float("nan"))
        yield gauge


class _JobRuns:
    def __init__(self, counts: Callable[[], dict[str, int]]) -> None:
        self._counts = counts

    def collect(self) -> Any:
        gauge = GaugeMetricFamily("connector_job_runs", "Recorded one-off job runs not finished yet, by status.",
                                  labels=["status"])
        try:
            counts = self._counts()
        except Exception:  # noqa: BLE001 - an unreachable database must not break the scrape
            counts = {"pending": float("nan"), "running": float("nan")}  # type: ignore[dict-item]
        for status in ("pending", "running"):
            gauge.add_metric([status], float(counts.get(status, 0)))
        yield gauge


def render(queue_depth: Callable[[], int], job_runs: Callable[[], dict[str, int]] | None = None) -> bytes:
    """The exposition text for this process (or every process, in multiprocess mode) plus queue depth
    and, with ``job_runs``, the pending and running job runs."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        from prometheus_client import REGISTRY

        registry = REGISTRY
    text = generate_latest(registry)
    depth_registry = CollectorRegistry()
    depth_registry.register(_QueueDepth(queue_depth))  # type: ignore[arg-type]
    if job_runs is not None:
        depth_registry.register(_JobRuns(job_runs))  # type: ignore[arg-type]
    return text + generate_latest(depth_registry)


def mark_process_dead(pid: int) -> None:
    """gunicorn ``child_exit`` hook: drop a dead worker's live gauges (multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)
