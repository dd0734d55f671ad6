"""Backorders whose units are set aside from arriving stock ('allocated') wait only for shipment: their
customers get no delay notice, pile-up alerts still count them (waiting = open + allocated, as agreed
for issue 13), and the SKU's in-stock date (the next unit for sale) is not pulled to today by them."""

from __future__ import annotations

from sqlalchemy import select

from connector.db.models import Backorder
from connector.notify.alerts import check_pileups
from connector.notify.models import Message
from connector.supply.dates import refresh_dates
from connector.supply.models import SkuEta, StoreSku
from tests.support.notify_support import TODAY, days


def allocate(h, backorder_id: int, units: int | None = None) -> None:
    """What restock's allocation writes (connector/restock/allocation.py granted_values)."""
    with h.container.uow() as uow:
        row = uow.session.get(Backorder, backorder_id)
        row.quantity_allocated = row.quantity_backordered if units is None else units
        row.status = "allocated" if row.quantity_allocated >= row.quantity_backordered else "open"
        row.expected_date = TODAY
        uow.commit()


def test_a_customer_whose_goods_are_set_aside_gets_no_delay_notice_while_one_still_short_does(h, sink):
    set_aside = h.backorder(expected=days(45), email="set-aside@example.com")
    h.backorder(expected=days(45), email="short@example.com")
    allocate(h, set_aside)
    h.move(set_aside, days(45))  # even with a late date left on it, it waits only for shipment
    h.evaluate()
    assert {r.recipient for r in h.rows(Message)} == {"short@example.com"}
    [mail] = sink.messages
    assert "delayed" in mail.subject


def test_pile_up_alerts_count_allocated_backorders_until_they_ship(h):
    h.set("alerts.thresholds", {"count": 2})
    first = h.backorder(expected=None, sku="TEA-1")
    h.backorder(expected=None, sku="TEA-1")
    allocate(h, first)
    assert check_pileups(h.notifier, h.shop_id, slack_timeout=5).crossed == [("TEA-1", "count")]
    with h.container.uow() as uow:
        uow.session.get(Backorder, first).status = "fulfilled"
        uow.commit()
    assert check_pileups(h.notifier, h.shop_id, slack_timeout=5).cleared == [("TEA-1", "count")]


def test_the_sku_date_stays_the_next_units_date_and_an_allocated_backorder_keeps_today(h):
    with h.container.uow() as uow:
        uow.session.add(StoreSku(shop_id=h.shop_id, sku="TEA-1", available=-3, backorders_allowed=True,
                                 product_id="P1", variant_id="V1"))
        uow.commit()
    allocated = h.backorder(expected=None, sku="TEA-1", quantity=2)
    partial = h.backorder(expected=None, sku="TEA-1", quantity=3)
    allocate(h, allocated)
    allocate(h, partial, units=1)  # one of three set aside: the rest still waits for the next delivery
    refresh_dates(h.container.uow(), h.shop_id, today=TODAY)
    with h.container.uow() as uow:
        eta = uow.session.scalar(select(SkuEta.expected_date).where(SkuEta.shop_id == h.shop_id,
                                                                     SkuEta.sku == "TEA-1"))
        assert eta != TODAY
        dates = dict(uow.session.execute(select(Backorder.id, Backorder.expected_date)
                                         .where(Backorder.shop_id == h.shop_id)).all())
    assert dates[allocated] == TODAY
    assert dates[partial] == eta  # its remaining units follow the SKU's date
