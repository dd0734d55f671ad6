"""Shipment webhooks: which topics carry news of shipped units, and the order snapshot they lead to.

Shopify ``orders/fulfilled`` and ``orders/partially_fulfilled`` carry the order itself (as
``orders/updated`` does) and are captured like it. ``fulfillments/create`` and ``fulfillments/update``
carry one fulfillment: its ``line_items`` say what that one shipment held, not what the order has
shipped in all, and a delivery may come late or twice. So the order's current state is read from
the store instead (``ShipmentEvents.order_for_shipment``) and captured as usual: the capture drops a
snapshot older than the one stored, closing counts units shipped so far (never fewer), and an
older webhook arriving after it changes nothing. WooCommerce has no separate shipment topic: a
completed order or its tracking meta arrives with ``order.updated``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connector.domain.errors import InvalidPayload
from connector.domain.model import OrderSnapshot
from connector.ports import StorePlatform
from connector.shipping.ports import ShipmentEvents

ORDER_SHIPMENT_TOPICS: dict[str, frozenset[str]] = {
    "shopify": frozenset({"orders/fulfilled", "orders/partially_fulfilled"}),
}
"""Shipment topics whose body is the order (captured like orders/updated)."""

FULFILLMENT_TOPICS: dict[str, frozenset[str]] = {
    "shopify": frozenset({"fulfillments/create", "fulfillments/update"}),
}
"""Shipment topics whose body is a fulfillment: the order is read from the store."""


def handles(platform_name: str, topic: str) -> bool:
    return topic in FULFILLMENT_TOPICS.get(platform_name, frozenset()) \
        or topic in ORDER_SHIPMENT_TOPICS.get(platform_name, frozenset())


def snapshot_for(platform_name: str, topic: str, platform: StorePlatform,
                 payload: Mapping[str, Any]) -> OrderSnapshot | None:
    """The order snapshot a shipment event leads to; None when its order no longer exists."""
    if topic in ORDER_SHIPMENT_TOPICS.get(platform_name, frozenset()):
        return platform.parse_order(payload)
    if not isinstance(platform, ShipmentEvents):
        raise InvalidPayload(f"{platform_name} cannot read the order of a {topic} event")
    return platform.order_for_shipment(payload)
