"""Capture rules on a fake store and a real (SQLite) database."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from connector.capture.capture import capture_order
from connector.capture.marks import sync_marks
from connector.capture.reporting import list_backorders
from connector.crypto import CredentialBox
from connector.db.engine import make_engine, upgrade
from connector.db.uow import UnitOfWork
from connector.domain.errors import PlatformUnavailable
from connector.domain.model import Platform, ShopCredentials
from connector.shops import add_shop
from tests.support.builders import OrderBuilder
from tests.support.fakes import FakePlatform


@pytest.fixture
def uow(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/capture.db")
    upgrade(engine)
    yield UnitOfWork(engine)
    engine.dispose()


@pytest.fixture
def shop_id(uow):
    box = CredentialBox(Fernet.generate_key().decode())
    return add_shop(uow, box, Platform.SHOPIFY, "unit.myshopify.com", ShopCredentials(access_token="t")).id


def backorders(uow, shop_id, status="open"):
    return {(b["order_id"], b["quantity_backordered"]) for b in list_backorders(uow, shop_id, [status])}


def test_a_line_the_stock_covers_is_not_backordered(uow, shop_id):
    store = FakePlatform({"V1": 3})
    result = capture_order(uow, store, shop_id, OrderBuilder("1").line("V1", 2).build())
    assert result.outcome == "created"
    assert backorders(uow, shop_id) == set()


def test_an_oversold_variant_is_short_by_its_negative_availability(uow, shop_id):
    store = FakePlatform({"V1": -2})
    capture_order(uow, store, shop_id, OrderBuilder("1").line("V1", 5).build())
    assert backorders(uow, shop_id) == {("1", 2)}


def test_the_shortage_goes_to_the_orders_placed_last_whatever_the_delivery_order(uow, shop_id):
    store = FakePlatform({"V1": -3})
    early = OrderBuilder("1", placed=0).line("V1", 2).build()
    late = OrderBuilder("2", placed=5).line("V1", 2).build()
    capture_order(uow, store, shop_id, early)  # delivered first: alone, it takes the whole shortage
    assert backorders(uow, shop_id) == {("1", 2)}
    capture_order(uow, store, shop_id, late)
    assert backorders(uow, shop_id) == {("2", 2), ("1", 1)}
    assert backorders(uow, shop_id, "withdrawn") == set()


def test_late_orders_arriving_first_give_the_same_answer(uow, shop_id):
    store = FakePlatform({"V1": -1})
    capture_order(uow, store, shop_id, OrderBuilder("2", placed=5).line("V1", 1).build())
    capture_order(uow, store, shop_id, OrderBuilder("1", placed=0).line("V1", 1).build())
    assert backorders(uow, shop_id) == {("2", 1)}


def test_a_backorder_that_moves_to_a_later_order_is_withdrawn_and_unmarked(uow, shop_id):
    store = FakePlatform({"V1": -1})
    capture_order(uow, store, shop_id, OrderBuilder("1", placed=0).line("V1", 1).build())
    sync_marks(uow, store, shop_id)
    assert set(store.marks) == {"1"}
    capture_order(uow, store, shop_id, OrderBuilder("2", placed=5).line("V1", 1).build())
    sync_marks(uow, store, shop_id)
    assert set(store.marks) == {"2"}
    assert ("unmark", "1") in store.calls
    assert backorders(uow, shop_id, "withdrawn") == {("1", 1)}


def test_a_stale_update_changes_nothing(uow, shop_id):
    store = FakePlatform({"V1": -1})
    capture_order(uow, store, shop_id, OrderBuilder("1", updated=10).line("V1", 1).build())
    result = capture_order(uow, store, shop_id, OrderBuilder("1", updated=5).line("V1", 1).cancel(5).build())
    assert result.outcome == "stale"
    assert backorders(uow, shop_id) == {("1", 1)}


def test_a_repeated_delivery_is_unchanged_and_does_not_ask_the_store_again(uow, shop_id):
    store = FakePlatform({"V1": -1})
    snapshot = OrderBuilder("1").line("V1", 1).build()
    capture_order(uow, store, shop_id, snapshot)
    calls = len(store.calls)
    assert capture_order(uow, store, shop_id, snapshot).outcome == "unchanged"
    assert len(store.calls) == calls
    assert backorders(uow, shop_id) == {("1", 1)}


def test_a_cancelled_order_cancels_its_backorders_and_frees_the_shortage(uow, shop_id):
    store = FakePlatform({"V1": -2})
    capture_order(uow, store, shop_id, OrderBuilder("1", placed=0).line("V1", 1).build())
    capture_order(uow, store, shop_id, OrderBuilder("2", placed=5).line("V1", 2).build())
    assert backorders(uow, shop_id) == {("2", 2)}
    store.stock["V1"] = 0  # the store restocks the cancelled units
    capture_order(uow, store, shop_id, OrderBuilder("2", placed=5).line("V1", 2).cancel(9).build())
    assert backorders(uow, shop_id) == set()
    assert backorders(uow, shop_id, "cancelled") == {("2", 2)}


def test_woocommerce_backordered_meta_is_taken_as_written(uow, shop_id):
    store = FakePlatform({"V1": -3})
    capture_order(uow, store, shop_id, OrderBuilder("1", placed=0).line("V1", 3, backordered_meta=2).build())
    capture_order(uow, store, shop_id, OrderBuilder("2", placed=5).line("V1", 1).build())
    # Two units are explained by the meta; the pooled shortage left is one, on the later order.
    assert backorders(uow, shop_id) == {("1", 2), ("2", 1)}


def test_marks_are_written_once_and_retried_after_a_store_failure(uow, shop_id):
    store = FakePlatform({"V1": -1})
    capture_order(uow, store, shop_id, OrderBuilder("1").line("V1", 1).build())
    store.fail_marks = 1
    with pytest.raises(PlatformUnavailable):
        sync_marks(uow, store, shop_id)
    assert sync_marks(uow, store, shop_id) == 1
    assert sync_marks(uow, store, shop_id) == 0
    assert [c for c in store.calls if c[0] == "mark"] == [("mark", "1")]


def test_a_cancellation_in_the_same_second_as_the_order_still_cancels(uow, shop_id):
    store = FakePlatform({"V1": -1})
    capture_order(uow, store, shop_id, OrderBuilder("1", placed=0).line("V1", 2).build())
    store.stock["V1"] = 1
    result = capture_order(uow, store, shop_id, OrderBuilder("1", placed=0).line("V1", 2).cancel(0).build())
    assert result.outcome == "cancelled"
    assert backorders(uow, shop_id) == set()
    assert backorders(uow, shop_id, "cancelled") == {("1", 1)}


def test_an_open_snapshot_never_reopens_a_cancelled_order(uow, shop_id):
    store = FakePlatform({"V1": -1})
    capture_order(uow, store, shop_id, OrderBuilder("1").line("V1", 1).cancel(0).build())
    assert capture_order(uow, store, shop_id, OrderBuilder("1").line("V1", 1).build()).outcome == "unchanged"


def test_an_uninstalled_shop_gets_no_store_writes(uow, shop_id):
    store = FakePlatform({"V1": -1})
    capture_order(uow, store, shop_id, OrderBuilder("1").line("V1", 1).build())
    with uow:
        uow.shops.get(shop_id).status = "uninstalled"
        uow.commit()
    assert sync_marks(uow, store, shop_id) == 0
    assert [c for c in store.calls if c[0] == "mark"] == []


def test_an_edit_that_takes_units_off_a_line_shrinks_its_backorder(uow, shop_id):
    store = FakePlatform({"V1": -3})
    capture_order(uow, store, shop_id, OrderBuilder("1").line("V1", 5).build())
    assert backorders(uow, shop_id) == {("1", 3)}
    # the merchant removes 3 of the 5 units without restocking them: the store still reports -3,
    # but the line can only be short by the 2 units it still holds
    result = capture_order(uow, store, shop_id, OrderBuilder("1", updated=10).line("V1", 2).build())
    assert result.outcome == "updated" and result.changed_orders == {"1"}
    assert backorders(uow, shop_id) == {("1", 2)}
    [row] = list_backorders(uow, shop_id, ["open"])
    assert row["quantity"] == 2


def test_a_line_edited_down_to_nothing_has_its_backorder_withdrawn_and_unmarked(uow, shop_id):
    store = FakePlatform({"V1": -3})
    capture_order(uow, store, shop_id, OrderBuilder("1", placed=0).line("V1", 2).build())
    capture_order(uow, store, shop_id, OrderBuilder("2", placed=5).line("V1", 3).build())
    sync_marks(uow, store, shop_id)
    assert backorders(uow, shop_id) == {("2", 3)} and set(store.marks) == {"2"}
    store.stock["V1"] = 0  # the 3 removed units went back to stock
    capture_order(uow, store, shop_id, OrderBuilder("2", placed=5, updated=10).line("V1", 0).build())
    sync_marks(uow, store, shop_id)
    assert backorders(uow, shop_id) == set()
    assert ("2", 3) in backorders(uow, shop_id, "withdrawn")  # (order 1 was withdrawn when order 2 came)
    assert backorders(uow, shop_id, "cancelled") == set()
    assert store.marks == {}


def test_a_line_edited_back_up_is_backordered_again(uow, shop_id):
    store = FakePlatform({"V1": -3})
    capture_order(uow, store, shop_id, OrderBuilder("1").line("V1", 3).build())
    store.stock["V1"] = 0
    capture_order(uow, store, shop_id, OrderBuilder("1", updated=10).line("V1", 0).build())
    assert backorders(uow, shop_id, "withdrawn") == {("1", 3)}
    store.stock["V1"] = -2  # two units put back on the order, committed from stock again
    capture_order(uow, store, shop_id, OrderBuilder("1", updated=20).line("V1", 2).build())
    assert backorders(uow, shop_id) == {("1", 2)}
    assert backorders(uow, shop_id, "withdrawn") == set()


def test_a_cancellation_keeps_the_units_the_lines_held_when_shopify_zeroes_them(uow, shop_id):
    store = FakePlatform({"V1": -1})
    capture_order(uow, store, shop_id, OrderBuilder("1").line("V1", 2).build())
    store.stock["V1"] = 1
    # Shopify's orders/cancelled body: every current_quantity is 0
    capture_order(uow, store, shop_id, OrderBuilder("1").line("V1", 0).cancel(5).build())
    [row] = list_backorders(uow, shop_id, ["cancelled"])
    assert (row["quantity"], row["quantity_backordered"]) == (2, 1)
