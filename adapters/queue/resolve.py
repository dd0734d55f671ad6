"""Turn a job reference ("jobs.events.process_event") into the function. Only jobs.* is allowed."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from functools import cache
from typing import Any

from connector.domain.errors import PermanentError


def resolve_job(name: str) -> Callable[..., Any]:
    module_name, _, function_name = name.rpartition(".")
    if not module_name.startswith("jobs.") or not function_name:
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
