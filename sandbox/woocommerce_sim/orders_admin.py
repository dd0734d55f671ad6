"""Simulated WooCommerce REST endpoints for customer messages: order refunds and coupons.

POST /orders/{id}/refunds (``create_refund``, also the merchant's refund in wp-admin through
``WooCommerceSimulator.refund_order``), as ``wc_create_refund`` records it: each refunded line is a
copy of the order line with a negative ``quantity``, negative totals and the meta
``_refunded_item_id`` (the order line's id, a string in JSON); the order line itself keeps its
``quantity``; the order JSON gains ``{id, reason, total}`` in ``refunds``. ``api_restock`` (default
true) gives the refunded units back to stock where the line holds them reduced
(``wc_restock_refunded_items``). An order refunded in full becomes ``refunded``; the order is
modified and order.updated is sent. GET /orders/{id}/refunds pages like every collection, newest
first. POST/GET /coupons: codes are unique (case-insensitive), a duplicate answers 400
``woocommerce_rest_coupon_code_already_exists`` as WooCommerce does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, jsonify, request

from sandbox.woocommerce_sim.state import SimError, SimStore

if TYPE_CHECKING:
    from sandbox.woocommerce_sim.simulator import WooCommerceSimulator

DISCOUNT_TYPES = {"percent", "fixed_cart", "fixed_product"}


def add_routes(api: Blueprint, sim: WooCommerceSimulator) -> None:
    from sandbox.woocommerce_sim.rest import authenticate, paged

    @api.route("/orders/<int:order_id>/refunds", methods=["GET", "POST"])
    def refunds(order_id: int) -> Response:
        store = authenticate(sim)
        with store.lock:
            store.order(order_id)
            if request.method == "GET":
                return paged(list(reversed(store.refunds[order_id])))
            refund = create_refund(store, order_id, request.get_json(force=True) or {})
        sim.dispatcher.enqueue(store, "order.updated", order_id)
        response = jsonify(refund)
        response.status_code = 201
        return response

    @api.route("/coupons", methods=["GET", "POST"])
    def coupons() -> Response:
        store = authenticate(sim)
        with store.lock:
            pool = store.__dict__.setdefault("coupons", {})
            if request.method == "GET":
                code = (request.args.get("code") or "").lower()
                return jsonify([c for c in pool.values() if not code or c["code"] == code])
            body = request.get_json(force=True) or {}
            code = str(body.get("code") or "").strip().lower()  # WooCommerce stores codes lower-cased
            if not code:
                raise SimError(400, "woocommerce_rest_empty_coupon_code", "The coupon code cannot be empty.")
            if any(c["code"] == code for c in pool.values()):
                raise SimError(400, "woocommerce_rest_coupon_code_already_exists",
                               "The coupon code already exists")
            kind = str(body.get("discount_type") or "fixed_cart")
            if kind not in DISCOUNT_TYPES:
                raise SimError(400, "rest_invalid_param", "Invalid parameter(s): discount_type")
            coupon = {"id": next(store.ids), "code": code, "discount_type": kind,
                      "amount": f"{float(body.get('amount') or 0):.2f}",
                      "individual_use": bool(body.get("individual_use", False)),
                      "usage_limit": body.get("usage_limit"), "usage_limit_per_user": body.get("usage_limit_per_user"),
                      "email_restrictions": list(body.get("email_restrictions") or []),
                      "free_shipping": bool(body.get("free_shipping", False)),
                      "date_expires": body.get("date_expires"), "description": body.get("description", ""),
                      "usage_count": 0}
            store.stamp(coupon, "created", "modified")
            pool[coupon["id"]] = coupon
        response = jsonify(coupon)
        response.status_code = 201
        return response


def create_refund(store: SimStore, order_id: int, body: dict[str, Any]) -> dict[str, Any]:
    """Refund as ``wc_create_refund`` does; the caller holds ``store.lock`` and sends order.updated.

    ``body`` is the REST request: ``amount`` (default: the lines' ``refund_total``), ``reason``,
    ``line_items`` [{id, quantity, refund_total}], ``api_refund``, ``api_restock``."""
    order = store.order(order_id)
    by_id = {line["id"]: line for line in order["line_items"]}
    refunded = store.refunded_units(order_id)
    wanted: list[tuple[dict[str, Any], int, float]] = []
    for item in body.get("line_items") or []:
        line = by_id.get(int(item.get("id", -1)))
        quantity = int(item.get("quantity", 0))
        if line is None or quantity < 0 or quantity > line["quantity"] - refunded.get(line["id"], 0):
            raise SimError(400, "woocommerce_rest_invalid_line_item",
                           f"Invalid refund quantity for line {item.get('id')}.")
        wanted.append((line, quantity, float(item.get("refund_total") or 0)))
    amount = float(body["amount"]) if body.get("amount") not in (None, "") else sum(t for _, _, t in wanted)
    already = sum(float(r["amount"]) for r in store.refunds[order_id])
    if amount < 0 or amount > float(order["total"]) - already + 1e-9:
        raise SimError(400, "woocommerce_rest_cannot_create_order_refund", "Invalid refund amount.")
    refund: dict[str, Any] = {"id": next(store.ids)}
    store.stamp(refund, "created")
    refund.update({
        "amount": f"{amount:.2f}", "reason": str(body.get("reason") or ""), "refunded_by": 1,
        "refunded_payment": bool(body.get("api_refund", True)), "meta_data": [],
        "line_items": [_refund_line(store, line, quantity, total) for line, quantity, total in wanted
                       if quantity or total]})
    store.refunds[order_id].append(refund)
    order["refunds"].append({"id": refund["id"], "reason": refund["reason"], "total": f"-{amount:.2f}"})
    if bool(body.get("api_restock", True)):
        _restock_refunded(store, order_id, wanted)
    store.add_note(order_id, f"Refunded {amount:.2f} - {refund['reason']}", system=True)
    units_left = sum(line["quantity"] for line in order["line_items"]) - sum(
        store.refunded_units(order_id).values())
    if units_left <= 0 or already + amount >= float(order["total"]) - 1e-9:
        store.update_order(order_id, {"status": "refunded"})
    else:
        store.stamp(order, "modified")
    return refund


def _refund_line(store: SimStore, line: dict[str, Any], quantity: int, total: float) -> dict[str, Any]:
    """A copy of the order line (its meta too) with negative quantity and totals, naming the line."""
    meta = [store.meta(m["key"], m["value"]) for m in line.get("meta_data") or []]
    meta.append(store.meta("_refunded_item_id", str(line["id"])))
    return {"id": next(store.ids), "name": line["name"], "product_id": line["product_id"],
            "variation_id": line["variation_id"], "quantity": -quantity, "tax_class": line.get("tax_class", ""),
            "subtotal": f"{-total:.2f}", "subtotal_tax": "0.00", "total": f"{-total:.2f}", "total_tax": "0.00",
            "taxes": [], "meta_data": meta, "sku": line.get("sku", ""),
            "price": -total / quantity if quantity else 0}


def _restock_refunded(store: SimStore, order_id: int, wanted: list[tuple[dict[str, Any], int, float]]) -> None:
    """``wc_restock_refunded_items``: a line whose stock was reduced gets the refunded units back."""
    for line, quantity, _ in wanted:
        item = store.line_product(line)
        if not quantity or not item or not item["manage_stock"] or not store.reduced.get(line["id"]):
            continue
        before = item["stock_quantity"] or 0
        store.set_quantity(item, before + quantity)
        store.reduced[line["id"]] -= quantity
        store.add_note(order_id, f"Item #{item['id']} stock increased from {before} to {item['stock_quantity']}.",
                       system=True)
