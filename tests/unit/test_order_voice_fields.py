"""What customer messages need to write personally (issue 18 item 5), read from real order payloads and
kept at capture: the first name, the currency and the order's page in the store."""

from __future__ import annotations

import copy

import pytest

from adapters.shopify import ShopifyGraphQL, ShopifyPlatform
from adapters.woocommerce.orders import parse_order, view_order_url
from connector.capture.capture import capture_order
from connector.db.engine import make_engine, upgrade
from connector.db.uow import UnitOfWork
from tests.conftest import load_json_fixture


def shopify() -> ShopifyPlatform:
    return ShopifyPlatform(ShopifyGraphQL("jsmith.myshopify.com", "shpat_unit"))


def test_a_shopify_webhook_order_gives_the_first_name_currency_and_order_status_url() -> None:
    payload = load_json_fixture("shopify/rest/api_js_2024-04__order_create_pending.json")
    snapshot = shopify().parse_order(payload)
    assert snapshot.customer_first_name == "Bob"
    assert snapshot.currency == "USD"
    assert snapshot.status_url == ("https://jsmith.myshopify.com/548380009/orders/67087edca78728ca07684bc4a2210e57/"
                                   "authenticate?key=fab624a3f8689b5bf506c7063fee13ee")


def test_shopify_falls_back_to_the_billing_name_and_refuses_a_status_url_that_is_not_a_web_address() -> None:
    payload = copy.deepcopy(load_json_fixture("shopify/rest/api_js_2024-04__order_create_pending.json"))
    payload = payload.get("order", payload)
    payload.pop("customer", None)
    payload["billing_address"] = {"first_name": "  Zoë   Anne ", "last_name": "Doe"}
    payload["order_status_url"] = "javascript:alert(1)"
    snapshot = shopify().parse_order(payload)
    assert snapshot.customer_first_name == "Zoë Anne"
    assert snapshot.status_url is None


def test_a_woocommerce_order_gives_the_billing_first_name_and_its_view_order_page() -> None:
    payload = load_json_fixture("woocommerce/wc_v3_order_create_response.json")
    snapshot = parse_order(payload, store_url="https://tea.example/")
    assert (snapshot.customer_first_name, snapshot.currency) == ("John", "USD")
    assert snapshot.status_url == "https://tea.example/my-account/view-order/727/"
    assert parse_order(payload).status_url is None  # the store's address not known: no guess
    assert view_order_url("tea.example", "727") is None


@pytest.fixture
def uow(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/voice.db")
    upgrade(engine)
    yield UnitOfWork(engine)
    engine.dispose()


def test_capture_keeps_them_and_an_update_that_does_not_say_keeps_what_was_kept(uow) -> None:
    from cryptography.fernet import Fernet

    from connector.crypto import CredentialBox
    from connector.domain.model import Platform, ShopCredentials
    from connector.shops import add_shop
    from tests.support.fakes import FakePlatform

    box = CredentialBox(Fernet.generate_key().decode())
    shop_id = add_shop(uow, box, Platform.WOOCOMMERCE, "https://tea.example", ShopCredentials(
        consumer_key="ck", consumer_secret="cs", webhook_secret="w")).id
    payload = copy.deepcopy(load_json_fixture("woocommerce/wc_v3_order_create_response.json"))
    snapshot = parse_order(payload, store_url="https://tea.example")
    store = FakePlatform({line.variant_id or line.product_id: 0 for line in snapshot.lines})
    capture_order(uow, store, shop_id, snapshot)
    payload["billing"]["first_name"] = ""
    payload["date_modified_gmt"] = "2017-03-23T10:00:00"
    capture_order(uow, store, shop_id, parse_order(payload))
    with uow:
        order = uow.orders.get(shop_id, "727")
        assert order is not None
        assert (order.customer_first_name, order.currency, order.status_url) == (
            "John", "USD", "https://tea.example/my-account/view-order/727/")
