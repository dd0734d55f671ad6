"""What a store's stock webhook says moved (Shopify ``inventory_levels/update``, WooCommerce
``product.updated``). Only which positions: the connector re-reads their levels from the store (an
absolute figure, never the webhook's own number), so a late, repeated or out-of-order delivery
re-evaluates the same positions to the same answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from connector.domain.errors import InvalidPayload


@dataclass(frozen=True)
class StockChange:
    """Stock positions a webhook names: by stock key (WooCommerce product or variation id), or by
    Shopify inventory item id (mapped to a variant through the positions the connector evaluated)."""

    keys: tuple[str, ...] = ()
    inventory_item_ids: tuple[str, ...] = ()
    updated_at: datetime | None = None
    """When the store changed it, when the payload says."""

    def __post_init__(self) -> None:
        for value in (*self.keys, *self.inventory_item_ids):
            if not value or not value.isdigit() or len(value) > 20:
                raise InvalidPayload(f"stock change: {value[:40]!r} is not a store id")
        if not self.keys and not self.inventory_item_ids:
            raise InvalidPayload("stock change names no product, variation or inventory item")
