"""The REST API v3 subset under ``/wp-json/wc/v3``, with WooCommerce's auth, paging and errors."""

from __future__ import annotations

import hmac
import math
import time
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from flask import Blueprint, Response, jsonify, request

from sandbox.woocommerce_sim.state import SimError, SimStore, Webhook, wc_date

if TYPE_CHECKING:
    from sandbox.woocommerce_sim.simulator import WooCommerceSimulator

BATCH_LIMIT = 100
AUTH_PARAMS = ("consumer_key", "consumer_secret")
DENIED = {
    "GET": ("woocommerce_rest_cannot_view", "Sorry, you cannot list resources."),
    "POST": ("woocommerce_rest_cannot_create", "Sorry, you are not allowed to create resources."),
    "PUT": ("woocommerce_rest_cannot_edit", "Sorry, you are not allowed to edit this resource."),
}


def authenticate(sim: WooCommerceSimulator) -> SimStore:
    """Pick the store by consumer key: HTTP Basic first, then the query-string parameters."""
    auth = request.authorization
    if auth is not None and auth.type == "basic":
        key, secret = auth.username or "", auth.password or ""
    elif request.args.get("consumer_key"):
        key, secret = request.args["consumer_key"], request.args.get("consumer_secret", "")
    else:
        code, message = DENIED.get(request.method, DENIED["POST"])
        raise SimError(401, code, message)
    store = sim.store_by_key(key)
    if store is None:
        raise SimError(401, "woocommerce_rest_authentication_error", "Consumer key is invalid.")
    if not hmac.compare_digest(secret.encode(), (store.secret_for(key) or "").encode()):
        raise SimError(401, "woocommerce_rest_authentication_error", "Consumer secret is invalid.")
    return store


def page_params() -> tuple[int, int]:
    try:
        per_page = int(request.args.get("per_page", 10))
        page = int(request.args.get("page", 1))
    except ValueError:
        raise SimError(400, "rest_invalid_param", "Invalid parameter(s): per_page, page") from None
    if not 1 <= per_page <= 100:
        raise SimError(400, "rest_invalid_param", "Invalid parameter(s): per_page")
    if page < 1:
        raise SimError(400, "rest_invalid_param", "Invalid parameter(s): page")
    return page, per_page


def paged(items: list[dict[str, Any]]) -> Response:
    """One page of ``items`` (each trimmed to ``_fields`` when given) with X-WP-Total, X-WP-TotalPages and a
    Link header, as WordPress sends."""
    page, per_page = page_params()
    total = len(items)
    pages = max(1, math.ceil(total / per_page)) if total else 0
    if total and page > pages:
        raise SimError(400, "rest_post_invalid_page_number",
                       "The page number requested is larger than the number of pages available.")
    fields = request.args.get("_fields")  # WordPress trims each item of a collection to them
    response = jsonify([only_fields(item, fields) for item in items[(page - 1) * per_page: page * per_page]])
    response.headers["X-WP-Total"] = str(total)
    response.headers["X-WP-TotalPages"] = str(pages)
    query = {k: v for k, v in request.args.items() if k not in AUTH_PARAMS and k != "page"}
    base = request.base_url
    links = []
    if page > 1:
        links.append(f'<{base}?{urlencode({**query, "page": page - 1})}>; rel="prev"')
    if page < pages:
        links.append(f'<{base}?{urlencode({**query, "page": page + 1})}>; rel="next"')
    if links:
        response.headers["Link"] = ", ".join(links)
    return response


def id_list(name: str) -> set[int] | None:
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        return {int(part) for part in raw.split(",") if part.strip()}
    except ValueError:
        raise SimError(400, "rest_invalid_param", f"Invalid parameter(s): {name}") from None


def sort_items(items: list[dict[str, Any]], default: str = "date") -> list[dict[str, Any]]:
    orderby = request.args.get("orderby", default)
    fields: dict[str, Callable[[dict[str, Any]], Any]] = {
        "date": lambda o: o.get("date_created_gmt", ""), "modified": lambda o: o.get("date_modified_gmt", ""),
        "id": lambda o: 0, "include": lambda o: 0, "title": lambda o: o.get("name", ""),
        "slug": lambda o: o.get("name", ""),
    }
    if orderby not in fields:
        raise SimError(400, "rest_invalid_param", "Invalid parameter(s): orderby")
    order = request.args.get("order", "desc")
    if order not in ("asc", "desc"):
        raise SimError(400, "rest_invalid_param", "Invalid parameter(s): order")
    return sorted(items, key=lambda o: (fields[orderby](o), o["id"]), reverse=order == "desc")


def only_fields(body: dict[str, Any], fields: str | None) -> dict[str, Any]:
    """WordPress's ``_fields``: keep only the named top-level fields and ``a.b`` sub-fields."""
    if not fields:
        return body
    kept: dict[str, Any] = {}
    for name in (f.strip() for f in fields.split(",") if f.strip()):
        top, _, sub = name.partition(".")
        if top not in body:
            continue
        if not sub or not isinstance(body[top], dict):
            kept[top] = body[top]
        elif sub in body[top] and isinstance(kept.setdefault(top, {}), dict):
            kept[top][sub] = body[top][sub]
    return kept


def create_blueprint(sim: WooCommerceSimulator) -> Blueprint:
    api = Blueprint("wc_v3", __name__, url_prefix="/wp-json/wc/v3")

    @api.before_request
    def _faults_and_auth() -> Any:
        call = f"{request.method} {request.path.removeprefix(api.url_prefix or '')}"
        injected = sim.take_injected_failure(call)
        unapplied = sim.take_applied_failure(call, applied=False)
        if injected is None and unapplied is not None:
            injected = (unapplied[0], None)
        if injected is not None:
            status, retry_after = injected
            response = jsonify({"code": "http_request_failed", "message": "Service unavailable (injected).",
                                "data": {"status": status}})
            response.status_code = status
            if retry_after is not None:
                response.headers["Retry-After"] = str(retry_after)
            return response
        return None

    @api.after_request
    def _applied_then_failed(response: Response) -> Response:
        if response.status_code >= 300:
            return response
        fault = sim.take_applied_failure(f"{request.method} {request.path.removeprefix(api.url_prefix or '')}")
        if fault is None:
            return response
        status, hang = fault
        if hang:
            time.sleep(hang)  # the write is applied; the client gives up waiting for the answer
        failed = jsonify({"code": "http_request_failed", "message": "Gateway timeout (injected, write applied).",
                          "data": {"status": status}})
        failed.status_code = status
        return failed

    @api.errorhandler(SimError)
    def _error(exc: SimError) -> Response:
        response = jsonify(exc.body())
        response.status_code = exc.status
        return response

    from sandbox.woocommerce_sim.orders_admin import add_routes  # notify: refunds and coupons

    add_routes(api, sim)
    from sandbox.woocommerce_sim.site import add_settings_routes  # the store's identity: settings/email

    add_settings_routes(api, sim)

    @api.get("/products")
    def list_products() -> Response:
        store = authenticate(sim)
        include, sku = id_list("include"), request.args.get("sku")
        with store.lock:
            items = [p for p in store.products.values()
                     if (include is None or p["id"] in include) and (not sku or p["sku"] in sku.split(","))]
            return paged(sort_items(items))

    @api.route("/products/<int:product_id>", methods=["GET", "PUT"])
    def one_product(product_id: int) -> Response:
        store = authenticate(sim)
        with store.lock:
            item = store.product(product_id)
            if request.method == "PUT":
                store.update_stock_item(item, request.get_json(force=True) or {})
            return jsonify(item)

    @api.get("/products/<int:product_id>/variations")
    def list_variations(product_id: int) -> Response:
        store = authenticate(sim)
        include = id_list("include")
        with store.lock:
            parent = store.products.get(product_id)
            if parent is None:
                raise SimError(404, "woocommerce_rest_product_invalid_id", "Invalid ID.")
            items = [store.variations[v] for v in parent["variations"] if include is None or v in include]
            return paged(sort_items(items))

    @api.route("/products/<int:product_id>/variations/<int:variation_id>", methods=["GET", "PUT"])
    def one_variation(product_id: int, variation_id: int) -> Response:
        store = authenticate(sim)
        with store.lock:
            item = store.variations.get(variation_id)
            if item is None or item["parent_id"] != product_id:
                raise SimError(404, "woocommerce_rest_product_variation_invalid_id", "Invalid ID.")
            if request.method == "PUT":
                store.update_stock_item(item, request.get_json(force=True) or {})
            return jsonify(item)

    @api.post("/products/batch")
    def batch_products() -> Response:
        store = authenticate(sim)
        return jsonify(run_batch(store, None, request.get_json(force=True) or {}))

    @api.post("/products/<int:product_id>/variations/batch")
    def batch_variations(product_id: int) -> Response:
        store = authenticate(sim)
        with store.lock:
            if product_id not in store.products:
                raise SimError(404, "woocommerce_rest_product_invalid_id", "Invalid ID.")
        return jsonify(run_batch(store, product_id, request.get_json(force=True) or {}))

    @api.get("/orders")
    def list_orders() -> Response:
        store = authenticate(sim)
        statuses = set(request.args.get("status", "any").split(","))
        after = request.args.get("modified_after")
        gmt = request.args.get("dates_are_gmt", "false").lower() in ("1", "true")
        field = "date_modified_gmt" if gmt else "date_modified"
        before = request.args.get("before")  # created before (exclusive), as WordPress reads it
        created = "date_created_gmt" if gmt else "date_created"
        include = id_list("include")
        with store.lock:
            items = [o for o in store.orders.values()
                     if (include is None or o["id"] in include)
                     and ("any" in statuses or o["status"] in statuses)
                     and (not after or o[field] > after[:19])  # WordPress "after" is exclusive
                     and (not before or o[created] < before[:19])]
            return paged(sort_items(items))

    @api.route("/orders/<int:order_id>", methods=["GET", "PUT"])
    def one_order(order_id: int) -> Response:
        store = authenticate(sim)
        with store.lock:
            order = store.order(order_id)
            if request.method == "PUT":
                store.update_order(order_id, request.get_json(force=True) or {})
                sim.dispatcher.enqueue(store, "order.updated", order_id)
            return jsonify(order)

    @api.route("/orders/batch", methods=["POST", "PUT", "PATCH"])
    def batch_orders() -> Response:
        """Updates of several orders (the PUT of each, its order.updated webhook); create and delete, which
        the connector never sends, are refused whole."""
        store = authenticate(sim)
        body = request.get_json(force=True) or {}
        if body.get("create") or body.get("delete"):
            raise SimError(400, "rest_invalid_param", "The simulator's orders/batch models updates only.")
        updates = body.get("update") or []
        if len(updates) > BATCH_LIMIT:
            raise SimError(413, "woocommerce_rest_request_entity_too_large",
                           f"Unable to accept more than {BATCH_LIMIT} items for this request.")
        with store.lock:  # answered from the orders as they are now, as the single PUT is
            results = [_try(partial(_update_order, store, spec), spec.get("id")) for spec in updates]
            for result in results:
                if "error" not in result:
                    sim.dispatcher.enqueue(store, "order.updated", result["id"])
            return jsonify({"update": results})

    @api.route("/orders/<int:order_id>/notes", methods=["GET", "POST"])
    def notes(order_id: int) -> Response:
        store = authenticate(sim)
        with store.lock:
            store.order(order_id)
            if request.method == "GET":
                return jsonify(list(reversed(store.notes[order_id])))
            body = request.get_json(force=True) or {}
            if not body.get("note"):
                raise SimError(400, "rest_missing_callback_param", "Missing parameter(s): note")
            note = store.add_note(order_id, str(body["note"]), customer_note=bool(body.get("customer_note")))
        response = jsonify(note)
        response.status_code = 201
        return response

    @api.post("/webhooks")
    def create_webhook() -> Response:
        store = authenticate(sim)
        body = request.get_json(force=True) or {}
        if not body.get("topic") or not body.get("delivery_url"):
            raise SimError(400, "rest_missing_callback_param", "Missing parameter(s): topic, delivery_url")
        with store.lock:
            hook = Webhook(id=next(store.ids), topics=frozenset({str(body["topic"])}),
                           secret=str(body.get("secret") or "default-secret"),
                           delivery_url=str(body["delivery_url"]), name=str(body.get("name", "")),
                           status=str(body.get("status", "active")))
            store.webhooks.append(hook)
            now = wc_date(store.clock())
        if hook.status == "active":
            sim.dispatcher.ping(store, hook)
        response = jsonify({"id": hook.id, "name": hook.name, "status": hook.status, "topic": body["topic"],
                            "resource": body["topic"].split(".")[0], "event": body["topic"].split(".")[-1],
                            "hooks": [], "delivery_url": hook.delivery_url, "date_created_gmt": now,
                            "date_modified_gmt": now})
        response.status_code = 201
        return response

    @api.get("/system_status")
    def system_status() -> Response:
        """The part of WooCommerce's status report the connector reads (environment), trimmed to ``_fields``
        as WordPress does; 403 woocommerce_rest_cannot_view when the keys' user lacks manage_woocommerce."""
        store = authenticate(sim)
        if not store.keys_manage_woocommerce:
            raise SimError(403, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources.")
        report: dict[str, Any] = {"environment": {
            "home_url": store.store_url, "site_url": store.store_url, "version": "9.4.0", "wp_version": "6.7",
            "wp_multisite": False, "language": store.language, "default_timezone": "UTC"}}
        return jsonify(only_fields(report, request.args.get("_fields")))

    @api.get("/webhooks")
    def list_webhooks() -> Response:
        store = authenticate(sim)
        with store.lock:
            return paged([_webhook_json(sim, hook) for hook in sorted(store.webhooks, key=lambda h: h.id)])

    @api.route("/webhooks/<int:hook_id>", methods=["GET", "PUT"])
    def one_webhook(hook_id: int) -> Response:
        store = authenticate(sim)
        with store.lock:
            hook = next((h for h in store.webhooks if h.id == hook_id), None)
            if hook is None:
                raise SimError(404, "woocommerce_rest_webhook_invalid_id", "Invalid ID.")
            if request.method == "PUT":
                body = request.get_json(force=True) or {}
                if body.get("status") in ("active", "paused", "disabled"):
                    hook.status = str(body["status"])
                    if hook.status == "active":
                        hook.failure_count = 0
                if body.get("secret"):
                    hook.secret = str(body["secret"])
                if body.get("delivery_url"):
                    hook.delivery_url = str(body["delivery_url"])
            return jsonify(_webhook_json(sim, hook))

    return api


def _webhook_json(sim: WooCommerceSimulator, hook: Webhook) -> dict[str, Any]:
    topic = sorted(hook.topics)[0]
    return {"id": hook.id, "name": hook.name, "status": hook.status, "topic": topic,
            "resource": topic.split(".")[0], "event": topic.split(".")[-1],
            "delivery_url": sim.dispatcher.url_for(hook) or "", "failure_count": hook.failure_count}


def run_batch(store: SimStore, parent_id: int | None, body: dict[str, Any]) -> dict[str, list[Any]]:
    """create/update/delete in one request; more than 100 in all → 413; item errors inline."""
    create, update, delete = body.get("create") or [], body.get("update") or [], body.get("delete") or []
    if len(create) + len(update) + len(delete) > BATCH_LIMIT:
        raise SimError(413, "woocommerce_rest_request_entity_too_large",
                       f"Unable to accept more than {BATCH_LIMIT} items for this request.")
    result: dict[str, list[Any]] = {}
    with store.lock:
        pool = store.variations if parent_id is not None else store.products
        for spec in create:
            result.setdefault("create", []).append(_try(partial(_create, store, parent_id, spec), None))
        for spec in update:
            result.setdefault("update", []).append(
                _try(partial(_update, store, pool, spec), spec.get("id")))
        for ident in delete:
            result.setdefault("delete", []).append(_try(partial(_delete, store, pool, ident), ident))
    return result


def _create(store: SimStore, parent_id: int | None, spec: dict[str, Any]) -> dict[str, Any]:
    if spec.get("sku") and any(i.get("sku") == spec["sku"]
                               for i in [*store.products.values(), *store.variations.values()]):
        raise SimError(400, "product_invalid_sku", "Invalid or duplicated SKU.")
    if parent_id is None:
        return store.add_product(spec)
    return store.add_variation(store.products[parent_id], spec)


def _update(store: SimStore, pool: dict[int, dict[str, Any]], spec: dict[str, Any]) -> dict[str, Any]:
    return store.update_stock_item(_find(pool, spec.get("id")), spec)


def _update_order(store: SimStore, spec: dict[str, Any]) -> dict[str, Any]:
    try:
        order_id = int(spec.get("id"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise SimError(400, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.") from None
    if order_id not in store.orders:  # WooCommerce answers a batch item's unknown id with 400
        raise SimError(400, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
    return store.update_order(order_id, spec)


def _delete(store: SimStore, pool: dict[int, dict[str, Any]], ident: Any) -> dict[str, Any]:
    item = pool.pop(_find(pool, ident)["id"])
    parent = store.products.get(item.get("parent_id") or 0)
    if parent is not None and item["id"] in parent["variations"]:
        parent["variations"].remove(item["id"])
    return item


def _find(pool: dict[int, dict[str, Any]], ident: Any) -> dict[str, Any]:
    try:
        return pool[int(ident)]
    except (KeyError, TypeError, ValueError):
        raise SimError(400, "woocommerce_rest_product_invalid_id", "Invalid ID.") from None


def _try(action: Callable[[], dict[str, Any]], ident: Any) -> dict[str, Any]:
    try:
        return action()
    except SimError as exc:
        return {"id": ident or 0, "error": exc.body()}
