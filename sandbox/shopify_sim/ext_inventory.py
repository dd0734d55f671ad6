"""The merchant changes stock in the admin (receives a delivery, counts the shelf): the variant's
inventory moves and Shopify sends ``inventory_levels/update`` with the REST InventoryLevel as its body
(``{inventory_item_id, location_id, available, updated_at, admin_graphql_api_id}``, the shape of
../shared/fixtures/shopify/rest/api_js_2024-04__inventory_level_set.json). The simulator has one
location (ext_fulfillment.PRIMARY_LOCATION), so that location's ``available`` is the variant's
``inventoryQuantity``.

Python: ``set_inventory(sim, shop, sku, available=N)`` or ``delta=+N``; over HTTP:
``POST /_sandbox/inventory {"shop", "sku", "available" | "delta"}``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, jsonify, request

from sandbox.shopify_sim.ext_fulfillment import PRIMARY_LOCATION
from sandbox.shopify_sim.store import SimulatorError, Variant, rest_time

if TYPE_CHECKING:
    from sandbox.shopify_sim.simulator import ShopifySimulator

LOCATION_ID = int(PRIMARY_LOCATION.rsplit("/", 1)[-1])


def inventory_level(variant: Variant, at: datetime) -> dict[str, Any]:
    """The REST InventoryLevel of the variant at the simulator's one location."""
    return {
        "inventory_item_id": variant.inventory_item_id,
        "location_id": LOCATION_ID,
        "available": variant.inventory_quantity,
        "updated_at": rest_time(at),
        "admin_graphql_api_id": f"gid://shopify/InventoryLevel/{LOCATION_ID}?inventory_item_id="
                                f"{variant.inventory_item_id}",
    }


def set_inventory(sim: ShopifySimulator, shop_domain: str, sku: str, *, available: int | None = None,
                  delta: int | None = None, deliver_webhook: bool = True) -> dict[str, Any]:
    """Set (``available``) or adjust (``delta``) a variant's stock as the admin does; sends
    inventory_levels/update; returns its body."""
    if (available is None) == (delta is None):
        raise SimulatorError("give exactly one of 'available' and 'delta'")
    with sim._lock:
        shop = sim.shop(shop_domain)
        variant = shop.variant(sku)
        variant.inventory_quantity = int(available) if available is not None else variant.inventory_quantity + int(
            delta or 0)
        body = inventory_level(variant, datetime.now(UTC))
    if deliver_webhook:
        sim._send(shop, "inventory_levels/update", body)
    return body


def control_blueprint(sim: ShopifySimulator) -> Blueprint:
    control = Blueprint("shopify_sim_inventory", __name__)

    @control.post("/_sandbox/inventory")
    def adjust() -> Response:
        data = request.get_json(silent=True) or {}
        if not isinstance(data, dict) or not data.get("shop") or not data.get("sku"):
            raise SimulatorError("need 'shop', 'sku' and 'available' or 'delta'")
        available, delta = data.get("available"), data.get("delta")
        return jsonify(set_inventory(sim, str(data["shop"]), str(data["sku"]),
                                     available=None if available is None else int(available),
                                     delta=None if delta is None else int(delta),
                                     deliver_webhook=bool(data.get("deliver_webhook", True))))

    return control
