"""Consolation codes redeemed (issue 15): the codes an order used, as each platform writes them on the order
(Shopify's discount_codes, WooCommerce's coupon_lines: read from real payloads), recorded at capture when one
is a consolation code the connector created (any case), once per code, and counted by the KPIs in the period
the order was placed (SQLite and PostgreSQL)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from adapters.shopify.client import ShopifyGraphQL
from adapters.shopify.platform import ShopifyPlatform
from adapters.woocommerce.orders import parse_order as parse_woo_order
from connector.capture.capture import capture_order
from connector.db.models import Backorder, Order, OrderLine
from connector.domain.kpis import Period
from connector.notify.models import DiscountCode
from connector.reports.kpis import shop_kpis
from connector.reports.models import CodeRedemption
from tests.conftest import load_json_fixture
from tests.support.builders import OrderBuilder, at
from tests.support.webapp import SHOP, WebApp, make_webapp


def test_shopify_and_woocommerce_orders_say_which_codes_they_used() -> None:
    shopify = ShopifyPlatform(ShopifyGraphQL("example.myshopify.com", "shpat_unit"))
    order = load_json_fixture("shopify/rest/python_api__order.json")["order"]
    assert shopify.parse_order(order).discount_codes == ("TENOFF",)
    assert shopify.parse_order({**order, "discount_codes": []}).discount_codes == ()
    woo = load_json_fixture("woocommerce/wc_v3_order_create_response.json")
    assert parse_woo_order(woo).discount_codes == ()  # the real order used none
    used = {**woo, "coupon_lines": [{"id": 9, "code": "sorry-1001", "discount": "2.50", "meta_data": []},
                                    {"id": 10, "code": " ", "discount": "0.00"}]}
    assert parse_woo_order(used).discount_codes == ("sorry-1001",)


@pytest.fixture
def web(database_url: str) -> Iterator[WebApp]:
    app = make_webapp(database_url)
    yield app
    app.container.close()


def issue_code(web: WebApp, code: str, status: str = "created") -> int:
    """A consolation code the connector gave for an earlier backordered order."""
    placed = at(0) - timedelta(days=30)
    with web.container.uow() as uow:
        order = Order(shop_id=web.shop_id, platform_order_id=f"old-{code}", name=f"#{code}", ordered_at=placed,
                      platform_updated_at=placed)
        uow.session.add(order)
        uow.session.flush()
        line = OrderLine(shop_id=web.shop_id, order_id=order.id, platform_line_id="1", sku="MUG", title="Mug",
                         quantity=1)
        uow.session.add(line)
        uow.session.flush()
        backorder = Backorder(shop_id=web.shop_id, order_line_id=line.id, sku="MUG", quantity_backordered=1,
                              status="cancelled", created_at=placed, closed_at=placed)
        uow.session.add(backorder)
        uow.session.flush()
        row = DiscountCode(shop_id=web.shop_id, order_id=order.id, backorder_id=backorder.id,
                           idempotency_key=f"k-{code}", code=code, kind="percentage", amount=Decimal(10),
                           status=status)
        uow.session.add(row)
        uow.commit()
        return row.id


def redemptions(web: WebApp) -> list[tuple[int, str]]:
    with web.container.uow() as uow:
        rows = uow.session.query(CodeRedemption, Order).join(Order, Order.id == CodeRedemption.order_id).all()
        return sorted((r.discount_code_id, o.platform_order_id) for r, o in rows)


def test_a_captured_order_using_a_consolation_code_counts_it_redeemed_once(web: WebApp) -> None:
    sorry = issue_code(web, "SORRY-1001")
    issue_code(web, "SORRY-1002", status="reserved")  # never created at the store: not the connector's code
    web.platform.stock["V1"] = 5
    order = dataclasses.replace(OrderBuilder("2001", placed=0).line("V1", 1).build(),
                                discount_codes=("sorry-1001", "SORRY-1002", "WELCOME10"))
    capture_order(web.container.uow(), web.platform, web.shop_id, order)
    assert redemptions(web) == [(sorry, "2001")]
    later = dataclasses.replace(order, updated_at=order.updated_at + timedelta(minutes=5))
    capture_order(web.container.uow(), web.platform, web.shop_id, later)  # the order updated: still once
    again = dataclasses.replace(OrderBuilder("2002", placed=60).line("V1", 1).build(), discount_codes=("SORRY-1001",))
    capture_order(web.container.uow(), web.platform, web.shop_id, again)  # a second use of the same code
    assert redemptions(web) == [(sorry, "2001")]

    placed = order.created_at.date()
    kpis = shop_kpis(web.container.uow(), web.shop_id, SHOP, Period(placed, placed), now=datetime.now(UTC))
    assert kpis.messages.consolation_codes_redeemed == 1
    before = Period(placed - timedelta(days=10), placed - timedelta(days=1))
    assert shop_kpis(web.container.uow(), web.shop_id, SHOP, before).messages.consolation_codes_redeemed == 0
