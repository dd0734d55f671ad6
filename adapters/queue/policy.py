"""Retry policies per job: how often a failing job runs again, after how long, and how long it may run.

Both queues follow them: RQ through its ``Retry`` (adapters/queue/rq_queue.py), the embedded queue
for recorded runs (adapters/queue/inline.py). A run is marked failed only once its policy is spent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MAX_RESTARTS = 3
"""Starts beyond the retry policy that a run gets when its worker vanished mid-job (killed, lost
machine); after that the sweeper marks it failed instead of queueing it again."""


@dataclass(frozen=True)
class RetryPolicy:
    """How often a job runs again after it raised, and after how long; how long it may run."""

    retries: int = 3
    intervals: tuple[int, ...] = (10, 60, 300)
    timeout: int = 600

    def __post_init__(self) -> None:
        if self.retries < 0:
            raise ValueError(f"retries must not be negative, got {self.retries}")
        if self.retries and not self.intervals:
            raise ValueError("a policy with retries needs at least one interval")

    def retry(self) -> Any:
        """The RQ ``Retry`` for this policy (None without retries)."""
        from rq import Retry

        return Retry(max=self.retries, interval=list(self.intervals)) if self.retries > 0 else None

    def retry_in(self, attempts: int) -> float | None:
        """Seconds until the next try after the ``attempts``-th start failed; None once retries are spent."""
        if attempts > self.retries:
            return None
        return float(self.intervals[min(max(attempts - 1, 0), len(self.intervals) - 1)])

    def max_starts(self) -> int:
        """Starts a recorded run may take before the sweeper gives it up."""
        return self.retries + 1 + MAX_RESTARTS


DEFAULT_POLICY = RetryPolicy()
POLICIES: dict[str, RetryPolicy] = {
    # process_event records its own retries (status 'retry', backoff) and re-enqueues itself; RQ retries
    # only cover a crash before that bookkeeping (e.g. the database unreachable at claim time).
    "jobs.events.process_event": RetryPolicy(retries=5, intervals=(5, 30, 120, 600, 1800), timeout=300),
    # the sweeper runs every 30 seconds anyway
    "jobs.sweep.sweep": RetryPolicy(retries=0, timeout=120),
    "jobs.shops.reconcile": RetryPolicy(retries=3, intervals=(30, 120, 600), timeout=1800),
    "jobs.shops.sync_marks": RetryPolicy(retries=3, intervals=(30, 120, 600), timeout=900),
    "jobs.install.health_check": RetryPolicy(retries=1, intervals=(60,), timeout=300),
    "jobs.install.check_shop": RetryPolicy(retries=2, intervals=(60, 300), timeout=300),
    "jobs.install.refresh_token": RetryPolicy(retries=5, intervals=(5, 15, 60, 120, 300), timeout=120),
    "jobs.install.email_export": RetryPolicy(retries=5, intervals=(60, 300, 900, 3600, 7200), timeout=120),
}
"""Per job; anything not listed gets DEFAULT_POLICY."""


def policy_for(job: str) -> RetryPolicy:
    return POLICIES.get(job, DEFAULT_POLICY)
