"""The small interfaces the services depend on. Adapters implement them."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from connector.domain.model import BackorderMark, OrderSnapshot, StockLevel, StockRef


class StorePlatform(Protocol):
    """One installed shop's store API (Shopify GraphQL Admin or WooCommerce REST v3)."""

    def parse_order(self, payload: Mapping[str, Any]) -> OrderSnapshot:
        """Turn an order webhook body into a snapshot. Raises InvalidPayload."""
        ...

    def stock_levels(self, refs: Sequence[StockRef]) -> dict[str, StockLevel]:
        """Current stock for each reference, keyed by ``StockRef.key``; unknown refs are left out."""
        ...

    def mark_backordered(self, order_id: str, marks: Sequence[BackorderMark]) -> None:
        """Record on the store order that these lines are backordered (idempotent)."""
        ...

    def unmark_backordered(self, order_id: str) -> None:
        """Remove the backorder marking from a store order (idempotent)."""
        ...

    def orders_updated_since(self, since: datetime) -> Iterator[OrderSnapshot]:
        """Every order updated at or after ``since``, oldest update first, across all pages."""
        ...


class JobQueue(Protocol):
    """Carries job references (a dotted function name and ids), never payloads."""

    def enqueue(self, job: str, *args: Any, delay_seconds: float = 0.0) -> None:
        ...
