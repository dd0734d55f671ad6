"""Capture records the delivery date stated at checkout: fake store, real (SQLite) database."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from connector.capture.capture import capture_order
from connector.crypto import CredentialBox
from connector.db.engine import make_engine, upgrade
from connector.db.models import Backorder, Order
from connector.db.uow import UnitOfWork
from connector.domain.clock import utcnow
from connector.domain.errors import InvalidPayload, PlatformUnavailable
from connector.domain.model import Platform, ShopCredentials
from connector.notify.models import NotifyState
from connector.shop_settings import set_setting
from connector.shops import add_shop
from tests.support.builders import OrderBuilder
from tests.support.fakes import FakePlatform
from tests.support.statements import sent_statements


class PromisingPlatform(FakePlatform):
    """A store that also answers Shopify's delivery promise (FulfillmentOrder.deliveryMethod)."""

    def __init__(self, stock, promise: datetime | None = None, failures: int = 0) -> None:
        super().__init__(stock)
        self.promise = promise
        self.failures = failures

    def delivery_promise(self, order_id: str) -> datetime | None:
        self.calls.append(("delivery_promise", order_id))
        if self.failures:
            self.failures -= 1
            raise PlatformUnavailable("store down")
        return self.promise


@pytest.fixture
def uow(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/promise.db")
    upgrade(engine)
    yield UnitOfWork(engine)
    engine.dispose()


@pytest.fixture
def shop_id(uow):
    box = CredentialBox(Fernet.generate_key().decode())
    return add_shop(uow, box, Platform.SHOPIFY, "promise.myshopify.com", ShopCredentials(access_token="t")).id


def stored(uow, order_id="1001"):
    with uow:
        order = uow.session.scalar(select(Order).where(Order.platform_order_id == order_id))
        return order.promised_delivery_on, order.promised_delivery_source


def test_a_backordered_order_records_the_latest_date_its_attributes_state(uow, shop_id):
    snapshot = (OrderBuilder("1001").line("V1", 2).attribute("Delivery Date", "2026-12-10")
                .attribute("gift note", "2026-12-30").attribute("delivery_date", "December 12, 2026").build())
    capture_order(uow, FakePlatform({"V1": -2}), shop_id, snapshot)
    assert stored(uow) == (date(2026, 12, 12), "note_attributes:delivery_date")


def test_shopifys_own_promise_is_asked_once_per_order_and_the_latest_stated_date_wins(uow, shop_id):
    store = PromisingPlatform({"V1": -1}, promise=datetime(2026, 12, 20, 3, tzinfo=UTC))
    capture_order(uow, store, shop_id, OrderBuilder("1001").line("V1", 1).attribute("Delivery Date", "2026-12-10")
                  .build())
    capture_order(uow, store, shop_id, OrderBuilder("1001", updated=5).line("V1", 1)
                  .attribute("Delivery Date", "2026-12-11").build())
    assert [c for c in store.calls if c[0] == "delivery_promise"] == [("delivery_promise", "1001")]
    assert stored(uow) == (date(2026, 12, 20), "shopify:deliveryMethod")


def test_the_shops_time_zone_decides_the_day_of_a_stated_moment(uow, shop_id):
    import connector.supply.dates  # noqa: F401  (declares dates.timezone)

    set_setting(uow, shop_id, "dates.timezone", "America/New_York")
    store = PromisingPlatform({"V1": -1}, promise=datetime(2026, 12, 20, 3, tzinfo=UTC))
    capture_order(uow, store, shop_id, OrderBuilder("1001").line("V1", 1).build())
    assert stored(uow) == (date(2026, 12, 19), "shopify:deliveryMethod")


def test_an_order_the_stock_covers_costs_no_settings_query_and_no_store_call(uow, shop_id):
    with sent_statements(uow.engine) as statements:
        store = PromisingPlatform({"V1": 5}, promise=datetime(2026, 12, 20, tzinfo=UTC))
        capture_order(uow, store, shop_id, OrderBuilder("1001").line("V1", 1).attribute("Delivery Date", "2026-12-10")
                      .build())
    assert not [sent for sent in statements if "shop_settings" in sent.sql]
    assert [c for c in store.calls if c[0] == "delivery_promise"] == []
    assert stored(uow) == (None, None)


def test_an_unreadable_date_is_logged_without_its_value_and_capture_goes_on(uow, shop_id, caplog):
    caplog.set_level(logging.INFO, logger="connector.capture.promise")
    snapshot = OrderBuilder("1001").line("V1", 2).attribute("Delivery Date", "ring Ada on 555-0142").build()
    result = capture_order(uow, FakePlatform({"V1": -2}), shop_id, snapshot)
    assert result.outcome == "created"
    assert stored(uow) == (None, None)
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert warning.source == "note_attributes:Delivery Date"
    assert "555-0142" not in repr(warning.__dict__)


def test_a_date_before_the_order_was_placed_is_ignored(uow, shop_id):
    snapshot = OrderBuilder("1001").line("V1", 2).attribute("Delivery Date", "2026-01-02").build()
    capture_order(uow, FakePlatform({"V1": -2}), shop_id, snapshot)
    assert stored(uow) == (None, None)


def test_the_names_read_are_the_shops_setting(uow, shop_id):
    set_setting(uow, shop_id, "promise.note_attributes", ["Liefertermin"])
    snapshot = (OrderBuilder("1001").line("V1", 2).attribute("Delivery Date", "2026-12-10")
                .attribute("liefertermin", "2026-12-09").build())
    capture_order(uow, FakePlatform({"V1": -2}), shop_id, snapshot)
    assert stored(uow) == (date(2026, 12, 9), "note_attributes:liefertermin")


def test_woocommerce_meta_keys_and_timestamps_are_read_from_order_meta(uow, shop_id):
    stamp = int(datetime(2026, 12, 14, 12, tzinfo=UTC).timestamp())
    snapshot = (OrderBuilder("1001").line("V1", 2, backordered_meta=2)
                .attribute("_orddd_timestamp", str(stamp), kind="meta_data").build())
    capture_order(uow, FakePlatform({}), shop_id, snapshot)
    assert stored(uow) == (date(2026, 12, 14), "meta_data:_orddd_timestamp")


def test_a_changed_date_moves_the_promise_until_notify_decides_then_it_stands(uow, shop_id, caplog):
    store = FakePlatform({"V1": -1})
    capture_order(uow, store, shop_id, OrderBuilder("1001").line("V1", 1).attribute("Delivery Date", "2026-12-10")
                  .build())
    with uow:  # notify evaluated with no expected date yet: nothing decided, nothing told
        backorder = uow.session.scalar(select(Backorder))
        uow.session.add(NotifyState(shop_id=shop_id, backorder_id=backorder.id, shipping_promise=date(2026, 12, 10),
                                    checkout_stated=True, initial_decided=False, created_at=utcnow()))
        uow.commit()
    capture_order(uow, store, shop_id, OrderBuilder("1001", updated=5).line("V1", 1)
                  .attribute("Delivery Date", "2026-12-15").build())
    assert stored(uow)[0] == date(2026, 12, 15)
    with uow:  # notify's first decision (a notice or a recorded silence) pins the promise
        uow.session.scalar(select(NotifyState)).initial_decided = True
        uow.commit()
    caplog.set_level(logging.WARNING, logger="connector.capture.promise")
    capture_order(uow, store, shop_id, OrderBuilder("1001", updated=10).line("V1", 1)
                  .attribute("Delivery Date", "2026-12-29").build())
    assert stored(uow)[0] == date(2026, 12, 15)
    assert any("pinned" in r.getMessage() and r.stated == "2026-12-29" for r in caplog.records)


def test_a_store_that_cannot_answer_leaves_capture_intact_and_is_asked_again(uow, shop_id):
    store = PromisingPlatform({"V1": -1}, promise=datetime(2026, 12, 20, tzinfo=UTC), failures=1)
    assert capture_order(uow, store, shop_id, OrderBuilder("1001").line("V1", 1).build()).outcome == "created"
    assert stored(uow) == (None, None)
    capture_order(uow, store, shop_id, OrderBuilder("1001", updated=5).line("V1", 1).build())
    assert stored(uow) == (date(2026, 12, 20), "shopify:deliveryMethod")
    assert len([c for c in store.calls if c[0] == "delivery_promise"]) == 2


def test_the_store_promise_can_be_switched_off(uow, shop_id):
    set_setting(uow, shop_id, "promise.shopify_delivery_method", False)
    store = PromisingPlatform({"V1": -1}, promise=datetime(2026, 12, 20, tzinfo=UTC))
    capture_order(uow, store, shop_id, OrderBuilder("1001").line("V1", 1).build())
    assert [c for c in store.calls if c[0] == "delivery_promise"] == []
    assert stored(uow) == (None, None)


@pytest.mark.parametrize("key, value", [("promise.meta_keys", [""]), ("promise.note_attributes", "x"),
                                        ("promise.date_formats", ["no percent"]),
                                        ("promise.shopify_delivery_method", "yes")])
def test_bad_promise_settings_are_refused_by_name(uow, shop_id, key, value):
    with pytest.raises(InvalidPayload, match=key):
        set_setting(uow, shop_id, key, value)


def test_a_backordered_order_with_nothing_to_read_costs_no_settings_query(uow, shop_id):
    with sent_statements(uow.engine) as statements:
        capture_order(uow, FakePlatform({"V1": -1}), shop_id, OrderBuilder("1001").line("V1", 1).build())
    assert not [sent for sent in statements if "shop_settings" in sent.sql]
    assert stored(uow) == (None, None)
