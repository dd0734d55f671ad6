"""Simulated Admin API root fields for product-page dates: metafieldsSet, metafieldsDelete and
productVariantsBulkUpdate (inventoryPolicy), with Shopify's limits and userErrors."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from sandbox.shopify_sim.store import Shop, Variant, app_namespace, graphql_variant, variant_metafield

MAX_METAFIELDS = 25
VARIANT_GID = re.compile(r"gid://shopify/ProductVariant/(\d+)")


def _variant(shop: Shop, owner_id: str) -> Variant | None:
    match = VARIANT_GID.fullmatch(owner_id or "")
    return shop.variant_by_id(int(match.group(1))) if match else None


def extension(api: Any, shop: Shop) -> dict[str, Any]:
    def metafields_set(info: Any, metafields: list[dict[str, Any]]) -> dict[str, Any]:
        if len(metafields) > MAX_METAFIELDS:
            return {"metafields": None, "userErrors": [{
                "field": ["metafields"], "message": f"Exceeded the maximum metafields input limit of {MAX_METAFIELDS}.",
                "code": "INVALID", "elementIndex": None}]}
        errors: list[dict[str, Any]] = []
        targets: list[tuple[Variant, str, str, str, str]] = []
        for index, item in enumerate(metafields):
            variant = _variant(shop, item["ownerId"])
            kind, value = item.get("type") or "single_line_text_field", item["value"]
            if variant is None:
                errors.append({"field": ["metafields", str(index), "ownerId"], "message": "Owner does not exist.",
                               "code": "INVALID", "elementIndex": index})
                continue
            if kind == "date":
                try:
                    date.fromisoformat(value)
                except ValueError:
                    errors.append({"field": ["metafields", str(index), "value"], "code": "INVALID_VALUE",
                                   "message": "Value must be in YYYY-MM-DD format.", "elementIndex": index})
                    continue
            targets.append((variant, app_namespace(item.get("namespace")), item["key"], kind, value))
        if errors:  # atomic, like Shopify: nothing is written when any input is wrong
            return {"metafields": None, "userErrors": errors}
        written = []
        for variant, namespace, key, kind, value in targets:
            variant.metafields[(namespace, key)] = {"type": kind, "value": value}
            written.append(variant_metafield(variant, namespace, key))
        return {"metafields": written, "userErrors": []}

    def metafields_delete(info: Any, metafields: list[dict[str, Any]]) -> dict[str, Any]:
        deleted: list[dict[str, Any] | None] = []
        for item in metafields:
            variant = _variant(shop, item["ownerId"])
            key = (app_namespace(item.get("namespace")), item["key"])
            if variant is None or variant.metafields.pop(key, None) is None:
                deleted.append(None)
                continue
            deleted.append({"ownerId": item["ownerId"], "namespace": key[0], "key": key[1]})
        return {"deletedMetafields": deleted, "userErrors": []}

    def variants_bulk_update(info: Any, productId: str, variants: list[dict[str, Any]],  # noqa: N803
                             allowPartialUpdates: bool = False) -> dict[str, Any]:  # noqa: N803
        match = re.fullmatch(r"gid://shopify/Product/(\d+)", productId)
        product_id = int(match.group(1)) if match else -1
        found = []
        for index, spec in enumerate(variants):
            variant = _variant(shop, spec.get("id") or "")
            if variant is None or variant.product_id != product_id:
                return {"product": None, "productVariants": None, "userErrors": [{
                    "field": ["variants", str(index), "id"], "message": "Product variant does not exist"}]}
            found.append((variant, spec))
        for variant, spec in found:
            if spec.get("inventoryPolicy"):
                variant.inventory_policy = spec["inventoryPolicy"]
        return {"product": None, "productVariants": [graphql_variant(v) for v, _ in found], "userErrors": []}

    return {"metafieldsSet": metafields_set, "metafieldsDelete": metafields_delete,
            "productVariantsBulkUpdate": variants_bulk_update}
