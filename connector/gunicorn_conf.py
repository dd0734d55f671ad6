"""gunicorn settings for the Procfile's web process: Prometheus multiprocess clean-up on worker exit."""

from __future__ import annotations

from typing import Any


def child_exit(server: Any, worker: Any) -> None:
    from connector.metrics import mark_process_dead

    mark_process_dead(worker.pid)
