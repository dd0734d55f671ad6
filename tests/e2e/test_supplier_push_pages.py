"""A supplier's push reaches both stores' product pages (SQLite and PostgreSQL): the sandbox supplier,
given its push URL and key, calls the connector on a change; the worker stores the pushed rows (or polls
at once), and the dates land on the Shopify variant metafield and the WooCommerce product meta."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from connector.supply.push import make_push_secret
from connector.supply.suppliers import add_supplier
from jobs.supply import POLL_SUPPLIER, SYNC_CATALOG
from sandbox.stack import start_stack
from tests.e2e.test_dates_e2e import shopify_page, supplier_spec, woo_page


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["rows", "changed"])
def test_a_pushed_change_is_on_both_stores_pages_within_seconds(database_url, mode) -> None:
    with start_stack(database_url=database_url) as stack:
        c = stack.container
        shop = next(i for i in stack.shops.values() if i.platform == "shopify")
        store = next(i for i in stack.shops.values() if i.platform == "woocommerce")
        spec = supplier_spec(stack.sandbox.supplier_url)
        spec["settings"]["schedule"] = {"interval_minutes": 60}  # no scheduled poll comes to help
        ids = {info.id: add_supplier(c.uow(), c.box, info.id, spec, clients=c.supplier_client)
               for info in (shop, store)}
        for info in (shop, store):
            c.queue.enqueue(SYNC_CATALOG, info.id)
            c.queue.enqueue(POLL_SUPPLIER, ids[info.id])
        c.queue.wait_idle(60)
        for info in (shop, store):
            made = make_push_secret(c.uow(), c.box, info.id, ids[info.id])
            stack.sandbox.supplier.pusher.add(stack.url + made.path(), made.secret, mode)
        day = datetime.now(UTC).date() + timedelta(days=90)
        stack.sandbox.supplier.set_stock({"sku": "SOCKS-M", "quantity": 0, "restock_date": day.isoformat()},
                                         {"sku": "HOOD-M", "quantity": 0, "restock_date": day.isoformat()})
        expected = (day + timedelta(days=2)).isoformat()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if shopify_page(stack, shop.domain, "SOCKS-M") == expected == woo_page(stack, store.domain, "HOOD-M"):
                break
            time.sleep(0.1)
        assert shopify_page(stack, shop.domain, "SOCKS-M") == expected
        assert woo_page(stack, store.domain, "HOOD-M") == expected
        assert {p["status"] for p in stack.sandbox.supplier.pusher.sent} == {202}
