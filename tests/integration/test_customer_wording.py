"""Wording customers trust (issue 18 items 4-5), through the real chain: supplier rows, the real date
computation (connector/supply/dates.py, the one the storefront's "ships by" comes from), the notify
evaluation and a real SMTP server. The date is said as "ships by" only where it counts the supplier's
handling and transit days, the same date the product page shows; otherwise "expected in stock on", with
no shipping day promised. Items by their product title, never the SKU; the shop owns a delay."""

from __future__ import annotations

from datetime import date

import pytest

from connector.db.models import Backorder
from connector.notify.email import long_date
from connector.supply.models import SkuEta
from tests.support.notify_support import days


def customer(h, backorder_id: int, *, first_name: str | None = None, locale: str | None = None,  # type: ignore[no-untyped-def]
             status_url: str | None = None) -> None:
    with h.container.uow() as uow:
        order = uow.session.get(Backorder, backorder_id).line.order
        order.customer_first_name, order.locale, order.status_url = first_name, locale, status_url
        uow.commit()


def page_date(h, sku: str) -> date | None:  # type: ignore[no-untyped-def]
    with h.container.uow() as uow:
        return uow.session.query(SkuEta).filter_by(shop_id=h.shop_id, sku=sku).one().page_date


def test_a_date_counting_handling_and_transit_days_is_the_ships_by_date_the_product_page_shows(h, sink):
    backorder = h.backorder(expected=None, title="Darjeeling & Assam <Blend> 100 g", sku="TEA-DA")
    customer(h, backorder, first_name="Anna", status_url="https://tea-shop.example/orders/abc?key=1&x=2")
    h.restock(["TEA-DA"], days(20), handling=2, transit=3)
    assert page_date(h, "TEA-DA") == days(25)  # what the storefront says: "ships by" that day

    h.evaluate()

    [mail] = sink.to("ada@example.com")
    ships = long_date(days(25))
    assert mail.subject == f"Order #1001: ships by {ships}"
    text, html = mail.part("plain"), mail.part("html")
    assert text.startswith("Hello Anna,\r\n")
    assert "2 × Darjeeling & Assam <Blend> 100 g\r\n" in text
    assert "2 × Darjeeling &amp; Assam &lt;Blend&gt; 100 g</li>" in html
    assert f"They ship by {ships}." in text and f"They ship by <strong>{ships}</strong>." in html
    assert "in stock on" not in text and "in stock on" not in html  # one term
    for said in (text, html):
        assert "TEA-DA" not in said and "supplier" not in said.lower()
    assert "Your order in our store: https://tea-shop.example/orders/abc?key=1&x=2" in text
    assert 'href="https://tea-shop.example/orders/abc?key=1&amp;x=2"' in html


def test_without_handling_or_transit_days_the_date_is_an_expected_in_stock_date_with_no_ship_day_promised(h, sink):
    backorder = h.backorder(expected=None, sku="TEA-DA")
    customer(h, backorder)  # no first name
    h.restock(["TEA-DA"], days(20), handling=0, transit=0)

    h.evaluate()

    [mail] = sink.to("ada@example.com")
    when = long_date(days(20))
    assert mail.subject == f"Order #1001: expected in stock on {when}"
    text = mail.part("plain")
    assert text.startswith("Hello,\r\n")
    assert f"We expect it in stock on {when} and will ship it as soon as it arrives." in text
    assert "ships by" not in text and "ship by" not in text


def test_a_purchase_orders_date_is_not_said_as_ships_by(h, sink):
    """A date that does not come from a supplier's handling and transit days is not said as a ship day,
    even when the shop has a supplier with such days for another SKU."""
    h.restock(["OTHER"], days(20), handling=2, transit=3)
    h.backorder(expected=days(20), sku="TEA-DA")  # dated by hand (no sku_eta row): no handling known

    h.evaluate()

    [mail] = sink.to("ada@example.com")
    assert mail.subject == f"Order #1001: expected in stock on {long_date(days(20))}"


def test_a_slip_is_the_shops_apology_with_the_new_ships_by_date_in_dutch_by_first_name(h, sink):
    h.set("notify.shipping_promise_days", 90)  # the new date is still within the promise: an apology
    backorder = h.backorder(expected=None, sku="TEA-DA", title="Sencha Uji")
    customer(h, backorder, first_name="Anna", locale="nl-NL")
    h.restock(["TEA-DA"], days(20), handling=2, transit=3)
    h.evaluate()
    h.restock(["TEA-DA"], days(40), handling=2, transit=3)  # the supplier slips by 20 days

    h.evaluate()

    first, apology = sink.to("ada@example.com")
    told, now = long_date(days(25), "nl"), long_date(days(45), "nl")
    assert first.subject == f"Bestelling #1001: verzonden uiterlijk {told}"
    assert apology.subject == f"Bestelling #1001: sorry, een nieuwe datum: verzonden uiterlijk {now}"
    text = apology.part("plain")
    assert text.startswith("Hallo Anna,\r\n")
    assert "worden later verzonden dan we je hadden gezegd" in text
    assert f"De datum die we je gaven was {told}. Ze worden nu uiterlijk {now} verzonden." in text
    assert "1 × Sencha Uji" not in text and "2 × Sencha Uji" in text
    for said in (text, apology.part("html")):
        assert "TEA-DA" not in said and "leverancier" not in said.lower() and "supplier" not in said.lower()


@pytest.mark.parametrize("quantity, words", [(1, "1 item"), (3, "3 items")])
def test_a_line_the_store_gave_no_title_for_is_counted_not_named_by_its_sku(h, sink, quantity, words):
    h.backorder(expected=days(20), sku="TEA-NO-TITLE", title="", quantity=quantity)

    h.evaluate()

    [mail] = sink.to("ada@example.com")
    assert f"  - {words}\r\n" in mail.part("plain") and f"<li>{words}</li>" in mail.part("html")
    assert "TEA-NO-TITLE" not in mail.part("plain") and "TEA-NO-TITLE" not in mail.part("html")


def test_a_decision_request_to_the_merchant_names_a_line_without_a_title_by_its_sku(h):
    from connector.notify.delivery import message_context
    from connector.notify.models import Message
    from connector.notify.settings import load

    backorder = h.backorder(expected=days(20), sku="TEA-DA", title="")
    with h.container.uow() as uow:
        order_id = uow.session.get(Backorder, backorder).line.order_id
    shop = load(h.container.uow(), h.shop_id)
    draft = Message(shop_id=h.shop_id, backorder_id=backorder, order_id=order_id, kind="merchant_decision",
                    date_key=days(20).isoformat(), outcome="")
    with h.container.uow() as uow:
        context, _ = message_context(uow, shop, draft, links=h.links)
    assert context["items"][0]["title"] == "TEA-DA" and context["items"][0]["sku"] == "TEA-DA"
    assert context["shop_domain"] == "tea-shop.myshopify.com" and "brand" not in context
