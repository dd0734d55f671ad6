"""Stock arriving is allocated first come, first served: from the store's own count (a stock event),
a purchase-order receipt (units_arrived) and a supplier's stock; each arrival once."""

from __future__ import annotations

from dataclasses import replace

import pytest

from connector.capture.capture import capture_order
from connector.capture.stock import positions_changed, read_waiting_positions
from connector.db.uow import UnitOfWork
from connector.domain.clock import utcnow
from connector.purchasing.models import PurchaseOrder, PurchaseOrderLine
from connector.purchasing.receive import record_receipt
from connector.restock.arrivals import supplier_stock_arrived, units_arrived
from connector.restock.repository import RestockRepository
from connector.settings_registry import build_registry
from connector.shop_settings import set_setting, use
from connector.supply.models import Supplier
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


# -- a delivered case is allocated once, whether the store's count or the receipt is read first ------------

def placed_order(uow: UnitOfWork, shop_id: int, units: int, sku: str = "SKU-V1") -> int:
    """A purchase order placed at the supplier for ``units`` of ``sku``, nothing received yet; its id."""
    with uow:
        supplier = Supplier(shop_id=shop_id, name=f"mill-{units}-{utcnow().timestamp()}", kind="api", settings="{}")
        uow.session.add(supplier)
        uow.session.flush()
        po = PurchaseOrder(shop_id=shop_id, supplier_id=supplier.id, status="placed",
                           idempotency_key=f"po-{supplier.id}", placed_at=utcnow())
        uow.session.add(po)
        uow.session.flush()
        uow.session.add(PurchaseOrderLine(shop_id=shop_id, purchase_order_id=po.id, sku=sku, quantity=units))
        uow.commit()
        return po.id


def waiting(uow: UnitOfWork, shop_id: int, *quantities: int) -> FakePlatform:
    """Orders 1, 2, ... (placed in that order) for these units of V1, none in stock."""
    store = FakePlatform({"V1": 0})
    for n, quantity in enumerate(quantities, start=1):
        store.stock["V1"] -= quantity
        capture_order(uow, store, shop_id, OrderBuilder(str(n), placed=n).line("V1", quantity).build())
    return store


def count_in(uow: UnitOfWork, store: FakePlatform, shop_id: int, units: int) -> None:
    """The merchant counts ``units`` into the store; its inventory webhook is handled."""
    store.stock["V1"] += units
    positions_changed(uow, store, shop_id, ["V1"])


def units_set_aside(uow: UnitOfWork, shop_id: int) -> dict[str, int]:
    totals: dict[str, int] = {}
    for _, quantity, source, _ in allocation_rows(uow, shop_id):
        totals[source] = totals.get(source, 0) + quantity
    return totals


@pytest.mark.parametrize("store_first", [True, False], ids=["store-count-first", "receipt-first"])
def test_a_delivered_case_is_allocated_once_whichever_of_store_count_and_receipt_comes_first(
        uow, shop_id, store_first):
    store = waiting(uow, shop_id, 2, 2, 2, 2)  # 8 units short, a case of 6 on order
    po = placed_order(uow, shop_id, 6)
    if store_first:
        count_in(uow, store, shop_id, 6)
        report = record_receipt(uow, po, {"SKU-V1": 6}, source="merchant")
        assert report.allocated == {"SKU-V1": 0}  # the store's count had set the 6 units aside already
    else:
        record_receipt(uow, po, {"SKU-V1": 6}, source="merchant")
        count_in(uow, store, shop_id, 6)
    assert state(uow) == {"1": ("allocated", 2, 2), "2": ("allocated", 2, 2), "3": ("allocated", 2, 2),
                          "4": ("open", 2, 0)}
    assert sum(units_set_aside(uow, shop_id).values()) == 6
    with uow:  # nothing left to match or to consume: the next arrival of either kind counts in full
        assert [p.credit for p in uow.repo(RestockRepository).positions(shop_id, ["V1"]).values()] == [0]
    count_in(uow, store, shop_id, 2)
    assert state(uow)["4"] == ("allocated", 2, 2)


def test_a_receipt_read_after_the_store_count_reports_the_units_as_counted_ahead(uow, shop_id):
    store = waiting(uow, shop_id, 3, 3)
    placed_order(uow, shop_id, 6)
    count_in(uow, store, shop_id, 4)
    report = units_arrived(uow, shop_id, "SKU-V1", 6, source="purchase_order", reference="po:9:1")
    assert (report.counted_ahead, report.units_allocated, report.units_left) == (4, 2, 0)
    assert state(uow) == {"1": ("allocated", 3, 3), "2": ("allocated", 3, 3)}
    count_in(uow, store, shop_id, 2)  # the rest of the case counted in: the receipt allocated it already
    assert units_set_aside(uow, shop_id) == {"store_stock": 4, "purchase_order": 2}


def test_partial_receipts_in_both_orders_of_events_allocate_each_unit_once(uow, shop_id):
    store = waiting(uow, shop_id, 3, 3, 3, 3, 3)  # 15 short, 12 on order in two cases of 6
    po = placed_order(uow, shop_id, 12)
    count_in(uow, store, shop_id, 6)  # first case: counted into the store, then received
    record_receipt(uow, po, {"SKU-V1": 6}, source="merchant")
    assert state(uow) == {"1": ("allocated", 3, 3), "2": ("allocated", 3, 3), "3": ("open", 3, 0),
                          "4": ("open", 3, 0), "5": ("open", 3, 0)}
    record_receipt(uow, po, {"SKU-V1": 6}, source="merchant")  # second case: received, then counted in
    count_in(uow, store, shop_id, 6)
    assert state(uow) == {"1": ("allocated", 3, 3), "2": ("allocated", 3, 3), "3": ("allocated", 3, 3),
                          "4": ("allocated", 3, 3), "5": ("open", 3, 0)}
    assert units_set_aside(uow, shop_id) == {"store_stock": 6, "purchase_order": 6}


def test_two_receipts_of_units_the_store_counted_in_at_once_allocate_nothing_again(uow, shop_id):
    store = waiting(uow, shop_id, 3, 3, 3, 3, 3)
    first, second = placed_order(uow, shop_id, 6), placed_order(uow, shop_id, 6)
    count_in(uow, store, shop_id, 12)  # both deliveries counted in before either receipt is read
    record_receipt(uow, first, {"SKU-V1": 6}, source="merchant")
    record_receipt(uow, second, {"SKU-V1": 3}, source="merchant")
    record_receipt(uow, second, {"SKU-V1": 3}, source="merchant")
    assert state(uow)["5"] == ("open", 3, 0)
    assert units_set_aside(uow, shop_id) == {"store_stock": 12}


def test_units_sold_from_the_shelf_before_the_receipt_is_read_are_not_allocated_again(uow, shop_id):
    store = waiting(uow, shop_id, 2, 2)
    po = placed_order(uow, shop_id, 6)
    count_in(uow, store, shop_id, 6)  # 4 set aside, 2 on the shelf
    store.stock["V1"] -= 3  # a new order takes the 2 on the shelf and is 1 short
    capture_order(uow, store, shop_id, OrderBuilder("3", placed=3).line("V1", 3).build())
    assert state(uow)["3"] == ("open", 1, 0)
    record_receipt(uow, po, {"SKU-V1": 6}, source="merchant")
    assert state(uow)["3"] == ("open", 1, 0)  # all 6 units were counted: that one is really short
    assert units_set_aside(uow, shop_id) == {"store_stock": 4}


def test_stock_counted_in_with_nothing_on_order_does_not_hold_back_a_later_receipt(uow, shop_id):
    store = waiting(uow, shop_id, 2, 2, 2)
    count_in(uow, store, shop_id, 2)  # a return: no purchase order open
    assert state(uow)["1"] == ("allocated", 2, 2)
    po = placed_order(uow, shop_id, 4)
    record_receipt(uow, po, {"SKU-V1": 4}, source="merchant")
    assert state(uow) == {"1": ("allocated", 2, 2), "2": ("allocated", 2, 2), "3": ("allocated", 2, 2)}
    count_in(uow, store, shop_id, 4)
    assert units_set_aside(uow, shop_id) == {"store_stock": 2, "purchase_order": 4}


def test_units_counted_ahead_of_a_cancelled_order_stop_being_matched(uow, shop_id):
    store = waiting(uow, shop_id, 2, 2, 2, 2)
    cancelled = placed_order(uow, shop_id, 4)
    count_in(uow, store, shop_id, 4)  # counted in while 4 were on order: taken for that order's units
    with uow:
        po = uow.session.get(PurchaseOrder, cancelled)
        assert po is not None
        po.status = "cancelled"
        uow.commit()
    read_waiting_positions(uow, store, shop_id)  # the periodic stock read: no order expects those units now
    other = placed_order(uow, shop_id, 4)
    record_receipt(uow, other, {"SKU-V1": 2}, source="merchant")
    assert state(uow)["3"] == ("allocated", 2, 2)  # only what is on order now can be counted ahead


# -- priority tags decide who gets arriving units, never who carries the shortage at capture ---------------

def test_a_later_priority_order_is_the_backorder_and_is_served_first_when_stock_arrives(uow, shop_id):
    use(build_registry())
    set_setting(uow, shop_id, "restock.priority_tags", ["vip"])
    store = FakePlatform({"V1": 2})
    store.stock["V1"] -= 2
    capture_order(uow, store, shop_id, OrderBuilder("1", placed=1).line("V1", 2).build())  # in stock
    store.stock["V1"] -= 2
    capture_order(uow, store, shop_id, OrderBuilder("2", placed=2).line("V1", 2).build())
    store.stock["V1"] -= 2
    vip = replace(OrderBuilder("3", placed=3).line("V1", 2).build(), tags="wholesale, VIP")
    capture_order(uow, store, shop_id, vip)
    assert state(uow) == {"2": ("open", 2, 0), "3": ("open", 2, 0)}  # order 1 keeps what it was told it had
    count_in(uow, store, shop_id, 2)
    assert state(uow) == {"2": ("open", 2, 0), "3": ("allocated", 2, 2)}
    count_in(uow, store, shop_id, 2)
    assert state(uow) == {"2": ("allocated", 2, 2), "3": ("allocated", 2, 2)}
