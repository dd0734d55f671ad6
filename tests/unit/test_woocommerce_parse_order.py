"""parse_order on WooCommerce's documented order JSON and on payloads it must refuse."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from adapters.woocommerce.orders import has_refunds, parse_order, refunded_units
from connector.domain.errors import InvalidPayload
from tests.conftest import load_json_fixture


def order_727() -> dict[str, Any]:
    return load_json_fixture("woocommerce/wc_v3_order_create_response.json")


def test_the_documented_create_response_becomes_a_snapshot_with_utc_dates() -> None:
    snapshot = parse_order(order_727())
    assert snapshot.order_id == "727"
    assert snapshot.name == "#727"
    assert snapshot.created_at == datetime(2017, 3, 22, 19, 28, 2, tzinfo=UTC)
    assert snapshot.updated_at == datetime(2017, 3, 22, 19, 28, 8, tzinfo=UTC)
    assert snapshot.customer_email == "john.doe@example.com"
    assert snapshot.raw_status == "processing"
    assert snapshot.financial_status == "paid"
    assert snapshot.cancelled is False


def test_a_simple_line_has_no_variant_and_an_empty_sku_becomes_none() -> None:
    simple, variation = parse_order(order_727()).lines
    assert (simple.line_id, simple.quantity, simple.sku) == ("315", 2, None)
    assert (simple.product_id, simple.variant_id, simple.stock_key) == ("93", None, "93")
    assert simple.title == "Woo Single #1"
    assert simple.backordered_meta is None
    assert (variation.product_id, variation.variant_id, variation.sku) == ("22", "23", "Bar3")
    assert variation.stock_key == "23"


def test_every_order_of_the_documented_list_parses() -> None:
    orders = [parse_order(item) for item in load_json_fixture("woocommerce/wc_v3_orders_list_response.json")]
    assert [o.order_id for o in orders] == ["727", "723"]
    completed = orders[1]
    assert completed.raw_status == "completed"
    assert completed.financial_status == "paid"  # completed is a paid status even without date_paid
    assert completed.customer_email == "joao.silva@example.com"


def with_line_meta(*meta: dict[str, Any]) -> dict[str, Any]:
    payload = order_727()
    payload["line_items"][0]["meta_data"] = list(meta)
    return payload


def test_the_backordered_line_meta_gives_the_units_short() -> None:
    payload = with_line_meta({"id": 1, "key": "Backordered", "value": "2"})
    assert parse_order(payload).lines[0].backordered_meta == 2


def test_a_translated_backordered_key_is_read_when_configured() -> None:
    payload = with_line_meta({"id": 1, "key": "Nachbestellt", "value": 1})
    assert parse_order(payload).lines[0].backordered_meta is None
    assert parse_order(payload, ("Backordered", "Nachbestellt")).lines[0].backordered_meta == 1


def test_the_display_key_is_matched_as_well_as_the_key() -> None:
    payload = with_line_meta({"id": 1, "key": "_custom", "display_key": "Backordered", "value": "3"})
    assert parse_order(payload).lines[0].backordered_meta == 3


def test_cancelled_and_refunded_statuses_are_reflected() -> None:
    payload = order_727()
    payload["status"] = "cancelled"
    payload["date_paid"] = payload["date_paid_gmt"] = None
    snapshot = parse_order(payload)
    assert snapshot.cancelled and snapshot.financial_status == "pending"
    payload["status"] = "refunded"
    assert parse_order(payload).financial_status == "refunded"


def order_723() -> dict[str, Any]:
    """The documented list's completed order: lines 311 and 313 (one unit each) and two refunds."""
    return load_json_fixture("woocommerce/wc_v3_orders_list_response.json")[1]


def refund(refund_id: int, *lines: tuple[int | str, int], amount: str = "5.00") -> dict[str, Any]:
    """A refund in the shape GET orders/<id>/refunds answers ("List all refunds" in
    woocommerce-rest-api-docs _order-refunds.md; ``shop_order_refund`` in the wc/v3 OpenAPI schema
    under ../shared/fixtures/schemas): each line a copy of the order line with a negative quantity
    and the order line's id in the meta ``_refunded_item_id``, as a string. No such response is
    among the shared fixtures, so it is built here; the values are made up."""
    return {"id": refund_id, "date_created": "2017-03-21T16:00:00", "date_created_gmt": "2017-03-21T19:00:00",
            "amount": amount, "reason": "", "refunded_by": 1, "refunded_payment": False, "meta_data": [],
            "line_items": [{"id": 1000 + n, "name": "Refunded line", "product_id": 1, "variation_id": 0,
                            "quantity": -units, "tax_class": "", "subtotal": "-5.00", "subtotal_tax": "0.00",
                            "total": "-5.00", "total_tax": "0.00", "taxes": [],
                            "meta_data": [{"id": 2000 + n, "key": "_refunded_item_id", "value": str(line_id)}],
                            "sku": "", "price": -5}
                           for n, (line_id, units) in enumerate(lines)]}


def test_only_an_order_listing_refunds_has_them_read() -> None:
    assert has_refunds(order_723())
    assert [r["id"] for r in order_723()["refunds"]] == [726, 724]
    assert not has_refunds(order_727())  # "refunds": []


def test_the_documented_refunded_order_holds_only_the_units_not_refunded() -> None:
    """Order 723 lists refunds 726 and 724; the docs' refunds list for it has 726 refunding money
    only and 724 one unit of line 311."""
    refunds = [refund(726, amount="10.00"), refund(724, (311, 1))]
    assert refunded_units(refunds) == {"311": 1}
    payload = order_723()
    assert [line["quantity"] for line in payload["line_items"]] == [1, 1]  # WooCommerce keeps them

    snapshot = parse_order(payload, refunded=refunded_units(refunds))

    assert [(line.line_id, line.quantity) for line in snapshot.lines] == [("311", 0), ("313", 1)]


def test_refunded_units_add_up_across_refunds_and_never_go_below_zero() -> None:
    refunds = [refund(1, ("315", 1)), refund(2, ("315", 1), ("316", 1)), refund(3, ("315", 5))]
    assert refunded_units(refunds) == {"315": 7, "316": 1}
    assert [line.quantity for line in parse_order(order_727(), refunded=refunded_units(refunds)).lines] == [0, 0]


def test_refunded_units_come_off_the_backordered_meta_first() -> None:
    payload = order_727()
    payload["line_items"][0].update(quantity=3, meta_data=[{"id": 1, "key": "Backordered", "value": "2"}])
    one = parse_order(payload, refunded={"315": 1}).lines[0]
    assert (one.quantity, one.backordered_meta) == (2, 1)  # 1 in stock, 1 still waiting
    two = parse_order(payload, refunded={"315": 2}).lines[0]
    assert (two.quantity, two.backordered_meta) == (1, 0)  # the unit in stock is all that is left


def test_a_refund_line_naming_no_order_line_is_left_out() -> None:
    unnamed = refund(5, ("315", 1))
    unnamed["line_items"][0]["meta_data"] = []
    odd = refund(6, ("316", 1))
    odd["line_items"][0]["quantity"] = "one"
    numeric = refund(7, ("315", 2))
    numeric["line_items"][0]["meta_data"][0]["value"] = 315  # an int, as a freshly created refund holds it
    assert refunded_units([unnamed, odd, numeric, "junk", {"id": 8, "line_items": []}]) == {"315": 2}


def broken(mutate: Any) -> dict[str, Any]:
    payload = copy.deepcopy(order_727())
    mutate(payload)
    return payload


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (["not", "an", "object"], "expected a JSON object"),
        (broken(lambda p: p.pop("id")), "missing id"),
        (broken(lambda p: p.pop("status")), "missing status"),
        (broken(lambda p: p.pop("line_items")), "line_items"),
        (broken(lambda p: p.pop("date_created_gmt")), "date_created_gmt"),
        (broken(lambda p: p.update(date_modified_gmt="yesterday")), "date_modified_gmt"),
        (broken(lambda p: p["line_items"][0].pop("id")), "line item without an id"),
        (broken(lambda p: p["line_items"][0].pop("quantity")), "no quantity"),
        (broken(lambda p: p["line_items"][0].update(quantity="two")), "quantity"),
        (broken(lambda p: p["line_items"][0].update(meta_data=[{"key": "Backordered", "value": "x"}])),
         "Backordered"),
    ],
    ids=["not-an-object", "no-id", "no-status", "no-lines", "no-created", "bad-modified",
         "line-without-id", "line-without-quantity", "bad-quantity", "bad-backordered-value"],
)
def test_a_bad_payload_raises_invalid_payload_naming_the_problem(payload: Any, message: str) -> None:
    with pytest.raises(InvalidPayload, match=message):
        parse_order(payload)


def test_line_titles_come_without_the_html_entities_woocommerce_escapes_them_with() -> None:
    snapshot = parse_order(order_727())  # the documented response: "Ship Your Idea &ndash; Color: Black, ..."
    titles = [line.title for line in snapshot.lines]
    assert "Ship Your Idea \u2013 Color: Black, Size: M Test" in titles
    assert not any("&" in title and ";" in title for title in titles)
    tee = broken(lambda p: p["line_items"][0].update(name="Tee &ndash; Blue &amp; White &#8220;XL&#8221;"))
    assert parse_order(tee).lines[0].title == "Tee \u2013 Blue & White \u201cXL\u201d"


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda p: p["line_items"][0].update(quantity=10**30), "quantity .* out of range"),
        (lambda p: p["line_items"][0].update(quantity="1000000000000000000000000000000"), "quantity .* out of range"),
        (lambda p: p["line_items"][0].update(quantity=2**31), "quantity .* out of range"),
        (lambda p: p.update(id=10**30), "order id .* out of range"),
        (lambda p: p["line_items"][0].update(id=10**30), "line id .* out of range"),
        (lambda p: p["line_items"][0].update(product_id=10**30), "product id .* out of range"),
        (lambda p: p["line_items"][0].update(meta_data=[{"key": "Backordered", "value": 10**30}]),
         "backordered meta .* out of range"),
    ],
    ids=["quantity-10e30", "quantity-string-10e30", "quantity-2e31", "order-id", "line-id", "product-id",
         "backordered-meta"],
)
def test_quantities_and_ids_that_overflow_storage_are_invalid_payloads(mutate: Any, message: str) -> None:
    with pytest.raises(InvalidPayload, match=message) as raised:
        parse_order(broken(mutate))
    assert raised.value.category == "permanent"
