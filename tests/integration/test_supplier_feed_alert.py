"""The supplier-down alert (issue 18, "Wrong today"): a stock feed that keeps failing gets its own e-mail,
"<Supplier> stock feed is not answering", in plain words (what the feed answered, how often, since the last
good read, when the connector tries again), with what the merchant can do; no exception text, no drop-ship
commands, no order footer. Through the sandbox's supplier (503s injected) and SMTP sink."""

from __future__ import annotations

import pytest

from connector.domain.supplier_outage import what_happened
from connector.shop_settings import set_setting
from connector.supply.suppliers import add_supplier
from jobs import supply
from sandbox.stack import start_stack
from sandbox.supplier_sim.seed import SUPPLIER_TOKEN

MERCHANT = "merchant@sandbox.example"
NAME = "Acme & Sons <EU>"


@pytest.fixture
def stack(database_url):  # type: ignore[no-untyped-def]
    with start_stack(database_url=database_url) as running:
        yield running


def test_a_feed_answering_503_is_told_in_plain_words_with_what_the_merchant_can_do(stack):
    c = stack.container
    info = next(iter(stack.shops.values()))
    set_setting(c.uow(), info.id, "alerts.email", MERCHANT)
    url = stack.sandbox.supplier_url + "/api/all"
    supplier_id = add_supplier(c.uow(), c.box, info.id, {
        "name": NAME, "kind": "http_json",
        "settings": {"url": url + "?token=do-not-show", "auth": {"type": "bearer"}, "max_attempts": 4,
                     "retry_base_delay": 0, "schedule": {"interval_minutes": 15}},
        "secret": {"token": SUPPLIER_TOKEN}}, clients=c.supplier_client)
    assert supply.poll_supplier(supplier_id) in ("ok", "unchanged")  # a good read first
    stack.sandbox.supplier.inject(status=503, count=100)

    assert supply.poll_supplier(supplier_id) == "failed"

    [mail] = stack.sandbox.smtp.to(MERCHANT)
    assert mail.subject == f"{NAME} stock feed is not answering"
    text, html = mail.part("plain"), mail.part("html")
    assert f"{NAME}'s stock feed at {url} answered 503 (server error) once since the last good read at " in text
    assert " UTC on " in text and "It tries again at its next scheduled poll (every 15 minutes)." in text
    assert "last good stock and dates" in text and "What you can do:" in text
    assert f'connector suppliers poll "{NAME}" --shop {info.domain}' in text and "Poll now" in text
    for wrong in ("SupplierUnavailable", "Error:", "Traceback", "do-not-show", "connector dropship", "Order -",
                  "Drop-ship"):
        assert wrong not in text and wrong not in html, wrong
    assert "Acme &amp; Sons &lt;EU&gt; stock feed is not answering" in html and "<EU>" not in html

    assert supply.poll_supplier(supplier_id) == "failed"  # the same outage: told once
    assert len(stack.sandbox.smtp.to(MERCHANT)) == 1


@pytest.mark.parametrize(("error", "error_type", "words"), [
    ("supplier acme: GET /stock answered 503 after 4 attempts", "SupplierUnavailable", "answered 503 (server error)"),
    ("supplier acme: GET /stock answered 404: not here", "SupplierRejected", "answered 404 (not found)"),
    ("supplier acme: GET failed after 2 attempts: ConnectionError", "SupplierUnavailable",
     "could not be reached (no connection)"),
    ("supplier acme: GET failed after 2 attempts: ReadTimeout", "SupplierUnavailable", "did not answer in time"),
    ("row 3: quantity is not a number", "SupplierFeedInvalid", "sent a file the connector could not read"),
])
def test_each_failure_reads_as_what_the_feed_did_not_as_an_exception(error, error_type, words):
    assert what_happened(error, error_type) == words
