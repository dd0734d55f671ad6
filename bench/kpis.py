"""Backorder KPIs at scale: every KPI of one shop for C closed and W waiting backorders, against one second.

Fills a fresh database (PostgreSQL by default) with one Shopify shop holding C closed backorders (default
100,000: 85% fulfilled, by allocation, by the merchant or drop-shipped; 15% cancelled) spread over the last
year, and W waiting ones (default 10,000: open, every tenth allocated), one order each, across S SKUs
(default 500) from four suppliers, with what the KPIs read beside them: allocations and shipments of the
fulfilled ones, first-promised dates, drop-ship orders with unit costs, messages (a delay notice for one in
five, an apology for one in twenty) and consolation codes, supplier date changes, purchase orders with
receipts; and a second shop with a tenth as many (so every query must scope). Then times
``connector.reports.kpis.shop_kpis`` over the whole year (every KPI, one transaction) N times, beside a bare
read baseline in the same run: the shop's backorders read as plain rows (id, status, created_at, closed_at)
with no arithmetic.

Target: every KPI in under a second (p50 and max printed; met / MISSED on the max).

    .venv/bin/python bench/kpis.py [--closed 100000] [--waiting 10000] [--skus 500] [--runs 5]
        [--backend postgresql|sqlite]

This is a benchmark, not a test: pytest does not collect it (tests/unit/test_bench_kpis.py runs it with
tiny numbers on SQLite so it cannot rot).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TARGET_SECONDS = 1.0
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
SHOP = "bench-kpis.myshopify.com"
CHUNK = 5000


@contextmanager
def database(backend: str, sqlite_path: Path) -> Iterator[str]:
    """A fresh database: an SQLite file, or a PostgreSQL database dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{sqlite_path}"
        return
    import psycopg

    name = f"kpis_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _insert(conn: Any, table: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        conn.execute(table.insert(), rows[start:start + CHUNK])


def seed(engine: Any, shop_id: int, *, closed: int, waiting: int, skus: int, now: datetime, first_id: int,
         rng: random.Random) -> None:
    """One order, line and backorder per backorder, plus what each KPI reads beside them."""
    from sqlalchemy import insert

    from connector.db.models import Backorder, Order, OrderLine
    from connector.dropship.models import DropshipOrder
    from connector.notify.models import DiscountCode, Message
    from connector.purchasing.models import PurchaseOrder, PurchaseOrderReceipt
    from connector.restock.models import Allocation
    from connector.shipping.models import BackorderShipment
    from connector.supply.models import SkuEta, Supplier, SupplierChange, SupplierSnapshot

    names = [f"SKU-{i:05d}" for i in range(skus)]
    orders, lines, backorders = [], [], []
    allocations, shipments, dropships, messages, codes = [], [], [], [], []
    with engine.begin() as conn:
        supplier_ids = []
        for n in range(4):
            supplier_ids.append(conn.execute(insert(Supplier).returning(Supplier.id),
                                             {"shop_id": shop_id, "name": f"Supplier {n + 1}", "kind": "api",
                                              "settings": "{}", "handling_days": 0, "transit_days": 0,
                                              "status": "active", "consecutive_failures": 0,
                                              "created_at": now}).scalar_one())
        _insert(conn, SkuEta.__table__, [{"shop_id": shop_id, "sku": sku, "supplier_id": supplier_ids[i % 4],
                                          "source": "supplier_restock", "computed_at": now}
                                         for i, sku in enumerate(names)])
        snapshot = conn.execute(insert(SupplierSnapshot).returning(SupplierSnapshot.id),
                                {"shop_id": shop_id, "supplier_id": supplier_ids[0], "started_at": now,
                                 "status": "done", "rows_total": 0, "rows_bad": 0, "rows_changed": 0}).scalar_one()
        changes = []
        for i in range(max(closed // 20, 1)):
            before = (now - timedelta(days=rng.randint(0, 360))).date()
            changes.append({"shop_id": shop_id, "supplier_id": supplier_ids[i % 4], "snapshot_id": snapshot,
                            "sku": names[i % skus], "previous_restock_date": before,
                            "restock_date": before + timedelta(days=rng.choice((-3, 2, 5, 9))),
                            "changed_at": now - timedelta(days=rng.randint(0, 360))})
        _insert(conn, SupplierChange.__table__, changes)
        po_rows, receipts = [], []
        for i in range(max(closed // 500, 1)):
            po_rows.append({"shop_id": shop_id, "supplier_id": supplier_ids[i % 4], "status": "received",
                            "idempotency_key": f"po-{shop_id}-{i}", "created_at": now, "total_units": 10,
                            "receipts": 1, "send_attempts": 0,
                            "expected_date": (now - timedelta(days=rng.randint(5, 360))).date()})
        _insert(conn, PurchaseOrder.__table__, po_rows)
        po_ids = [r[0] for r in conn.execute(PurchaseOrder.__table__.select().with_only_columns(
            PurchaseOrder.__table__.c.id, PurchaseOrder.__table__.c.expected_date)
            .where(PurchaseOrder.__table__.c.shop_id == shop_id))]
        for po_id in po_ids:
            receipts.append({"shop_id": shop_id, "purchase_order_id": po_id, "receipt_no": 1, "sku": names[0],
                             "quantity": 10, "source": "supplier",
                             "received_at": now - timedelta(days=rng.randint(0, 360))})
        _insert(conn, PurchaseOrderReceipt.__table__, receipts)

        total = closed + waiting
        for n in range(total):
            ident = first_id + n
            sku = names[n % skus]
            is_closed = n < closed
            created = now - timedelta(days=rng.uniform(30, 360) if is_closed else rng.uniform(0, 120))
            wait = timedelta(days=rng.expovariate(1 / 9))
            closed_at = min(created + wait, now) if is_closed else None
            if is_closed:
                status = "cancelled" if n % 20 < 3 else "fulfilled"
                via = None if status == "cancelled" else ("dropship" if n % 20 < 6 else "merchant" if n % 20 < 10
                                                          else "allocation")
            else:
                status, via = ("allocated" if n % 10 == 0 else "open"), None
            units = 1 + n % 3
            promised = (created + timedelta(days=rng.randint(3, 21))).date() if n % 5 < 3 else None
            orders.append({"id": ident, "shop_id": shop_id, "platform_order_id": str(ident), "name": f"#{ident}",
                           "status": "open", "ordered_at": created, "platform_updated_at": created,
                           "captured_at": created, "needs_mark": False, "currency": "EUR" if n % 7 else "USD"})
            lines.append({"id": ident, "shop_id": shop_id, "order_id": ident, "platform_line_id": str(ident),
                          "sku": sku, "title": sku, "quantity": units, "quantity_fulfilled": 0,
                          "unit_price": Decimal(10 + n % 40)})
            backorders.append({"id": ident, "shop_id": shop_id, "order_line_id": ident, "sku": sku,
                               "quantity_backordered": units, "status": status, "created_at": created,
                               "updated_at": created, "closed_at": closed_at, "fulfilled_via": via,
                               "promised_date": promised, "quantity_allocated": 0,
                               "quantity_shipped": units if status == "fulfilled" else 0})
            if via == "allocation" or status == "allocated":
                allocations.append({"shop_id": shop_id, "backorder_id": ident, "quantity": units,
                                    "source": "supplier", "reference": f"a{ident}",
                                    "created_at": (closed_at or now) - timedelta(hours=6)})
            if status == "fulfilled":
                shipments.append({"shop_id": shop_id, "backorder_id": ident, "quantity": units,
                                  "shipped_at": closed_at, "via": via, "reference": f"s{ident}"})
            if via == "dropship":
                dropships.append({"shop_id": shop_id, "backorder_id": ident, "supplier_id": supplier_ids[n % 4],
                                  "idempotency_key": f"ds-{ident}", "reference": f"ds-{ident}", "sku": sku,
                                  "quantity": units, "quantity_shipped": units, "ship_to": "{}",
                                  "unit_cost": Decimal(6 + n % 30) if n % 10 else None, "status": "shipped",
                                  "attempts": 0, "created_at": created})
            if n % 5 == 0:
                messages.append({"shop_id": shop_id, "backorder_id": ident, "order_id": ident,
                                 "kind": "delay_notice", "date_key": "d", "status": "sent", "attempts": 1,
                                 "sent_at": created + wait / 2, "created_at": created})
            if n % 20 == 1:
                messages.append({"shop_id": shop_id, "backorder_id": ident, "order_id": ident, "kind": "apology",
                                 "date_key": "a", "status": "sent", "attempts": 1, "sent_at": created + wait / 2,
                                 "created_at": created})
                codes.append({"shop_id": shop_id, "order_id": ident, "backorder_id": ident,
                              "idempotency_key": f"dc-{ident}", "code": f"SORRY-{ident}", "kind": "percentage",
                              "amount": Decimal(10), "status": "created", "created_at": created + wait / 2})
        for table, rows in ((Order.__table__, orders), (OrderLine.__table__, lines),
                            (Backorder.__table__, backorders), (Allocation.__table__, allocations),
                            (BackorderShipment.__table__, shipments), (DropshipOrder.__table__, dropships),
                            (Message.__table__, messages), (DiscountCode.__table__, codes)):
            _insert(conn, table, rows)
        if engine.dialect.name == "postgresql":
            for name in ("orders", "order_lines", "backorders"):
                conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                     f"(SELECT max(id) FROM {name}))")
            conn.exec_driver_sql("ANALYZE")


def timed(fn: Any, runs: int) -> dict[str, float]:
    fn()  # warm-up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return {"p50": statistics.median(times), "max": max(times)}


def run(backend: str, closed: int, waiting: int, skus: int, runs: int) -> dict[str, Any]:
    from sqlalchemy import select

    from connector.crypto import CredentialBox, generate_key
    from connector.db.engine import make_engine, upgrade
    from connector.db.models import Backorder
    from connector.db.uow import UnitOfWork
    from connector.domain.kpis import Period
    from connector.domain.model import Platform, ShopCredentials
    from connector.reports.kpis import shop_kpis
    from connector.settings_registry import registry
    from connector.shop_settings import use
    from connector.shops import add_shop

    use(registry())
    results: dict[str, Any] = {"backend": backend, "closed": closed, "waiting": waiting, "skus": skus}
    rng = random.Random(15)
    with tempfile.TemporaryDirectory(prefix="kpis-bench-") as tmp, database(backend, Path(tmp) / "b.db") as url:
        engine = make_engine(url)
        upgrade(engine)
        uow = UnitOfWork(engine)
        box = CredentialBox(generate_key())
        shop = add_shop(uow, box, Platform.SHOPIFY, SHOP, ShopCredentials(access_token="t")).id
        other = add_shop(uow, box, Platform.SHOPIFY, "bench-other.myshopify.com",
                         ShopCredentials(access_token="t")).id
        now = datetime.now(UTC)
        started = time.perf_counter()
        seed(engine, shop, closed=closed, waiting=waiting, skus=skus, now=now, first_id=1, rng=rng)
        seed(engine, other, closed=max(closed // 10, 1), waiting=max(waiting // 10, 1), skus=skus, now=now,
             first_id=closed + waiting + 1, rng=rng)
        results["fill_seconds"] = time.perf_counter() - started
        period = Period.last_days(now.date(), 366)
        found: dict[str, Any] = {}

        def every_kpi() -> None:
            found["kpis"] = shop_kpis(uow, shop, SHOP, period, now=now).as_dict()

        def bare_read() -> None:
            with engine.connect() as conn:
                found["bare"] = len(conn.execute(
                    select(Backorder.id, Backorder.status, Backorder.created_at, Backorder.closed_at)
                    .where(Backorder.shop_id == shop)).all())

        results["kpis"] = timed(every_kpi, runs)
        results["bare"] = timed(bare_read, runs)
        k = found["kpis"]
        results["seen"] = {"waiting": k["open_now"]["count"], "filled": k["time_to_fill"]["filled"],
                           "closed": sum(w["closed"] for w in k["weekly"]), "bare_rows": found["bare"],
                           "suppliers": len(k["supplier_accuracy"]), "median_days": k["time_to_fill"]["median_days"]}
        engine.dispose()
    return results


def report(results: dict[str, Any]) -> bool:
    seen = results["seen"]
    print(f"\nbackend: {results['backend']}; {results['closed']:,} closed + {results['waiting']:,} waiting "
          f"backorders across {results['skus']:,} SKUs (seeded in {results['fill_seconds']:.1f} s); "
          f"target every KPI < {TARGET_SECONDS:.0f} s")
    print(f"KPIs saw {seen['waiting']:,} waiting, {seen['closed']:,} closed ({seen['filled']:,} filled, median "
          f"{seen['median_days']} days), {seen['suppliers']} suppliers")
    bare, kpis = results["bare"], results["kpis"]
    print(f"{'read':<52}{'p50 s':>8}{'max s':>8}  target")
    print(f"{'bare read: the shop backorders as plain rows':<52}{bare['p50']:>8.3f}{bare['max']:>8.3f}"
          f"  ({seen['bare_rows']:,} rows)")
    met = kpis["max"] < TARGET_SECONDS
    print(f"{'every KPI over the year (shop_kpis)':<52}{kpis['p50']:>8.3f}{kpis['max']:>8.3f}"
          f"  {'met' if met else 'MISSED'}")
    return met


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--closed", type=int, default=100_000)
    parser.add_argument("--waiting", type=int, default=10_000)
    parser.add_argument("--skus", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--backend", choices=("postgresql", "sqlite"), default="postgresql")
    args = parser.parse_args(argv)
    report(run(args.backend, args.closed, args.waiting, args.skus, args.runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
