"""The SalesHistory port on Shopify: the shop's orders created before a moment, oldest first, through the
GraphQL ``orders`` connection (sortKey CREATED_AT, 40 orders a page with up to 20 line items each: a
requested cost of 922, under Shopify's single-query limit of 1,000; 100 x 100 cost 10,302 and was refused;
an order with more lines is completed through ``ORDER_LINE_ITEMS``). Paged, not a bulk operation: each page is
folded and its cursor kept, so a read stops and resumes anywhere (docs/reorder.md). Shopify gives no
total here; progress counts pages and orders.

A line counts ``currentQuantity`` (refunded and removed units are off); a cancelled order counts nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from adapters.shopify import queries
from adapters.shopify.client import ShopifyGraphQL
from connector.domain.errors import InvalidPayload, PlatformRejected
from connector.domain.sales_history import SalesPage, SoldOrder

ORDERS_PER_PAGE = 40
LINES_PER_ORDER = 20
"""Requested cost 2 + orders x (1 + 2 + lines) = 922 <= 1,000 (Shopify's max cost of one query)."""

SALES_ORDERS = """
query ConnectorSalesOrders($first: Int!, $after: String, $query: String!, $lines: Int!) {
  orders(first: $first, after: $after, sortKey: CREATED_AT, query: $query) {
    pageInfo {
      hasNextPage
      endCursor
    }
    nodes {
      id
      legacyResourceId
      createdAt
      cancelledAt
      lineItems(first: $lines) {
        pageInfo {
          hasNextPage
          endCursor
        }
        nodes {
          sku
          quantity
          currentQuantity
        }
      }
    }
  }
}
"""

DOCUMENTS = (SALES_ORDERS,)


class ShopifySalesHistory:
    def __init__(self, client: ShopifyGraphQL, *, page_size: int = ORDERS_PER_PAGE) -> None:
        self.client = client
        self.page_size = page_size

    def sales_page(self, cursor: str | None, until: datetime) -> SalesPage:
        if until.tzinfo is None:
            raise ValueError("until must be timezone-aware")
        stamp = until.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        data = self.client.execute(SALES_ORDERS, {"first": self.page_size, "after": cursor,
                                                  "query": f"created_at:<'{stamp}'", "lines": LINES_PER_ORDER})
        connection = data.get("orders") or {}
        orders = tuple(self._order(node) for node in connection.get("nodes") or [] if node)
        page = connection.get("pageInfo") or {}
        if page.get("hasNextPage") and not page.get("endCursor"):
            raise PlatformRejected("shopify orders: hasNextPage without endCursor")
        return SalesPage(orders, page.get("endCursor") if page.get("hasNextPage") else None)

    def _order(self, node: dict[str, Any]) -> SoldOrder:
        order_id = str(node.get("legacyResourceId") or str(node.get("id") or "").rsplit("/", 1)[-1])
        if not order_id:
            raise InvalidPayload("shopify GraphQL order without an id")
        created = node.get("createdAt")
        try:
            created_at = datetime.fromisoformat(str(created).replace("Z", "+00:00"))
        except ValueError:
            raise InvalidPayload(f"shopify order {order_id}: createdAt is not a timestamp: {created!r}") from None
        items = node.get("lineItems") or {}
        lines = list(items.get("nodes") or [])
        page = items.get("pageInfo") or {}
        while page.get("hasNextPage"):
            data = self.client.execute(queries.ORDER_LINE_ITEMS, {"id": node.get("id") or
                                                                  f"gid://shopify/Order/{order_id}",
                                                                  "first": queries.LINE_ITEMS_PAGE_SIZE,
                                                                  "after": page.get("endCursor")})
            more = (data.get("order") or {}).get("lineItems") or {}
            lines.extend(more.get("nodes") or [])
            page = more.get("pageInfo") or {}
        return SoldOrder(order_id, created_at,
                         tuple((line.get("sku") or None, _units(line)) for line in lines if line),
                         cancelled=node.get("cancelledAt") is not None)


def _units(line: dict[str, Any]) -> int:
    value = line.get("currentQuantity")
    if value is None:
        value = line.get("quantity")
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0
