"""Capture keeps each line's promise (the ship-by date the customer saw) and the ship-together
choice: fake store, real (SQLite) database."""

from __future__ import annotations

from datetime import date

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from connector.capture.capture import capture_order
from connector.crypto import CredentialBox
from connector.db.engine import make_engine, upgrade
from connector.db.models import Backorder, Order, OrderLine
from connector.db.uow import UnitOfWork
from connector.domain.model import OrderSnapshot, Platform, ShopCredentials
from connector.shops import add_shop
from tests.support.builders import OrderBuilder
from tests.support.fakes import FakePlatform

SHIPS_BY = (("Ships by", "December 15, 2026"), ("_backorder_ships_by", "2026-12-15"))


@pytest.fixture
def uow(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/lines.db")
    upgrade(engine)
    yield UnitOfWork(engine)
    engine.dispose()


@pytest.fixture
def shop_id(uow):
    box = CredentialBox(Fernet.generate_key().decode())
    return add_shop(uow, box, Platform.SHOPIFY, "lines.myshopify.com", ShopCredentials(access_token="t")).id


def lines(uow):
    with uow:
        rows = uow.session.scalars(select(OrderLine).order_by(OrderLine.platform_line_id)).all()
        return {r.platform_line_id: (r.promised_on, r.promised_source,
                                     r.backorder.promised_date if r.backorder else "no backorder") for r in rows}


def with_choice(snapshot: OrderSnapshot, choice: str | None) -> OrderSnapshot:
    from dataclasses import replace

    return replace(snapshot, ship_choice=choice)


def test_a_backordered_line_keeps_the_date_it_showed_and_its_backorder_is_promised_it(uow, shop_id):
    snapshot = (OrderBuilder("1001").line("V1", 1, line_id="a", properties=SHIPS_BY).line("V2", 1, line_id="b")
                .attribute("Delivery Date", "2026-12-30").build())
    capture_order(uow, FakePlatform({"V1": -1, "V2": 5}), shop_id, snapshot)
    assert lines(uow) == {"a": (date(2026, 12, 15), "line_property:_backorder_ships_by", date(2026, 12, 15)),
                          "b": (None, None, "no backorder")}
    with uow:  # the order-level promise is still recorded for the order
        order = uow.session.scalar(select(Order))
        assert order.promised_delivery_on == date(2026, 12, 30)


def test_a_later_update_with_another_date_never_rewrites_the_promise(uow, shop_id):
    store = FakePlatform({"V1": -1})
    capture_order(uow, store, shop_id, OrderBuilder("1001").line("V1", 1, line_id="a", properties=SHIPS_BY).build())
    moved = (("Ships by", "January 9, 2027"), ("_backorder_ships_by", "2027-01-09"))
    capture_order(uow, store, shop_id, OrderBuilder("1001", updated=60).line("V1", 1, line_id="a", properties=moved)
                  .build())
    assert lines(uow)["a"] == (date(2026, 12, 15), "line_property:_backorder_ships_by", date(2026, 12, 15))


def test_a_line_short_only_later_takes_the_promise_it_was_sold_with(uow, shop_id):
    snapshot = OrderBuilder("1001").line("V1", 1, line_id="a", properties=SHIPS_BY).build()
    capture_order(uow, FakePlatform({"V1": 0}), shop_id, snapshot)
    assert lines(uow)["a"] == (date(2026, 12, 15), "line_property:_backorder_ships_by", "no backorder")
    capture_order(uow, FakePlatform({"V1": -1}), shop_id,
                  OrderBuilder("1001", updated=30).line("V1", 1, line_id="a", properties=SHIPS_BY).build())
    assert lines(uow)["a"][2] == date(2026, 12, 15)


def test_a_line_without_the_property_leaves_promised_date_to_notify(uow, shop_id):
    capture_order(uow, FakePlatform({"V1": -1}), shop_id, OrderBuilder("1001").line("V1", 1, line_id="a").build())
    assert lines(uow)["a"] == (None, None, None)
    with uow:
        assert uow.session.scalar(select(Backorder)).promised_date is None


def test_the_ship_choice_is_stored_and_an_update_that_does_not_say_keeps_it(uow, shop_id):
    store = FakePlatform({"V1": -1, "V2": 4})
    base = OrderBuilder("1001").line("V1", 1).line("V2", 1)
    capture_order(uow, store, shop_id, with_choice(base.build(), "together"))
    capture_order(uow, store, shop_id, with_choice(OrderBuilder("1001", updated=9).line("V1", 2).line("V2", 1).build(),
                                                   None))
    with uow:
        assert uow.session.scalar(select(Order.ship_choice)) == "together"
