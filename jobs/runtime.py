"""Where job functions find the composition root.

The in-process queue binds the app's container; an RQ worker process binds one it builds
from the environment the first time a job needs it.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from connector.bootstrap import Container

_lock = threading.Lock()
_container: Container | None = None


def bind(container: Container | None) -> None:
    global _container
    with _lock:
        _container = container


def container() -> Container:
    global _container
    with _lock:
        if _container is None:
            from connector.bootstrap import bootstrap

            _container = bootstrap()
        return _container


def enqueue_run(c: Container, job: str, *args: Any, shop_id: int | None = None, coalesce: bool = False,
                delay_seconds: float = 0.0, session: Session | None = None) -> int | None:
    """Queue a one-off job durably: recorded in job_runs first, so a lost queue (Redis flushed, a
    worker or this process killed) loses nothing; the sweeper queues it again. Returns the run id,
    or None when ``coalesce`` joined the same job and arguments already waiting to start.

    Use it where the work is asked for once (after an event, a change, a request). Scheduled
    fan-outs use ``c.queue.enqueue``: the clock's next tick asks for them again. Webhook events use
    the inbox. See adapters/queue/runs.py.
    """
    from adapters.queue.runs import enqueue_run as record_and_push

    return record_and_push(c.engine, c.queue, job, args, shop_id=shop_id, coalesce=coalesce,
                           delay_seconds=delay_seconds, session=session)
