"""Store-side cancel/refund and discount codes against the simulators over loopback HTTP.

Shopify runs on the simulator built from the REAL 2026-04 Admin schema, so every document is
executed against Shopify's own types (context-based customer targeting included).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from adapters.http import HttpRetry, HttpTransport
from adapters.shopify.client import ShopifyGraphQL
from adapters.shopify.orders_admin import ShopifyOrdersAdmin
from adapters.woocommerce import WooCommerceClient
from adapters.woocommerce.orders_admin import WooCommerceOrdersAdmin
from connector.domain.errors import PlatformRejected
from connector.domain.notify import CancelMoney
from sandbox.serve import ServerHandle, serve_in_thread
from sandbox.shopify_sim import ShopifySimulator
from sandbox.shopify_sim.ext_orders_admin import discounts
from sandbox.shopify_sim.ext_payments import capture, decline_refunds, money
from sandbox.shopify_sim.graphql_api import build_cached_schema
from sandbox.woocommerce_sim import WooCommerceSimulator

SHOP, TOKEN = "tea.myshopify.com", "shpat_notify"
STORE, KEY, SECRET = "https://woo.example", "ck_notify", "cs_notify"
LATER = datetime(2027, 3, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def real_schema(shopify_schema_sdl: str):
    return build_cached_schema(shopify_schema_sdl)


@pytest.fixture
def shopify(real_schema) -> Iterator[tuple[ShopifySimulator, ShopifyOrdersAdmin]]:
    sim = ShopifySimulator({"api_secret": "s", "shops": [{"domain": SHOP, "access_token": TOKEN, "tax_rate": "0.10",
                                                          "products": [
        {"title": "Tea", "variants": [
            {"sku": "TEA", "price": "8.00", "inventory_quantity": 0, "inventory_policy": "CONTINUE"},
            {"sku": "MUG", "price": "12.00", "inventory_quantity": 5, "inventory_policy": "DENY"}]}]}]},
        schema=real_schema, restore_rate=1000.0)
    handle = serve_in_thread(sim.app)
    yield sim, ShopifyOrdersAdmin(ShopifyGraphQL(SHOP, TOKEN, api_base=handle.url))
    handle.stop()


@pytest.fixture
def woo() -> Iterator[tuple[WooCommerceSimulator, WooCommerceOrdersAdmin]]:
    sim = WooCommerceSimulator({"stores": [{
        "store_url": STORE, "consumer_key": KEY, "consumer_secret": SECRET, "webhook_secret": "w", "webhook_id": 7,
        "products": [
            {"name": "Tea tin", "sku": "TEA", "price": "8.00", "manage_stock": True, "stock_quantity": 0,
             "backorders": "notify"},
            {"name": "Mug", "sku": "MUG", "price": "12.00", "manage_stock": True, "stock_quantity": 5,
             "backorders": "no"}]}]})
    handle: ServerHandle = serve_in_thread(sim.app)
    transport = HttpTransport(timeout=5, retry=HttpRetry(max_attempts=2, base_delay=0.01), name="woocommerce")
    yield sim, WooCommerceOrdersAdmin(WooCommerceClient(STORE, KEY, SECRET, api_base=handle.url,
                                                        transport=transport))
    handle.stop()


def line_ids(order: dict[str, Any]) -> list[str]:
    return [str(line["id"]) for line in order["line_items"]]


# --- Shopify ------------------------------------------------------------------------------------

def test_shopify_cancels_an_order_that_is_all_backordered_with_a_refund(shopify):
    sim, admin = shopify
    order = sim.create_order(SHOP, [{"sku": "TEA", "quantity": 2}], deliver_webhook=False)
    result = admin.cancel_items(str(order["id"]), [(line_ids(order)[0], 2)], reason="delay", idempotency_key="k1")
    assert result.money == CancelMoney.REFUNDED
    after = sim.order(SHOP, order["id"])
    assert after["cancelled_at"] is not None and after["financial_status"] == "refunded"
    assert [(t["kind"], t["amount"]) for t in money(sim, SHOP, order["id"])["transactions"]] == [
        ("SALE", "17.60"), ("REFUND", "17.60")]
    assert sim.variant(SHOP, "TEA")["inventory_quantity"] == 0  # the committed units were released
    again = admin.cancel_items(str(order["id"]), [(line_ids(order)[0], 2)], reason="delay", idempotency_key="k1")
    assert again.money == CancelMoney.REFUNDED


def test_shopify_cancelling_a_whole_authorized_order_charges_nothing(shopify):
    sim, admin = shopify
    order = sim.create_order(SHOP, [{"sku": "TEA", "quantity": 1}], deliver_webhook=False,
                             financial_status="authorized")
    result = admin.cancel_items(str(order["id"]), [(line_ids(order)[0], 1)], reason="delay", idempotency_key="k0")
    assert result.refunded and result.money == CancelMoney.NOT_CHARGED
    assert [t["kind"] for t in money(sim, SHOP, order["id"])["transactions"]] == ["AUTHORIZATION", "VOID"]
    assert sim.order(SHOP, order["id"])["financial_status"] == "voided"


def mixed_order(sim: ShopifySimulator, financial_status: str = "paid") -> tuple[dict[str, Any], str, str]:
    """3 tea (8.00) backordered and a mug (12.00) in stock, 10% tax: 39.60 in all."""
    order = sim.create_order(SHOP, [{"sku": "TEA", "quantity": 3}, {"sku": "MUG", "quantity": 1}],
                             deliver_webhook=False, financial_status=financial_status)
    tea, mug = line_ids(order)
    return order, tea, mug


def current(sim: ShopifySimulator, order: dict[str, Any]) -> dict[str, int]:
    return {str(line["id"]): line["current_quantity"] for line in sim.order(SHOP, order["id"])["line_items"]}


def test_shopify_partial_cancel_of_a_paid_order_refunds_the_units_with_tax(shopify):
    sim, admin = shopify
    order, tea, mug = mixed_order(sim)
    result = admin.cancel_items(str(order["id"]), [(tea, 2)], reason="delay", idempotency_key="k2")
    assert result.money == CancelMoney.REFUNDED and result.amount == "17.60"  # 2 x 8.00 + 10% tax
    ledger = money(sim, SHOP, order["id"])
    [sale] = [t for t in ledger["transactions"] if t["kind"] == "SALE"]
    [refund] = [t for t in ledger["transactions"] if t["kind"] == "REFUND"]
    assert sale["amount"] == "39.60" and (refund["amount"], refund["parent"]) == ("17.60", sale["id"])
    assert ledger["refunds"][0]["lines"] == [(int(tea), 2, "CANCEL")] and "[k2]" in ledger["refunds"][0]["note"]
    assert current(sim, order) == {tea: 1, mug: 1}  # the refund alone took the units off; no order edit
    after = sim.order(SHOP, order["id"])
    assert after["cancelled_at"] is None and after["financial_status"] == "partially_refunded"
    assert sim.variant(SHOP, "TEA")["inventory_quantity"] == -1  # -3 at checkout, 2 released


def test_shopify_partial_cancel_rerun_with_the_same_key_refunds_once(shopify):
    sim, admin = shopify
    order, tea, mug = mixed_order(sim)
    first = admin.cancel_items(str(order["id"]), [(tea, 2)], reason="delay", idempotency_key="k3")
    again = admin.cancel_items(str(order["id"]), [(tea, 2)], reason="delay", idempotency_key="k3")
    assert first == again
    assert len(money(sim, SHOP, order["id"])["refunds"]) == 1 and current(sim, order) == {tea: 1, mug: 1}


def test_shopify_partial_cancel_of_an_authorized_order_removes_the_units_without_a_transaction(shopify):
    sim, admin = shopify
    order, tea, mug = mixed_order(sim, "authorized")
    result = admin.cancel_items(str(order["id"]), [(tea, 2)], reason="delay", idempotency_key="k4")
    assert result.refunded and result.money == CancelMoney.NOT_CHARGED and result.amount is None
    ledger = money(sim, SHOP, order["id"])
    assert [t["kind"] for t in ledger["transactions"]] == ["AUTHORIZATION"] and len(ledger["refunds"]) == 1
    assert current(sim, order) == {tea: 1, mug: 1}
    assert sim.order(SHOP, order["id"])["financial_status"] == "authorized"


def test_shopify_partial_cancel_of_a_partly_captured_order_refunds_what_shopify_suggests(shopify):
    sim, admin = shopify
    order, tea, _ = mixed_order(sim, "authorized")
    capture(sim, SHOP, order["id"], "13.20")  # the mug shipped and was captured
    result = admin.cancel_items(str(order["id"]), [(tea, 2)], reason="delay", idempotency_key="k5")
    assert result.money == CancelMoney.REFUNDED and result.amount == "13.20"  # capped at what was captured
    [capture_txn] = [t for t in money(sim, SHOP, order["id"])["transactions"] if t["kind"] == "CAPTURE"]
    [refund] = [t for t in money(sim, SHOP, order["id"])["transactions"] if t["kind"] == "REFUND"]
    assert refund["parent"] == capture_txn["id"]


def test_shopify_refund_user_error_is_an_error(shopify):
    from adapters.shopify.refunds import REFUND_CREATE

    sim, admin = shopify
    order, tea, _ = mixed_order(sim)
    other = {"orderId": f"gid://shopify/Order/{order['id']}", "note": "someone else",
             "refundLineItems": [{"lineItemId": f"gid://shopify/LineItem/{tea}", "quantity": 1}]}
    admin.client.execute(REFUND_CREATE, {"input": other, "key": "backorder-k6"})  # the key used elsewhere first
    with pytest.raises(PlatformRejected, match="idempotency key"):
        admin.cancel_items(str(order["id"]), [(tea, 1)], reason="delay", idempotency_key="k6")


def test_shopify_failed_refund_transaction_is_an_error_also_on_rerun(shopify):
    sim, admin = shopify
    order, tea, _ = mixed_order(sim)
    decline_refunds(sim, SHOP)
    with pytest.raises(PlatformRejected, match="FAILURE"):
        admin.cancel_items(str(order["id"]), [(tea, 2)], reason="delay", idempotency_key="k7")
    with pytest.raises(PlatformRejected, match="FAILURE"):
        admin.cancel_items(str(order["id"]), [(tea, 2)], reason="delay", idempotency_key="k7")


def test_shopify_order_edited_by_an_earlier_version_reports_the_refund_owed(shopify):
    sim, admin = shopify
    order, tea, _ = mixed_order(sim)
    tag = 'mutation T($id: ID!) { tagsAdd(id: $id, tags: ["backorder-k8"]) { userErrors { message } } }'
    admin.client.execute(tag, {"id": f"gid://shopify/Order/{order['id']}"})
    result = admin.cancel_items(str(order["id"]), [(tea, 2)], reason="delay", idempotency_key="k8")
    assert result.money == CancelMoney.OWED and money(sim, SHOP, order["id"])["refunds"] == []


def test_shopify_refuses_units_no_longer_on_the_order(shopify):
    sim, admin = shopify
    order, tea, _ = mixed_order(sim)
    with pytest.raises(PlatformRejected, match="no longer on it"):
        admin.cancel_items(str(order["id"]), [("424242", 1)], reason="delay", idempotency_key="k9")


def test_shopify_creates_a_percentage_code_for_the_orders_customer_only(shopify):
    sim, admin = shopify
    order = sim.create_order(SHOP, [{"sku": "TEA", "quantity": 1}], deliver_webhook=False)
    node = admin.create_discount("SORRY-AAAA1111", kind="percentage", amount=15, customer_email="a@b.c",
                                 title="Backorder apology #1001", ends_at=LATER, idempotency_key="c1",
                                 order_id=str(order["id"]))
    [created] = discounts(sim.graphql, SHOP)
    assert created["id"] == node and created["percentage"] == 0.15 and created["usageLimit"] == 1
    assert created["customers"] == [f"gid://shopify/Customer/{order['customer']['id']}"]


def test_shopify_code_creation_rerun_after_a_crash_finds_the_existing_code(shopify):
    sim, admin = shopify
    order = sim.create_order(SHOP, [{"sku": "TEA", "quantity": 1}], deliver_webhook=False)
    args = dict(kind="free_shipping", amount=None, customer_email="a@b.c", title="t", ends_at=None,
                idempotency_key="c2", order_id=str(order["id"]))
    first = admin.create_discount("SORRY-BBBB2222", **args)
    assert admin.create_discount("SORRY-BBBB2222", **args) == first
    assert len(discounts(sim.graphql, SHOP)) == 1 and discounts(sim.graphql, SHOP)[0]["kind"] == "free_shipping"


def test_shopify_refuses_a_code_for_an_unknown_order(shopify):
    _, admin = shopify
    with pytest.raises(PlatformRejected, match="not found"):
        admin.create_discount("SORRY-X", kind="percentage", amount=10, customer_email="a@b.c", title="t",
                              ends_at=None, idempotency_key="c3", order_id="999999")


# --- WooCommerce --------------------------------------------------------------------------------

def test_woocommerce_refunds_the_backordered_units_once(woo):
    sim, admin = woo
    order = sim.create_order(STORE, [{"sku": "TEA", "quantity": 3}, {"sku": "MUG", "quantity": 1}],
                             deliver_webhook=False)
    tea = line_ids(order)[0]
    first = admin.cancel_items(str(order["id"]), [(tea, 2)], reason="Backordered items cancelled",
                               idempotency_key="delay-cancel-9")
    again = admin.cancel_items(str(order["id"]), [(tea, 2)], reason="Backordered items cancelled",
                               idempotency_key="delay-cancel-9")
    assert first == again and first.refunded
    refunds = admin.client.get(f"orders/{order['id']}/refunds")
    assert len(refunds) == 1 and refunds[0]["amount"] == "16.00"
    assert refunds[0]["line_items"][0]["quantity"] == -2 and "[delay-cancel-9]" in refunds[0]["reason"]
    assert admin.client.get(f"orders/{order['id']}")["status"] == "processing"  # the mug still ships


def test_woocommerce_cancelled_units_go_back_to_stock_and_are_read_back_off_the_line(woo):
    """The refund restocks (WooCommerce took the whole line off the stock when the order was placed),
    and capture reads it back as units off the line: the two together leave no shortage behind."""
    from adapters.woocommerce import WooCommercePlatform

    sim, admin = woo
    order = sim.create_order(STORE, [{"sku": "TEA", "quantity": 3}], deliver_webhook=False)
    assert sim.product(STORE, "TEA")["stock_quantity"] == -3
    admin.cancel_items(str(order["id"]), [(line_ids(order)[0], 2)], reason="r", idempotency_key="k4")
    assert sim.product(STORE, "TEA")["stock_quantity"] == -1
    [line] = WooCommercePlatform(admin.client).parse_order(admin.client.get(f"orders/{order['id']}")).lines
    assert (line.quantity, line.backordered_meta) == (1, 1)


def test_woocommerce_refunding_everything_marks_the_order_refunded(woo):
    sim, admin = woo
    order = sim.create_order(STORE, [{"sku": "TEA", "quantity": 1}], deliver_webhook=False)
    admin.cancel_items(str(order["id"]), [(line_ids(order)[0], 1)], reason="r", idempotency_key="k")
    assert admin.client.get(f"orders/{order['id']}")["status"] == "refunded"


def test_woocommerce_coupon_is_single_use_and_restricted_to_the_customer(woo):
    sim, admin = woo
    ident = admin.create_discount("SORRY-CCCC3333", kind="percentage", amount=15, customer_email="ada@example.com",
                                  title="apology", ends_at=LATER, idempotency_key="c", order_id="1")
    [coupon] = admin.client.get("coupons", {"code": "sorry-cccc3333"})
    assert str(coupon["id"]) == ident and coupon["discount_type"] == "percent" and coupon["amount"] == "15.00"
    assert coupon["email_restrictions"] == ["ada@example.com"] and coupon["usage_limit"] == 1
    again = admin.create_discount("SORRY-CCCC3333", kind="percentage", amount=15, customer_email="ada@example.com",
                                  title="apology", ends_at=LATER, idempotency_key="c", order_id="1")
    assert again == ident


def test_woocommerce_free_shipping_coupon(woo):
    _, admin = woo
    admin.create_discount("SORRY-DDDD", kind="free_shipping", amount=None, customer_email="a@b.c", title="t",
                          ends_at=LATER - timedelta(days=1), idempotency_key="d", order_id="1")
    [coupon] = admin.client.get("coupons", {"code": "sorry-dddd"})
    assert coupon["free_shipping"] is True and coupon["amount"] == "0.00"


def test_woocommerce_refuses_a_line_that_is_not_on_the_order(woo):
    sim, admin = woo
    order = sim.create_order(STORE, [{"sku": "TEA", "quantity": 1}], deliver_webhook=False)
    with pytest.raises(PlatformRejected, match="no line"):
        admin.cancel_items(str(order["id"]), [("424242", 1)], reason="r", idempotency_key="k")
