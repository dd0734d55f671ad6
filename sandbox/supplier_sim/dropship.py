"""The supplier simulator's drop-ship API: orders placed once per Idempotency-Key, shipped later with tracking.

- ``POST /api/dropship/orders`` (``Idempotency-Key`` header required) ``{reference, lines: [{sku,
  quantity}], ship_to: {name, address1, city, zip, country_code, ...}, contact: {email, phone}}``
  → 201 ``{id, reference, status: "accepted", shipments: []}``; the same key again → 200 with the
  same order (never a second one); unknown SKU or not enough stock → 409 ``out_of_stock``; no
  street or country → 422 ``address_invalid``.
- ``GET /api/dropship/orders?idempotency_key=K`` → 200 the order, or 404.
- ``GET /api/dropship/orders/<id>`` → the order with its shipments. An order ships ``ship_delay``
  seconds after it was accepted (in ``partial_parts`` parcels when set), each with carrier,
  tracking number and URL.

Control (no auth): ``POST /control/dropship`` ``{ship_delay?, partial_parts?, stall_seconds?,
reject?}`` (``stall_seconds``: accept and store the order, then hold the answer that long, so a
client can die between the supplier's commit and its own; ``reject``: refuse the next order with
this code); ``GET /control/dropship/orders``.
"""

from __future__ import annotations

import itertools
import threading
import time
from typing import TYPE_CHECKING, Any

from flask import Response, request

from sandbox.supplier_sim.order_desk import add_order_api, answer

if TYPE_CHECKING:
    from sandbox.supplier_sim.simulator import SupplierSimulator

CARRIER = "UPS"
TRACKING_URL = "https://www.ups.com/track?tracknum={number}"


class DropshipDesk:
    """Drop-ship orders of one simulated supplier."""

    def __init__(self, sim: SupplierSimulator, *, ship_delay: float = 2.0) -> None:
        self.sim = sim
        self.ship_delay = ship_delay
        self.partial_parts = 1
        self.stall_seconds = 0.0
        self.reject_next: str | None = None
        self.orders: dict[str, dict[str, Any]] = {}
        self.posts: list[str] = []
        """The Idempotency-Key of every order POST received, in order (tests count them)."""
        self.by_key: dict[str, str] = {}
        self.accepted_at: dict[str, float] = {}
        self._ids = itertools.count(1001)
        self._lock = threading.RLock()

    # -- state ------------------------------------------------------------------------------------

    def place(self, key: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.posts.append(key)
            if key in self.by_key:
                return 200, self.view(self.by_key[key])
            if self.reject_next:
                code, self.reject_next = self.reject_next, None
                return (409 if code == "out_of_stock" else 422), {"error": code, "message": f"refused: {code}"}
            ship_to = body.get("ship_to") or {}
            if not ship_to.get("address1") or not ship_to.get("country_code"):
                return 422, {"error": "address_invalid", "message": "ship_to needs address1 and country_code"}
            lines = body.get("lines") or []
            if not lines:
                return 422, {"error": "no_lines", "message": "an order needs lines"}
            for line in lines:
                item = self.sim.items.get(str(line.get("sku")))
                if item is None or int(item.get("quantity") or 0) < int(line.get("quantity") or 0):
                    return 409, {"error": "out_of_stock", "message": f"not enough {line.get('sku')} in stock"}
            for line in lines:
                self.sim.items[str(line["sku"])]["quantity"] -= int(line["quantity"])
            order_id = f"DS-{next(self._ids)}"
            self.orders[order_id] = {"id": order_id, "reference": body.get("reference"), "lines": lines,
                                     "ship_to": ship_to, "contact": body.get("contact") or {},
                                     "status": "accepted", "shipments": [], "idempotency_key": key,
                                     "parts": self.partial_parts}
            self.by_key[key] = order_id
            self.accepted_at[order_id] = time.monotonic()
            return 201, self.view(order_id)

    def ship(self, order_id: str, quantity: int | None = None) -> dict[str, Any]:
        """Ship ``quantity`` more units of an order (all that is left when None) as one parcel."""
        with self._lock:
            order = self.orders[order_id]
            total = sum(int(line["quantity"]) for line in order["lines"])
            shipped = sum(s["quantity"] for s in order["shipments"])
            quantity = total - shipped if quantity is None else min(quantity, total - shipped)
            if quantity <= 0:
                return order
            number = f"1Z{order_id[3:]}{len(order['shipments']) + 1:02d}{abs(hash(order_id)) % 10**6:06d}"
            order["shipments"].append({
                "id": f"{order_id}-P{len(order['shipments']) + 1}", "quantity": quantity, "carrier": CARRIER,
                "tracking_number": number, "tracking_url": TRACKING_URL.format(number=number),
                "shipped_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
            order["status"] = "shipped" if shipped + quantity >= total else "partially_shipped"
            return order

    def _ship_due(self, order_id: str) -> None:
        order = self.orders[order_id]
        if order["status"] == "shipped" or self.ship_delay < 0:
            return
        elapsed = time.monotonic() - self.accepted_at[order_id]
        if elapsed < self.ship_delay:
            return
        total = sum(int(line["quantity"]) for line in order["lines"])
        parts = max(1, int(order["parts"]))
        due_parts = min(parts, 1 + int((elapsed - self.ship_delay) // max(self.ship_delay, 0.1)))
        per_part = max(1, total // parts)
        while len(order["shipments"]) < due_parts and order["status"] != "shipped":
            last = len(order["shipments"]) == parts - 1
            self.ship(order_id, None if last else per_part)

    def view(self, order_id: str) -> dict[str, Any]:
        with self._lock:
            self._ship_due(order_id)
            order = self.orders[order_id]
            return {k: v for k, v in order.items() if k not in ("idempotency_key", "parts")}


def register(sim: SupplierSimulator, *, ship_delay: float = 2.0) -> DropshipDesk:
    """Add the drop-ship endpoints to a supplier simulator's app; returns the desk (``sim.dropship``)."""
    desk = DropshipDesk(sim, ship_delay=ship_delay)
    app = sim.app
    add_order_api(app, "/api/dropship/orders", desk, "dropship")

    @app.post("/control/dropship")
    def dropship_control() -> Response:
        payload = request.get_json(force=True) or {}
        with desk._lock:
            if "ship_delay" in payload:
                desk.ship_delay = float(payload["ship_delay"])
            if "partial_parts" in payload:
                desk.partial_parts = max(1, int(payload["partial_parts"]))
            if "stall_seconds" in payload:
                desk.stall_seconds = float(payload["stall_seconds"])
            if "reject" in payload:
                desk.reject_next = payload["reject"] or None
        return answer(200, {"ok": True})

    @app.get("/control/dropship/orders")
    def dropship_orders() -> Response:
        with desk._lock:
            return answer(200, {"orders": [desk.view(i) for i in list(desk.orders)]})

    return desk
