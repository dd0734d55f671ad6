"""A shop with many open backorders and nothing new: what a dates refresh and a message evaluation cost.

Both run for the whole shop after every round of captured orders and every supplier change
(``jobs.supply.refresh_dates``, then ``jobs.notify.evaluate_backorders``), and both read every open backorder
of the shop, so on a busy shop their cost grows with the backorders waiting, not with what changed. Fills a
fresh database (PostgreSQL by default) with one Shopify shop holding W open backorders (default 5,000), one
order each, across S SKUs (default 200), runs the refresh and the evaluation's decisions once (every backorder
gets its date and its first decision), then times each again N times with nothing new, beside a bare read
baseline in the same run: the shop's open backorders read as plain rows (id, sku, expected_date,
promised_date).

Prints the best and median time of each and its cost a waiting backorder beside the bare read's. There is no
target: the figures say how the work scales (bench/README.md "Open backorders").

    .venv/bin/python bench/open_backorders.py [--waiting 5000] [--skus 200] [--runs 5] [--backend postgresql|sqlite]

This is a benchmark, not a test: pytest does not collect it (tests/unit/test_bench_open_backorders.py runs it
with tiny numbers on SQLite so it cannot rot).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
BENCH = Path(__file__).resolve().parent
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

from kpis import CHUNK, database  # noqa: E402

SHOP = "bench-open.myshopify.com"
TODAY = date(2026, 12, 1)


def seed(engine: Any, shop_id: int, *, waiting: int, skus: int) -> None:
    """One order, line and open backorder per waiting backorder; a supplier restocking every SKU in 20 days,
    so the refresh gives each a date and the evaluation a capture notice to reserve."""
    from sqlalchemy import insert, select

    from connector.db.models import Backorder, Order, OrderLine
    from connector.supply.models import StoreSku, Supplier, SupplierStock

    placed = datetime.combine(TODAY, datetime.min.time(), tzinfo=UTC) - timedelta(days=1)
    with engine.begin() as conn:
        supplier_id = conn.execute(insert(Supplier).values(shop_id=shop_id, name="Acme", kind="feed")
                                   .returning(Supplier.id)).scalar_one()
        conn.execute(insert(SupplierStock), [
            {"shop_id": shop_id, "supplier_id": supplier_id, "sku": f"SKU-{n}", "quantity": 0,
             "restock_date": TODAY + timedelta(days=20)} for n in range(skus)])
        conn.execute(insert(StoreSku), [
            {"shop_id": shop_id, "sku": f"SKU-{n}", "product_id": f"P{n}", "variant_id": f"V{n}", "available": -1}
            for n in range(skus)])
        for start in range(0, waiting, CHUNK):
            numbers = range(start, min(waiting, start + CHUNK))
            conn.execute(insert(Order), [
                {"shop_id": shop_id, "platform_order_id": str(100_000 + n), "name": f"#{100_000 + n}",
                 "status": "open", "customer_email": f"c{n}@example.com", "ordered_at": placed,
                 "platform_updated_at": placed, "needs_mark": False, "captured_at": placed} for n in numbers])
            ids = dict(conn.execute(select(Order.platform_order_id, Order.id).where(
                Order.shop_id == shop_id, Order.platform_order_id.in_([str(100_000 + n) for n in numbers]))).all())
            conn.execute(insert(OrderLine), [
                {"shop_id": shop_id, "order_id": ids[str(100_000 + n)], "platform_line_id": f"L{n}",
                 "sku": f"SKU-{n % skus}", "variant_id": f"V{n % skus}", "stock_key": f"V{n % skus}",
                 "title": "Tea", "quantity": 1, "quantity_fulfilled": 0} for n in numbers])
            lines = dict(conn.execute(select(OrderLine.order_id, OrderLine.id).where(
                OrderLine.order_id.in_(list(ids.values())))).all())
            conn.execute(insert(Backorder), [
                {"shop_id": shop_id, "order_line_id": lines[ids[str(100_000 + n)]], "sku": f"SKU-{n % skus}",
                 "stock_key": f"V{n % skus}", "quantity_backordered": 1, "status": "open", "created_at": placed,
                 "updated_at": placed, "quantity_allocated": 0, "quantity_shipped": 0} for n in numbers])


def timed(runs: int, work: Callable[[], Any]) -> list[float]:
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        out.append(time.perf_counter() - started)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--waiting", type=int, default=5_000)
    parser.add_argument("--skus", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--backend", choices=("postgresql", "sqlite"), default="postgresql")
    args = parser.parse_args(argv)

    from sqlalchemy import select

    from connector.crypto import CredentialBox, generate_key
    from connector.db.engine import make_engine, upgrade
    from connector.db.models import Backorder
    from connector.db.uow import UnitOfWork
    from connector.domain.model import Platform, ShopCredentials
    from connector.notify import evaluate
    from connector.notify import settings as notify_settings
    from connector.notify.models import Message
    from connector.settings_registry import registry
    from connector.shop_settings import use
    from connector.shops import add_shop
    from connector.supply.dates import refresh_dates

    use(registry())
    with tempfile.TemporaryDirectory() as tmp, database(args.backend, Path(tmp) / "open.db") as url:
        engine = make_engine(url)
        upgrade(engine)
        shop = add_shop(UnitOfWork(engine), CredentialBox(generate_key()), Platform.SHOPIFY, SHOP,
                        ShopCredentials(access_token="t"))
        seed(engine, shop.id, waiting=args.waiting, skus=args.skus)
        print(f"{args.backend}: {args.waiting:,} open backorders across {args.skus} SKUs, one order each")

        def refresh() -> Any:
            return refresh_dates(UnitOfWork(engine), shop.id, today=TODAY)

        def decide() -> evaluate.EvaluationReport:
            report = evaluate.EvaluationReport()
            uow = UnitOfWork(engine)
            policy = notify_settings.load(uow, shop.id)
            with uow:
                evaluate._reserve_due(uow, shop.id, policy, TODAY, report)
                uow.commit()
            return report

        def bare() -> int:
            with engine.connect() as conn:
                return len(conn.execute(select(Backorder.id, Backorder.sku, Backorder.expected_date,
                                               Backorder.promised_date)
                                        .where(Backorder.shop_id == shop.id, Backorder.status == "open")).all())

        first = refresh()
        decided = decide()
        with engine.connect() as conn:
            messages = len(conn.execute(select(Message.id)).all())
        print(f"first pass: {len(first.backorders_changed):,} backorders dated, {messages:,} messages reserved "
              f"({decided.describe()})")
        again = refresh()
        quiet = decide()
        if again.backorders_changed or quiet.reserved:
            print(f"a second pass changed something: {len(again.backorders_changed)} dates, {quiet.describe()}")
            return 1
        rows = bare()
        results = {"bare read: the shop's open backorders as plain rows": timed(args.runs, bare),
                   "dates refresh, nothing new (refresh_dates)": timed(args.runs, refresh),
                   "message decisions, nothing new (evaluate._reserve_due)": timed(args.runs, decide)}
        base = min(results["bare read: the shop's open backorders as plain rows"])
        for name, seconds in results.items():
            best = min(seconds)
            print(f"{name}: best {best * 1000:.1f} ms, median {statistics.median(seconds) * 1000:.1f} ms "
                  f"({best / max(rows, 1) * 1e6:.1f} µs a waiting backorder, {best / base:.1f}x the bare read; "
                  f"{rows:,} rows)")
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
