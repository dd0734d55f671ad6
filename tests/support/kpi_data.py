"""A shop's backorder history with hand-computed KPIs (tests/integration/test_kpi_report.py, the KPI page tests).

Period 2026-11-02 .. 2026-11-29 (ISO weeks 45-48), "now" 2026-11-29 12:00 UTC. EXPECTED is the report's
JSON for it, worked out by hand in the comments of ``add_history``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from connector.db.models import Backorder, Order, OrderLine
from connector.db.uow import UnitOfWork
from connector.dropship.models import DropshipOrder
from connector.notify.models import DiscountCode, Message
from connector.purchasing.models import PurchaseOrder, PurchaseOrderReceipt
from connector.reports.models import CodeRedemption
from connector.restock.models import Allocation
from connector.supply.models import SkuEta, Supplier, SupplierChange, SupplierSnapshot

FROM = date(2026, 11, 2)
TO = date(2026, 11, 29)
NOW = datetime(2026, 11, 29, 12, tzinfo=UTC)


def at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def _backorder(uow: UnitOfWork, shop_id: int, n: int, sku: str, units: int, price: str | None, currency: str,
               created: datetime, status: str, closed: datetime | None = None, via: str | None = None,
               promised: date | None = None) -> Backorder:
    order = Order(shop_id=shop_id, platform_order_id=str(1000 + n), name=f"#{1000 + n}", ordered_at=created,
                  platform_updated_at=created, currency=currency)
    order.lines.append(OrderLine(shop_id=shop_id, platform_line_id=f"{n}01", sku=sku, title=sku, quantity=units,
                                 unit_price=Decimal(price) if price is not None else None))
    uow.session.add(order)
    uow.session.flush()
    backorder = Backorder(shop_id=shop_id, order_line_id=order.lines[0].id, sku=sku, quantity_backordered=units,
                          status=status, created_at=created, closed_at=closed, fulfilled_via=via,
                          promised_date=promised, quantity_shipped=units if status == "fulfilled" else 0)
    uow.session.add(backorder)
    uow.session.flush()
    return backorder


def add_history(uow: UnitOfWork, shop_id: int) -> None:
    with uow:
        s = uow.session
        acme = Supplier(shop_id=shop_id, name="Acme", kind="api", settings="{}")
        s.add(acme)
        s.flush()
        s.add(SkuEta(shop_id=shop_id, sku="MUG", supplier_id=acme.id, source="supplier_restock"))
        # B1 MUG 2 x 10 EUR: 3 days to fill (W45), promised 4 Nov, allocated 4 Nov: on time
        b1 = _backorder(uow, shop_id, 1, "MUG", 2, "10.00", "EUR", at(11, 2), "fulfilled", at(11, 5), "allocation",
                        date(2026, 11, 4))
        s.add(Allocation(shop_id=shop_id, backorder_id=b1.id, quantity=2, source="supplier", reference="a1",
                         created_at=at(11, 4, 9)))
        # B2 MUG 1 x 10 EUR: 10 days (closed W46), promised 8 Nov, allocated 12 Nov: 4 days late
        b2 = _backorder(uow, shop_id, 2, "MUG", 1, "10.00", "EUR", at(11, 3), "fulfilled", at(11, 13), "allocation",
                        date(2026, 11, 8))
        s.add(Allocation(shop_id=shop_id, backorder_id=b2.id, quantity=1, source="supplier", reference="a2",
                         created_at=at(11, 12)))
        # B3 CUP 1 x 20 EUR drop-shipped at a cost of 12: 2 days (W46), margin 8.00 EUR; CUP has no supplier date
        b3 = _backorder(uow, shop_id, 3, "CUP", 1, "20.00", "EUR", at(11, 10), "fulfilled", at(11, 12), "dropship")
        s.add(DropshipOrder(shop_id=shop_id, backorder_id=b3.id, supplier_id=acme.id, idempotency_key="ds-3",
                            reference="ds-3", sku="CUP", quantity=1, quantity_shipped=1, unit_cost=Decimal("12.00"),
                            ship_to="{}", status="shipped"))
        # B4 MUG 3 x 10 EUR waiting since 20 Nov 12:00: 9 days old (8-14)
        b4 = _backorder(uow, shop_id, 4, "MUG", 3, "10.00", "EUR", at(11, 20, 12), "open")
        # B5 CUP 1 unit without a price, waiting since 28 Nov 12:00: 1 day (0-7)
        _backorder(uow, shop_id, 5, "CUP", 1, None, "EUR", at(11, 28, 12), "open")
        # B6 PLATE 1 x 5 USD allocated, waiting since 1 Sep 12:00: 89 days (>60), before the period
        _backorder(uow, shop_id, 6, "PLATE", 1, "5.00", "USD", at(9, 1, 12), "allocated")
        # B7 MUG 1 unit cancelled 24 Nov after a delay notice on 20 Nov: waited 8 days
        b7 = _backorder(uow, shop_id, 7, "MUG", 1, "10.00", "EUR", at(11, 16), "cancelled", at(11, 24))
        # B8 withdrawn: counts nowhere
        _backorder(uow, shop_id, 8, "MUG", 5, "10.00", "EUR", at(11, 4), "withdrawn", at(11, 4, 11))
        s.flush()
        s.add_all([
            Message(shop_id=shop_id, backorder_id=b7.id, order_id=_order_id(b7), kind="delay_notice", date_key="k7",
                    status="sent", sent_at=at(11, 20)),
            Message(shop_id=shop_id, backorder_id=b2.id, order_id=_order_id(b2), kind="apology", date_key="k2",
                    status="sent", sent_at=at(11, 6)),
            Message(shop_id=shop_id, backorder_id=b2.id, order_id=_order_id(b2), kind="delay_notice",
                    date_key="k2f", status="failed"),
            Message(shop_id=shop_id, backorder_id=b1.id, order_id=_order_id(b1), kind="apology", date_key="k1",
                    status="sent", sent_at=at(10, 1)),
            DiscountCode(shop_id=shop_id, order_id=_order_id(b2), backorder_id=b2.id, idempotency_key="dc-2",
                         code="SORRY-2", kind="percentage", amount=Decimal("10"), status="created",
                         created_at=at(11, 6)),
            DiscountCode(shop_id=shop_id, order_id=_order_id(b7), backorder_id=b7.id, idempotency_key="dc-7",
                         code="SORRY-7", kind="percentage", amount=Decimal("10"), status="reserved",
                         created_at=at(11, 20)),
        ])
        s.flush()
        # B2's customer used their code SORRY-2 on B4's order (20 Nov): redeemed; SORRY-7 was never created
        s.add(CodeRedemption(shop_id=shop_id, discount_code_id=_code_id(uow, "SORRY-2"), order_id=_order_id(b4),
                             redeemed_at=at(11, 20, 12)))
        # a purchase order expected 20 Nov, first received 22 Nov: 2 days late
        po = PurchaseOrder(shop_id=shop_id, supplier_id=acme.id, status="received", idempotency_key="po-1",
                           expected_date=date(2026, 11, 20))
        s.add(po)
        s.flush()
        s.add_all([PurchaseOrderReceipt(shop_id=shop_id, purchase_order_id=po.id, receipt_no=1, sku="MUG",
                                        quantity=5, source="supplier", received_at=at(11, 22)),
                   PurchaseOrderReceipt(shop_id=shop_id, purchase_order_id=po.id, receipt_no=2, sku="MUG",
                                        quantity=5, source="supplier", received_at=at(11, 25))])
        # restock dates Acme changed: later once, earlier once; a first date (no previous) is not a change
        snapshot = SupplierSnapshot(shop_id=shop_id, supplier_id=acme.id, status="done")
        s.add(snapshot)
        s.flush()
        s.add_all([
            SupplierChange(shop_id=shop_id, supplier_id=acme.id, snapshot_id=snapshot.id, sku="MUG",
                           restock_date=date(2026, 11, 12), previous_restock_date=date(2026, 11, 8),
                           changed_at=at(11, 6)),
            SupplierChange(shop_id=shop_id, supplier_id=acme.id, snapshot_id=snapshot.id, sku="MUG",
                           restock_date=date(2026, 11, 18), previous_restock_date=date(2026, 11, 20),
                           changed_at=at(11, 15)),
            SupplierChange(shop_id=shop_id, supplier_id=acme.id, snapshot_id=snapshot.id, sku="BOWL",
                           restock_date=date(2026, 11, 20), previous_restock_date=None, changed_at=at(11, 16)),
        ])
        uow.commit()


def _code_id(uow: UnitOfWork, code: str) -> int:
    found = uow.session.query(DiscountCode).filter_by(code=code).one()
    return found.id


def _order_id(backorder: Backorder) -> int:
    return backorder.line.order_id


def sku(name: str, backorders: int, per_month: float, units: int, mean: float, longest: float,
        reasons: list[str]) -> dict[str, Any]:
    return {"sku": name, "backorders": backorders, "per_month": per_month, "units": units, "mean_wait_days": mean,
            "longest_wait_days": longest, "review": bool(reasons), "reasons": reasons}


MUG = sku("MUG", 4, 4.29, 7, 7.5, 10.0, ["backordered 4.29 times a month (review at 4)",
                                         "waits 7.5 days on average (review at 7)"])
CUP = sku("CUP", 2, 2.14, 2, 1.5, 2.0, [])

EXPECTED: dict[str, Any] = {
    "shop": "",  # filled by the test
    "period": {"from": "2026-11-02", "to": "2026-11-29", "days": 28},
    "generated_at": NOW.isoformat(),
    "open_now": {"count": 3, "units": 5, "value": {"EUR": "30.00", "USD": "5.00"}, "unpriced_units": 1},
    "weekly": [{"week": "2026-W45", "opened": 2, "closed": 1}, {"week": "2026-W46", "opened": 1, "closed": 2},
               {"week": "2026-W47", "opened": 2, "closed": 0}, {"week": "2026-W48", "opened": 1, "closed": 1}],
    "age": {"buckets": [{"days": "0-7", "count": 1}, {"days": "8-14", "count": 1}, {"days": "15-30", "count": 0},
                        {"days": "31-60", "count": 0}, {"days": ">60", "count": 1}], "oldest_days": 89},
    "time_to_fill": {"filled": 3, "median_days": 3.0, "p90_days": 10.0, "manageable_days": 7,
                     "within_manageable_share": 0.667,
                     "weekly": [{"week": "2026-W45", "filled": 1, "median_days": 3.0},
                                {"week": "2026-W46", "filled": 2, "median_days": 6.0},
                                {"week": "2026-W47", "filled": 0, "median_days": None},
                                {"week": "2026-W48", "filled": 0, "median_days": None}]},
    "supplier_accuracy": [{"supplier": "Acme", "samples": 3, "mean_days_late": 2.0, "spread_days": 1.63,
                           "on_time_share": 0.333, "date_changes": 2, "slipped": 1, "slip_share": 0.5}],
    "skus": {"review_backorders_per_month": 4.0, "review_wait_days": 7.0, "flagged": 1,
             "most_often": [MUG, CUP], "longest": [MUG, CUP]},
    "messages": {"sent": {"apology": 1, "delay_notice": 1}, "consolation_codes_issued": 1,
                 "consolation_codes_redeemed": 1, "delay_notices": 1, "cancelled_after_delay_notice": 1},
    "dropship": {"filled": 3, "dropship_filled": 1, "share": 0.333, "margin": {"EUR": "8.00"}, "margin_units": 1,
                 "cost_unknown_units": 0},
    "notes": [],
}
