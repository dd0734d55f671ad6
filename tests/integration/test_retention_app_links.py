"""The merchant app's single-use nonces (app_links) are pruned by the hourly retention job once expired
past the grace, in bounded batches; live ones, and ones expired within the grace, are kept, and a pruned
link still cannot be replayed. SQLite and PostgreSQL.

Before: nothing ever deleted app_links rows (MerchantRepository.prune_links had no caller)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from connector.domain.clock import utcnow
from connector.domain.errors import AppAccessRefused
from connector.merchant import auth
from connector.merchant.models import AppLink
from connector.privacy import retention
from tests.support.retention_support import POLICY, webapp_running_jobs
from tests.support.webapp import WebApp


@pytest.fixture
def web(database_url: str) -> Iterator[WebApp]:
    with webapp_running_jobs(database_url) as app:
        yield app


def add_links(web: WebApp, links: dict[str, timedelta]) -> None:
    now = utcnow()
    with web.container.uow() as uow:
        for name, expires_in in links.items():
            uow.session.add(AppLink(shop_id=web.shop_id, purpose="woocommerce_enter",  # type: ignore[union-attr]
                                    nonce_hash=name, created_at=now + expires_in - timedelta(minutes=5),
                                    expires_at=now + expires_in, used_at=now if name.startswith("used") else None))
        uow.commit()


def kept(web: WebApp) -> set[str]:
    with web.container.uow() as uow:
        return set(uow.session.scalars(select(AppLink.nonce_hash)))  # type: ignore[union-attr]


def test_expired_app_links_go_after_the_grace_and_live_ones_stay(web: WebApp) -> None:
    add_links(web, {"expired-2h": -timedelta(hours=2), "used-expired-3h": -timedelta(hours=3),
                    "expired-30m": -timedelta(minutes=30), "live": timedelta(minutes=4),
                    "used-live": timedelta(minutes=8)})

    report = retention.prune(web.container.engine, POLICY)

    assert report.deleted["app_links"] == 2 and not report.more
    assert kept(web) == {"expired-30m", "live", "used-live"}


def test_a_backlog_of_links_is_pruned_in_bounded_runs_by_the_job(web: WebApp, monkeypatch) -> None:
    add_links(web, {f"old-{n}": -timedelta(days=2, minutes=n) for n in range(5)} | {"live": timedelta(minutes=5)})
    monkeypatch.setattr(retention, "BATCH_ROWS", 2)
    monkeypatch.setattr(retention, "MAX_BATCHES", 1)
    from jobs.retention import PRUNE, prune

    assert prune()["app_links"] == 2
    assert web.queue.jobs == [(PRUNE, (), 5.0)]  # rows left: the next run is asked for
    monkeypatch.setattr(retention, "MAX_BATCHES", 10)
    assert prune()["app_links"] == 3
    assert kept(web) == {"live"}


def test_a_pruned_link_is_still_refused_by_its_own_expiry(web: WebApp) -> None:
    web.container.settings = web.container.settings.with_overrides(app_url="https://connector.example")
    url = auth.mint_link(web.container, web.store_id, "1", "admin", now=utcnow() - timedelta(hours=2))
    query = parse_qs(urlsplit(url).query)

    assert retention.prune(web.container.engine, POLICY).deleted["app_links"] == 1
    assert kept(web) == set()
    with pytest.raises(AppAccessRefused, match="expired"):
        auth.open_link(web.container, query["store"][0], query["token"][0])
