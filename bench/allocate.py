"""Allocation benchmark: a restock of every SKU allocated first come, first served to open backorders.

Fills a fresh database with B open backorders (default 100,000: one order line each, 1-3 units,
5% of the orders carrying the priority tag "vip") across S SKUs (default 1,000), then:

  1. bare read   - the columns allocation reads for those backorders (backorder, line and order),
                   read with SQLAlchemy Core and nothing else;
  2. allocation  - one arrival per SKU (a purchase-order receipt covering about 60% of the SKU's
                   units, so most SKUs end with some lines allocated, one partial and some still
                   short), allocated by ``connector.restock.batches.allocate_in_transactions``: 250
                   SKUs per transaction, the shop lock held across them (on PostgreSQL the next
                   transaction's waiting rows are read on a second connection meanwhile).

Statements sent to the database are counted with a SQLAlchemy ``before_cursor_execute`` listener (an
executemany is one). The allocation runs a second time on a database with a tenth of the backorders
and the same SKUs: the statement count must not grow with the backorders. Targets: allocation
within 3x the bare read; statements the same for B and B/10 backorders. Prints met / MISSED.

    .venv/bin/python bench/allocate.py [--backorders 100000] [--skus 1000] [--backend sqlite|postgresql]

This is a benchmark, not a test: it is not collected by pytest (tests/unit/test_bench_allocate.py runs
it with tiny numbers so it cannot rot).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert, select

TARGET_RATIO = 3.0
BATCH_SKUS = 250
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def fill(database_url: str, backorders: int, skus: int, seed: int = 7) -> tuple[int, dict[str, int]]:
    """A shop with ``backorders`` open backorders across ``skus`` SKUs; returns the shop id and the
    units each SKU receives (about 60% of its backordered units)."""
    from cryptography.fernet import Fernet

    from connector.crypto import CredentialBox
    from connector.db.engine import make_engine, upgrade
    from connector.db.models import Backorder, Order, OrderLine
    from connector.db.uow import UnitOfWork
    from connector.domain.model import Platform, ShopCredentials
    from connector.settings_registry import build_registry
    from connector.shop_settings import set_setting, use
    from connector.shops import add_shop

    engine = make_engine(database_url)
    upgrade(engine)
    uow = UnitOfWork(engine)
    shop_id = add_shop(uow, CredentialBox(Fernet.generate_key().decode()), Platform.SHOPIFY,
                       f"bench-{uuid.uuid4().hex[:6]}.myshopify.com", ShopCredentials(access_token="t")).id
    use(build_registry())
    set_setting(uow, shop_id, "restock.priority_tags", ["vip"])
    rng = random.Random(seed)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    units: dict[str, int] = {}
    chunk = 10_000
    with engine.begin() as conn:
        for first in range(0, backorders, chunk):
            numbers = range(first, min(backorders, first + chunk))
            orders, lines, rows = [], [], []
            for n in numbers:
                sku = f"SKU-{n % skus:05d}"
                quantity = rng.randint(1, 3)
                units[sku] = units.get(sku, 0) + quantity
                placed = start + timedelta(seconds=n * 7)
                orders.append({"id": n + 1, "shop_id": shop_id, "platform_order_id": str(5_000_000 + n),
                               "name": f"#{n}", "status": "open", "ordered_at": placed, "platform_updated_at": placed,
                               "needs_mark": False, "captured_at": placed,
                               "tags": "vip" if rng.random() < 0.05 else None})
                lines.append({"id": n + 1, "shop_id": shop_id, "order_id": n + 1, "platform_line_id": str(n),
                              "sku": sku, "variant_id": str(n % skus), "stock_key": str(n % skus), "title": sku,
                              "quantity": quantity})
                rows.append({"id": n + 1, "shop_id": shop_id, "order_line_id": n + 1, "sku": sku,
                             "stock_key": str(n % skus), "quantity_backordered": quantity, "status": "open",
                             "created_at": placed, "updated_at": placed, "quantity_allocated": 0})
            conn.execute(insert(Order), orders)
            conn.execute(insert(OrderLine), lines)
            conn.execute(insert(Backorder), rows)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            for table in ("orders", "order_lines", "backorders"):
                conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                     f"(SELECT max(id) FROM {table}))")
                conn.exec_driver_sql(f"ANALYZE {table}")
    engine.dispose()
    return shop_id, {sku: int(total * 0.6) for sku, total in units.items()}


class Cpu:
    """CPU seconds spent by this process and, on a PostgreSQL server on this host, by the server
    processes behind the engine's connections (``/proc/<backend pid>/stat``, read when a connection is
    checked out and in again; None when that cannot be read). Wall time on a shared machine moves with
    the other load; CPU seconds say where the work is."""

    def __init__(self, engine: Any) -> None:
        self.server: float | None = None
        self._at: dict[int, float | None] = {}
        self._started = 0.0
        self.here = 0.0
        self.remote = engine.dialect.name != "sqlite"
        if engine.dialect.name == "postgresql":
            self.server = 0.0
            event.listen(engine.pool, "checkout", self._checkout)
            event.listen(engine.pool, "checkin", self._checkin)

    @staticmethod
    def _stat(pid: int) -> float | None:
        try:
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def _checkout(self, dbapi_connection: Any, record: Any, proxy: Any) -> None:
        pid = dbapi_connection.info.backend_pid
        self._at[pid] = self._stat(pid)

    def _checkin(self, dbapi_connection: Any, record: Any) -> None:
        pid = dbapi_connection.info.backend_pid
        before, now = self._at.pop(pid, None), self._stat(pid)
        if self.server is not None:
            self.server = None if before is None or now is None else self.server + now - before

    def start(self) -> None:
        self._started = time.process_time()
        if self.server is not None:
            self.server = 0.0

    def stop(self) -> dict[str, float | None]:
        self.here = time.process_time() - self._started
        if not self.remote:
            return {"cpu_here": self.here}  # SQLite: the database works in this process
        return {"cpu_here": self.here, "cpu_server": self.server}


class Counter:
    def __init__(self) -> None:
        self.statements = 0

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        self.statements += 1


def bare_read(database_url: str, shop_id: int) -> dict[str, Any]:
    """The columns allocation needs, every open backorder of the shop, nothing else."""
    from connector.db.engine import make_engine
    from connector.db.models import Backorder, Order, OrderLine

    engine = make_engine(database_url)
    with engine.connect() as conn:  # warm the pool and the caches like the allocation's first batch
        conn.execute(select(Backorder.id).limit(1)).all()
    cpu = Cpu(engine)
    cpu.start()
    started = time.perf_counter()
    with engine.connect() as conn:
        rows = conn.execute(
            select(Backorder.id, Backorder.sku, Backorder.stock_key, Backorder.quantity_backordered,
                   Backorder.quantity_allocated, Order.platform_order_id, OrderLine.platform_line_id,
                   Order.ordered_at, Order.tags)
            .join(OrderLine, OrderLine.id == Backorder.order_line_id).join(Order, Order.id == OrderLine.order_id)
            .where(Backorder.shop_id == shop_id, Backorder.status == "open")).all()
    seconds = time.perf_counter() - started
    spent = cpu.stop()
    engine.dispose()
    return {"seconds": seconds, "rows": len(rows), **spent}


def allocate(database_url: str, shop_id: int, units: dict[str, int]) -> dict[str, Any]:
    from connector.db.engine import make_engine
    from connector.db.uow import UnitOfWork
    from connector.restock.allocation import Arrival
    from connector.restock.batches import allocate_in_transactions

    engine = make_engine(database_url)
    with engine.connect() as conn:
        conn.exec_driver_sql("SELECT 1")
    counter = Counter()
    event.listen(engine, "before_cursor_execute", counter)
    cpu = Cpu(engine)
    uow = UnitOfWork(engine)
    skus = sorted(units)
    arrivals = [Arrival(sku, units[sku], "purchase_order", f"bench:{sku}") for sku in skus]
    cpu.start()
    started = time.perf_counter()
    reports = allocate_in_transactions(uow, shop_id, arrivals, per_transaction=BATCH_SKUS)
    seconds = time.perf_counter() - started
    granted = sum(report.units_allocated for report in reports)
    backorders = sum(len(report.granted) for report in reports)
    spent = cpu.stop()
    event.remove(engine, "before_cursor_execute", counter)
    engine.dispose()
    return {"seconds": seconds, "statements": counter.statements, "units": granted, "backorders": backorders,
            "skus": len(skus), **spent}


@contextmanager
def database(backend: str, sqlite_path: Path) -> Iterator[str]:
    """A fresh database: an SQLite file, or a PostgreSQL database dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{sqlite_path}"
        return
    import psycopg

    name = f"allocate_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(backend: str, backorders: int, skus: int) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="allocate-bench-") as tmp:
        for label, count in (("full", backorders), ("tenth", max(1, backorders // 10))):
            with database(backend, Path(tmp) / f"{label}.db") as url:
                started = time.perf_counter()
                shop_id, units = fill(url, count, skus)
                filled = time.perf_counter() - started
                bare = bare_read(url, shop_id)
                results[label] = {"backorders": count, "fill_seconds": filled, "bare": bare,
                                  "allocation": allocate(url, shop_id, units)}
    return results


def report(backend: str, results: dict[str, Any]) -> bool:
    full, tenth = results["full"], results["tenth"]
    ratio = full["allocation"]["seconds"] / max(full["bare"]["seconds"], 1e-9)
    speed_met = ratio <= TARGET_RATIO
    growth_met = full["allocation"]["statements"] <= tenth["allocation"]["statements"]
    print(f"\nbackend: {backend}; {full['backorders']:,} open backorders across {full['allocation']['skus']:,} SKUs, "
          f"one arrival per SKU, {BATCH_SKUS} SKUs per transaction")
    print(f"{'phase':<36}{'seconds':>9}{'rows':>10}{'statements':>12}{'x bare':>8}")
    print(f"{'bare read of the backorders':<36}{full['bare']['seconds']:>9.2f}{full['bare']['rows']:>10,}"
          f"{1:>12}{1:>8.2f}")
    alloc = full["allocation"]
    print(f"{'allocation':<36}{alloc['seconds']:>9.2f}{alloc['backorders']:>10,}{alloc['statements']:>12,}"
          f"{ratio:>8.2f}  {alloc['units']:,} units to {alloc['backorders']:,} backorders")
    small = tenth["allocation"]
    print(f"{'allocation, a tenth of the backorders':<36}{small['seconds']:>9.2f}{small['backorders']:>10,}"
          f"{small['statements']:>12,}")
    print(f"CPU seconds, this process + database server: bare read {_cpu(full['bare'])}, "
          f"allocation {_cpu(alloc)}")
    print(f"target: allocation <= {TARGET_RATIO:.0f}x the bare read: {'met' if speed_met else 'MISSED'} "
          f"({ratio:.2f}x)")
    print(f"target: statements grow with SKUs, not backorders ({alloc['statements']} for "
          f"{full['backorders']:,}, {small['statements']} for {tenth['backorders']:,}): "
          f"{'met' if growth_met else 'MISSED'}")
    return speed_met and growth_met


def _cpu(phase: dict[str, Any]) -> str:
    if "cpu_server" not in phase:
        return f"{phase['cpu_here']:.2f} (database in process)"
    server = phase["cpu_server"]
    return f"{phase['cpu_here']:.2f} + " + ("not measured" if server is None else f"{server:.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backorders", type=int, default=100_000)
    parser.add_argument("--skus", type=int, default=1_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args(argv)
    results = run(args.backend, args.backorders, args.skus)
    report(args.backend, results)
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
