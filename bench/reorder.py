"""Reorder advice benchmark: every SKU of a shop with two years of daily sales, on SQLite or PostgreSQL.

Setup (not timed): one shop with N SKUs (default 10,000) in the store's catalogue with their stock,
730 days of daily sales in ``sales_daily`` (a deterministic mix: a fifth sell most days, some with a
weekend peak; half sell on about a third of the days; the rest are slow movers; one in twenty started
selling within the last month), 20 suppliers with a stated lead time each reporting its SKUs, and
received purchase orders (placed -> received) for half of the suppliers, plus open ones on order.

Timed: ``reorder_advice(uow, shop_id, today)`` (what the report, the app page and the weekly digest
call), beside a bare read of the same rows (the same SELECTs as plain tuples: the recent sales days,
each SKU's first sale over the whole two years, stock, on order, suppliers and their SKUs, received
orders), best and median of ``--repeat`` runs. Target: advice for 10,000 SKUs in under ten seconds
(issue 15); the ratio to the bare read says how much is computing rather than reading.

    .venv/bin/python bench/reorder.py [--skus 10000] [--days 730] [--backend sqlite|postgresql] [--repeat 3]

This is a benchmark, not a test: it is not collected by pytest (tests/unit/test_bench_reorder.py runs it tiny).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

TARGET_SECONDS = 10.0
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # tests.support: the seeding


@contextmanager
def database(backend: str, sqlite_path: Path) -> Iterator[str]:
    """A fresh database: an SQLite file, or a PostgreSQL database dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{sqlite_path}"
        return
    import psycopg

    name = f"reorder_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def fill(url: str, skus: int, days: int, today: date) -> tuple[int, int]:
    """The shop, its catalogue, suppliers, purchase orders and sales (tests/support/reorder_data.py);
    returns (shop id, sales rows)."""
    from connector.crypto import CredentialBox, generate_key
    from connector.db.engine import make_engine, upgrade
    from connector.db.uow import UnitOfWork
    from connector.domain.model import Platform, ShopCredentials
    from connector.shops import add_shop
    from tests.support.reorder_data import seed_sales

    engine = make_engine(url)
    upgrade(engine)
    shop_id = add_shop(UnitOfWork(engine), CredentialBox(generate_key()), Platform.SHOPIFY,
                       "bench-reorder.myshopify.com", ShopCredentials(access_token="t")).id
    rows = seed_sales(engine, shop_id, skus, days, today)
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    engine.dispose()
    return shop_id, rows


BARE = (
    "SELECT sku, day, units FROM sales_daily WHERE shop_id = :shop AND day >= :since AND units != 0",
    "SELECT sku, min(day) FROM sales_daily WHERE shop_id = :shop AND units > 0 GROUP BY sku",
    "SELECT sku, available FROM store_skus WHERE shop_id = :shop",
    "SELECT l.sku, sum(l.quantity - l.quantity_received) FROM purchase_order_lines l JOIN purchase_orders o "
    "ON o.id = l.purchase_order_id WHERE o.shop_id = :shop AND o.status IN ('approved', 'sending', 'placed', "
    "'partially_received') GROUP BY l.sku",
    "SELECT * FROM suppliers WHERE shop_id = :shop ORDER BY id",
    "SELECT sku, supplier_id, lead_time_days FROM supplier_stock WHERE shop_id = :shop ORDER BY supplier_id",
    "SELECT l.sku, o.supplier_id FROM purchase_order_lines l JOIN purchase_orders o ON o.id = l.purchase_order_id "
    "WHERE o.shop_id = :shop AND o.placed_at IS NOT NULL ORDER BY o.placed_at, o.id",
    "SELECT supplier_id, placed_at, received_at FROM purchase_orders WHERE shop_id = :shop AND status = 'received' "
    "AND placed_at IS NOT NULL AND received_at IS NOT NULL",
)
"""The rows reorder_advice reads (connector/reorder/repository.py), as plain SQL."""


def bare_read(engine: Any, shop_id: int, today: date) -> int:
    from sqlalchemy import text

    from connector.domain.reorder import WINDOW

    fetched = 0
    with engine.connect() as conn:
        for sql in BARE:
            fetched += len(conn.execute(text(sql), {"shop": shop_id,
                                                    "since": today - timedelta(days=2 * WINDOW + 1)}).all())
    return fetched


def run(backend: str, skus: int, days: int, repeat: int) -> dict[str, Any]:
    from connector.db.engine import make_engine
    from connector.db.uow import UnitOfWork
    from connector.reorder.advice import reorder_advice

    today = datetime.now(UTC).date()
    with tempfile.TemporaryDirectory(prefix="reorder-bench-") as tmp, database(backend, Path(tmp) / "b.db") as url:
        started = time.perf_counter()
        shop_id, rows = fill(url, skus, days, today)
        setup = time.perf_counter() - started
        engine = make_engine(url)
        uow = UnitOfWork(engine)
        bare_runs, advice_runs, statuses, fetched = [], [], Counter[str](), 0
        for _ in range(repeat):
            t0 = time.perf_counter()
            fetched = bare_read(engine, shop_id, today)
            bare_runs.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            advice = reorder_advice(uow, shop_id, today)
            advice_runs.append(time.perf_counter() - t0)
            statuses = Counter(a.status for a in advice)
        engine.dispose()
    return {"setup": setup, "rows": rows, "fetched": fetched, "bare": bare_runs, "advice": advice_runs,
            "statuses": statuses, "advised": sum(statuses.values())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--skus", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    from connector.logs import configure
    from connector.settings_registry import registry
    from connector.shop_settings import use as use_shop_settings

    configure("WARNING")
    use_shop_settings(registry())  # as bootstrap does: this bench builds its unit of work itself
    result = run(args.backend, args.skus, args.days, max(1, args.repeat))
    best, median = min(result["advice"]), statistics.median(result["advice"])
    bare_best = min(result["bare"])
    print(f"reorder advice, {args.backend}: {args.skus:,} SKUs, {args.days} days, {result['rows']:,} sales rows "
          f"(setup {result['setup']:.1f} s, not timed)")
    print(f"bare read of the same rows: best {bare_best:.3f} s, median {statistics.median(result['bare']):.3f} s "
          f"({result['fetched']:,} rows)")
    print(f"reorder_advice: best {best:.3f} s, median {median:.3f} s, {result['advised']:,} SKUs advised "
          f"({best / bare_best if bare_best else float('inf'):.1f}x the bare read)")
    print("statuses: " + ", ".join(f"{k} {v}" for k, v in sorted(result["statuses"].items())))
    verdict = "met" if median < TARGET_SECONDS else "MISSED"
    print(f"target: advice for every SKU in under {TARGET_SECONDS:.0f} s (median {median:.2f} s): {verdict}")
    if result["advised"] != args.skus:
        print(f"error: {result['advised']} SKUs advised, {args.skus} expected", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
