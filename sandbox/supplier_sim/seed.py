"""The sandbox supplier's catalogue: every SKU of the store seed, with restock dates from today."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

SUPPLIER_TOKEN = "sandbox-supplier-token"
"""Bearer token of the sandbox supplier's JSON API and feed."""


def seed_skus(seed: dict[str, Any]) -> Iterator[str]:
    for shop in seed.get("shopify", {}).get("shops", []):
        for product in shop.get("products", []):
            for variant in product.get("variants", []):
                yield str(variant["sku"])
    for store in seed.get("woocommerce", {}).get("stores", []):
        for product in store.get("products", []):
            if product.get("sku"):
                yield str(product["sku"])
            for variation in product.get("variations", []):
                if variation.get("sku"):
                    yield str(variation["sku"])


def supplier_items(seed: dict[str, Any], today: date | None = None) -> list[dict[str, Any]]:
    """One record per seeded SKU: a third with supplier stock, the rest with a restock date 5-40 days out."""
    today = today or datetime.now(UTC).date()
    items = []
    for sku in dict.fromkeys(seed_skus(seed)):
        spread = zlib.crc32(sku.encode()) % 36
        in_stock = spread % 3 == 0
        items.append({"sku": sku, "quantity": 20 if in_stock else 0,
                      "restock_date": None if in_stock else (today + timedelta(days=5 + spread)).isoformat(),
                      "lead_time_days": 21})
    return items


def supplier_config(seed: dict[str, Any], today: date | None = None) -> dict[str, Any]:
    section = seed.get("supplier") or {}
    return {"auth": section.get("auth") or {"type": "bearer", "token": SUPPLIER_TOKEN},
            "items": section.get("items") or supplier_items(seed, today)}
