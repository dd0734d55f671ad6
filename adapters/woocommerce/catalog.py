"""StoreCatalog for WooCommerce: products and variations in; the in-stock date meta and the
``backorders`` setting out, through the batch endpoints (at most 100 items per call).

The date is product (or variation) meta ``_backorder_in_stock_date`` (ISO date). The leading
underscore keeps it out of the product screen's custom-fields box; the WooCommerce plugin
(docs/woocommerce-plugin.md) prints it. A removed date is sent as ``value: null``, which
WooCommerce's ``WC_Data::save_meta_data`` deletes.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

from adapters.woocommerce.client import BATCH_LIMIT, WooCommerceClient
from connector.domain.supply import BackorderSwitch, CatalogItem, PageDate

log = logging.getLogger(__name__)

META_KEY = "_backorder_in_stock_date"
ALLOWED = "notify"
"""What "backorders on" writes: allow, and tell the customer the item is on backorder."""


class WooCommerceCatalog:
    date_batch_size = BATCH_LIMIT
    max_parallel_batches = 4
    """Batches in flight at once at most (the shop's ``publish.parallel_batches``, default 3): a store's PHP
    workers are few; each call still waits out a 429's Retry-After (adapters/http.py)."""

    def __init__(self, client: WooCommerceClient) -> None:
        self.client = client

    def items(self) -> Iterator[CatalogItem]:
        for product in self.client.paginate("products"):
            if product.get("type") == "variable":
                for variation in self.client.paginate(f"products/{product['id']}/variations"):
                    item = _item(variation, str(product["id"]), str(variation["id"]))
                    if item is not None:
                        yield item
                continue
            item = _item(product, str(product["id"]), None)
            if item is not None:
                yield item

    def write_dates(self, dates: Sequence[PageDate]) -> None:
        self._batch([(d.product_id, d.variant_id,
                      {"meta_data": [{"key": META_KEY, "value": d.day.isoformat() if d.day else None}]})
                     for d in dates])

    def switch_backorders(self, switches: Sequence[BackorderSwitch]) -> None:
        self._batch([(s.product_id, s.variant_id, {"backorders": ALLOWED if s.allowed else "no"})
                     for s in switches])

    def _batch(self, changes: Sequence[tuple[str, str | None, dict[str, Any]]]) -> None:
        simple: list[dict[str, Any]] = []
        variations: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for product_id, variation_id, change in changes:
            if variation_id:
                variations[product_id].append({"id": int(variation_id), **change})
            else:
                simple.append({"id": int(product_id), **change})
        if simple:
            self.client.batch("products", update=simple)
        for product_id, updates in sorted(variations.items()):
            self.client.batch(f"products/{product_id}/variations", update=updates)


def _item(raw: dict[str, Any], product_id: str, variation_id: str | None) -> CatalogItem | None:
    sku = str(raw.get("sku") or "").strip()
    if not sku:
        return None
    value = next((m.get("value") for m in raw.get("meta_data") or [] if m.get("key") == META_KEY), None)
    try:
        page_date = date.fromisoformat(str(value)) if value else None
    except ValueError:
        page_date = None
    managed = bool(raw.get("manage_stock"))
    return CatalogItem(
        sku=sku, product_id=product_id, variant_id=variation_id,
        available=int(raw["stock_quantity"]) if managed and raw.get("stock_quantity") is not None else None,
        backorders_allowed=raw.get("backorders") in ("notify", "yes"), price=raw.get("price") or None,
        page_date=page_date)
