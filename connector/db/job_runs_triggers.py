"""Who started a job run (``job_runs.trigger``, shown on the merchant's Jobs page).

The caller of ``enqueue_run`` says so ("run now", "cli", "schedule"), else the context does: inside a
recorded run (``job_runs.execute``) what it asks for is "after <its job>", inside ``started_by(...)``
that trigger. Context variables follow the thread (a worker thread, an RQ job, a request) and nothing
else, so one run's trigger never leaks into another's.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

SCHEDULE = "schedule"
"""Trigger of a run the clock asked for."""
RUN_NOW = "run now"
"""Trigger of a run the merchant asked for with the app's "run now"."""
CLI = "cli"
"""Trigger of a run asked for on the command line (`connector jobs run`)."""
WEBHOOK = "webhook"
"""Trigger of a run asked for while a store event (webhook) was processed."""
AFTER = "after "
"""Prefix of a follow-up's trigger: ``after jobs.supply.poll_supplier``."""
SCHEDULE_KEY = "schedule:"
"""Prefix of a scheduled run's dedupe key: a tick joins the previous tick's run while it has not
started, but never a follow-up (which must not wait for a scheduled run's spread delay), nor the reverse."""
MAX_TRIGGER = 200

_started_by: ContextVar[str | None] = ContextVar("connector_job_run_trigger", default=None)


@contextmanager
def started_by(trigger: str) -> Iterator[None]:
    """Runs recorded inside this block without a trigger of their own are started by ``trigger``."""
    token = _started_by.set(check_trigger(trigger))
    try:
        yield
    finally:
        _started_by.reset(token)


def current_trigger() -> str | None:
    """Who starts what is asked for here: the innermost ``started_by`` or recorded run, else None."""
    return _started_by.get()


def check_trigger(trigger: str) -> str:
    if not isinstance(trigger, str) or not trigger.strip() or len(trigger) > MAX_TRIGGER:
        raise ValueError(f"a run's trigger is a non-empty text of at most {MAX_TRIGGER} characters, got {trigger!r}")
    return trigger
