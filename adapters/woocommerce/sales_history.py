"""The SalesHistory port on WooCommerce: ``GET /orders`` created before a moment (``before``, GMT), oldest
first (``orderby=date&order=asc``), 100 a page; the cursor is the page number (the set is fixed by
``before``; the ledger makes a page read twice harmless). ``X-WP-Total`` gives the total for progress.

A line counts its quantity less refunded units (the order's refunds are read when it lists any);
cancelled, failed, refunded and trashed orders count nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from adapters.woocommerce.client import WooCommerceClient
from adapters.woocommerce.orders import parse_order
from adapters.woocommerce.platform import read_refunded_units
from connector.domain.errors import InvalidPayload, PlatformRejected
from connector.domain.sales_history import SalesPage, SoldOrder

log = logging.getLogger(__name__)

PER_PAGE = 100
NOT_SOLD = frozenset({"cancelled", "failed", "refunded", "trash"})


class WooCommerceSalesHistory:
    def __init__(self, client: WooCommerceClient, *, page_size: int = PER_PAGE) -> None:
        self.client = client
        self.page_size = page_size

    def sales_page(self, cursor: str | None, until: datetime) -> SalesPage:
        if until.tzinfo is None:
            raise ValueError("until must be timezone-aware")
        page = int(cursor) if cursor and cursor.isdigit() else 1
        params = {"before": until.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"), "dates_are_gmt": "true",
                  "orderby": "date", "order": "asc", "status": "any", "per_page": self.page_size, "page": page}
        response = self.client._request("GET", "orders", params=params)
        items = response.body
        if not isinstance(items, list):
            raise PlatformRejected(f"woocommerce: GET orders page {page}: expected a JSON list")
        orders = []
        for payload in items:
            try:
                orders.append(self._order(payload))
            except InvalidPayload as exc:  # one unreadable order must not stop the read
                log.error("woocommerce order left out of the sales history: %s", exc)
        total = _int(response.headers.get("X-WP-Total"))
        pages = _int(response.headers.get("X-WP-TotalPages"))
        more = page < pages if pages is not None else len(items) >= self.page_size
        return SalesPage(tuple(orders), str(page + 1) if more and items else None, total)

    def _order(self, payload: Mapping[str, Any]) -> SoldOrder:
        snapshot = parse_order(payload)
        refunded = read_refunded_units(self.client, snapshot.order_id, payload)
        if refunded:
            snapshot = parse_order(payload, refunded=refunded)
        status = str(payload.get("status") or "")
        return SoldOrder(snapshot.order_id, snapshot.created_at,
                         tuple((line.sku, line.quantity) for line in snapshot.lines),
                         cancelled=snapshot.cancelled or status in NOT_SOLD)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
