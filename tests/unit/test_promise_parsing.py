"""Reading the delivery date stated at checkout: the shapes delivery-date apps and stores write."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from adapters.shopify import ShopifyGraphQL, ShopifyPlatform, queries
from adapters.woocommerce.orders import parse_order as parse_wc_order
from connector.domain.promise import (
    DEFAULT_DATE_FORMATS,
    StatedDate,
    UnreadableDate,
    as_date,
    collect_attributes,
    latest,
    parse_stated,
)
from tests.conftest import load_json_fixture

NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize("value", ["2026-12-10", " 2026-12-10 ", "20261210", "December 10, 2026",
                                   "Dec 10, 2026", "December 10th, 2026", "Thursday, December 10, 2026",
                                   "10 December 2026", "12/10/2026", "2026/12/10", "10.12.2026"])
def test_common_date_shapes_read_as_the_same_day(value):
    assert parse_stated(value) == date(2026, 12, 10)


def test_an_iso_datetime_with_an_offset_is_the_date_in_the_shops_zone():
    assert parse_stated("2026-12-10T03:30:00Z") == date(2026, 12, 10)
    assert parse_stated("2026-12-10T03:30:00Z", zone=NEW_YORK) == date(2026, 12, 9)
    assert parse_stated("2026-12-10T23:30:00-05:00") == date(2026, 12, 11)


def test_an_iso_datetime_without_an_offset_keeps_its_written_date():
    assert parse_stated("2026-12-10 23:30:00", zone=NEW_YORK) == date(2026, 12, 10)


def test_unix_timestamps_in_seconds_or_milliseconds_numbers_or_text_are_read_in_the_shops_zone():
    moment = int(datetime(2026, 12, 10, 3, 0, tzinfo=UTC).timestamp())
    assert parse_stated(moment) == date(2026, 12, 10)
    assert parse_stated(str(moment)) == date(2026, 12, 10)
    assert parse_stated(moment * 1000) == date(2026, 12, 10)
    assert parse_stated(moment, zone=NEW_YORK) == date(2026, 12, 9)


def test_the_end_of_a_window_is_the_promise():
    assert parse_stated("2026-12-08 - 2026-12-12") == date(2026, 12, 12)
    assert parse_stated("December 8, 2026 – December 12, 2026") == date(2026, 12, 12)
    assert parse_stated("Dec 12, 2026 to Dec 9, 2026") == date(2026, 12, 12)


def test_a_day_first_shop_lists_its_own_format():
    assert parse_stated("12/10/2026") == date(2026, 12, 10)
    assert parse_stated("12/10/2026", ["%d/%m/%Y"]) == date(2026, 10, 12)


@pytest.mark.parametrize("value", ["next week", "", "   ", "2026-13-45", "32/13/2026", True, None, {"d": 1},
                                   ["2026-12-10"], "x" * 300, "12345678", -5, "December 10"])
def test_what_is_no_date_is_refused_without_repeating_the_value(value):
    with pytest.raises(UnreadableDate) as caught:
        parse_stated(value)
    if isinstance(value, str) and value.strip():
        assert value.strip() not in str(caught.value)


def test_the_latest_of_several_stated_dates_wins_and_nothing_stated_is_none():
    early, late = StatedDate(date(2026, 12, 8), "a"), StatedDate(date(2026, 12, 12), "b")
    assert latest([early, late]) == late
    assert latest([late, early]) == late
    assert latest([]) is None


def test_as_date_converts_aware_moments_only():
    assert as_date(datetime(2026, 12, 10, 2, tzinfo=UTC), NEW_YORK) == date(2026, 12, 9)
    assert as_date(datetime(2026, 12, 10, 2), NEW_YORK) == date(2026, 12, 10)  # noqa: DTZ001


def test_only_scalar_named_attributes_are_collected():
    raw = [{"name": "Delivery Date", "value": "2026-12-10"}, {"name": "n", "value": 5},
           {"name": "nested", "value": {"a": 1}}, {"name": "flag", "value": True}, "junk", {"value": "x"},
           {"name": "long", "value": "y" * 500}]
    assert collect_attributes(raw, "name", "value") == (("Delivery Date", "2026-12-10"), ("n", 5))
    assert collect_attributes(None, "name", "value") == ()
    assert collect_attributes({"name": "x"}, "name", "value") == ()


def _round_trips(fmt: str, day: date) -> bool:
    """A date written with ``fmt`` reads back with strptime as the same date."""
    try:
        return datetime.strptime(day.strftime(fmt), fmt).date() == day  # noqa: DTZ007 - a date, no zone
    except ValueError:
        return False


@pytest.mark.parametrize("fmt", DEFAULT_DATE_FORMATS)
@pytest.mark.parametrize("day", [date(2026, 12, 10), date(2027, 3, 5), date(2028, 2, 29)])
def test_default_formats_are_valid_strptime_formats(fmt, day):
    assert _round_trips(fmt, day), f"{fmt!r} does not read back {day} through strptime"


@pytest.mark.parametrize("broken", ["%Y-%m-%", "%B %Y", "%d %Q %Y"])
def test_the_round_trip_catches_a_broken_format(broken):
    assert not _round_trips(broken, date(2026, 12, 10))


def test_a_shopify_webhook_order_carries_its_note_attributes():
    payload = load_json_fixture("shopify/rest/python_api__order.json")["order"]
    payload["note_attributes"].append({"name": "Delivery Date", "value": "2026-12-10"})
    snapshot = ShopifyPlatform(ShopifyGraphQL("example.myshopify.com", "shpat_unit")).parse_order(payload)
    assert snapshot.attribute_kind == "note_attributes"
    assert snapshot.attributes[0] == ("custom engraving", "Happy Birthday")
    assert snapshot.attributes[-1] == ("Delivery Date", "2026-12-10")


def test_a_woocommerce_order_carries_its_scalar_order_meta():
    payload = {
        "id": 727, "status": "processing", "number": "727",
        "date_created_gmt": "2026-11-27T10:00:00", "date_modified_gmt": "2026-11-27T10:00:00",
        "billing": {"email": "ada@example.com"}, "line_items": [],
        "meta_data": [{"id": 1, "key": "_orddd_timestamp", "value": "1796860800"},
                      {"id": 2, "key": "_wc_order_attribution_source_type", "value": "typein"},
                      {"id": 3, "key": "_some_plugin_blob", "value": {"a": [1, 2]}}],
    }
    snapshot = parse_wc_order(payload)
    assert snapshot.attribute_kind == "meta_data"
    assert snapshot.attributes == (("_orddd_timestamp", "1796860800"),
                                   ("_wc_order_attribution_source_type", "typein"))


class AnsweringClient:
    """Stands in for ShopifyGraphQL: answers the delivery-promise query with fixed data."""

    def __init__(self, data):
        self.data, self.calls = data, []

    def execute(self, document, variables=None):
        self.calls.append((document, variables))
        return self.data


def test_shopifys_delivery_promise_is_the_latest_max_date_over_the_fulfillment_orders():
    nodes = [{"deliveryMethod": {"maxDeliveryDateTime": "2026-12-10T18:00:00Z"}}, {"deliveryMethod": None},
             {"deliveryMethod": {"maxDeliveryDateTime": "2026-12-12T04:00:00Z"}},
             {"deliveryMethod": {"maxDeliveryDateTime": "soon"}}, None]
    client = AnsweringClient({"order": {"id": "gid://shopify/Order/7", "fulfillmentOrders": {"nodes": nodes}}})
    platform = ShopifyPlatform(client)  # type: ignore[arg-type]
    assert platform.delivery_promise("7") == datetime(2026, 12, 12, 4, tzinfo=UTC)
    assert client.calls[0][1] == {"id": "gid://shopify/Order/7", "first": queries.FULFILLMENT_ORDERS_PER_PROMISE}


def test_no_delivery_method_date_or_no_order_is_no_promise():
    assert ShopifyPlatform(AnsweringClient({"order": None})).delivery_promise("7") is None  # type: ignore[arg-type]
    empty = {"order": {"fulfillmentOrders": {"nodes": [{"deliveryMethod": {"maxDeliveryDateTime": None}}]}}}
    assert ShopifyPlatform(AnsweringClient(empty)).delivery_promise("7") is None  # type: ignore[arg-type]
