"""ShopifySimulator: a Flask app that answers like Shopify's Admin GraphQL API and sends webhooks."""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, jsonify, request
from graphql import GraphQLSchema

from sandbox.shopify_sim.access import APP_SCOPES, parse_scopes
from sandbox.shopify_sim.cost import LeakyBucket
from sandbox.shopify_sim.ext_orders_admin import set_current_quantity
from sandbox.shopify_sim.graphql_api import AdminGraphQL, build_cached_schema, subset_sdl
from sandbox.shopify_sim.store import (
    IdSequence,
    Line,
    NotFound,
    Order,
    Shop,
    SimulatorError,
    Variant,
    build_shop,
    rest_order,
)
from sandbox.shopify_sim.webhooks import Delivery, WebhookSender

log = logging.getLogger(__name__)

INVALID_TOKEN = {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}


class ShopifySimulator:
    """One or more simulated shops behind one WSGI app (``.app``)."""

    def __init__(
        self,
        config: dict[str, Any],
        *,
        webhook_url: str | None = None,
        schema_sdl: str | None = None,
        restore_rate: float = 100.0,
        bucket_size: float = 1000.0,
        schema: GraphQLSchema | None = None,
        versions: Mapping[str, GraphQLSchema | str] | None = None,
    ) -> None:
        """``versions`` maps each Admin API version the simulator serves to its schema (or SDL);
        default: ``config["api_version"]`` with ``schema`` / ``schema_sdl`` / the subset. A seeded
        shop's ``scopes`` (list or comma string) are its token's granted scopes (default: all);
        ``config["app_scopes"]`` what a token exchange (managed install) grants."""
        self.api_secret = str(config.get("api_secret") or "")
        self.api_version = str(config.get("api_version") or "2026-04")
        self.webhook_url = webhook_url
        self._ids = IdSequence()
        self._lock = threading.RLock()
        self.shops: dict[str, Shop] = {}
        self.granted: dict[str, frozenset[str] | None] = {}
        """Seeded shops' granted scopes (None: every scope)."""
        for seed in config.get("shops", []):
            shop = build_shop(seed, self._ids)
            self.shops[shop.domain] = shop
            self.granted[shop.domain] = parse_scopes(seed.get("scopes"))
        self.graphql = AdminGraphQL(
            schema or build_cached_schema(schema_sdl or subset_sdl()),
            lambda: LeakyBucket(bucket_size, restore_rate),
            on_order_changed=self._touch,
        )
        self.versions: dict[str, GraphQLSchema] = {
            version: build_cached_schema(sdl) if isinstance(sdl, str) else sdl
            for version, sdl in (versions or {self.api_version: self.graphql.schema}).items()}
        self.webhooks = WebhookSender(self.api_secret, self.api_version)
        self._failures: list[int] = []
        self.admin_calls = 0
        from sandbox.shopify_sim.oauth import OAuthServer

        for seed in config.get("shops", []):  # the merchant's brand (Storefront API shop { brand })
            if seed.get("brand"):
                self.set_brand(str(seed["domain"]), seed["brand"])
        self.oauth = OAuthServer(self, str(config.get("api_key") or "sandbox-api-key"),
                                 app_scopes=",".join(sorted(parse_scopes(config.get("app_scopes")) or APP_SCOPES)))
        self.app = self._create_app()

    # -- merchant actions -------------------------------------------------------------------------

    def shop(self, domain: str) -> Shop:
        try:
            return self.shops[domain]
        except KeyError:
            raise NotFound(f"no shop {domain!r}") from None

    def create_order(
        self,
        shop_domain: str,
        lines: Sequence[dict[str, Any]],
        email: str = "customer@example.com",
        deliver_webhook: bool = True,
        created_at: datetime | None = None,
        financial_status: str = "paid",
        note_attributes: Sequence[dict[str, str]] = (),
        max_delivery_at: datetime | None = None,
        tags: Sequence[str] = (),
        customer_locale: str | None = None,
    ) -> dict[str, Any]:
        """Place an order like a checkout would: stock goes down; orders/create is sent.
        ``tags`` are the order's tags (as a checkout app or Shopify Flow sets them, e.g. "vip").

        ``note_attributes`` are cart attributes ({name, value}) as delivery-date apps write them;
        ``max_delivery_at`` is the delivery method's promise on the order's fulfillment orders;
        ``customer_locale`` the buyer's language at checkout ("nl-NL")."""
        if not lines:
            raise SimulatorError("an order needs at least one line")
        with self._lock:
            shop = self.shop(shop_domain)
            wanted: list[tuple[Variant, int]] = []
            for raw in lines:
                variant, quantity = shop.variant(str(raw.get("sku"))), int(raw.get("quantity", 1))
                if quantity <= 0:
                    raise SimulatorError(f"sku {variant.sku}: quantity must be positive, got {quantity}")
                wanted.append((variant, quantity))
            for variant, _ in wanted:
                total = sum(q for v, q in wanted if v is variant)
                if (
                    variant.tracked
                    and variant.inventory_policy == "DENY"
                    and total > variant.inventory_quantity
                ):
                    raise SimulatorError(
                        f"sku {variant.sku}: only {variant.inventory_quantity} in stock and "
                        f"inventory_policy DENY, cannot sell {total}"
                    )
            for variant, quantity in wanted:
                if variant.tracked:
                    variant.inventory_quantity -= quantity
            now = (created_at or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
            order = Order(
                id=self._ids.next("Order"),
                number=shop.next_number,
                email=email,
                created_at=now,
                updated_at=now,
                financial_status=financial_status,
                customer_id=self._ids.next("Customer"),
                lines=[Line(self._ids.next("LineItem"), v, q,
                            properties=[{"name": str(p["name"]), "value": str(p["value"])}
                                        for p in raw.get("properties") or ()])
                       for (v, q), raw in zip(wanted, lines, strict=True)],
                note_attributes=[{"name": str(a["name"]), "value": str(a["value"])} for a in note_attributes],
                max_delivery_at=max_delivery_at,
                tags=[str(tag) for tag in tags],
                customer_locale=customer_locale,
            )
            shop.next_number += 1
            shop.orders[order.id] = order
            body = rest_order(shop, order)
        log.info("sim order %s created", order.name, extra={"shop": shop_domain, "order_id": order.id})
        if deliver_webhook:
            self._send(shop, "orders/create", body)
        return body

    def cancel_order(
        self, shop_domain: str, order_id: int | str, restock: bool = True, deliver_webhook: bool = True
    ) -> dict[str, Any]:
        with self._lock:
            shop = self.shop(shop_domain)
            order = shop.order(order_id)
            if order.cancelled_at is None:
                order.cancelled_at = self._now_after(order)
                order.updated_at = order.cancelled_at
                if restock:
                    for line in order.lines:
                        if line.variant.tracked:
                            line.variant.inventory_quantity += line.quantity - line.removed
            body = rest_order(shop, order)
        if deliver_webhook:
            self._send(shop, "orders/cancelled", body)
        return body

    def edit_order(
        self, shop_domain: str, order_id: int | str, quantities: Mapping[int | str, int], restock: bool = True,
        deliver_webhook: bool = True,
    ) -> dict[str, Any]:
        """The merchant edits the order in the admin: each line id in ``quantities`` gets that many units
        (``current_quantity``; ``quantity`` keeps the removed ones); orders/updated is sent."""
        with self._lock:
            shop = self.shop(shop_domain)
            order = shop.order(order_id)
            if order.cancelled_at is not None:
                raise SimulatorError(f"order {order.name} is cancelled and cannot be edited")
            lines = {str(line.id): line for line in order.lines}
            for line_id, quantity in quantities.items():
                if str(line_id) not in lines or int(quantity) < 0:
                    raise SimulatorError(f"order {order.name}: no line {line_id} or bad quantity {quantity}")
            for line_id, quantity in quantities.items():
                set_current_quantity(shop, order, lines[str(line_id)], int(quantity), restock=restock)
            order.updated_at = self._now_after(order)
            body = rest_order(shop, order)
        if deliver_webhook:
            self._send(shop, "orders/updated", body)
        return body

    def set_stock(self, shop_domain: str, sku: str, quantity: int) -> dict[str, Any]:
        with self._lock:
            variant = self.shop(shop_domain).variant(sku)
            variant.inventory_quantity = int(quantity)
            return self.variant(shop_domain, sku)

    def variant(self, shop_domain: str, sku: str) -> dict[str, Any]:
        with self._lock:
            return asdict(self.shop(shop_domain).variant(sku))

    def order(self, shop_domain: str, order_id: int | str) -> dict[str, Any]:
        """The order's REST JSON; ``tags`` is the comma-joined string, ``tag_list`` the list."""
        with self._lock:
            shop = self.shop(shop_domain)
            order = shop.order(order_id)
            return {**rest_order(shop, order), "tag_list": sorted(order.tags)}

    # -- webhooks and faults ----------------------------------------------------------------------

    @property
    def deliveries(self) -> list[Delivery]:
        return list(self.webhooks.deliveries)

    def redeliver(self, webhook_id: str) -> Delivery:
        try:
            return self.webhooks.redeliver(webhook_id)
        except KeyError:
            raise NotFound(f"no delivery with webhook id {webhook_id!r}") from None

    def wait_for_deliveries(self, timeout: float = 5.0, count: int | None = None) -> bool:
        return self.webhooks.wait(timeout, count)

    def inject_failures(self, count: int, status: int = 503) -> None:
        """The next ``count`` Admin API calls answer ``status`` (429 carries Retry-After)."""
        with self._lock:
            self._failures.extend([status] * count)

    def set_scopes(self, shop_domain: str, scopes: Sequence[str] | None) -> None:
        """The merchant changes a seeded shop's grant (None: every scope); tokens from OAuth keep theirs."""
        with self._lock:
            self.shop(shop_domain)
            self.granted[shop_domain] = parse_scopes(scopes)

    def set_brand(self, shop_domain: str, brand: Mapping[str, Any] | None) -> None:
        """The merchant sets the shop's brand assets (None: none): {"logo", "square_logo": https URLs,
        "primary", "secondary": colours}, served by the Storefront API (ext_storefront.py)."""
        from sandbox.shopify_sim.ext_storefront import storefront_of

        self.shop(shop_domain)
        storefront_of(self.graphql).set_brand(shop_domain, dict(brand) if brand is not None else None)

    def revoke_storefront_tokens(self, shop_domain: str) -> int:
        """The merchant deletes the app's Storefront access tokens (as an uninstall does); how many went."""
        from sandbox.shopify_sim.ext_storefront import storefront_of

        return storefront_of(self.graphql).revoke(shop_domain)

    def schema_for(self, version: str) -> tuple[str, GraphQLSchema] | None:
        """The version that answers a request for ``version`` and its schema: the version itself when
        served; a retired quarterly version falls forward to the oldest one served (as Shopify does);
        anything else (malformed, not released) has none (404)."""
        if version in self.versions:
            return version, self.versions[version]
        oldest = min(self.versions)
        if re.fullmatch(r"20\d\d-(01|04|07|10)", version) and version < oldest:
            return oldest, self.versions[oldest]
        return None

    @property
    def throttled_count(self) -> int:
        return self.graphql.throttled_count

    def _send(self, shop: Shop, topic: str, body: dict[str, Any]) -> Delivery | None:
        if not self.webhook_url:
            return None
        url = f"{self.webhook_url.rstrip('/')}/webhooks/shopify"
        return self.webhooks.send(url, topic, shop.domain, json.dumps(body).encode("utf-8"))

    def _touch(self, shop: Shop, order: Order) -> None:
        order.updated_at = self._now_after(order)

    @staticmethod
    def _now_after(order: Order) -> datetime:
        return max(datetime.now(UTC).replace(microsecond=0), order.updated_at)

    # -- HTTP -------------------------------------------------------------------------------------

    def _create_app(self) -> Flask:
        app = Flask(__name__)

        @app.post("/admin/api/<version>/graphql.json")
        def admin_graphql(
            version: str,
        ) -> Response | tuple[Response, int] | tuple[Response, int, dict[str, str]]:
            with self._lock:
                self.admin_calls += 1
                failure = self._failures.pop(0) if self._failures else None
            if failure is not None:
                headers = {"Retry-After": "0.01"} if failure == 429 else {}
                return jsonify({"errors": "Simulated failure"}), failure, headers
            served = self.schema_for(version)
            if served is None:
                return jsonify({"errors": "Not Found"}), 404
            token = request.headers.get("X-Shopify-Access-Token", "")
            shop = next((s for s in self.shops.values() if token and s.access_token == token), None)
            granted = self.granted.get(shop.domain) if shop is not None else None
            if shop is None:  # tokens issued by the OAuth flows carry the scopes granted with them
                shop = self.oauth.shop_for_token(token)
                granted = self.oauth.scopes_for_token(token)
            if shop is None:
                return jsonify(INVALID_TOKEN), 401
            body = request.get_json(silent=True)
            if not isinstance(body, dict):
                return jsonify({"errors": {"query": "Required parameter missing or invalid"}}), 400
            with self._lock:
                answer = self.graphql.handle(shop, body, granted=granted, schema=served[1])
            return jsonify(answer), 200, {"X-Shopify-API-Version": served[0]}

        @app.post("/api/<version>/graphql.json")
        def storefront_graphql(version: str) -> tuple[Response, int]:
            from sandbox.shopify_sim.ext_storefront import answer

            if self.schema_for(version) is None:
                return jsonify({"errors": "Not Found"}), 404
            return answer(self.graphql, self.shops, request.headers.get("X-Shopify-Storefront-Access-Token", ""),
                          request.get_json(silent=True))

        @app.post("/_sandbox/brand")
        def control_brand() -> Response:
            data = _json()
            brand = data.get("brand")
            if brand is not None and not isinstance(brand, dict):
                raise SimulatorError("'brand' must be an object or null")
            self.set_brand(_shop_param(data), brand)
            return jsonify({"brand": brand})

        app.register_blueprint(self.oauth.blueprint())
        from sandbox.shopify_sim.ext_inventory import control_blueprint as inventory_control

        app.register_blueprint(inventory_control(self))  # the merchant's stock changes: inventory_levels/update
        from sandbox.shopify_sim.ext_bulk import blueprint as bulk_blueprint

        app.register_blueprint(bulk_blueprint(self))  # staged uploads and bulk results (ext_bulk.py)
        from sandbox.shopify_sim.ext_install import subscriptions_of

        @app.get("/_sandbox/webhook_subscriptions")
        def control_subscriptions() -> Response:
            return jsonify(subscriptions_of(self.graphql).list(_shop_param(request.args)))

        @app.delete("/_sandbox/webhook_subscriptions/<int:subscription_id>")
        def control_remove_subscription(subscription_id: int) -> tuple[Response, int]:
            removed = subscriptions_of(self.graphql).remove(_shop_param(request.args), subscription_id)
            return jsonify({"removed": removed}), 200 if removed else 404

        @app.errorhandler(SimulatorError)
        def simulator_error(exc: SimulatorError) -> tuple[Response, int]:
            return jsonify({"error": str(exc)}), 404 if isinstance(exc, NotFound) else 400

        @app.post("/_sandbox/orders")
        def control_create_order() -> tuple[Response, int]:
            data = _json()
            order = self.create_order(
                _shop_param(data),
                data.get("lines") or [],
                email=data.get("email", "customer@example.com"),
                deliver_webhook=bool(data.get("deliver_webhook", True)),
                note_attributes=data.get("note_attributes") or (),
                max_delivery_at=_moment(data.get("max_delivery_at")),
                customer_locale=data.get("customer_locale"),
            )
            return jsonify(order), 201

        @app.post("/_sandbox/orders/<order_id>/cancel")
        def control_cancel(order_id: str) -> Response:
            data = _json()
            return jsonify(
                self.cancel_order(_shop_param(data), order_id, restock=bool(data.get("restock", True)))
            )

        @app.get("/_sandbox/orders/<order_id>")
        def control_order(order_id: str) -> Response:
            return jsonify(self.order(_shop_param(request.args), order_id))

        @app.post("/_sandbox/stock")
        def control_stock() -> Response:
            data = _json()
            return jsonify(
                self.set_stock(_shop_param(data), str(data.get("sku")), int(data.get("quantity", 0)))
            )

        @app.get("/_sandbox/deliveries")
        def control_deliveries() -> Response:
            return jsonify([_delivery_json(d) for d in self.deliveries])

        @app.post("/_sandbox/redeliver")
        def control_redeliver() -> tuple[Response, int]:
            return jsonify(_delivery_json(self.redeliver(str(_json().get("webhook_id"))))), 202

        @app.post("/_sandbox/scopes")
        def control_scopes() -> Response:
            data = _json()
            self.set_scopes(_shop_param(data), data.get("scopes"))
            granted = self.granted[_shop_param(data)]
            return jsonify({"scopes": sorted(granted) if granted is not None else None})

        @app.post("/_sandbox/failures")
        def control_failures() -> Response:
            data = _json()
            self.inject_failures(int(data.get("count", 1)), int(data.get("status", 503)))
            return jsonify({"pending_failures": len(self._failures)})

        return app


def _json() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise SimulatorError("expected a JSON object body")
    return data


def _moment(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise SimulatorError(f"max_delivery_at is not an ISO 8601 datetime: {value!r}") from None
    if moment.tzinfo is None:
        raise SimulatorError("max_delivery_at needs a UTC offset")
    return moment


def _shop_param(data: Any) -> str:
    shop = data.get("shop")
    if not shop:
        raise SimulatorError("missing 'shop' (the shop's myshopify domain)")
    return str(shop)


def _delivery_json(delivery: Delivery) -> dict[str, Any]:
    return {
        "topic": delivery.topic,
        "shop": delivery.shop_domain,
        "webhook_id": delivery.webhook_id,
        "event_id": delivery.event_id,
        "triggered_at": delivery.triggered_at,
        "url": delivery.url,
        "status_code": delivery.status_code,
        "error": delivery.error,
        "done": delivery.done,
    }
