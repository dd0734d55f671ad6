"""gunicorn settings for the Procfile's web process (and bench/burst.py).

Threaded workers: a webhook spends most of its time waiting (the inbox commit, the queue push),
not computing, so a few threads per process keep the CPU busy where sync workers would sit idle
while a burst queues behind them. Eight a process: with four, a process waited on its commits with
the CPU idle and the RQ workers took it (bench/burst.py, 20,000 webhooks for 50 shops on 2 cores:
816 accepted/s with four, 1,004 and 1,094/s with eight, p99 51-55 ms either way; bench/README.md).
``WEB_THREADS`` overrides the count; ``--workers`` stays in the Procfile (``WEB_CONCURRENCY``).
Prometheus multiprocess clean-up on worker exit.
"""

from __future__ import annotations

import os
from typing import Any

worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "8"))


def child_exit(server: Any, worker: Any) -> None:
    from connector.metrics import mark_process_dead

    mark_process_dead(worker.pid)
