"""What the retention tests share (connector/privacy/retention.py): the policy they prune by, and an app on
the test's database whose container the jobs run in (jobs/runtime bound to it, unbound and closed after)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from connector.privacy import retention
from jobs import runtime
from tests.support.webapp import WebApp, make_webapp

POLICY = retention.RetentionPolicy(webhook_events_days=30, install_grace=timedelta(hours=1))


@contextmanager
def webapp_running_jobs(database_url: str) -> Iterator[WebApp]:
    app = make_webapp(database_url)
    runtime.bind(app.container)
    try:
        yield app
    finally:
        runtime.bind(None)
        app.container.close()
