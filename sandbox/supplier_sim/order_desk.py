"""What the supplier simulator's two order desks share (drop-ship orders, dropship.py; purchase orders,
purchase_orders.py): the JSON answer, and the order API over a desk that honours ``Idempotency-Key``, as
adapters/suppliers/order_api.py calls it.

    POST <path>                      place an order; Idempotency-Key required (400 without), the same key
                                     answers the same order; a stalling desk stores it, then answers late
    GET  <path>?idempotency_key=K    the order placed under K (404 when none)
    GET  <path>/<id>                 one order (404 when unknown)
"""

from __future__ import annotations

import time
from typing import Any, Protocol

from flask import Flask, Response, jsonify, request


class OrderDesk(Protocol):
    orders: dict[str, dict[str, Any]]
    by_key: dict[str, str]
    stall_seconds: float

    @property
    def _lock(self) -> Any: ...

    def place(self, key: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]: ...

    def view(self, order_id: str) -> dict[str, Any]: ...


def answer(status: int, body: dict[str, Any]) -> Response:
    response = jsonify(body)
    response.status_code = status
    return response


def add_order_api(app: Flask, path: str, desk: OrderDesk, name: str) -> None:
    """The order API at ``path`` over ``desk``; its Flask endpoints are ``<name>_place|find|one``."""

    def place() -> Response:
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key:
            return answer(400, {"error": "idempotency_key_required"})
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return answer(400, {"error": "bad_json"})
        status, result = desk.place(key, body)
        if desk.stall_seconds and status == 201:
            time.sleep(desk.stall_seconds)  # accepted and stored; the answer is late
        return answer(status, result)

    def find() -> Response:
        with desk._lock:
            order_id = desk.by_key.get(request.args.get("idempotency_key", ""))
        if order_id is None:
            return answer(404, {"error": "not_found"})
        return answer(200, desk.view(order_id))

    def one(order_id: str) -> Response:
        if order_id not in desk.orders:
            return answer(404, {"error": "not_found"})
        return answer(200, desk.view(order_id))

    app.add_url_rule(path, f"{name}_place", place, methods=["POST"])
    app.add_url_rule(path, f"{name}_find", find, methods=["GET"])
    app.add_url_rule(f"{path}/<order_id>", f"{name}_one", one, methods=["GET"])
