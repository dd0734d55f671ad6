"""Control endpoints under ``/_sandbox/`` so another process (the demo, e2e tests) can drive the
simulator: place, cancel and refund orders, set stock (quietly, or as the admin's save that sends
product.updated), read an order with its notes, read the
delivery log, send a ping. JSON in and out; the store is chosen by the ``store`` field or query parameter."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, jsonify, request

from sandbox.woocommerce_sim.state import SimError

if TYPE_CHECKING:
    from sandbox.woocommerce_sim.simulator import WooCommerceSimulator


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True) or {}
    if not isinstance(body, dict):
        raise SimError(400, "sandbox_bad_request", "Expected a JSON object.")
    return body


def _store(body: dict[str, Any]) -> str:
    store = body.get("store") or request.args.get("store")
    if not store:
        raise SimError(400, "sandbox_bad_request", "Missing 'store'.")
    return str(store)


def create_control_blueprint(sim: WooCommerceSimulator) -> Blueprint:
    control = Blueprint("wc_sandbox", __name__, url_prefix="/_sandbox")

    @control.errorhandler(SimError)
    def _error(exc: SimError) -> Response:
        response = jsonify(exc.body())
        response.status_code = exc.status
        return response

    @control.post("/orders")
    def create_order() -> Response:
        body = _body()
        order = sim.create_order(_store(body), list(body.get("lines") or []),
                                 email=str(body.get("email", "customer@example.com")),
                                 deliver_webhook=bool(body.get("deliver_webhook", True)),
                                 meta_data=list(body.get("meta_data") or []))
        response = jsonify(order)
        response.status_code = 201
        return response

    @control.post("/orders/<int:order_id>/cancel")
    def cancel_order(order_id: int) -> Response:
        body = _body()
        return jsonify(sim.cancel_order(_store(body), order_id,
                                        deliver_webhook=bool(body.get("deliver_webhook", True))))

    @control.post("/orders/<int:order_id>/refund")
    def refund_order(order_id: int) -> Response:
        body = _body()
        lines = body.get("lines")
        if not isinstance(lines, dict) or not lines:
            raise SimError(400, "sandbox_bad_request", "Need 'lines': {line id: units}.")
        refund = sim.refund_order(_store(body), order_id, {str(k): int(v) for k, v in lines.items()},
                                  restock=bool(body.get("restock", True)), reason=str(body.get("reason", "")),
                                  deliver_webhook=bool(body.get("deliver_webhook", True)))
        response = jsonify(refund)
        response.status_code = 201
        return response

    @control.post("/stock")
    def set_stock() -> Response:
        body = _body()
        if "sku" not in body or "quantity" not in body:
            raise SimError(400, "sandbox_bad_request", "Need 'sku' and 'quantity'.")
        return jsonify(sim.set_stock(_store(body), str(body["sku"]), int(body["quantity"])))

    @control.post("/products/stock")
    def update_stock() -> Response:
        body = _body()
        if "sku" not in body or "quantity" not in body:
            raise SimError(400, "sandbox_bad_request", "Need 'sku' and 'quantity'.")
        return jsonify(sim.update_stock(_store(body), str(body["sku"]), int(body["quantity"]),
                                        deliver_webhook=bool(body.get("deliver_webhook", True))))

    @control.get("/orders/<int:order_id>")
    def get_order(order_id: int) -> Response:
        return jsonify(sim.order(_store({}), order_id))

    @control.get("/deliveries")
    def deliveries() -> Response:
        store = request.args.get("store")
        return jsonify([d.as_json() for d in sim.deliveries
                        if store is None or d.store_url == store.rstrip("/")])

    @control.post("/ping")
    def ping() -> Response:
        return jsonify(sim.ping(_store(_body())).as_json())

    return control
