"""StoreCatalog for Shopify: variants and stock in, ``in_stock_date`` metafields and inventoryPolicy out.

The date is a variant metafield in the app's own namespace (``$app``), key ``in_stock_date``,
type ``date``: written with ``metafieldsSet`` (at most 25 per call, Shopify's limit), removed with
``metafieldsDelete``. Throttling is handled by ShopifyGraphQL (a throttled call waits). Many dates at
once go as a bulk mutation instead (adapters/shopify/bulk.py).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

from adapters.shopify.bulk import ShopifyBulkDates
from adapters.shopify.client import ShopifyGraphQL, raise_user_errors
from adapters.shopify.platform import gid, numeric_id
from connector.domain.supply import BackorderSwitch, CatalogItem, PageDate

log = logging.getLogger(__name__)

NAMESPACE = "$app"
KEY = "in_stock_date"
METAFIELDS_PER_CALL = 25
"""Shopify's maximum for metafieldsSet."""
VARIANTS_PAGE_SIZE = 250
"""2 + 250 x (variant + product + metafield) = 752 points, under the 1000-point query limit."""

CATALOG_VARIANTS = """
query ConnectorCatalogVariants($first: Int!, $after: String) {
  productVariants(first: $first, after: $after) {
    pageInfo {
      hasNextPage
      endCursor
    }
    nodes {
      id
      legacyResourceId
      sku
      price
      inventoryQuantity
      inventoryPolicy
      product {
        legacyResourceId
      }
      metafield(namespace: "$app", key: "in_stock_date") {
        value
      }
    }
  }
}
"""

METAFIELDS_SET = """
mutation ConnectorMetafieldsSet($metafields: [MetafieldsSetInput!]!) {
  metafieldsSet(metafields: $metafields) {
    metafields {
      key
      value
    }
    userErrors {
      field
      message
      code
      elementIndex
    }
  }
}
"""

METAFIELDS_DELETE = """
mutation ConnectorMetafieldsDelete($metafields: [MetafieldIdentifierInput!]!) {
  metafieldsDelete(metafields: $metafields) {
    deletedMetafields {
      key
      ownerId
    }
    userErrors {
      field
      message
    }
  }
}
"""

VARIANTS_BULK_UPDATE = """
mutation ConnectorVariantsBulkUpdate($productId: ID!, $variants: [ProductVariantsBulkInput!]!) {
  productVariantsBulkUpdate(productId: $productId, variants: $variants) {
    productVariants {
      id
      inventoryPolicy
    }
    userErrors {
      field
      message
    }
  }
}
"""

DOCUMENTS: tuple[str, ...] = (CATALOG_VARIANTS, METAFIELDS_SET, METAFIELDS_DELETE, VARIANTS_BULK_UPDATE)


class ShopifyCatalog(ShopifyBulkDates):
    """Also a BulkDateWriter (adapters/shopify/bulk.py): big catalogues publish as one bulk mutation."""

    date_batch_size = METAFIELDS_PER_CALL

    def __init__(self, client: ShopifyGraphQL) -> None:
        self.client = client
        self.calls = 0

    def items(self) -> Iterator[CatalogItem]:
        after: str | None = None
        while True:
            data = self._execute(CATALOG_VARIANTS, {"first": VARIANTS_PAGE_SIZE, "after": after})
            connection = data["productVariants"]
            for node in connection["nodes"]:
                item = _item(node)
                if item is not None:
                    yield item
            info = connection["pageInfo"]
            if not info["hasNextPage"]:
                return
            after = info["endCursor"]

    def write_dates(self, dates: Sequence[PageDate]) -> None:
        if len(dates) > METAFIELDS_PER_CALL:
            raise ValueError(f"at most {METAFIELDS_PER_CALL} dates per call, got {len(dates)}")
        sets = [{"ownerId": gid("ProductVariant", d.variant_id), "namespace": NAMESPACE, "key": KEY,
                 "type": "date", "value": d.day.isoformat()} for d in dates if d.day is not None and d.variant_id]
        deletes = [{"ownerId": gid("ProductVariant", d.variant_id), "namespace": NAMESPACE, "key": KEY}
                   for d in dates if d.day is None and d.variant_id]
        if sets:
            data = self._execute(METAFIELDS_SET, {"metafields": sets})
            raise_user_errors(data.get("metafieldsSet"), "metafieldsSet")
        if deletes:
            data = self._execute(METAFIELDS_DELETE, {"metafields": deletes})
            raise_user_errors(data.get("metafieldsDelete"), "metafieldsDelete")

    def switch_backorders(self, switches: Sequence[BackorderSwitch]) -> None:
        by_product: dict[str, list[BackorderSwitch]] = defaultdict(list)
        for switch in switches:
            if switch.variant_id:
                by_product[switch.product_id].append(switch)
        for product_id, group in sorted(by_product.items()):
            variants = [{"id": gid("ProductVariant", s.variant_id or ""),
                         "inventoryPolicy": "CONTINUE" if s.allowed else "DENY"} for s in group]
            data = self._execute(VARIANTS_BULK_UPDATE, {"productId": gid("Product", product_id), "variants": variants})
            raise_user_errors(data.get("productVariantsBulkUpdate"), "productVariantsBulkUpdate")

    def _execute(self, document: str, variables: dict[str, Any]) -> dict[str, Any]:
        self.calls += 1
        return self.client.execute(document, variables)


def _item(node: dict[str, Any]) -> CatalogItem | None:
    sku = (node.get("sku") or "").strip()
    if not sku:
        return None
    metafield = node.get("metafield") or {}
    value = metafield.get("value")
    try:
        page_date = date.fromisoformat(value) if value else None
    except ValueError:
        page_date = None
    return CatalogItem(
        sku=sku, product_id=numeric_id((node.get("product") or {}).get("legacyResourceId")) or "",
        variant_id=str(node.get("legacyResourceId") or numeric_id(node.get("id"))),
        available=node.get("inventoryQuantity"), backorders_allowed=node.get("inventoryPolicy") == "CONTINUE",
        price=node.get("price"), page_date=page_date)
