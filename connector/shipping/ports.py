"""What closing needs from a store beyond the StorePlatform port (connector/ports.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from connector.domain.model import OrderSnapshot


@runtime_checkable
class ShipmentEvents(Protocol):
    """A store whose shipment webhooks carry a fulfillment, not the order (Shopify ``fulfillments/*``).

    Error contract: InvalidPayload when the payload names no order; PlatformUnavailable /
    PlatformThrottled (transient) when the store cannot be read now; the event is then retried."""

    def order_for_shipment(self, payload: Mapping[str, Any]) -> OrderSnapshot | None:
        """The current state of the order the fulfillment belongs to, read from the store (so a late
        or repeated delivery reads the same, newest state); None when the order no longer exists."""
        ...
