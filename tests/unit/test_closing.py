"""Closing backorders when their units ship, through the capture path, on a fake store and SQLite."""

from __future__ import annotations

from dataclasses import replace

from connector.capture.capture import capture_order
from connector.capture.marks import sync_marks
from connector.db.models import Backorder
from connector.domain.model import OrderSnapshot
from connector.domain.shipping import backordered_units_shipped, decide
from connector.shipping.repository import ShippingRepository
from tests.support.builders import OrderBuilder, at
from tests.support.fakes import FakePlatform


def shipped(snapshot: OrderSnapshot, units: dict[str, int], *, updated: float,
            when: float | None = None) -> OrderSnapshot:
    """The same order after the store shipped ``units`` per line id (cumulative), updated at ``updated``."""
    lines = tuple(replace(line, fulfilled_quantity=units.get(line.line_id, line.fulfilled_quantity),
                          fulfilled_at=at(when) if when is not None and line.line_id in units else None)
                  for line in snapshot.lines)
    return replace(snapshot, lines=lines, updated_at=at(updated))


def state(uow, shop_id):
    with uow:
        rows = uow.backorders.list(shop_id, ("open", "allocated", "fulfilled", "withdrawn", "cancelled"))
        return {row.line.platform_line_id: (row.status, row.quantity_backordered, row.quantity_shipped,
                                            row.fulfilled_via) for row in rows}


def shipments(uow, shop_id):
    with uow:
        return [(s.quantity, s.via, s.reference) for s in uow.repo(ShippingRepository).shipments(shop_id)]


def test_in_stock_units_of_a_line_ship_before_its_backordered_ones():
    assert backordered_units_shipped(quantity=5, fulfilled=3, backordered=2) == 0
    assert backordered_units_shipped(quantity=5, fulfilled=4, backordered=2) == 1
    assert backordered_units_shipped(quantity=5, fulfilled=5, backordered=2) == 2
    assert backordered_units_shipped(quantity=2, fulfilled=2, backordered=2) == 2
    assert decide(5, 5, 2, already_shipped=2).newly_shipped == 0
    assert decide(5, 4, 2, already_shipped=0).closes is False
    assert decide(5, 5, 2, already_shipped=1).closes is True


def test_a_line_shipped_whole_closes_its_backorder_with_the_shipment_time(uow, shop_id):
    store = FakePlatform({"V1": -2})
    order = OrderBuilder("1", placed=0).line("V1", 2).build()
    capture_order(uow, store, shop_id, order)
    assert state(uow, shop_id) == {"1-1": ("open", 2, 0, None)}

    result = capture_order(uow, store, shop_id, shipped(order, {"1-1": 2}, updated=50, when=40))

    assert result.outcome == "updated"
    assert state(uow, shop_id) == {"1-1": ("fulfilled", 2, 2, "merchant")}
    assert shipments(uow, shop_id) == [(2, "merchant", "units:2")]
    with uow:
        row = uow.backorders.list(shop_id, ("fulfilled",))[0]
        assert row.closed_at == at(40)


def test_without_a_shipment_time_the_order_update_time_closes_it(uow, shop_id):
    store = FakePlatform({"V1": -1})
    order = OrderBuilder("1").line("V1", 1).build()
    capture_order(uow, store, shop_id, order)
    capture_order(uow, store, shop_id, shipped(order, {"1-1": 1}, updated=70))
    with uow:
        assert uow.backorders.list(shop_id, ("fulfilled",))[0].closed_at == at(70)


def test_a_partial_shipment_closes_only_what_shipped_and_the_rest_waits(uow, shop_id):
    store = FakePlatform({"V1": -3})
    order = OrderBuilder("1").line("V1", 5).build()  # 2 in stock, 3 backordered
    capture_order(uow, store, shop_id, order)
    capture_order(uow, store, shop_id, shipped(order, {"1-1": 2}, updated=10))  # the in-stock units
    assert state(uow, shop_id) == {"1-1": ("open", 3, 0, None)}
    assert shipments(uow, shop_id) == []

    store.stock["V1"] = -2  # one unit came in and the merchant shipped it
    capture_order(uow, store, shop_id, shipped(order, {"1-1": 3}, updated=20))

    assert state(uow, shop_id) == {"1-1": ("open", 3, 1, None)}
    assert shipments(uow, shop_id) == [(1, "merchant", "units:1")]

    store.stock["V1"] = 0
    capture_order(uow, store, shop_id, shipped(order, {"1-1": 5}, updated=30))
    assert state(uow, shop_id) == {"1-1": ("fulfilled", 3, 3, "merchant")}
    assert shipments(uow, shop_id) == [(1, "merchant", "units:1"), (2, "merchant", "units:3")]


def test_the_same_shipment_read_twice_records_it_once(uow, shop_id):
    store = FakePlatform({"V1": -2})
    order = OrderBuilder("1").line("V1", 4).build()
    capture_order(uow, store, shop_id, order)
    news = shipped(order, {"1-1": 3}, updated=10)
    capture_order(uow, store, shop_id, news)
    assert capture_order(uow, store, shop_id, news).outcome == "unchanged"
    # reconciliation reads the same state with a later update time: still one row
    capture_order(uow, store, shop_id, shipped(order, {"1-1": 3}, updated=11))
    assert shipments(uow, shop_id) == [(1, "merchant", "units:1")]
    assert state(uow, shop_id) == {"1-1": ("open", 2, 1, None)}


def test_a_stale_order_update_arriving_after_the_shipment_does_not_reopen_it(uow, shop_id):
    store = FakePlatform({"V1": -2})
    order = OrderBuilder("1", placed=0).line("V1", 2).build()
    capture_order(uow, store, shop_id, order)
    capture_order(uow, store, shop_id, shipped(order, {"1-1": 2}, updated=20))
    older = shipped(order, {"1-1": 0}, updated=10)  # an orders/updated sent before the fulfillment

    assert capture_order(uow, store, shop_id, older).outcome == "stale"
    assert state(uow, shop_id) == {"1-1": ("fulfilled", 2, 2, "merchant")}


def test_a_later_read_with_fewer_units_shipped_leaves_the_backorder_fulfilled(uow, shop_id):
    store = FakePlatform({"V1": -2})
    order = OrderBuilder("1").line("V1", 2).build()
    capture_order(uow, store, shop_id, order)
    capture_order(uow, store, shop_id, shipped(order, {"1-1": 2}, updated=20))
    capture_order(uow, store, shop_id, shipped(order, {"1-1": 0}, updated=30))  # fulfillment cancelled
    assert state(uow, shop_id) == {"1-1": ("fulfilled", 2, 2, "merchant")}
    assert len(shipments(uow, shop_id)) == 1


def test_shipped_units_no_longer_claim_the_stock_position(uow, shop_id):
    """Two orders on a position at -2: the later one is short. The earlier one shipping its units
    takes nothing off the shortage, which stays with the later one."""
    store = FakePlatform({"V1": -2})
    first = OrderBuilder("1", placed=0).line("V1", 2).build()
    second = OrderBuilder("2", placed=5).line("V1", 2).build()
    capture_order(uow, store, shop_id, first)
    capture_order(uow, store, shop_id, second)
    assert state(uow, shop_id) == {"1-1": ("withdrawn", 2, 0, None), "2-1": ("open", 2, 0, None)}
    capture_order(uow, store, shop_id, shipped(first, {"1-1": 2}, updated=10))
    assert state(uow, shop_id) == {"1-1": ("withdrawn", 2, 0, None), "2-1": ("open", 2, 0, None)}
    assert shipments(uow, shop_id) == []


def test_an_allocated_backorder_that_ships_is_fulfilled_via_allocation(uow, shop_id):
    store = FakePlatform({"V1": -2})
    order = OrderBuilder("1").line("V1", 2).build()
    capture_order(uow, store, shop_id, order)
    with uow:
        row: Backorder = uow.backorders.list(shop_id, ("open",))[0]
        row.status, row.quantity_allocated = "allocated", 2
        uow.commit()
    store.stock["V1"] = 0
    capture_order(uow, store, shop_id, shipped(order, {"1-1": 2}, updated=10))
    assert state(uow, shop_id) == {"1-1": ("fulfilled", 2, 2, "allocation")}
    assert shipments(uow, shop_id) == [(2, "allocation", "units:2")]


def test_the_mark_comes_off_only_when_no_waiting_backorder_is_left(uow, shop_id):
    store = FakePlatform({"V1": -1, "V2": -1})
    order = OrderBuilder("1").line("V1", 1).line("V2", 1).build()
    capture_order(uow, store, shop_id, order)
    sync_marks(uow, store, shop_id)
    assert [m.line_id for m in store.marks["1"]] == ["1-1", "1-2"]

    capture_order(uow, store, shop_id, shipped(order, {"1-1": 1}, updated=10))
    sync_marks(uow, store, shop_id)
    assert [m.line_id for m in store.marks["1"]] == ["1-2"]
    assert ("unmark", "1") not in store.calls

    capture_order(uow, store, shop_id, shipped(order, {"1-1": 1, "1-2": 1}, updated=20))
    sync_marks(uow, store, shop_id)
    assert "1" not in store.marks and ("unmark", "1") in store.calls


def test_a_partial_shipment_lowers_the_units_on_the_mark(uow, shop_id):
    store = FakePlatform({"V1": -3})
    order = OrderBuilder("1").line("V1", 3).build()
    capture_order(uow, store, shop_id, order)
    sync_marks(uow, store, shop_id)
    store.stock["V1"] = -2
    capture_order(uow, store, shop_id, shipped(order, {"1-1": 1}, updated=10))
    sync_marks(uow, store, shop_id)
    assert [(m.line_id, m.quantity) for m in store.marks["1"]] == [("1-1", 2)]
