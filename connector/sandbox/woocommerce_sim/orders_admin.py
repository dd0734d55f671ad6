"""Simulated WooCommerce REST endpoints for customer messages: order refunds and coupons.

POST/GET /orders/{id}/refunds: a refund with ``line_items`` takes those units off the order
(``refunded`` quantities, as WooCommerce records them on the refund), marks the order ``refunded``
when nothing is left, and keeps ``reason``. POST/GET /coupons: codes are unique (case-insensitive),
a duplicate answers 400 ``woocommerce_rest_coupon_code_already_exists`` as WooCommerce does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, jsonify, request

from connector.sandbox.woocommerce_sim.state import SimError

if TYPE_CHECKING:
    from connector.sandbox.woocommerce_sim.simulator import WooCommerceSimulator

DISCOUNT_TYPES = {"percent", "fixed_cart", "fixed_product"}


def add_routes(api: Blueprint, sim: WooCommerceSimulator) -> None:
    from connector.sandbox.woocommerce_sim.rest import authenticate

    @api.route("/orders/<int:order_id>/refunds", methods=["GET", "POST"])
    def refunds(order_id: int) -> Response:
        store = authenticate(sim)
        with store.lock:
            order = store.order(order_id)
            refunds = order.setdefault("refunds_full", [])
            if request.method == "GET":
                return jsonify(list(reversed(refunds)))
            body = request.get_json(force=True) or {}
            by_id = {line["id"]: line for line in order["line_items"]}
            taken: list[dict[str, Any]] = []
            for item in body.get("line_items") or []:
                line = by_id.get(int(item.get("id", -1)))
                quantity = int(item.get("quantity", 0))
                left = line["quantity"] - sum(-r["quantity"] for x in refunds for r in x["line_items"]
                                              if r["id"] == line["id"]) if line else 0
                if line is None or quantity <= 0 or quantity > left:
                    raise SimError(400, "woocommerce_rest_invalid_line_item",
                                   f"Invalid refund quantity for line {item.get('id')}.")
                taken.append({"id": line["id"], "quantity": -quantity, "sku": line["sku"],
                              "total": f"{-float(item.get('refund_total', 0)):.2f}"})
            amount = float(body.get("amount") or 0)
            already = sum(float(r["amount"]) for r in refunds)
            if amount <= 0 or amount > float(order["total"]) - already + 1e-9:
                raise SimError(400, "woocommerce_rest_cannot_create_order_refund",
                               "Invalid refund amount.")
            refund = {"id": next(store.ids), "reason": str(body.get("reason") or ""), "amount": f"{amount:.2f}",
                      "refunded_payment": bool(body.get("api_refund", True)), "line_items": taken}
            store.stamp(refund, "created")
            refunds.append(refund)
            order["refunds"].append({"id": refund["id"], "reason": refund["reason"], "total": f"-{amount:.2f}"})
            units_left = sum(line["quantity"] for line in order["line_items"]) + sum(
                r["quantity"] for x in refunds for r in x["line_items"])
            if units_left <= 0 or already + amount >= float(order["total"]) - 1e-9:
                store.update_order(order_id, {"status": "refunded"})
            else:
                store.stamp(order, "modified")
            store.add_note(order_id, f"Refunded {amount:.2f} - {refund['reason']}", system=True)
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
