"""Freshness benchmark: the whole loop on the embedded default against the sandbox.

A 10,000-SKU catalogue on both a simulated Shopify shop and a WooCommerce store, one supplier
(the sandbox supplier's paginated JSON API) polled every minute by the connector's own scheduler,
in-process workers, SQLite. After the set-up (catalogue mirrored, every date published), it:

  1. waits for a scheduled poll with nothing changed and counts the store writes it caused;
  2. changes 100 SKUs' restock dates at the supplier, then times until every changed date is on
     the product pages of both stores (Shopify variant metafield, WooCommerce product meta).

Set-up runs with the Shopify throttle lifted (reading 10,000 variants costs ~30,000 points, five
minutes at the standard plan's 100 points/s); the timed part runs under the standard-plan bucket
(1,000 points, 100 points/s). Target: under 2 minutes; unchanged polls cost no store writes.

    .venv/bin/python bench/freshness.py [--skus 10000] [--changed 100]

This is a benchmark, not a test: it is not collected by pytest.
"""

from __future__ import annotations

import argparse
import io
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

TARGET_SECONDS = 120.0


class WriteCounter:
    """WSGI middleware counting store writes: GraphQL mutations, and REST POST/PUT."""

    def __init__(self, app: Any, name: str) -> None:
        self.app, self.name = app, name
        self.counts: Counter[str] = Counter()
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        method = environ.get("REQUEST_METHOD")
        if method in ("POST", "PUT"):
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length else b""
            environ["wsgi.input"] = io.BytesIO(body)
            is_write = b"mutation" in body if self.name == "shopify" else b"batch" in environ.get(
                "PATH_INFO", "").encode() or method == "PUT"
            if is_write:
                with self.lock:
                    self.counts["writes"] += 1
        return self.app(environ, start_response)


def build_seed(skus: int) -> dict[str, Any]:
    per_product = 4
    return {
        "shopify": {"api_secret": "bench", "api_version": "2026-04", "shops": [{
            "domain": "fresh.myshopify.com", "access_token": "shpat_fresh",
            "products": [{"title": f"P{p}", "variants": [
                {"sku": f"F-{p * per_product + v:05d}", "inventory_quantity": 0, "inventory_policy": "CONTINUE"}
                for v in range(per_product) if p * per_product + v < skus]}
                for p in range((skus + per_product - 1) // per_product)]}]},
        "woocommerce": {"stores": [{
            "store_url": "https://fresh-woo.example", "consumer_key": "ck_fresh", "consumer_secret": "cs_fresh",
            "webhook_secret": "wh_fresh", "webhook_id": 1,
            "products": [{"name": f"T{n}", "sku": f"F-{n:05d}", "price": "3.00", "manage_stock": True,
                          "stock_quantity": 0, "backorders": "notify"} for n in range(skus)]}]},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--skus", type=int, default=10_000)
    parser.add_argument("--changed", type=int, default=100)
    args = parser.parse_args()

    from adapters.woocommerce.catalog import META_KEY
    from connector.supply.models import SupplierSnapshot
    from connector.supply.suppliers import add_supplier
    from jobs.schedules import build_scheduler
    from jobs.supply import POLL_SUPPLIER, SYNC_CATALOG
    from sandbox.shopify_sim.cost import LeakyBucket
    from sandbox.stack import start_stack
    from sandbox.supplier_sim.seed import SUPPLIER_TOKEN

    started = time.perf_counter()
    stack = start_stack(seed=build_seed(args.skus), worker_threads=4)
    scheduler = None
    try:
        sandbox, c = stack.sandbox, stack.container
        shopify_graphql = sandbox.shopify.graphql
        shopify_graphql._bucket_factory = lambda: LeakyBucket(1e9, 1e9)
        shopify_graphql._buckets.clear()
        counters = {"shopify": WriteCounter(sandbox.shopify_server.server.app, "shopify"),
                    "woocommerce": WriteCounter(sandbox.woocommerce_server.server.app, "woocommerce")}
        sandbox.shopify_server.server.app = counters["shopify"]
        sandbox.woocommerce_server.server.app = counters["woocommerce"]
        supplier_ids = {}
        for info in stack.shops.values():
            supplier_ids[info.id] = add_supplier(c.uow(), c.box, info.id, {
                "name": "sandbox-supplier", "kind": "http_json", "handling_days": 1, "transit_days": 2,
                "settings": {"url": f"{sandbox.supplier_url}/api/pages", "items_path": "items",
                             "auth": {"type": "bearer"}, "pagination": {"type": "page", "page_size": 100},
                             "schedule": {"interval_minutes": 1}},
                "secret": {"token": SUPPLIER_TOKEN}}, clients=c.supplier_client)
            c.queue.enqueue(SYNC_CATALOG, info.id)
            c.queue.enqueue(POLL_SUPPLIER, supplier_ids[info.id])
        c.queue.wait_idle(900)
        shop = sandbox.shopify.shop("fresh.myshopify.com")
        store = sandbox.woocommerce.stores["https://fresh-woo.example"]

        def shopify_dates() -> dict[str, str]:
            return {v.sku: v.metafields[("app--sim", "in_stock_date")]["value"] for v in list(shop.variants.values())
                    if ("app--sim", "in_stock_date") in v.metafields}

        def woo_dates() -> dict[str, str]:
            return {p["sku"]: m["value"] for p in list(store.products.values()) for m in p["meta_data"]
                    if m["key"] == META_KEY}

        on_pages = (len(shopify_dates()), len(woo_dates()))
        print(f"set-up: {args.skus:,} SKUs per store mirrored, polled and published in "
              f"{time.perf_counter() - started:.0f}s; dates on pages: shopify {on_pages[0]:,}, "
              f"woocommerce {on_pages[1]:,}")

        shopify_graphql._bucket_factory = lambda: LeakyBucket(1000.0, 100.0)  # standard plan from here on
        shopify_graphql._buckets.clear()
        scheduler = build_scheduler(c)
        scheduler.start()

        def snapshots() -> list[tuple[int, str, datetime]]:
            with c.uow() as uow:
                rows = uow.session.query(SupplierSnapshot).order_by(SupplierSnapshot.id).all()
                return [(s.id, s.status, s.started_at) for s in rows]

        before = len(snapshots())
        writes_before = {k: v.counts["writes"] for k, v in counters.items()}
        print("waiting for the scheduled polls with nothing changed...")
        while len([s for s in snapshots()[before:] if s[1] != "running"]) < len(supplier_ids):
            time.sleep(0.5)
        c.queue.wait_idle(60)
        idle_writes = {k: v.counts["writes"] - writes_before[k] for k, v in counters.items()}
        statuses = [s[1] for s in snapshots()[before:]]
        print(f"  unchanged polls: {statuses}; store writes caused: {idle_writes}")

        shopify_now, woo_now = shopify_dates(), woo_dates()
        candidates = [sku for sku in sorted(shopify_now) if sku in woo_now][:args.changed]
        new_day = (datetime.now(UTC).date() + timedelta(days=200)).isoformat()
        expected = (datetime.fromisoformat(new_day) + timedelta(days=3)).date().isoformat()
        before = len(snapshots())
        t0 = time.perf_counter()
        requests.post(f"{sandbox.supplier_url}/control/stock", timeout=10, json={
            "items": [{"sku": sku, "quantity": 0, "restock_date": new_day} for sku in candidates]})
        print(f"changed {len(candidates)} SKUs' dates at the supplier; waiting for both stores' pages...")
        first_poll_at = None
        while True:
            if first_poll_at is None and len(snapshots()) > before:
                first_poll_at = time.perf_counter() - t0
            s_ok = sum(1 for sku in candidates if shopify_dates().get(sku) == expected)
            w_ok = sum(1 for sku in candidates if woo_dates().get(sku) == expected)
            if s_ok == w_ok == len(candidates):
                break
            if time.perf_counter() - t0 > 600:
                print(f"  gave up after 600s: shopify {s_ok}, woocommerce {w_ok} of {len(candidates)}")
                return 1
            time.sleep(0.25)
        total = time.perf_counter() - t0
        waited = first_poll_at or 0.0
        print(f"  every changed date on both stores' pages after {total:.1f}s "
              f"(next scheduled poll started after {waited:.1f}s; poll to pages {total - waited:.1f}s)")
        print(f"target under {TARGET_SECONDS:.0f}s: {'met' if total < TARGET_SECONDS else 'MISSED'}; "
              f"unchanged polls cost no store writes: {'met' if not any(idle_writes.values()) else 'MISSED'}")
        return 0
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
