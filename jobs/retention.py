"""Retention: prune finished webhook events, spent install records and app link nonces
(connector/privacy/retention.py)."""

from __future__ import annotations

import logging

from connector.job_refs import job_ref
from connector.privacy import retention
from jobs import runtime

log = logging.getLogger(__name__)

INTERVAL_MINUTES = 60
"""How often the clock asks for a prune. Each run is cheap: bounded batches, nothing scanned past
the retention boundary."""
FOLLOW_UP_SECONDS = 5.0
"""A run that stopped with rows left queues the next one this much later (a backlog drains in
bounded runs, with room for other jobs between them)."""


def prune() -> dict[str, int]:
    """Delete what the retention settings no longer keep; returns the rows deleted per table."""
    c = runtime.container()
    report = retention.prune(c.engine, retention.RetentionPolicy.from_settings(c.settings))
    if report.more:  # not recorded (job_runs): the next scheduled prune asks for the rest anyway
        runtime.enqueue(c, prune, delay_seconds=FOLLOW_UP_SECONDS)
    return report.deleted


PRUNE = job_ref(prune)
