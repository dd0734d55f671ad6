"""parse_order on WooCommerce's documented order JSON and on payloads it must refuse."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from adapters.woocommerce.orders import parse_order
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
