"""WooCommercePlatform and WooCommerceClient against the WooCommerce simulator over loopback HTTP."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from adapters.http import HttpRetry, HttpTransport
from adapters.woocommerce import WooCommerceClient, WooCommercePlatform
from adapters.woocommerce.fulfillment import WooCommerceFulfillment
from adapters.woocommerce.platform import BACKORDER_META_KEY, batch_item_error
from connector.domain.errors import (
    PlatformAuthError,
    PlatformNotFound,
    PlatformRejected,
    PlatformThrottled,
    PlatformUnavailable,
    TransientError,
)
from connector.domain.model import BackorderMark, StockRef
from connector.domain.routing import Payment
from sandbox.serve import ServerHandle
from sandbox.woocommerce_sim import WooCommerceSimulator

STORE = "https://woo.example"
KEY, SECRET = "ck_test_1234", "cs_test_5678"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 27, 10, 0, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def seed(**store: Any) -> dict[str, Any]:
    return {"stores": [{
        "store_url": STORE, "consumer_key": KEY, "consumer_secret": SECRET,
        "webhook_secret": "whsec", "webhook_id": 7, "utc_offset_hours": -3,
        "products": [
            {"name": "Tea tin", "sku": "TEA-1", "price": "8.00", "manage_stock": True,
             "stock_quantity": 1, "backorders": "notify"},
            {"name": "Mug", "sku": "MUG-1", "price": "12.00", "manage_stock": True,
             "stock_quantity": 5, "backorders": "no"},
            {"name": "Gift card", "sku": "GIFT", "price": "25.00"},
            {"name": "Hoodie", "type": "variable", "variations": [
                {"sku": "HOOD-M", "price": "40.00", "manage_stock": True, "stock_quantity": 0,
                 "backorders": "yes", "attributes": [{"name": "Size", "option": "M"}]},
                {"sku": "HOOD-L", "price": "40.00", "manage_stock": True, "stock_quantity": 3,
                 "backorders": "no", "attributes": [{"name": "Size", "option": "L"}]},
            ]},
        ],
        **store,
    }]}


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sim(clock: Clock) -> WooCommerceSimulator:
    return WooCommerceSimulator(seed(), clock=clock)



def make_client(server: ServerHandle, sleeps: list[float], key: str = KEY, secret: str = SECRET,
                **kwargs: Any) -> WooCommerceClient:
    transport = HttpTransport(timeout=5, retry=HttpRetry(max_attempts=3, base_delay=0.01),
                              sleep=sleeps.append, name="woocommerce")
    return WooCommerceClient(STORE, key, secret, api_base=server.url, transport=transport, **kwargs)


@pytest.fixture
def client(server: ServerHandle, sleeps: list[float]) -> WooCommerceClient:
    return make_client(server, sleeps)


@pytest.fixture
def platform(client: WooCommerceClient) -> WooCommercePlatform:
    return WooCommercePlatform(client)


def test_paginate_walks_every_page_of_more_than_100_orders(sim: WooCommerceSimulator,
                                                           client: WooCommerceClient) -> None:
    sim.set_stock(STORE, "MUG-1", 1000)
    created = {sim.create_order(STORE, [{"sku": "MUG-1", "quantity": 1}], deliver_webhook=False)["id"]
               for _ in range(205)}
    seen = [order["id"] for order in client.paginate("orders", {"orderby": "id", "order": "asc"})]
    assert len(seen) == 205 and set(seen) == created
    assert seen == sorted(seen)


def test_paginate_follows_the_link_header_when_total_pages_is_missing(
        sim: WooCommerceSimulator, server: ServerHandle, sleeps: list[float]) -> None:
    @sim.app.after_request
    def drop_total_pages(response: Any) -> Any:
        response.headers.pop("X-WP-TotalPages", None)
        return response

    sim.set_stock(STORE, "MUG-1", 1000)
    for _ in range(101):
        sim.create_order(STORE, [{"sku": "MUG-1", "quantity": 1}], deliver_webhook=False)
    assert len(list(make_client(server, sleeps).paginate("orders"))) == 101


def test_query_string_auth_sends_the_keys_as_parameters(server: ServerHandle, sleeps: list[float]) -> None:
    client = make_client(server, sleeps, query_string_auth=True)
    assert {p["sku"] for p in client.paginate("products")} >= {"TEA-1", "MUG-1"}


def test_a_store_in_a_subfolder_is_reached_under_its_path(server: ServerHandle) -> None:
    client = WooCommerceClient("https://example.com/shop", KEY, SECRET, api_base=server.url)
    assert client.base_url == f"{server.url}/shop/wp-json/wc/v3"
    assert client.get("products", {"sku": "TEA-1"})[0]["sku"] == "TEA-1"


@pytest.mark.parametrize(("key", "secret"), [("ck_wrong", SECRET), (KEY, "cs_wrong")])
def test_bad_keys_raise_platform_auth_error_without_leaking_them(
        server: ServerHandle, sleeps: list[float], key: str, secret: str) -> None:
    for query_auth in (False, True):
        client = make_client(server, sleeps, key=key, secret=secret, query_string_auth=query_auth)
        with pytest.raises(PlatformAuthError) as caught:
            client.get("orders")
        assert "401" in str(caught.value)
        assert key not in str(caught.value) and secret not in str(caught.value)


def test_batch_splits_250_updates_into_calls_of_at_most_100(sim: WooCommerceSimulator,
                                                            client: WooCommerceClient) -> None:
    created = client.batch("products", create=[{"name": f"P{i}", "sku": f"P-{i}", "manage_stock": True,
                                                "stock_quantity": i} for i in range(150)])
    ids = [item["id"] for item in created["create"]]
    assert len(ids) == 150
    updates = [{"id": pid, "stock_quantity": 42} for pid in ids] + \
        [{"id": pid, "stock_quantity": 42} for pid in ids[:100]]
    result = client.batch("products", update=updates)
    assert len(result["update"]) == 250
    assert sim.product(STORE, "P-149")["stock_quantity"] == 42


def test_the_simulator_refuses_a_batch_of_more_than_100_items_with_413(client: WooCommerceClient) -> None:
    with pytest.raises(PlatformRejected, match="413"):
        client.post("products/batch", {"update": [{"id": 1}] * 60, "delete": [2] * 41})


def test_per_item_batch_errors_raise_platform_rejected_naming_the_items(client: WooCommerceClient) -> None:
    with pytest.raises(PlatformRejected, match="update 999999: woocommerce_rest_product_invalid_id"):
        client.batch("products", update=[{"id": 999999, "stock_quantity": 1}])


def test_stock_levels_cover_simple_and_variable_products(sim: WooCommerceSimulator,
                                                         platform: WooCommercePlatform) -> None:
    tea, mug, gift = (sim.product(STORE, sku) for sku in ("TEA-1", "MUG-1", "GIFT"))
    hood_m, hood_l = sim.product(STORE, "HOOD-M"), sim.product(STORE, "HOOD-L")
    refs = [StockRef(str(tea["id"]), None), StockRef(str(mug["id"]), None), StockRef(str(gift["id"]), None),
            StockRef(str(hood_m["parent_id"]), str(hood_m["id"])),
            StockRef(str(hood_l["parent_id"]), str(hood_l["id"])),
            StockRef(None, str(hood_m["id"])), StockRef("999999", None)]
    levels = platform.stock_levels(refs)
    assert set(levels) == {str(x["id"]) for x in (tea, mug, gift, hood_m, hood_l)}
    assert (levels[str(tea["id"])].available, levels[str(tea["id"])].backorders_allowed) == (1, True)
    assert (levels[str(mug["id"])].available, levels[str(mug["id"])].backorders_allowed) == (5, False)
    assert levels[str(gift["id"])].tracked is False and levels[str(gift["id"])].available is None
    assert (levels[str(hood_m["id"])].available, levels[str(hood_m["id"])].sku) == (0, "HOOD-M")
    assert levels[str(hood_m["id"])].backorders_allowed is True
    assert levels[str(hood_l["id"])].available == 3


def test_stock_levels_show_the_shortage_after_an_oversale(sim: WooCommerceSimulator,
                                                          platform: WooCommercePlatform) -> None:
    sim.create_order(STORE, [{"sku": "TEA-1", "quantity": 3}], deliver_webhook=False)
    tea = sim.product(STORE, "TEA-1")
    level = platform.stock_levels([StockRef(str(tea["id"]), None)])[str(tea["id"])]
    assert (level.available, level.shortage) == (-2, 2)


def backorder_notes(sim: WooCommerceSimulator, order_id: int, text: str = "Backordered:") -> list[str]:
    return [n["note"] for n in sim.order(STORE, order_id)["notes"] if n["note"].startswith(text)]


def test_marking_twice_adds_exactly_one_note_and_one_meta(sim: WooCommerceSimulator,
                                                          platform: WooCommercePlatform) -> None:
    order = sim.create_order(STORE, [{"sku": "TEA-1", "quantity": 3}], deliver_webhook=False)
    line_id = str(order["line_items"][0]["id"])
    marks = [BackorderMark(line_id, "TEA-1", 2)]
    platform.mark_backordered(str(order["id"]), marks)
    platform.mark_backordered(str(order["id"]), marks)
    assert backorder_notes(sim, order["id"]) == ["Backordered: TEA-1 ×2"]
    meta = [m for m in sim.order(STORE, order["id"])["meta_data"] if m["key"] == BACKORDER_META_KEY]
    assert len(meta) == 1
    assert json.loads(meta[0]["value"]) == [{"line_id": line_id, "sku": "TEA-1", "quantity": 2}]


def test_a_changed_marking_reuses_the_meta_entry(sim: WooCommerceSimulator,
                                                 platform: WooCommercePlatform) -> None:
    order = sim.create_order(STORE, [{"sku": "TEA-1", "quantity": 3}], deliver_webhook=False)
    line_id = str(order["line_items"][0]["id"])
    platform.mark_backordered(str(order["id"]), [BackorderMark(line_id, "TEA-1", 2)])
    platform.mark_backordered(str(order["id"]), [BackorderMark(line_id, "TEA-1", 1)])
    meta = [m for m in sim.order(STORE, order["id"])["meta_data"] if m["key"] == BACKORDER_META_KEY]
    assert len(meta) == 1 and json.loads(meta[0]["value"])[0]["quantity"] == 1
    assert len(backorder_notes(sim, order["id"])) == 2


def test_unmarking_clears_the_meta_once_and_is_a_no_op_on_an_unmarked_order(
        sim: WooCommerceSimulator, platform: WooCommercePlatform) -> None:
    order = sim.create_order(STORE, [{"sku": "TEA-1", "quantity": 3}], deliver_webhook=False)
    platform.unmark_backordered(str(order["id"]))
    assert backorder_notes(sim, order["id"], "No longer") == []
    line_id = str(order["line_items"][0]["id"])
    platform.mark_backordered(str(order["id"]), [BackorderMark(line_id, "TEA-1", 2)])
    platform.unmark_backordered(str(order["id"]))
    platform.unmark_backordered(str(order["id"]))
    assert backorder_notes(sim, order["id"], "No longer") == ["No longer backordered"]
    meta = [m for m in sim.order(STORE, order["id"])["meta_data"] if m["key"] == BACKORDER_META_KEY]
    assert meta[0]["value"] == "[]"


def test_orders_updated_since_returns_later_changes_oldest_first(
        sim: WooCommerceSimulator, platform: WooCommercePlatform, clock: Clock) -> None:
    sim.set_stock(STORE, "MUG-1", 100)
    old = sim.create_order(STORE, [{"sku": "MUG-1", "quantity": 1}], deliver_webhook=False)
    clock.advance(60)
    since = clock.now
    first = sim.create_order(STORE, [{"sku": "MUG-1", "quantity": 1}], deliver_webhook=False)
    clock.advance(60)
    second = sim.create_order(STORE, [{"sku": "MUG-1", "quantity": 1}], deliver_webhook=False)
    clock.advance(60)
    sim.cancel_order(STORE, first["id"], deliver_webhook=False)
    snapshots = list(platform.orders_updated_since(since))
    assert [s.order_id for s in snapshots] == [str(second["id"]), str(first["id"])]
    assert snapshots[1].cancelled and snapshots[1].updated_at == since + timedelta(seconds=120)
    assert str(old["id"]) not in {s.order_id for s in snapshots}


def test_injected_503s_are_retried_until_the_call_succeeds(sim: WooCommerceSimulator,
                                                           client: WooCommerceClient,
                                                           sleeps: list[float]) -> None:
    sim.inject_failures(2, status=503)
    assert client.get("products", {"sku": "TEA-1"})[0]["sku"] == "TEA-1"
    assert len(sleeps) == 2


def test_an_injected_429_waits_for_retry_after(sim: WooCommerceSimulator, client: WooCommerceClient,
                                               sleeps: list[float]) -> None:
    sim.inject_failures(1, status=429, retry_after=7)
    assert client.get("orders") == []
    assert sleeps == [7.0]


def test_503s_beyond_the_retry_budget_raise_platform_unavailable(sim: WooCommerceSimulator,
                                                                 client: WooCommerceClient) -> None:
    sim.inject_failures(3, status=503)
    with pytest.raises(PlatformUnavailable):
        client.get("orders")


def refunds_calls(sim: WooCommerceSimulator) -> list[str]:
    return [call for call in sim.api_calls if call.endswith("/refunds")]


def test_an_order_with_refunds_is_read_at_the_units_still_on_it(sim: WooCommerceSimulator,
                                                                 client: WooCommerceClient,
                                                                 platform: WooCommercePlatform) -> None:
    order = sim.create_order(STORE, [{"sku": "TEA-1", "quantity": 3}, {"sku": "MUG-1", "quantity": 1}],
                             deliver_webhook=False)  # TEA-1: 1 in stock, 'Backordered' 2
    tea, mug = (line["id"] for line in order["line_items"])
    sim.refund_order(STORE, order["id"], {tea: 1}, restock=False, deliver_webhook=False)
    sim.refund_order(STORE, order["id"], {tea: 1, mug: 1}, deliver_webhook=False)
    payload = client.get(f"orders/{order['id']}")
    assert [line["quantity"] for line in payload["line_items"]] == [3, 1]  # WooCommerce keeps them
    sim.api_calls.clear()

    snapshot = platform.parse_order(payload)

    assert [(line.quantity, line.backordered_meta) for line in snapshot.lines] == [(1, 0), (0, None)]
    assert list(sim.api_calls) == [f"GET /orders/{order['id']}/refunds"]


def test_an_order_without_refunds_costs_no_refunds_call(sim: WooCommerceSimulator, client: WooCommerceClient,
                                                        platform: WooCommercePlatform, clock: Clock) -> None:
    order = sim.create_order(STORE, [{"sku": "TEA-1", "quantity": 3}], deliver_webhook=False)
    assert platform.parse_order(client.get(f"orders/{order['id']}")).lines[0].quantity == 3
    assert [s.lines[0].quantity for s in platform.orders_updated_since(clock.now - timedelta(hours=1))] == [3]
    assert refunds_calls(sim) == []


def test_every_page_of_an_orders_refunds_is_read(sim: WooCommerceSimulator, client: WooCommerceClient,
                                                 platform: WooCommercePlatform) -> None:
    sim.set_stock(STORE, "MUG-1", 100)
    order = sim.create_order(STORE, [{"sku": "MUG-1", "quantity": 15}], deliver_webhook=False)
    line_id = order["line_items"][0]["id"]
    for _ in range(12):  # more than WordPress's default page of 10
        sim.refund_order(STORE, order["id"], {line_id: 1}, deliver_webhook=False)
    assert len(client.get(f"orders/{order['id']}/refunds")) == 10
    assert platform.parse_order(client.get(f"orders/{order['id']}")).lines[0].quantity == 3


def test_reconciliation_reads_orders_at_the_units_their_refunds_left(
        sim: WooCommerceSimulator, platform: WooCommercePlatform, clock: Clock) -> None:
    since = clock.now
    refunded = sim.create_order(STORE, [{"sku": "TEA-1", "quantity": 3}], deliver_webhook=False)
    plain = sim.create_order(STORE, [{"sku": "MUG-1", "quantity": 2}], deliver_webhook=False)
    clock.advance(60)
    sim.refund_order(STORE, refunded["id"], {refunded["line_items"][0]["id"]: 2}, deliver_webhook=False)
    sim.api_calls.clear()

    snapshots = {s.order_id: s.lines[0].quantity for s in platform.orders_updated_since(since)}

    assert snapshots == {str(refunded["id"]): 1, str(plain["id"]): 2}
    assert refunds_calls(sim) == [f"GET /orders/{refunded['id']}/refunds"]


def test_refunds_that_cannot_be_read_raise_a_transient_error_not_a_snapshot(
        sim: WooCommerceSimulator, client: WooCommerceClient, platform: WooCommercePlatform) -> None:
    order = sim.create_order(STORE, [{"sku": "TEA-1", "quantity": 3}], deliver_webhook=False)
    sim.refund_order(STORE, order["id"], {order["line_items"][0]["id"]: 1}, deliver_webhook=False)
    payload = client.get(f"orders/{order['id']}")
    sim.inject_failures(3, status=503)  # the client's whole retry budget
    with pytest.raises(PlatformUnavailable, match="refunds"):
        platform.parse_order(payload)
    sim.inject_failures(3, status=429, retry_after=0)
    with pytest.raises(PlatformThrottled):
        platform.parse_order(payload)
    assert platform.parse_order(payload).lines[0].quantity == 2


def test_drop_ship_order_facts_count_only_the_units_refunds_left_to_ship(sim: WooCommerceSimulator,
                                                                        client: WooCommerceClient) -> None:
    order = sim.create_order(STORE, [{"sku": "HOOD-M", "quantity": 3}, {"sku": "TEA-1", "quantity": 2}],
                             deliver_webhook=False)
    hood, tea = (line["id"] for line in order["line_items"])
    sim.refund_order(STORE, order["id"], {hood: 1}, deliver_webhook=False)
    sim.refund_order(STORE, order["id"], {tea: 2}, deliver_webhook=False)
    sim.api_calls.clear()

    facts = WooCommerceFulfillment(client).order_facts(str(order["id"]))

    assert [(line.line_id, line.unfulfilled) for line in facts.lines] == [(str(hood), 2), (str(tea), 0)]
    assert facts.payment is Payment.PAID and not facts.cancelled  # partly refunded: still 'processing'
    assert refunds_calls(sim) == [f"GET /orders/{order['id']}/refunds"]


def test_drop_ship_order_facts_of_an_order_without_refunds_cost_no_refunds_call(
        sim: WooCommerceSimulator, client: WooCommerceClient) -> None:
    order = sim.create_order(STORE, [{"sku": "HOOD-M", "quantity": 2}], deliver_webhook=False)
    assert [line.unfulfilled for line in WooCommerceFulfillment(client).order_facts(str(order["id"])).lines] == [2]
    assert refunds_calls(sim) == []


def test_drop_ship_order_facts_raise_when_the_refunds_cannot_be_read(
        sim: WooCommerceSimulator, client: WooCommerceClient, monkeypatch: pytest.MonkeyPatch) -> None:
    order = sim.create_order(STORE, [{"sku": "HOOD-M", "quantity": 3}], deliver_webhook=False)
    sim.refund_order(STORE, order["id"], {order["line_items"][0]["id"]: 1}, deliver_webhook=False)
    paginate = client.paginate

    def refunds_down(path: str, params: Any = None) -> Any:
        if path.endswith("/refunds"):
            sim.inject_failures(3, status=503)  # the client's whole retry budget, on the refunds read
        return paginate(path, params)

    monkeypatch.setattr(client, "paginate", refunds_down)
    with pytest.raises(PlatformUnavailable, match="refunds"):
        WooCommerceFulfillment(client).order_facts(str(order["id"]))
    monkeypatch.undo()
    assert [line.unfulfilled for line in WooCommerceFulfillment(client).order_facts(str(order["id"])).lines] == [2]


def marks_of(sim: WooCommerceSimulator, order_id: int) -> list[Any]:
    meta = [m for m in sim.order(STORE, order_id)["meta_data"] if m["key"] == BACKORDER_META_KEY]
    assert len(meta) <= 1
    return json.loads(meta[0]["value"]) if meta else []


def tea_orders(sim: WooCommerceSimulator, count: int) -> dict[str, list[BackorderMark]]:
    """``count`` orders of three tea tins each (one in stock at first), and the marks of two short tins each."""
    orders = [sim.create_order(STORE, [{"sku": "TEA-1", "quantity": 3}], deliver_webhook=False) for _ in range(count)]
    return {str(o["id"]): [BackorderMark(str(o["line_items"][0]["id"]), "TEA-1", 2)] for o in orders}


def test_marking_several_orders_reads_them_in_one_call_and_writes_their_meta_in_one_batch(
        sim: WooCommerceSimulator, platform: WooCommercePlatform) -> None:
    marks = tea_orders(sim, 3)
    sim.api_calls.clear()
    assert platform.mark_many(marks) == {}
    ids = list(marks)
    assert list(sim.api_calls) == [
        "GET /orders", *(f"POST /orders/{order_id}/notes" for order_id in ids), "POST /orders/batch"]
    for order_id, order_marks in marks.items():
        assert backorder_notes(sim, int(order_id)) == ["Backordered: TEA-1 ×2"]
        assert marks_of(sim, int(order_id)) == [{"line_id": order_marks[0].line_id, "sku": "TEA-1", "quantity": 2}]

    sim.api_calls.clear()  # the same marks again: read, nothing written
    assert platform.mark_many(marks) == {}
    assert list(sim.api_calls) == ["GET /orders"]

    sim.api_calls.clear()  # one order's marks change: its note, and its meta entry rewritten in place
    changed = ids[1]
    marks[changed] = [BackorderMark(marks[changed][0].line_id, "TEA-1", 1)]
    assert platform.mark_many(marks) == {}
    assert list(sim.api_calls) == ["GET /orders", f"POST /orders/{changed}/notes", "POST /orders/batch"]
    assert backorder_notes(sim, int(changed)) == ["Backordered: TEA-1 ×2", "Backordered: TEA-1 ×1"]
    assert marks_of(sim, int(changed))[0]["quantity"] == 1
    assert [marks_of(sim, int(order_id))[0]["quantity"] for order_id in ids] == [2, 1, 2]


def test_marking_orders_the_listing_does_not_return_refuses_only_those(
        sim: WooCommerceSimulator, platform: WooCommercePlatform) -> None:
    marks = tea_orders(sim, 2)
    gone = "999999"  # deleted from the store since it was captured
    marks[gone] = [BackorderMark("1", "TEA-1", 1)]
    refused = platform.mark_many(marks)
    assert set(refused) == {gone} and isinstance(refused[gone], PlatformNotFound)
    assert all(marks_of(sim, int(order_id)) for order_id in marks if order_id != gone)


def test_a_refused_item_of_the_meta_batch_is_that_orders_error(sim: WooCommerceSimulator,
                                                               client: WooCommerceClient) -> None:
    order = sim.create_order(STORE, [{"sku": "TEA-1", "quantity": 3}], deliver_webhook=False)
    answer = client.post("orders/batch", {"update": [
        {"id": order["id"], "meta_data": [{"key": "_x", "value": "1"}]}, {"id": 999999, "meta_data": []}]})
    assert answer["update"][0]["id"] == order["id"] and "error" not in answer["update"][0]
    assert answer["update"][1] == {"id": 999999, "error": {
        "code": "woocommerce_rest_shop_order_invalid_id", "message": "Invalid ID.", "data": {"status": 400}}}
    assert isinstance(batch_item_error("999999", answer["update"][1]["error"]), PlatformNotFound)
    assert isinstance(batch_item_error("5", {"code": "woocommerce_rest_cannot_edit", "message": "No.",
                                              "data": {"status": 403}}), PlatformAuthError)
    assert isinstance(batch_item_error("5", {"code": "db_error", "data": {"status": 500}}), PlatformUnavailable)
    assert type(batch_item_error("5", "bad")) is PlatformRejected


def test_a_note_failing_transiently_still_writes_the_meta_of_the_orders_noted_before_it(
        sim: WooCommerceSimulator, platform: WooCommercePlatform) -> None:
    marks = tea_orders(sim, 3)
    first, second, third = marks
    # every attempt at the second order's note fails before it is applied (more than the client retries)
    sim.inject_applied_failures(3, f"POST /orders/{second}/notes", status=503, applied=False)
    with pytest.raises(TransientError):  # the note's outcome is uncertain: not resent blindly
        platform.mark_many(marks)
    assert len(backorder_notes(sim, int(first))) == 1 and marks_of(sim, int(first))
    assert backorder_notes(sim, int(second)) == [] and marks_of(sim, int(second)) == []
    assert backorder_notes(sim, int(third)) == [] and marks_of(sim, int(third)) == []

    assert platform.mark_many(marks) == {}  # the next run: the first order is not noted twice
    assert [len(backorder_notes(sim, int(order_id))) for order_id in marks] == [1, 1, 1]
    assert all(marks_of(sim, int(order_id)) for order_id in marks)


def test_a_meta_batch_the_store_refuses_whole_is_written_order_by_order(
        sim: WooCommerceSimulator, platform: WooCommercePlatform) -> None:
    marks = tea_orders(sim, 2)
    sim.inject_applied_failures(1, "POST /orders/batch", status=400, applied=False)
    sim.api_calls.clear()
    assert platform.mark_many(marks) == {}
    assert [call for call in sim.api_calls if call.startswith("PUT")] == [f"PUT /orders/{o}" for o in marks]
    assert [len(backorder_notes(sim, int(order_id))) for order_id in marks] == [1, 1]
    assert all(marks_of(sim, int(order_id)) for order_id in marks)


def test_orders_given_no_marks_are_unmarked(sim: WooCommerceSimulator, platform: WooCommercePlatform) -> None:
    marks = tea_orders(sim, 2)
    assert platform.mark_many(marks) == {}
    cleared = next(iter(marks))
    assert platform.mark_many({cleared: []}) == {}
    assert marks_of(sim, int(cleared)) == [] and backorder_notes(sim, int(cleared), "No longer") == [
        "No longer backordered"]


def test_the_simulator_refuses_an_orders_batch_of_more_than_100_updates(client: WooCommerceClient) -> None:
    with pytest.raises(PlatformRejected, match="413|more than 100"):
        client.post("orders/batch", {"update": [{"id": n, "meta_data": []} for n in range(101)]})


def test_listed_orders_are_trimmed_to_the_fields_asked_for(sim: WooCommerceSimulator,
                                                           client: WooCommerceClient) -> None:
    first, second, _ = tea_orders(sim, 3)
    listed = client.get("orders", {"include": f"{first},{second}", "_fields": "id,meta_data"})
    assert sorted(item["id"] for item in listed) == sorted([int(first), int(second)])
    assert all(set(item) == {"id", "meta_data"} for item in listed)


def test_an_order_id_that_is_not_a_woocommerce_id_is_refused_alone(sim: WooCommerceSimulator,
                                                                  platform: WooCommercePlatform) -> None:
    marks = tea_orders(sim, 2)
    refused = platform.mark_many({**marks, "#1001": [BackorderMark("1", "TEA-1", 1)]})
    assert set(refused) == {"#1001"} and isinstance(refused["#1001"], PlatformRejected)
    assert all(marks_of(sim, int(order_id)) for order_id in marks)
