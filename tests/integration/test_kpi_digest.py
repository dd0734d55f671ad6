"""The weekly KPI digest through a real SMTP server on loopback (SQLite and PostgreSQL): off by default, sent
once per shop and ISO week in text and HTML with the KPIs and the reorder list, a retry after a certain
failure, never twice when the ledger says it went (or may have), and the daily tick queues only the shops
that asked for it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from connector.reorder.models import SalesDaily
from connector.reports.digest import send_weekly_digest
from connector.reports.kpi_repository import DigestRepository
from connector.shop_settings import set_settings
from connector.supply.models import StoreSku, Supplier, SupplierStock
from jobs.reports import enqueue_weekly_digests, weekly_digest
from sandbox.smtp_sink import SmtpSink
from tests.support.kpi_data import add_history
from tests.support.webapp import SHOP, WebApp, make_webapp

MONDAY = datetime(2026, 11, 30, 6, 5, tzinfo=UTC)  # ISO week 2026-W49
MERCHANT = "owner@outdoors.example"


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with SmtpSink() as running:
        yield running


@pytest.fixture
def web(database_url: str, sink: SmtpSink) -> Iterator[WebApp]:
    app = make_webapp(database_url, smtp_host=sink.host, smtp_port=sink.port, smtp_from="digest@connector.example")
    with app.container.uow() as uow:
        shop = uow.shops.get(app.shop_id)
        assert shop is not None
        shop.contact_email = MERCHANT
        uow.commit()
    yield app
    app.container.close()


def send(web: WebApp, now: datetime = MONDAY, mailer: object | None = None) -> str:
    c = web.container
    return send_weekly_digest(c.uow(), mailer or c.smtp_mailer(), web.shop_id, sender="digest@connector.example",
                              now=now).status


def add_reorder_history(web: WebApp) -> None:
    """MUG sold 4 a day for 120 days, 20 in stock, 10 days' lead time at Acme: reorder soon."""
    with web.container.uow() as uow:
        s = uow.session
        acme = s.query(Supplier).filter_by(shop_id=web.shop_id, name="Acme").one()
        acme.lead_time_days = 10
        s.add(StoreSku(shop_id=web.shop_id, sku="MUG", available=20))
        s.add(SupplierStock(shop_id=web.shop_id, supplier_id=acme.id, sku="MUG", lead_time_days=10))
        first = MONDAY.date() - timedelta(days=120)
        s.add_all(SalesDaily(shop_id=web.shop_id, sku="MUG", day=first + timedelta(days=d), units=4, orders=2)
                  for d in range(120))
        uow.commit()


def test_the_digest_is_off_until_the_shop_asks_and_needs_a_contact_email(web: WebApp, sink: SmtpSink) -> None:
    assert send(web) == "off"
    set_settings(web.container.uow(), web.shop_id, {"reports.weekly_digest": True})
    with web.container.uow() as uow:
        shop = uow.shops.get(web.shop_id)
        assert shop is not None
        shop.contact_email = None
        uow.commit()
    assert send(web) == "no_recipient"
    assert sink.messages == []


def test_the_digest_goes_once_a_week_with_the_kpis_and_the_reorder_list(web: WebApp, sink: SmtpSink) -> None:
    add_history(web.container.uow(), web.shop_id)
    add_reorder_history(web)
    set_settings(web.container.uow(), web.shop_id, {"reports.weekly_digest": True})
    assert send(web) == "sent"
    assert send(web, MONDAY + timedelta(days=3)) == "already"  # same ISO week
    [mail] = sink.to(MERCHANT)
    assert mail.subject == f"{SHOP}: backorder KPIs, week 2026-W49"
    text, html = mail.part("plain"), mail.part("html")
    assert "Period: 2026-09-02 to 2026-11-30 (90 days, UTC)" in text
    assert "Waiting now: 3 backorders, 5 units, 30.00 EUR, 5.00 USD" in text
    assert "Last week (2026-W48): 1 opened, 1 closed" in text
    assert "Time to fill: median 3.0 days, 90th percentile 10.0 days, 67% within 7 days (3 filled)" in text
    assert "- Acme: 2.0 days late on average (spread 1.63), 33% on time; 1 of 2 date changes slipped" in text
    assert "Review ordering" not in text  # 4 backorders in 90 days, 7.5 days' wait: under the defaults (4, 21)
    assert "- MUG: reorder by " in text and "from Acme" in text
    assert "<td>MUG</td>" in html and "Waiting now" in html and "<script" not in html
    assert send(web, MONDAY + timedelta(days=7)) == "sent"  # the next week
    assert len(sink.to(MERCHANT)) == 2
    with web.container.uow() as uow:
        row = uow.repo(DigestRepository).get(web.shop_id, "2026-W49")
        assert row is not None and row.status == "sent" and row.attempts == 1 and row.provider_message_id


def test_a_digest_the_server_refused_for_now_is_sent_on_the_next_tick_of_the_week(web: WebApp,
                                                                                     sink: SmtpSink) -> None:
    set_settings(web.container.uow(), web.shop_id, {"reports.weekly_digest": True})
    sink.refuse_next(3)  # the mailer's three attempts
    assert send(web) == "failed"
    assert sink.to(MERCHANT) == []
    assert send(web, MONDAY + timedelta(days=1)) == "sent"
    assert len(sink.to(MERCHANT)) == 1
    with web.container.uow() as uow:
        row = uow.repo(DigestRepository).get(web.shop_id, "2026-W49")
        assert row is not None and row.attempts == 2 and row.status == "sent"


def test_a_digest_left_sending_is_never_sent_again_that_week(web: WebApp, sink: SmtpSink) -> None:
    set_settings(web.container.uow(), web.shop_id, {"reports.weekly_digest": True})
    with web.container.uow() as uow:  # a worker died after claiming the week: it may have sent it
        assert uow.repo(DigestRepository).claim(web.shop_id, "2026-W49") is not None
        uow.commit()
    assert send(web) == "already"
    assert sink.messages == []


def test_the_daily_tick_queues_the_digest_of_each_shop_that_asked_and_the_job_sends_it(web: WebApp,
                                                                                        sink: SmtpSink) -> None:
    set_settings(web.container.uow(), web.shop_id, {"reports.weekly_digest": True})
    assert enqueue_weekly_digests(web.container) == 1  # the WooCommerce store did not ask
    assert [(job, args) for job, args, _ in web.queue.jobs] == [("jobs.reports.weekly_digest", (web.shop_id,))]
    assert weekly_digest(web.shop_id) == "sent"  # as the worker runs it, with the bound container's mailer
    assert weekly_digest(web.shop_id) == "already"
    assert len(sink.to(MERCHANT)) == 1
