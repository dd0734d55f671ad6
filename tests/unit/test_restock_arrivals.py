"""Stock arriving is allocated first come, first served: from the store's own count (a stock event),
a purchase-order receipt (units_arrived) and a supplier's stock; each arrival once."""

from __future__ import annotations

import pytest

from connector.capture.capture import capture_order
from connector.capture.stock import positions_changed, read_waiting_positions
from connector.db.uow import UnitOfWork
from connector.domain.clock import utcnow
from connector.restock.arrivals import supplier_stock_arrived, units_arrived
from connector.restock.repository import RestockRepository
from connector.settings_registry import build_registry
from connector.shop_settings import set_setting, use
from tests.support.builders import OrderBuilder
from tests.support.fakes import FakePlatform


def state(uow: UnitOfWork) -> dict[str, tuple[str, int, int]]:
    """Order id -> (status, quantity backordered, quantity allocated)."""
    with uow:
        rows = uow.backorders.list(1)
        return {b.line.order.platform_order_id: (b.status, b.quantity_backordered, b.quantity_allocated)
                for b in rows}


def allocation_rows(uow: UnitOfWork, shop_id: int) -> list[tuple[int, int, str, str]]:
    with uow:
        return [(a.backorder_id, a.quantity, a.source, a.reference)
                for a in uow.repo(RestockRepository).allocations_of(shop_id)]


@pytest.fixture
def three_waiting(uow, shop_id):  # type: ignore[no-untyped-def]
    """Orders 1, 2, 3 (placed in that order) for 2 units each of V1, none in stock: -6."""
    store = FakePlatform({"V1": 0})
    for n in (1, 2, 3):
        store.stock["V1"] -= 2
        capture_order(uow, store, shop_id, OrderBuilder(str(n), placed=n).line("V1", 2).build())
    assert state(uow) == {"1": ("open", 2, 0), "2": ("open", 2, 0), "3": ("open", 2, 0)}
    return store


def test_stock_the_store_counts_goes_to_the_earliest_orders_and_moves_their_date_to_today(uow, shop_id,
                                                                                          three_waiting):
    store = three_waiting
    store.stock["V1"] = -2  # the merchant received 4 units
    report = positions_changed(uow, store, shop_id, ["V1"])
    assert state(uow) == {"1": ("allocated", 2, 2), "2": ("allocated", 2, 2), "3": ("open", 2, 0)}
    assert len(report.allocated) == 2
    rows = allocation_rows(uow, shop_id)
    assert [(q, s) for _, q, s, _ in rows] == [(2, "store_stock"), (2, "store_stock")]
    with uow:
        allocated = [b for b in uow.backorders.list(shop_id, ["allocated"])]
        assert {b.expected_date for b in allocated} == {utcnow().date()}
        assert all(b.allocated_at is not None for b in allocated)


def test_evaluating_the_same_store_level_again_allocates_nothing_more(uow, shop_id, three_waiting):
    store = three_waiting
    store.stock["V1"] = -3
    positions_changed(uow, store, shop_id, ["V1"])
    first = (state(uow), allocation_rows(uow, shop_id))
    positions_changed(uow, store, shop_id, ["V1"])
    read_waiting_positions(uow, store, shop_id)
    assert (state(uow), allocation_rows(uow, shop_id)) == first
    assert first[0] == {"1": ("allocated", 2, 2), "2": ("open", 2, 1), "3": ("open", 2, 0)}


def test_the_periodic_read_finds_an_arrival_whose_webhook_was_missed(uow, shop_id, three_waiting):
    store = three_waiting
    store.stock["V1"] = -4
    report = read_waiting_positions(uow, store, shop_id, batch=1)
    assert report.positions == 1
    assert state(uow)["1"] == ("allocated", 2, 2)


def test_a_line_freed_by_another_orders_cancellation_is_withdrawn_not_allocated(uow, shop_id):
    store = FakePlatform({"V1": 2})
    store.stock["V1"] -= 2
    capture_order(uow, store, shop_id, OrderBuilder("0", placed=0).line("V1", 2).build())  # in stock
    for n in (1, 2):
        store.stock["V1"] -= 2
        capture_order(uow, store, shop_id, OrderBuilder(str(n), placed=n).line("V1", 2).build())
    store.stock["V1"] += 2  # order 0 cancelled, its units restocked
    capture_order(uow, store, shop_id, OrderBuilder("0", placed=0).line("V1", 2).cancel(updated=9).build())
    assert state(uow) == {"1": ("withdrawn", 2, 0), "2": ("open", 2, 0)}
    assert allocation_rows(uow, shop_id) == []
    positions_changed(uow, store, shop_id, ["V1"])  # the inventory webhook of the restock, after
    assert state(uow) == {"1": ("withdrawn", 2, 0), "2": ("open", 2, 0)}


def test_an_order_with_a_priority_tag_gets_arriving_stock_first(uow, shop_id, three_waiting):
    use(build_registry())
    set_setting(uow, shop_id, "restock.priority_tags", ["vip"])
    with uow:
        order = uow.orders.get(shop_id, "3")
        assert order is not None
        order.tags = "wholesale, VIP"
        uow.commit()
    three_waiting.stock["V1"] = -4
    positions_changed(uow, three_waiting, shop_id, ["V1"])
    assert state(uow) == {"1": ("open", 2, 0), "2": ("open", 2, 0), "3": ("allocated", 2, 2)}


def test_a_purchase_order_receipt_allocates_once_and_the_store_count_of_it_allocates_nothing_again(
        uow, shop_id, three_waiting):
    report = units_arrived(uow, shop_id, "SKU-V1", 3, source="purchase_order", reference="po:1:1")
    assert (report.units_allocated, report.units_left, report.duplicate) == (3, 0, False)
    assert [g.order_id for g in report.granted] == ["1", "2"]
    assert report.granted[0].fully_allocated and not report.granted[1].fully_allocated
    assert state(uow) == {"1": ("allocated", 2, 2), "2": ("open", 2, 1), "3": ("open", 2, 0)}
    again = units_arrived(uow, shop_id, "SKU-V1", 3, source="purchase_order", reference="po:1:1")
    assert again.duplicate and again.units_allocated == 0
    three_waiting.stock["V1"] = -3  # the merchant counts the 3 received units into the store
    positions_changed(uow, three_waiting, shop_id, ["V1"])
    assert state(uow) == {"1": ("allocated", 2, 2), "2": ("open", 2, 1), "3": ("open", 2, 0)}
    assert len(allocation_rows(uow, shop_id)) == 2


def test_units_arrived_refuses_an_unknown_source_and_an_open_transaction(uow, shop_id):
    with pytest.raises(ValueError, match="unknown arrival source"):
        units_arrived(uow, shop_id, "SKU-V1", 1, source="gift", reference="x")
    with uow, pytest.raises(RuntimeError, match="outside"):
        units_arrived(uow, shop_id, "SKU-V1", 1, source="purchase_order", reference="x")


def test_supplier_stock_is_allocated_only_when_the_merchant_ships_from_it_and_only_once(uow, shop_id,
                                                                                        three_waiting):
    use(build_registry())
    assert supplier_stock_arrived(uow, shop_id, {"SKU-V1": 5}, "snapshot:1") == []
    assert state(uow)["1"] == ("open", 2, 0)
    set_setting(uow, shop_id, "restock.ship_from_supplier_stock", True)
    [report] = supplier_stock_arrived(uow, shop_id, {"SKU-V1": 3, "SKU-NONE": 0}, "snapshot:2")
    assert report.reference == "snapshot:2:SKU-V1" and report.units_allocated == 3
    assert supplier_stock_arrived(uow, shop_id, {"SKU-V1": 3}, "snapshot:3") == []  # same stock, next poll
    assert state(uow) == {"1": ("allocated", 2, 2), "2": ("open", 2, 1), "3": ("open", 2, 0)}
    [more] = supplier_stock_arrived(uow, shop_id, {"SKU-V1": 4}, "snapshot:4")
    assert more.units_allocated == 1
    assert state(uow)["2"] == ("allocated", 2, 2)


def test_whole_lines_first_fills_a_later_complete_line_when_the_merchant_chose_it(uow, shop_id):
    use(build_registry())
    set_setting(uow, shop_id, "restock.whole_lines_first", True)
    store = FakePlatform({"V1": 0})
    for n, qty in ((1, 3), (2, 1)):
        store.stock["V1"] -= qty
        capture_order(uow, store, shop_id, OrderBuilder(str(n), placed=n).line("V1", qty).build())
    report = units_arrived(uow, shop_id, "SKU-V1", 2, source="purchase_order", reference="po:7:1")
    assert [(g.order_id, g.quantity, g.fully_allocated) for g in report.granted] == [("1", 1, False),
                                                                                     ("2", 1, True)]
    assert any("whole lines first" in reason for reason in report.granted[1].reasons)
    assert state(uow) == {"1": ("open", 3, 1), "2": ("allocated", 1, 1)}
