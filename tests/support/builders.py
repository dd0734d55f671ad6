"""Builders for domain snapshots: OrderBuilder("1001").line("MUG", 2).build()."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from connector.domain.model import OrderLine, OrderSnapshot

T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


class OrderBuilder:
    def __init__(self, order_id: str, *, placed: float = 0, updated: float | None = None) -> None:
        self.order_id = order_id
        self.created = at(placed)
        self.updated = at(placed if updated is None else updated)
        self.lines: list[OrderLine] = []
        self.cancelled = False
        self.email: str | None = "customer@example.com"
        self.attributes: list[tuple[str, str | int | float]] = []
        self.attribute_kind = "note_attributes"

    def attribute(self, name: str, value: str | int | float, *, kind: str = "note_attributes") -> OrderBuilder:
        """An order attribute as a delivery-date app leaves it (Shopify note_attributes, WooCommerce meta_data)."""
        self.attributes.append((name, value))
        self.attribute_kind = kind
        return self

    def line(self, variant: str, quantity: int, *, line_id: str | None = None,
             backordered_meta: int | None = None, product: str | None = None,
             properties: tuple[tuple[str, str], ...] = ()) -> OrderBuilder:
        self.lines.append(OrderLine(
            line_id=line_id or f"{self.order_id}-{len(self.lines) + 1}", quantity=quantity, sku=f"SKU-{variant}",
            product_id=product or f"p{variant}", variant_id=variant, title=f"Item {variant}",
            backordered_meta=backordered_meta, properties=properties,
        ))
        return self

    def cancel(self, updated: float) -> OrderBuilder:
        self.cancelled = True
        self.updated = at(updated)
        return self

    def build(self) -> OrderSnapshot:
        return OrderSnapshot(order_id=self.order_id, name=f"#{self.order_id}", created_at=self.created,
                             updated_at=self.updated, lines=tuple(self.lines), cancelled=self.cancelled,
                             customer_email=self.email, attributes=tuple(self.attributes),
                             attribute_kind=self.attribute_kind)
