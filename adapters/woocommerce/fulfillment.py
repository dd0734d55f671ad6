"""StoreFulfillment for WooCommerce: order facts from REST v3; tracking as a customer note (the
customer is emailed), tracking meta in the Shipment Tracking extension's format
(``_wc_shipment_tracking_items``), and status ``completed`` once every line is shipped.
WooCommerce has no fulfillment holds: ``hold`` returns None.

Units left to ship: WooCommerce keeps ``line_items[].quantity`` as ordered when units are refunded,
so an order that lists refunds has them read (``read_refunded_units``, as capture does) and a line
holds its quantity minus its refunded units; a completed order has none left. A refunds read that
fails raises the client's error: routing records it and tries the order again on its next run,
never with the units as ordered."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from adapters.woocommerce.client import WooCommerceClient
from adapters.woocommerce.platform import read_refunded_units
from connector.domain.routing import Address, Payment, StoreLine, StoreOrderFacts, Tracking

log = logging.getLogger(__name__)

TRACKING_META = "_wc_shipment_tracking_items"
"""The WooCommerce Shipment Tracking extension's order meta: a list of tracking items."""

PAYMENT_BY_STATUS = {"processing": Payment.PAID, "completed": Payment.PAID, "on-hold": Payment.PENDING,
                     "pending": Payment.PENDING, "failed": Payment.PENDING, "refunded": Payment.REFUNDED,
                     "cancelled": Payment.VOIDED}


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None


def _units_left(item: Any, refunded: Mapping[str, int]) -> int:
    """A line's quantity less its refunded units (WooCommerce keeps the quantity as ordered)."""
    return max(0, int(item.get("quantity") or 0) - refunded.get(str(item["id"]), 0))


class WooCommerceFulfillment:
    def __init__(self, client: WooCommerceClient) -> None:
        self.client = client

    def order_facts(self, order_id: str) -> StoreOrderFacts:
        """Payment, cancellation, ship-to and per line its price and units left to ship (refunded
        units off). Raises the client's errors, also when the order's refunds cannot be read."""
        order = self.client.get(f"orders/{order_id}")
        status = str(order.get("status") or "")
        shipping = order.get("shipping") or {}
        billing = order.get("billing") or {}
        address = None
        if shipping.get("country") or shipping.get("address_1"):
            address = Address(
                name=" ".join(p for p in (shipping.get("first_name"), shipping.get("last_name")) if p) or "Customer",
                company=shipping.get("company") or None, address1=shipping.get("address_1") or None,
                address2=shipping.get("address_2") or None, city=shipping.get("city") or None,
                province=shipping.get("state") or None, zip=shipping.get("postcode") or None,
                country_code=shipping.get("country") or None,
                phone=shipping.get("phone") or billing.get("phone") or None, email=billing.get("email") or None)
        done = status == "completed"
        refunded = {} if done else read_refunded_units(self.client, order_id, order)
        lines = tuple(StoreLine(str(item["id"]), _decimal(item.get("price")),
                                0 if done else _units_left(item, refunded))
                      for item in order.get("line_items") or [])
        return StoreOrderFacts(PAYMENT_BY_STATUS.get(status, Payment.UNKNOWN), status in ("cancelled", "trash"),
                               False, address, lines)

    def fulfill(self, order_id: str, line_id: str, quantity: int, tracking: Tracking, *,
                notify_customer: bool, order_complete: bool, dedupe_key: str) -> str:
        order = self.client.get(f"orders/{order_id}")
        meta = next((m for m in order.get("meta_data") or [] if m.get("key") == TRACKING_META), None)
        items = list(meta["value"]) if meta and isinstance(meta.get("value"), list) else []
        if not any(item.get("tracking_id") == dedupe_key for item in items):
            items.append({"tracking_provider": "", "custom_tracking_provider": tracking.carrier or "",
                          "custom_tracking_link": tracking.url or "", "tracking_number": tracking.number or "",
                          "date_shipped": "", "tracking_id": dedupe_key, "line_item_id": line_id,
                          "quantity": quantity})
            name = next((i.get("name") for i in order.get("line_items") or [] if str(i.get("id")) == line_id), "")
            note = (f"{quantity} x {name} shipped by {tracking.carrier or 'the carrier'}, tracking number "
                    f"{tracking.number or '-'}" + (f": {tracking.url}" if tracking.url else "") + ".")
            notes = self.client.get(f"orders/{order_id}/notes")
            if not any(dedupe_key in json.dumps(n.get("note", "")) or n.get("note") == note for n in notes or []):
                self.client.add_order_note(order_id, note, customer_note=notify_customer)
        changes: dict[str, Any] = {"meta_data": [{"key": TRACKING_META, "value": items}]}
        if order_complete and order.get("status") != "completed":
            changes["status"] = "completed"
        self.client.put(f"orders/{order_id}", changes)
        log.info("woocommerce order tracking added", extra={"order_id": order_id, "line_id": line_id,
                                                            "completed": "status" in changes})
        return f"{order_id}:{dedupe_key}"

    def hold(self, order_id: str, line_id: str, quantity: int, external_id: str) -> tuple[str, str] | None:
        return None

    def release_hold(self, fulfillment_order_id: str, hold_id: str) -> None:
        return None
