"""The supplier simulator's purchase-order API: orders accepted once per Idempotency-Key, delivered later.

- ``POST /api/purchase-orders`` (``Idempotency-Key`` header required) ``{reference, currency, lines:
  [{sku, supplier_sku, quantity, unit_cost}]}`` → 201 ``{id, reference, status: "accepted",
  expected_date, lines: [{sku, supplier_sku, quantity, delivered: 0}]}``; the same key again → 200
  with the same order (never a second one); no lines or a bad quantity → 422.
- ``GET /api/purchase-orders?idempotency_key=K`` → 200 the order, or 404.
- ``GET /api/purchase-orders/<id>`` → the order with what was delivered so far.

``expected_date`` is today + ``lead_time_days`` (default 10).

Control (no auth): ``POST /control/purchase-orders`` ``{lead_time_days?, stall_seconds?, reject?}``
(``stall_seconds``: accept and store the order, then hold the answer that long, so a client times out
or dies after the supplier applied it; ``reject``: refuse the next order with this code);
``POST /control/purchase-orders/<id>/deliver`` ``{lines?: {sku: units}}`` (all that is left when
omitted): status ``partially_delivered`` or ``delivered``; ``GET /control/purchase-orders``.
Failures before the order is applied (503 and the like) are the simulator's ``/control/faults``.

Dispatch feed: ``GET /feeds/purchase-orders.csv`` one row per order line with units shipped, columns
``po_reference`` (the buyer's reference, ``PO-<id>``), ``supplier_order`` (ours), ``sku``,
``supplier_sku``, ``ordered``, ``shipped_quantity`` (units shipped so far, cumulative): what a
supplier without an API publishes for its customers (read by the connector's feed receipts).
"""

from __future__ import annotations

import csv
import io
import itertools
import threading
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from flask import Response, request

from sandbox.supplier_sim.order_desk import add_order_api, answer

if TYPE_CHECKING:
    from sandbox.supplier_sim.simulator import SupplierSimulator


class PurchaseOrderDesk:
    """Purchase orders of one simulated supplier."""

    def __init__(self, *, lead_time_days: int = 10) -> None:
        self.lead_time_days = lead_time_days
        self.stall_seconds = 0.0
        self.reject_next: str | None = None
        self.orders: dict[str, dict[str, Any]] = {}
        self.posts: list[str] = []
        """The Idempotency-Key of every order POST received, in order (tests count them)."""
        self.by_key: dict[str, str] = {}
        self._ids = itertools.count(5001)
        self._lock = threading.RLock()

    def place(self, key: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.posts.append(key)
            if key in self.by_key:
                return 200, self.view(self.by_key[key])
            if self.reject_next:
                code, self.reject_next = self.reject_next, None
                return 422, {"error": code, "message": f"refused: {code}"}
            lines = body.get("lines") or []
            if not lines or not all(isinstance(line, dict) and line.get("sku") and isinstance(line.get("quantity"), int)
                                    and line["quantity"] > 0 for line in lines):
                return 422, {"error": "bad_lines", "message": "each line needs a sku and a positive quantity"}
            order_id = f"PO-S{next(self._ids)}"
            expected = (datetime.now(UTC).date() + timedelta(days=self.lead_time_days)).isoformat()
            self.orders[order_id] = {
                "id": order_id, "reference": body.get("reference"), "currency": body.get("currency"),
                "status": "accepted", "expected_date": expected,
                "lines": [{"sku": str(line["sku"]), "supplier_sku": line.get("supplier_sku"),
                           "quantity": int(line["quantity"]), "delivered": 0} for line in lines]}
            self.by_key[key] = order_id
            return 201, self.view(order_id)

    def deliver(self, order_id: str, units: dict[str, int] | None = None) -> dict[str, Any]:
        """Deliver ``units`` per SKU (everything left when None)."""
        with self._lock:
            order = self.orders[order_id]
            for line in order["lines"]:
                left = line["quantity"] - line["delivered"]
                add = left if units is None else min(left, int(units.get(line["sku"], 0)))
                line["delivered"] += max(0, add)
            done = all(line["delivered"] >= line["quantity"] for line in order["lines"])
            some = any(line["delivered"] for line in order["lines"])
            order["status"] = "delivered" if done else "partially_delivered" if some else order["status"]
            return self.view(order_id)

    def dispatch_feed(self) -> str:
        """The dispatch feed's CSV: every order line with units shipped."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["po_reference", "supplier_order", "sku", "supplier_sku", "ordered", "shipped_quantity"])
        with self._lock:
            for order in self.orders.values():
                for line in order["lines"]:
                    if line["delivered"]:
                        writer.writerow([order.get("reference") or "", order["id"], line["sku"],
                                         line.get("supplier_sku") or "", line["quantity"], line["delivered"]])
        return out.getvalue()

    def view(self, order_id: str) -> dict[str, Any]:
        with self._lock:
            order = self.orders[order_id]
            return {**order, "lines": [dict(line) for line in order["lines"]]}


def register(sim: SupplierSimulator, *, lead_time_days: int = 10) -> PurchaseOrderDesk:
    """Add the purchase-order endpoints to a supplier simulator's app; returns the desk
    (``sim.purchase_orders``)."""
    desk = PurchaseOrderDesk(lead_time_days=lead_time_days)
    app = sim.app
    add_order_api(app, "/api/purchase-orders", desk, "purchase_order")

    @app.post("/control/purchase-orders")
    def purchase_order_control() -> Response:
        payload = request.get_json(force=True) or {}
        with desk._lock:
            if "lead_time_days" in payload:
                desk.lead_time_days = int(payload["lead_time_days"])
            if "stall_seconds" in payload:
                desk.stall_seconds = float(payload["stall_seconds"])
            if "reject" in payload:
                desk.reject_next = payload["reject"] or None
        return answer(200, {"ok": True})

    @app.post("/control/purchase-orders/<order_id>/deliver")
    def purchase_order_deliver(order_id: str) -> Response:
        if order_id not in desk.orders:
            return answer(404, {"error": "not_found"})
        payload = request.get_json(silent=True) or {}
        lines = payload.get("lines") if isinstance(payload, dict) else None
        return answer(200, desk.deliver(order_id, lines if isinstance(lines, dict) else None))

    @app.get("/feeds/purchase-orders.csv")
    def purchase_order_dispatch_feed() -> Response:
        return Response(desk.dispatch_feed(), mimetype="text/csv")

    @app.get("/control/purchase-orders")
    def purchase_order_list() -> Response:
        with desk._lock:
            return answer(200, {"orders": [desk.view(i) for i in list(desk.orders)]})

    return desk
