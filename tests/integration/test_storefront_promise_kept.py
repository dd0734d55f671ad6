"""The promise is what the customer saw (issue 16 item 3), on the Shopify simulator, SQLite and PostgreSQL.

The supplier's restock date is polled and published to the variant's ``$app.in_stock_date`` metafield;
the product page is the theme block rendered from the simulator's variant (tests/support/shopify_theme.py);
the order is placed with the line item properties that page's product form carries. Then the supplier's
date slips and the connector publishes the new one: the product page shows the new date, while the order's
line keeps ``promised_on`` and its backorder ``promised_date`` the date the customer saw (also after the
order is read again by reconciliation), and the backorder's expected date is the new one.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from connector.db.models import Backorder, OrderLine
from connector.supply.suppliers import add_supplier
from jobs.shops import reconcile
from jobs.supply import POLL_SUPPLIER, SYNC_CATALOG
from sandbox.stack import LocalStack, start_stack
from sandbox.supplier_sim.seed import SUPPLIER_TOKEN
from tests.support.shopify_theme import liquid_variant, render_ships_by

SKU = "SOCKS-M"  # none in stock, sold on backorder (policy CONTINUE) in the default seed
pytestmark = pytest.mark.slow


@pytest.fixture
def stack(database_url):  # type: ignore[no-untyped-def]
    with start_stack(database_url=database_url) as running:
        yield running


class FormInputs(HTMLParser):
    """The inputs the product block joins to the product form (name -> value)."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        found = dict(attrs)
        if tag == "input" and found.get("form") == "product-form-main":
            self.values[str(found["name"])] = str(found["value"])


def product_page(stack: LocalStack, domain: str) -> tuple[str, dict[str, str]]:
    """The block as Shopify renders it for the variant now: the text shown and the line's properties."""
    shown = liquid_variant(stack.sandbox.shopify.variant(domain, SKU))
    html = render_ships_by({"id": 1, "variants": [shown], "selected_or_first_available_variant": shown})
    text = re.search(r"<p class=\"backorder-ships-by__text\" data-backorder-text>(.*?)</p>", html, re.S)
    assert text is not None, html
    form = FormInputs()
    form.feed(html)
    return text.group(1), form.values


def published(stack: LocalStack, domain: str) -> str | None:
    field = stack.sandbox.shopify.variant(domain, SKU)["metafields"].get(("app--sim", "in_stock_date"))
    return field["value"] if field else None


def written(day: date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def publish_first_date(stack: LocalStack):  # type: ignore[no-untyped-def]
    """The supplier's restock date in 20 days, polled and published; returns shop, supplier and the date."""
    c = stack.container
    shop = next(i for i in stack.shops.values() if i.platform == "shopify")
    soon = datetime.now(UTC).date() + timedelta(days=20)
    stack.sandbox.supplier.set_stock({"sku": SKU, "quantity": 0, "restock_date": soon.isoformat()})
    supplier_id = add_supplier(c.uow(), c.box, shop.id, {
        "name": "sandbox-supplier", "kind": "http_json", "handling_days": 1, "transit_days": 1,
        "settings": {"url": stack.sandbox.supplier_url + "/api/cursor", "items_path": "items",
                     "auth": {"type": "bearer"},
                     "pagination": {"type": "cursor", "page_size": 4, "size_param": "limit"}},
        "secret": {"token": SUPPLIER_TOKEN}}, clients=c.supplier_client)
    c.queue.enqueue(SYNC_CATALOG, shop.id)
    c.queue.enqueue(POLL_SUPPLIER, supplier_id)
    assert c.queue.wait_idle(30)
    first = date.fromisoformat(str(published(stack, shop.domain)))
    assert first >= soon  # the supplier's date plus handling and transit
    return shop, supplier_id, first


def place_from_page(stack: LocalStack, domain: str, first: date, deliver_webhook: bool = True) -> dict:
    """The customer reads the page and adds the variant: the order carries the form's line properties."""
    text, line_properties = product_page(stack, domain)
    assert text == f"Backorder: ships by {written(first)}"
    assert line_properties == {"properties[Ships by]": written(first),
                               "properties[_backorder_ships_by]": first.isoformat()}
    properties = [{"name": name[len("properties["):-1], "value": value} for name, value in line_properties.items()]
    return stack.sandbox.shopify.create_order(domain, [{"sku": SKU, "quantity": 1, "properties": properties}],
                                              deliver_webhook=deliver_webhook)


def slip(stack: LocalStack, shop, supplier_id: int, first: date) -> date:  # type: ignore[no-untyped-def]
    """The supplier's date moves 25 days later and the connector publishes it; the page shows it."""
    later = first + timedelta(days=25)
    stack.sandbox.supplier.set_stock({"sku": SKU, "restock_date": later.isoformat()})
    stack.container.queue.enqueue(POLL_SUPPLIER, supplier_id)
    assert stack.container.queue.wait_idle(30)
    moved = date.fromisoformat(str(published(stack, shop.domain)))
    assert moved >= later > first
    assert product_page(stack, shop.domain)[0] == f"Backorder: ships by {written(moved)}"
    return moved


def kept(stack: LocalStack, first: date, moved: date) -> None:
    with stack.container.uow() as uow:
        line = uow.session.scalar(select(OrderLine).where(OrderLine.sku == SKU))
        assert (line.promised_on, line.promised_source) == (first, "line_property:_backorder_ships_by")
        backorder = uow.session.scalar(select(Backorder).where(Backorder.order_line_id == line.id))
        assert (backorder.promised_date, backorder.expected_date) == (first, moved)


def test_a_published_date_change_moves_the_page_but_not_the_promise_of_a_placed_order(stack):
    shop, supplier_id, first = publish_first_date(stack)
    order = place_from_page(stack, shop.domain, first)
    stack.wait_for_capture()
    assert stack.container.queue.wait_idle(30)

    moved = slip(stack, shop, supplier_id, first)
    reconcile(shop.id)  # the order read again from the store
    assert stack.container.queue.wait_idle(30)
    kept(stack, first, moved)
    in_store = stack.sandbox.shopify.order(shop.domain, order["id"])["line_items"][0]["properties"]
    assert {p["name"]: p["value"] for p in in_store}["_backorder_ships_by"] == first.isoformat()


def test_an_order_read_after_the_date_moved_keeps_the_date_its_customer_saw(stack):
    """Placed while the page showed the first date, read by the connector (reconciliation, no webhook)
    only after the new date was published: the promise is still the first date, not the connector's."""
    shop, supplier_id, first = publish_first_date(stack)
    place_from_page(stack, shop.domain, first, deliver_webhook=False)
    moved = slip(stack, shop, supplier_id, first)
    reconcile(shop.id)
    # reconciliation queues no date refresh (a webhook's capture does): the scheduled catalogue sync's does
    stack.container.queue.enqueue(SYNC_CATALOG, shop.id)
    assert stack.container.queue.wait_idle(30)
    kept(stack, first, moved)
