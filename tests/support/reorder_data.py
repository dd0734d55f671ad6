"""A shop's sales history, catalogue, suppliers and purchase orders in bulk, for reorder advice: bench/reorder.py,
bench/app_pages.py (the reorder page at 10,000 SKUs) and the stored-advice tests.

``seed_sales`` is deterministic (``random.Random(15)``): a fifth of the SKUs sell most days (one in ten of
those with a weekend peak), two fifths on about a third of the days, the rest are slow movers, one in twenty
started selling within the last month; ``SUPPLIERS`` suppliers with a stated lead time each report their
SKUs; half of them have received purchase orders (placed -> received 6-12 days) and every one an open order.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.engine import Engine

from connector.purchasing.models import PurchaseOrder, PurchaseOrderLine
from connector.reorder.models import SalesDaily
from connector.supply.models import StoreSku, Supplier, SupplierStock

SUPPLIERS = 20
CHUNK = 20_000


def daily_units(rng: random.Random, kind: str, day: date, weekend: bool) -> int:
    """Units one SKU of ``kind`` sells on ``day`` (0 most days for the slower kinds)."""
    if kind == "fast":
        base = rng.choice((0, 1, 2, 2, 3, 3, 4, 5, 6))
        return base * 2 if weekend and day.weekday() >= 5 else base
    if kind == "medium":
        return rng.choice((1, 1, 2, 3)) if rng.random() < 0.35 else 0
    return 1 if rng.random() < 0.04 else 0


def seed_sales(engine: Engine, shop_id: int, skus: int, days: int, today: date, prefix: str = "R-") -> int:
    """The shop's catalogue of ``skus`` SKUs (named ``prefix`` + five digits) with stock, suppliers, purchase
    orders and ``days`` days of daily sales before ``today``; returns the sales rows written."""
    rng = random.Random(15)
    names = [f"{prefix}{n:05d}" for n in range(skus)]
    kinds = ["fast" if n % 5 == 0 else "medium" if n % 5 in (1, 2) else "slow" for n in range(skus)]
    rows = 0
    with engine.begin() as conn:
        supplier_ids = []
        for s in range(SUPPLIERS):
            supplier_ids.append(conn.execute(insert(Supplier).values(
                shop_id=shop_id, name=f"Supplier {s:02d}", kind="http_json", settings="{}",
                lead_time_days=5 + s % 10).returning(Supplier.id)).scalar_one())
        conn.execute(insert(StoreSku), [{"shop_id": shop_id, "sku": sku, "available": rng.randint(-5, 400)}
                                        for sku in names])
        conn.execute(insert(SupplierStock), [{"shop_id": shop_id, "supplier_id": supplier_ids[n % SUPPLIERS],
                                              "sku": sku, "lead_time_days": None} for n, sku in enumerate(names)])
        placed = datetime.combine(today - timedelta(days=200), datetime.min.time(), UTC)
        for s, supplier_id in enumerate(supplier_ids):
            for k in range(12):  # received orders of half the suppliers; one open order each
                status = "received" if s % 2 == 0 and k < 11 else "placed" if k == 11 else None
                if status is None:
                    continue
                at = placed + timedelta(days=15 * k)
                po_id = conn.execute(insert(PurchaseOrder).values(
                    shop_id=shop_id, supplier_id=supplier_id, status=status,
                    idempotency_key=f"po-{shop_id}-{s}-{k}",
                    placed_at=at, received_at=at + timedelta(days=6 + rng.random() * 6) if status == "received"
                    else None).returning(PurchaseOrder.id)).scalar_one()
                conn.execute(insert(PurchaseOrderLine), [
                    {"shop_id": shop_id, "purchase_order_id": po_id, "sku": names[n], "quantity": 24,
                     "quantity_received": 24 if status == "received" else 0}
                    for n in range(s, min(skus, s + SUPPLIERS * 10), SUPPLIERS)])
        batch: list[dict[str, Any]] = []
        for n, sku in enumerate(names):
            first = days if n % 20 else rng.randint(5, 30)  # one in twenty is new
            weekend = n % 10 == 0
            for back in range(first, 0, -1):
                day = today - timedelta(days=back)
                units = daily_units(rng, kinds[n], day, weekend)
                if units:
                    batch.append({"shop_id": shop_id, "sku": sku, "day": day, "units": units, "orders": 1})
            if len(batch) >= CHUNK:
                conn.execute(insert(SalesDaily), batch)
                rows += len(batch)
                batch = []
        if batch:
            conn.execute(insert(SalesDaily), batch)
            rows += len(batch)
    return rows
