"""A supplier that keeps failing: its last good data stays in force and the merchant is told, once per outage."""

from __future__ import annotations

import socket

import pytest

from connector.dropship.alerts import list_alerts
from connector.shop_settings import set_setting
from connector.supply.models import Supplier
from connector.supply.suppliers import add_supplier
from jobs import supply
from sandbox.stack import start_stack

MERCHANT = "merchant@sandbox.example"


@pytest.fixture
def stack(database_url):  # type: ignore[no-untyped-def]
    with start_stack(database_url=database_url, http_max_attempts=1) as running:
        yield running


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_supplier_that_cannot_be_reached_alerts_the_merchant_once_per_outage(stack, tmp_path):
    c = stack.container
    shop_id = next(iter(stack.shops.values())).id
    set_setting(c.uow(), shop_id, "alerts.email", MERCHANT)
    supplier_id = add_supplier(c.uow(), c.box, shop_id, {
        "name": "flaky", "kind": "http_json",
        "settings": {"url": f"http://127.0.0.1:{closed_port()}/stock", "max_attempts": 2, "retry_base_delay": 0}},
        clients=c.supplier_client)

    assert supply.poll_supplier(supplier_id) == "failed"
    assert supply.poll_supplier(supplier_id) == "failed"  # the same outage: no second alert

    [mail] = stack.sandbox.smtp.to(MERCHANT)
    assert mail.subject == "flaky stock feed is not answering"
    assert "could not be reached (no connection) once and has never been read successfully" in mail.part("plain")
    assert "no stock or dates from this supplier yet" in mail.part("plain")
    [row] = list_alerts(c.uow(), shop_id)
    assert row["kind"] == "supplier_feed_down" and row["sent"]
    with c.uow() as uow:
        supplier = uow.session.get(Supplier, supplier_id)
        assert supplier.consecutive_failures == 2 and supplier.last_error
