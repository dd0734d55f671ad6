"""Demo phase "Know when": supplier dates arrive, become SKU dates and appear on both stores' pages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from adapters.woocommerce.catalog import META_KEY
from connector import shop_settings
from connector.supply.catalog import sync_catalog
from connector.supply.dates import refresh_dates
from connector.supply.publish import publish_dates
from connector.supply.reporting import sku_dates
from connector.supply.suppliers import add_supplier, poll_supplier
from jobs.supply import notify_available
from sandbox.stack import LocalStack
from sandbox.supplier_sim.seed import SUPPLIER_TOKEN

Echo = Callable[[str], None]
SLIP_SKU = {"shopify": "LANTERN", "woocommerce": "TEA-SENCHA"}


def run(stack: LocalStack, echo: Echo) -> None:
    from connector.cli import render_table

    c = stack.container
    url = stack.sandbox.supplier_url
    echo("")
    echo(f"Know when: the sandbox supplier at {url} (JSON API, bearer token, 5 records a page)")
    supplier_ids: dict[int, int] = {}
    for info in stack.shops.values():
        supplier_ids[info.id] = add_supplier(c.uow(), c.box, info.id, {
            "name": "sandbox-supplier", "kind": "http_json", "handling_days": 1, "transit_days": 2,
            "settings": {"url": f"{url}/api/pages", "items_path": "items", "auth": {"type": "bearer"},
                         "pagination": {"type": "page", "page_size": 5}, "schedule": {"interval_minutes": 1}},
            "secret": {"token": SUPPLIER_TOKEN}}, clients=c.supplier_client)
        shop_settings.set_setting(c.uow(), info.id, "publish.toggle_backorders", True)
    totals = {"written": 0, "switched": 0}
    for info in stack.shops.values():
        catalog = c.catalog_for(info.id)
        sync_catalog(c.uow(), catalog, info.id)
        report = poll_supplier(c.uow(), c.box, supplier_ids[info.id], clients=c.supplier_client)
        skipped = report.rows_not_sold
        echo(f"  {info.domain}: poll {report.status}, {report.rows_total} rows, {report.rows_changed} changed"
             + (f", {skipped} rows for SKUs this store does not sell (not stored)" if skipped else ""))
        refresh_dates(c.uow(), info.id, set_promised=not notify_available())
        published = publish_dates(c.uow(), catalog, info.id)
        totals["written"] += published.written
        totals["switched"] += published.switched
    echo(f"  product pages: {totals['written']} dates written; backorders switched on/off for "
         f"{totals['switched']} SKUs")
    _print_pages(stack, echo, render_table)

    echo("")
    later = (datetime.now(UTC).date() + timedelta(days=60)).isoformat()
    echo(f"The supplier slips: {' and '.join(SLIP_SKU.values())} now restock on {later} "
         "(changed at the supplier while it runs)...")
    requests.post(f"{url}/control/stock", json={"items": [{"sku": sku, "quantity": 0, "restock_date": later}
                                                          for sku in SLIP_SKU.values()]}, timeout=5)
    for info in stack.shops.values():
        catalog = c.catalog_for(info.id)
        report = poll_supplier(c.uow(), c.box, supplier_ids[info.id], clients=c.supplier_client)
        dates = refresh_dates(c.uow(), info.id, set_promised=not notify_available())
        published = publish_dates(c.uow(), catalog, info.id)
        echo(f"  {info.domain}: poll {report.status} ({report.rows_changed} changed rows); "
             f"{len(dates.changed_skus)} SKU date changed; {published.written} page written; "
             f"{len(dates.backorders_changed)} open backorder(s) got the new date")
    again = [poll_supplier(c.uow(), c.box, supplier_ids[i.id], clients=c.supplier_client).status
             for i in stack.shops.values()]
    echo(f"  polling again with nothing changed: {', '.join(again)} (304s only, no store writes)")
    _print_backorders(stack, echo, render_table)


def _page_dates(stack: LocalStack, platform: str, domain: str) -> dict[str, str]:
    if platform == "shopify":
        shop = stack.sandbox.shopify.shop(domain)
        return {sku: v.metafields[("app--sim", "in_stock_date")]["value"] for sku, v in shop.variants.items()
                if ("app--sim", "in_stock_date") in v.metafields}
    store = stack.sandbox.woocommerce.stores[domain]
    items = list(store.products.values()) + list(store.variations.values())
    return {i["sku"]: m["value"] for i in items for m in i.get("meta_data", []) if m["key"] == META_KEY}


def _print_pages(stack: LocalStack, echo: Echo, render_table: Callable[..., str]) -> None:
    rows: list[dict[str, Any]] = []
    for domain, info in stack.shops.items():
        pages = _page_dates(stack, info.platform, domain)
        for row in sku_dates(stack.container.uow(), info.id):
            rows.append({"platform": info.platform, "sku": row["sku"], "expected": row["expected_date"] or "-",
                         "source": row["source"], "product page shows": pages.get(row["sku"], "(nothing)")})
    echo(render_table(rows, ["platform", "sku", "expected", "source", "product page shows"]))


def _print_backorders(stack: LocalStack, echo: Echo, render_table: Callable[..., str]) -> None:
    rows = []
    for info in stack.shops.values():
        with stack.container.uow() as uow:
            for b in uow.backorders.list(info.id, ["open"]):
                rows.append({"platform": info.platform, "sku": b.sku, "short": b.quantity_backordered,
                             "promised": b.promised_date or "-", "expected now": b.expected_date or "-"})
    echo("")
    echo("Open backorders now carry their current expected date (the promised date is set when the customer "
         "is first told):")
    echo(render_table(sorted(rows, key=lambda r: (r["platform"], str(r["sku"]))),
                      ["platform", "sku", "short", "promised", "expected now"]))
