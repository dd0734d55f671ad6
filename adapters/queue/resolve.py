"""Turn a job reference ("jobs.events.process_event") into the function. Only jobs.* is allowed."""

from __future__ import annotations

import importlib
from collections.abc import Callable
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
