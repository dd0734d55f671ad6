"""A shop's backorders in bulk for the merchant's Backorders page: its tests and bench/app_pages.py.

``seed_backorders`` writes orders, lines and backorders (open, allocated and closed ones, of many
ages, with and without expected dates), suppliers, their stock rows and the SKUs' dates with
multi-row INSERTs, and returns what it wrote as ``Seeded`` rows, so a test can work out with plain
Python what a view must show and compare.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import insert
from sqlalchemy.engine import Engine

from connector.db.models import Backorder, Order, OrderLine
from connector.supply.models import SkuEta, Supplier, SupplierStock

SUPPLIER_NAMES = ("Acme Supply", "Brightline", "Coastal Goods", "Delta Trading")
CLOSED = ("fulfilled", "cancelled", "withdrawn")


@dataclass(frozen=True)
class Seeded:
    backorder_id: int
    order_name: str
    platform_order_id: str
    sku: str
    status: str
    created_at: datetime
    expected_date: date | None
    supplier: str | None
    """The supplier the page shows: the one behind the SKU's date, else the first by name listing it."""
    listed_by: frozenset[int]
    """Supplier ids whose stock rows list the SKU, plus the one behind its date."""


@dataclass(frozen=True)
class SeededShop:
    shop_id: int
    suppliers: dict[str, int]
    rows: list[Seeded]


def seed_backorders(engine: Engine, shop_id: int, *, waiting: int, closed: int = 0, skus: int = 40,
                    now: datetime, first_id: int = 1, order_number: int = 1001) -> SeededShop:
    """``waiting`` backorders (every tenth allocated, the rest open) and ``closed`` ones (fulfilled,
    cancelled, withdrawn in turn), one per order, across ``skus`` SKUs and four suppliers. Ids start at
    ``first_id`` (a second shop in the same database needs ids of its own)."""
    today = now.date()
    with engine.begin() as conn:
        supplier_ids = {}
        for name in SUPPLIER_NAMES:
            supplier_ids[name] = conn.execute(insert(Supplier).values(
                shop_id=shop_id, name=name, kind="feed", settings="{}", handling_days=0, transit_days=0,
                status="active", consecutive_failures=0, created_at=now).returning(Supplier.id)).scalar_one()
        by_index = [supplier_ids[name] for name in SUPPLIER_NAMES]
        names = {value: key for key, value in supplier_ids.items()}
        stock, etas, listing, behind = [], [], {}, {}
        for i in range(skus):
            sku = f"SKU-{i:05d}"
            carriers = {by_index[i % 4]}
            if i % 7 == 0:
                carriers.add(by_index[(i + 1) % 4])
            if i % 11 == 5:
                carriers = set()  # nobody lists it
            for supplier_id in sorted(carriers):
                stock.append({"shop_id": shop_id, "supplier_id": supplier_id, "sku": sku, "quantity": 0,
                              "dropship": False, "updated_at": now})
            eta_supplier = by_index[(i + 2) % 4] if i % 3 == 1 else None
            etas.append({"shop_id": shop_id, "sku": sku, "expected_date": today + timedelta(days=i % 30),
                         "source": "supplier_restock" if eta_supplier else "none", "supplier_id": eta_supplier,
                         "computed_at": now})
            listing[sku] = frozenset(carriers | ({eta_supplier} if eta_supplier else set()))
            behind[sku] = (names[eta_supplier] if eta_supplier
                           else min((names[c] for c in carriers), default=None))
        if stock:
            conn.execute(insert(SupplierStock), stock)
        conn.execute(insert(SkuEta), etas)
        seeded: list[Seeded] = []
        orders, lines, backorders = [], [], []
        for n in range(waiting + closed):
            ident = first_id + n
            sku = f"SKU-{(n * 7) % skus:05d}"
            if n < waiting:
                status = "allocated" if n % 10 == 9 else "open"
            else:
                status = CLOSED[(n - waiting) % 3]
            created = now - timedelta(days=n % 90, minutes=n)
            expected = None if n % 5 == 0 else today + timedelta(days=(n * 3) % 60 - 10)
            name = f"#{order_number + n}"
            platform_id = str(7_000_000 + ident)
            orders.append({"id": ident, "shop_id": shop_id, "platform_order_id": platform_id, "name": name,
                           "status": "open" if status != "cancelled" else "cancelled", "ordered_at": created,
                           "platform_updated_at": created, "needs_mark": False, "captured_at": created})
            lines.append({"id": ident, "shop_id": shop_id, "order_id": ident, "platform_line_id": str(ident),
                          "sku": sku, "stock_key": sku, "title": f"Product {sku}", "quantity": 1 + n % 3,
                          "quantity_fulfilled": 0})
            backorders.append({"id": ident, "shop_id": shop_id, "order_line_id": ident, "sku": sku,
                               "stock_key": sku, "quantity_backordered": 1 + n % 3, "status": status,
                               "created_at": created, "updated_at": created, "expected_date": expected,
                               "promised_date": expected, "quantity_allocated": 1 + n % 3 if status == "allocated"
                               else 0, "quantity_shipped": 0,
                               "closed_at": created + timedelta(days=1) if status in CLOSED else None})
            seeded.append(Seeded(ident, name, platform_id, sku, status, created, expected, behind[sku],
                                 listing[sku]))
        for start in range(0, len(orders), 5000):
            conn.execute(insert(Order), orders[start:start + 5000])
            conn.execute(insert(OrderLine), lines[start:start + 5000])
            conn.execute(insert(Backorder), backorders[start:start + 5000])
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            for table in ("orders", "order_lines", "backorders"):
                conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                     f"(SELECT max(id) FROM {table}))")
            for table in ("orders", "order_lines", "backorders", "supplier_stock", "sku_eta", "suppliers"):
                conn.exec_driver_sql(f"ANALYZE {table}")
    return SeededShop(shop_id, supplier_ids, seeded)
