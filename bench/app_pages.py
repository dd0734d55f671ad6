"""Merchant app page speed: every page of /app at 10,000 open backorders, against 200 ms.

Fills a fresh database with one Shopify shop holding B waiting backorders (default 10,000: open, every
tenth allocated) and C closed ones (default 5,000), one order each, across S SKUs (default 500) and four
suppliers with stock rows and SKU dates, plus a second shop with a tenth as many (so every query must
scope). The same shop gets reorder advice for R SKUs (default 10,000; tests/support/reorder_data.py: D days of
daily sales, default 120, suppliers, purchase orders), computed and stored as the daily fold does (timed and
printed, not a page). Then serves the app (``connector.app.create_app`` with the real container; the Flask test
client, so no socket or server process is timed) and times each request end to end, session token
verification included:

  - the Backorders page: default view, each filter, each sort, the last page;
  - the Reorder page (the stored advice): each sort, reversed, the last page;
  - an order's timeline;
  - every other GET page registered under /app when the bench runs (home, suppliers, settings,
    messages, jobs: whichever exist);
  - the CSV export of the whole waiting view (B rows), reported on its own (a download, not a page);
  - a baseline measured in the same run: a bare Flask endpoint answering a static page of the same
    size as the Backorders page.

Target: every page's p95 under 200 ms (printed met / MISSED per page). Each page gets W warm-up
requests and then N timed ones (defaults 3 and 20).

    .venv/bin/python bench/app_pages.py [--backorders 10000] [--closed 5000] [--skus 500]
        [--reorder-skus 10000] [--reorder-days 120] [--requests 20] [--backend postgresql|sqlite]

This is a benchmark, not a test: pytest does not collect it (tests/unit/test_bench_app_pages.py runs it
with tiny numbers on SQLite so it cannot rot).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # tests.support: the seeding and the session token minting

TARGET_MS = 200.0
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
SECRET = "bench-app-secret-that-is-long-enough-for-hs256"
API_KEY = "bench-api-key"
SHOP = "bench-pages.myshopify.com"
SKIPPED_PATHS = ("/app/session-token", "/app/backorders.csv", "/app/woocommerce/")
"""GET routes under /app that are not pages (the bounce page, the export, the WooCommerce entry)."""


@contextmanager
def database(backend: str, sqlite_path: Path) -> Iterator[str]:
    """A fresh database: an SQLite file, or a PostgreSQL database dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{sqlite_path}"
        return
    import psycopg

    name = f"app_pages_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def build(url: str, waiting: int, closed: int, skus: int, reorder_skus: int = 0, reorder_days: int = 120
          ) -> tuple[Any, Any, Any]:
    """(container, app, seeded shop) on a fresh database."""
    from connector.app import create_app
    from connector.bootstrap import bootstrap
    from connector.config import Settings
    from connector.crypto import generate_key
    from connector.domain.model import Platform, ShopCredentials
    from connector.shops import add_shop
    from tests.support.merchant_backorders import seed_backorders

    settings = Settings(source="bench/app_pages.py", database_url=url, secret_key=generate_key(),
                        shopify_api_secret=SECRET, api_token="bench", worker_threads=0, log_level="WARNING",
                        allow_private_targets=True, shopify_api_key=API_KEY)
    container = bootstrap(settings, auto_upgrade=True)
    shop = add_shop(container.uow(), container.box, Platform.SHOPIFY, SHOP, ShopCredentials(access_token="t")).id
    other = add_shop(container.uow(), container.box, Platform.SHOPIFY, "bench-other.myshopify.com",
                     ShopCredentials(access_token="t")).id
    now = datetime.now(UTC)
    seeded = seed_backorders(container.engine, shop, waiting=waiting, closed=closed, skus=skus, now=now)
    seed_backorders(container.engine, other, waiting=max(1, waiting // 10), skus=skus, now=now,
                    first_id=waiting + closed + 1, order_number=900_001)
    if reorder_skus:
        seed_reorder(container, shop, reorder_skus, reorder_days, now)
    return container, create_app(container=container), seeded


def seed_reorder(container: Any, shop_id: int, skus: int, days: int, now: datetime) -> None:
    """The shop's sales history for ``skus`` SKUs, and its advice computed and stored as the daily fold does."""
    from connector.reorder.stored import recompute
    from tests.support.reorder_data import seed_sales

    seed_sales(container.engine, shop_id, skus, days, now.date())
    if container.engine.dialect.name == "postgresql":
        with container.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    started = time.perf_counter()
    advised = len(recompute(container.uow(), shop_id, now))
    print(f"reorder advice for {advised:,} SKUs ({days} days of sales) computed and stored in "
          f"{time.perf_counter() - started:.2f} s (the daily job's work, not a page)")


def page_paths(app: Any, seeded: Any, pages: int) -> list[tuple[str, str, dict[str, str]]]:
    """(label, path, query) of every page timed."""
    suppliers = sorted(seeded.suppliers.values())
    middle = seeded.rows[len(seeded.rows) // 2]
    timed: list[tuple[str, str, dict[str, str]]] = [
        ("backorders: default (waiting, oldest first)", "/app/backorders", {}),
        ("backorders: status all", "/app/backorders", {"status": "all"}),
        ("backorders: SKU prefix", "/app/backorders", {"sku": "SKU-001*"}),
        ("backorders: supplier", "/app/backorders", {"supplier": str(suppliers[1])}),
        ("backorders: order search", "/app/backorders", {"order": middle.order_name[1:]}),
        ("backorders: age 10-40 days", "/app/backorders", {"min_age": "10", "max_age": "40"}),
        ("backorders: expected range", "/app/backorders",
         {"expected_from": datetime.now(UTC).date().isoformat(), "expected_to": "2099-01-01"}),
        ("backorders: sort by supplier", "/app/backorders", {"sort": "supplier", "dir": "asc"}),
        ("backorders: sort by SKU desc", "/app/backorders", {"sort": "sku", "dir": "desc"}),
        ("backorders: sort by expected", "/app/backorders", {"sort": "expected", "dir": "asc"}),
        ("backorders: sort by status", "/app/backorders", {"sort": "status", "dir": "asc", "status": "all"}),
        ("backorders: last page", "/app/backorders", {"page": str(pages)}),
        ("order timeline", f"/app/orders/{middle.platform_order_id}", {}),
        ("reorder: default (most urgent first)", "/app/reorder", {}),
        ("reorder: sort by SKU", "/app/reorder", {"sort": "sku"}),
        ("reorder: sort by reorder-by date", "/app/reorder", {"sort": "reorder_by"}),
        ("reorder: urgency reversed", "/app/reorder", {"dir": "reverse"}),
        ("reorder: last page", "/app/reorder", {"page": "100000"}),
    ]
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        path = rule.rule
        if (not path.startswith("/app") or "GET" not in (rule.methods or ()) or rule.arguments
                or path.startswith(SKIPPED_PATHS) or path.startswith("/app/static")
                or path in ("/app/backorders", "/app/reorder")):
            continue
        timed.append((f"page {path}", path, {}))
    return timed


def measure(client: Any, path: str, requests: int, warmup: int, headers: dict[str, str] | None = None
            ) -> dict[str, Any]:
    for _ in range(warmup):
        client.get(path, headers=headers)
    times, status, size = [], 0, 0
    for _ in range(requests):
        started = time.perf_counter()
        answer = client.get(path, headers=headers)
        body = answer.get_data()
        times.append((time.perf_counter() - started) * 1000)
        status, size = answer.status_code, len(body)
    times.sort()
    return {"status": status, "bytes": size, "p50_ms": statistics.median(times),
            "p95_ms": times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))], "max_ms": times[-1]}


def bare_app(size: int) -> Any:
    from flask import Flask, Response

    page = ("<!doctype html><title>bare</title>" + "x" * max(0, size - 34)).encode()
    app = Flask("bare")

    @app.get("/page")
    def static_page() -> Response:
        return Response(page, mimetype="text/html")

    return app


def run(backend: str, waiting: int, closed: int, skus: int, requests: int, warmup: int, reorder_skus: int = 0,
        reorder_days: int = 120) -> dict[str, Any]:
    from urllib.parse import urlencode

    from connector.merchant.backorder_filters import PAGE_SIZE
    from tests.support.merchant import session_token

    results: dict[str, Any] = {"backend": backend, "waiting": waiting, "closed": closed, "skus": skus,
                               "reorder_skus": reorder_skus, "pages": {}}
    with tempfile.TemporaryDirectory(prefix="app-pages-bench-") as tmp, database(backend, Path(tmp) / "b.db") as url:
        started = time.perf_counter()
        container, app, seeded = build(url, waiting, closed, skus, reorder_skus, reorder_days)
        results["fill_seconds"] = time.perf_counter() - started
        client = app.test_client()
        token = session_token(SHOP, SECRET, api_key=API_KEY, ttl=3600)
        auth = {"shop": SHOP, "id_token": token}
        last_page = max(1, -(-waiting // PAGE_SIZE))
        for label, path, query in page_paths(app, seeded, last_page):
            results["pages"][label] = measure(client, f"{path}?{urlencode({**query, **auth})}", requests, warmup)
        size = results["pages"]["backorders: default (waiting, oldest first)"]["bytes"]
        results["bare"] = measure(bare_app(size).test_client(), "/page", requests, warmup)
        export = measure(client, f"/app/backorders.csv?{urlencode(auth)}", max(3, requests // 4), 1)
        results["export"] = export
        container.close()
    return results


def report(results: dict[str, Any]) -> bool:
    print(f"\nbackend: {results['backend']}; {results['waiting']:,} waiting + {results['closed']:,} closed backorders "
          f"across {results['skus']:,} SKUs, reorder advice for {results.get('reorder_skus', 0):,} SKUs "
          f"(seeded in {results['fill_seconds']:.1f} s); "
          f"target p95 < {TARGET_MS:.0f} ms")
    bare = results["bare"]
    print(f"{'page':<48}{'status':>7}{'KB':>7}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'x bare':>8}  target")
    print(f"{'bare Flask, static page of the same size':<48}{bare['status']:>7}{bare['bytes'] / 1024:>7.1f}"
          f"{bare['p50_ms']:>9.1f}{bare['p95_ms']:>9.1f}{bare['max_ms']:>9.1f}{1:>8.1f}")
    all_met = True
    for label, m in results["pages"].items():
        met = m["status"] == 200 and m["p95_ms"] < TARGET_MS
        all_met &= met
        print(f"{label:<48}{m['status']:>7}{m['bytes'] / 1024:>7.1f}{m['p50_ms']:>9.1f}{m['p95_ms']:>9.1f}"
              f"{m['max_ms']:>9.1f}{m['p50_ms'] / max(bare['p50_ms'], 1e-6):>8.1f}  {'met' if met else 'MISSED'}")
    e = results["export"]
    rows = results["waiting"]
    print(f"CSV export of the waiting view ({rows:,} rows, {e['bytes'] / 1024:.0f} KB): p50 {e['p50_ms']:.0f} ms, "
          f"max {e['max_ms']:.0f} ms ({rows / max(e['p50_ms'] / 1000, 1e-9):,.0f} rows/s; a download, not a page)")
    print(f"every page under {TARGET_MS:.0f} ms (p95): {'met' if all_met else 'MISSED'}")
    return all_met


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backorders", type=int, default=10_000, help="waiting backorders of the shop")
    parser.add_argument("--closed", type=int, default=5_000)
    parser.add_argument("--skus", type=int, default=500)
    parser.add_argument("--reorder-skus", type=int, default=10_000, help="SKUs with stored reorder advice")
    parser.add_argument("--reorder-days", type=int, default=120, help="days of sales history behind the advice")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="postgresql")
    args = parser.parse_args(argv)
    import os

    os.environ.setdefault("CONNECTOR_ALLOW_PRIVATE_TARGETS", "true")
    results = run(args.backend, args.backorders, args.closed, args.skus, args.requests, args.warmup,
                  args.reorder_skus, args.reorder_days)
    report(results)
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
