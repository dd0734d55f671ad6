"""Job references and their retry policies, derived from the job functions themselves.

A queue carries a job as a reference, the dotted name of a function in ``jobs/``
(``jobs.events.process_event``): that string is what RQ and the ``job_runs`` ledger store, so it
must stay stable. Code names a job by its function (``job_ref(notify.confirm_cancellation)``),
never by a hand-written string. A job's retry policy sits on the function (``@retry_policy``)
and is found from its reference (``policy_for``); both queues follow it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

from connector.domain.errors import PermanentError

JOB_PACKAGE = "jobs."
"""Only functions of this package can be queued and run by reference."""

MAX_RESTARTS = 3
"""Starts beyond the retry policy that a run gets when its worker vanished mid-job (killed, lost
machine); after that the sweeper marks it failed instead of queueing it again."""

POLICY_ATTRIBUTE = "retry_policy"
"""Where ``@retry_policy`` keeps a job's policy on its function."""

Job = Callable[..., Any]
F = TypeVar("F", bound=Job)


def job_ref(job: Job | str) -> str:
    """The reference of a job function (module + qualified name), e.g. ``jobs.events.process_event``.
    A string is taken as a reference already (rows stored earlier, the CLI's ``jobs run NAME``)."""
    if isinstance(job, str):
        return job
    module, name = getattr(job, "__module__", None), getattr(job, "__qualname__", None)
    if not module or not name or not f"{module}.".startswith(JOB_PACKAGE) or "<" in name:
        raise ValueError(f"not a job function (a module-level function in jobs/): {job!r}")
    return f"{module}.{name}"


def resolve_job(name: str) -> Job:
    """The function a reference names. Only jobs.* is allowed."""
    module_name, _, function_name = name.rpartition(".")
    if not module_name.startswith(JOB_PACKAGE) or not function_name:
        raise PermanentError(f"not a job reference: {name!r}")
    function = getattr(importlib.import_module(module_name), function_name, None)
    if not callable(function):
        raise PermanentError(f"no job {name!r}")
    return function


@cache
def check_job(name: str) -> None:
    """Fail fast on a bad reference at enqueue time. Cached: enqueue runs on every webhook, and a
    reference that resolved once stays valid (workers still resolve it afresh when they run it)."""
    resolve_job(name)


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

    def retry_in(self, attempts: int) -> float | None:
        """Seconds until the next try after the ``attempts``-th start failed; None once retries are spent."""
        if attempts > self.retries:
            return None
        return float(self.intervals[min(max(attempts - 1, 0), len(self.intervals) - 1)])

    def max_starts(self) -> int:
        """Starts a recorded run may take before the sweeper gives it up."""
        return self.retries + 1 + MAX_RESTARTS


DEFAULT_POLICY = RetryPolicy()
"""The policy of a job function that declares none."""


def retry_policy(policy: RetryPolicy) -> Callable[[F], F]:
    """Declare a job's retry policy on its function: ``@retry_policy(RetryPolicy(retries=1))``."""

    def declare(function: F) -> F:
        setattr(function, POLICY_ATTRIBUTE, policy)
        return function

    return declare


def policy_of(job: Job) -> RetryPolicy:
    policy = getattr(job, POLICY_ATTRIBUTE, DEFAULT_POLICY)
    return policy if isinstance(policy, RetryPolicy) else DEFAULT_POLICY


def policy_for(job: str) -> RetryPolicy:
    """The retry policy of the job a reference names (DEFAULT_POLICY for one that cannot be resolved)."""
    try:
        return policy_of(resolve_job(job))
    except (PermanentError, ImportError):
        return DEFAULT_POLICY
