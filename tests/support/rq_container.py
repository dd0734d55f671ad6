"""A container on real PostgreSQL and a test's own redis-server, bound as the jobs' runtime (the jobs
then run in the test's process, as an RQ worker would run them)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from adapters.queue.rq_queue import RQQueue
from connector.bootstrap import Container, bootstrap
from connector.config import Settings
from connector.crypto import generate_key
from jobs import runtime


@contextmanager
def rq_container(database_url: str, redis_url: str) -> Iterator[Container]:
    settings = Settings(database_url=database_url, redis_url=redis_url, secret_key=generate_key(),
                        log_level="WARNING", allow_private_targets=True)
    c = bootstrap(settings, queue=RQQueue(redis_url), auto_upgrade=True)
    runtime.bind(c)
    try:
        yield c
    finally:
        c.close()
