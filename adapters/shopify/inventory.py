"""Shopify ``inventory_levels/update``: the body is the REST InventoryLevel
(``{inventory_item_id, location_id, available, updated_at, admin_graphql_api_id}``, see
../shared/fixtures/shopify/rest/api_js_2024-04__inventory_level_set.json), one item at one location.
Only the item matters: the connector re-reads its variant's total ``inventoryQuantity``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from connector.domain.errors import InvalidPayload
from connector.domain.model import MAX_ID
from connector.domain.stock_events import StockChange


def parse_inventory_level(payload: Mapping[str, Any]) -> StockChange:
    """The inventory item an inventory_levels/update body moved. Raises InvalidPayload."""
    if not isinstance(payload, Mapping):
        raise InvalidPayload(f"shopify inventory level: expected a JSON object, got {type(payload).__name__}")
    if "inventory_item_id" not in payload and isinstance(payload.get("inventory_level"), Mapping):
        payload = payload["inventory_level"]
    item = payload.get("inventory_item_id")
    if isinstance(item, bool) or not isinstance(item, int | str) or not str(item).isdigit() \
            or not 0 < int(item) <= MAX_ID:
        raise InvalidPayload(f"shopify inventory level: missing or invalid 'inventory_item_id': {str(item)[:40]!r}")
    updated = payload.get("updated_at")
    moment = None
    if isinstance(updated, str):
        try:
            moment = datetime.fromisoformat(updated)
        except ValueError:
            raise InvalidPayload(f"shopify inventory level: updated_at is not ISO-8601: {updated[:40]!r}") from None
        if moment.tzinfo is None:
            raise InvalidPayload(f"shopify inventory level: updated_at has no UTC offset: {updated[:40]!r}")
    return StockChange(inventory_item_ids=(str(int(item)),), updated_at=moment)
