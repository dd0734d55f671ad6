"""Supplier pushes (supplier_pushes) are pruned by the hourly retention job once done or failed longer
ago than retention.webhook_events_days, in bounded batches; pending and running pushes are kept however
old, and 0 days keeps them all. SQLite and PostgreSQL.

Before: nothing deleted supplier_pushes rows, so a supplier pushing on every change grew the table forever."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from connector.domain.clock import utcnow
from connector.privacy import retention
from connector.supply.models import Supplier, SupplierPush
from tests.support.retention_support import POLICY, webapp_running_jobs
from tests.support.webapp import WebApp


@pytest.fixture
def web(database_url: str) -> Iterator[WebApp]:
    with webapp_running_jobs(database_url) as app:
        yield app


def add_pushes(web: WebApp, pushes: dict[str, tuple[str, timedelta]]) -> None:
    """event id -> (status, age of received_at/processed_at)."""
    now = utcnow()
    with web.container.uow() as uow:
        supplier = Supplier(shop_id=web.shop_id, name="Tea & Leaf", kind="http_api")
        uow.session.add(supplier)  # type: ignore[union-attr]
        uow.session.flush()  # type: ignore[union-attr]
        for event_id, (status, age) in pushes.items():
            finished = status in ("done", "failed")
            uow.session.add(SupplierPush(  # type: ignore[union-attr]
                shop_id=web.shop_id, supplier_id=supplier.id, event_id=event_id, kind="changed",
                body=b'{"event": "changed"}', status=status, received_at=now - age,
                processed_at=now - age if finished else None))
        uow.commit()


def kept(web: WebApp) -> set[str]:
    with web.container.uow() as uow:
        return set(uow.session.scalars(select(SupplierPush.event_id)))  # type: ignore[union-attr]


def test_finished_pushes_go_after_the_horizon_and_waiting_or_recent_ones_stay(web: WebApp) -> None:
    add_pushes(web, {"done-40d": ("done", timedelta(days=40)), "failed-31d": ("failed", timedelta(days=31)),
                     "done-2d": ("done", timedelta(days=2)), "pending-90d": ("pending", timedelta(days=90)),
                     "processing-60d": ("processing", timedelta(days=60))})

    report = retention.prune(web.container.engine, POLICY)

    assert report.deleted["supplier_pushes"] == 2 and not report.more
    assert kept(web) == {"done-2d", "pending-90d", "processing-60d"}


def test_a_backlog_of_pushes_is_pruned_in_bounded_runs(web: WebApp) -> None:
    add_pushes(web, {f"old-{n}": ("done", timedelta(days=45)) for n in range(7)})

    first = retention.prune(web.container.engine, POLICY, batch_rows=2, max_batches=2)
    assert first.deleted["supplier_pushes"] == 4 and first.more
    second = retention.prune(web.container.engine, POLICY, batch_rows=2, max_batches=2)
    assert second.deleted["supplier_pushes"] == 3 and not second.more
    assert kept(web) == set()


def test_zero_days_keeps_supplier_pushes_forever(web: WebApp) -> None:
    add_pushes(web, {"done-400d": ("done", timedelta(days=400))})
    report = retention.prune(web.container.engine, retention.RetentionPolicy(webhook_events_days=0))
    assert "supplier_pushes" not in report.deleted
    assert kept(web) == {"done-400d"}
