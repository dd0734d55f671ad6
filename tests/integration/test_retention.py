"""Retention (connector/privacy/retention.py): finished webhook events and spent install records are
pruned by the clock in bounded batches; unfinished events and live states are kept. SQLite and PostgreSQL.

Before: nothing pruned webhook_events at all, and states and connects only a day after they expired.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from connector.db.models import WebhookEvent
from connector.domain.clock import utcnow
from connector.install.models import OAuthState, PendingConnect
from connector.privacy import retention
from tests.support.retention_support import POLICY, webapp_running_jobs
from tests.support.webapp import API_TOKEN, WebApp


@pytest.fixture
def web(database_url: str) -> Iterator[WebApp]:
    with webapp_running_jobs(database_url) as app:
        yield app


def _event(web: WebApp, key: str, status: str, *, received_days: float, processed_days: float | None = None,
           claimed_days: float | None = None) -> None:
    now = utcnow()
    with web.container.uow() as uow:
        uow.session.add(WebhookEvent(  # type: ignore[union-attr]
            shop_id=web.shop_id, topic="orders/create", dedupe_key=key, headers="{}", body=b"{}", status=status,
            attempts=1, received_at=now - timedelta(days=received_days),
            processed_at=None if processed_days is None else now - timedelta(days=processed_days),
            claimed_at=None if claimed_days is None else now - timedelta(days=claimed_days)))
        uow.commit()


def _event_keys(web: WebApp) -> set[str]:
    with web.container.uow() as uow:
        return set(uow.session.scalars(select(WebhookEvent.dedupe_key)))  # type: ignore[union-attr]


def _keys(web: WebApp, model: Any, column: Any) -> set[str]:
    with web.container.uow() as uow:
        return set(uow.session.scalars(select(column)))  # type: ignore[union-attr]


def test_old_finished_events_are_pruned_and_recent_or_unfinished_ones_kept(web: WebApp) -> None:
    _event(web, "done-old", "done", received_days=41, processed_days=40)
    _event(web, "failed-old", "failed", received_days=41, processed_days=40)
    _event(web, "parked-old", "parked", received_days=41, processed_days=40)
    _event(web, "ignored-at-uninstall", "ignored", received_days=40)  # uninstall sets no processed_at
    _event(web, "done-late", "done", received_days=45, processed_days=10)  # processed 10 days ago: kept
    _event(web, "done-recent", "done", received_days=1, processed_days=1)
    _event(web, "pending-old", "pending", received_days=40)
    _event(web, "retry-old", "retry", received_days=40)
    _event(web, "processing-old", "processing", received_days=40, claimed_days=39)  # a lease holds it

    report = retention.prune(web.container.engine, POLICY, batch_rows=2)

    assert report.deleted["webhook_events"] == 4 and not report.more
    assert _event_keys(web) == {"done-late", "done-recent", "pending-old", "retry-old", "processing-old"}


def test_a_backlog_is_pruned_in_bounded_runs_that_say_when_rows_are_left(web: WebApp) -> None:
    for n in range(7):
        _event(web, f"old-{n}", "done", received_days=60, processed_days=60)

    first = retention.prune(web.container.engine, POLICY, batch_rows=2, max_batches=2)
    assert first.deleted["webhook_events"] == 4 and first.more
    second = retention.prune(web.container.engine, POLICY, batch_rows=2, max_batches=2)
    assert second.deleted["webhook_events"] == 3 and not second.more
    assert _event_keys(web) == set()


def test_zero_days_keeps_webhook_events_forever(web: WebApp) -> None:
    _event(web, "ancient", "done", received_days=900, processed_days=900)
    report = retention.prune(web.container.engine, retention.RetentionPolicy(webhook_events_days=0))
    assert "webhook_events" not in report.deleted
    assert _event_keys(web) == {"ancient"}


def test_expired_and_used_install_records_go_after_the_grace_and_live_ones_stay(web: WebApp) -> None:
    now = utcnow()
    states = {  # name: (expires_at, used_at)
        "expired-2h": (now - timedelta(hours=2), None),
        "expired-30m": (now - timedelta(minutes=30), None),  # within the grace hour
        "live": (now + timedelta(minutes=5), None),
        "used-2h": (now + timedelta(minutes=5), now - timedelta(hours=2)),
        "used-5m": (now + timedelta(minutes=5), now - timedelta(minutes=5)),
    }
    with web.container.uow() as uow:
        for name, (expires, used) in states.items():
            uow.session.add(OAuthState(platform="shopify", shop_domain="x.myshopify.com",  # type: ignore[union-attr]
                                       state_hash=name, expires_at=expires, used_at=used))
            uow.session.add(PendingConnect(store_url=f"https://{name}.example",  # type: ignore[union-attr]
                                           user_id_hash=name, expires_at=expires, used_at=used))
        uow.commit()

    report = retention.prune(web.container.engine, POLICY)

    assert report.deleted["oauth_states"] == 2 and report.deleted["pending_connects"] == 2
    kept = {"expired-30m", "live", "used-5m"}
    assert _keys(web, OAuthState, OAuthState.state_hash) == kept
    assert _keys(web, PendingConnect, PendingConnect.user_id_hash) == kept


def test_the_job_prunes_by_the_settings_and_queues_a_follow_up_for_a_backlog(web: WebApp, monkeypatch) -> None:
    web.container.settings = web.container.settings.with_overrides(retention_webhook_events_days=7)
    for n in range(5):
        _event(web, f"old-{n}", "done", received_days=8, processed_days=8)
    _event(web, "week-old", "done", received_days=6, processed_days=6)
    monkeypatch.setattr(retention, "BATCH_ROWS", 2)
    monkeypatch.setattr(retention, "MAX_BATCHES", 1)
    from jobs.retention import PRUNE, prune

    assert prune()["webhook_events"] == 2
    assert web.queue.jobs == [(PRUNE, (), 5.0)]  # rows left: the next run is asked for
    monkeypatch.setattr(retention, "MAX_BATCHES", 10)
    assert prune()["webhook_events"] == 3
    assert len(web.queue.jobs) == 1
    assert _event_keys(web) == {"week-old"}


def test_the_clock_declares_the_hourly_prune(web: WebApp) -> None:
    from jobs.retention import INTERVAL_MINUTES, PRUNE
    from jobs.schedules import build_scheduler

    scheduler = build_scheduler(web.container)
    job = scheduler.get_job("retention")
    assert job is not None
    assert job.trigger.interval == timedelta(minutes=INTERVAL_MINUTES) == timedelta(hours=1)
    job.func()
    assert web.queue.jobs == [(PRUNE, (), 0.0)]


def test_connector_jobs_run_prune_deletes_the_backlog(web: WebApp, database_url: str) -> None:
    from connector.cli import main

    for n in range(3):
        _event(web, f"old-{n}", "done", received_days=31, processed_days=31)
    env = {"DATABASE_URL": database_url, "CONNECTOR_SECRET_KEY": web.container.settings.secret_key or "",
           "SHOPIFY_API_SECRET": "s", "CONNECTOR_API_TOKEN": API_TOKEN}
    result = CliRunner().invoke(main, ["jobs", "run", "prune"], env=env)
    assert result.exit_code == 0, result.output
    assert "webhook_events: 3" in result.output
    assert _event_keys(web) == set()
