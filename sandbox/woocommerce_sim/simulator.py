"""``WooCommerceSimulator``: stores, the REST app, webhook delivery and test helpers in one object."""

from __future__ import annotations

import copy
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask

from sandbox.woocommerce_sim.control import create_control_blueprint
from sandbox.woocommerce_sim.rest import create_blueprint
from sandbox.woocommerce_sim.state import SimError, SimStore, Webhook
from sandbox.woocommerce_sim.webhooks import Delivery, Dispatcher

log = logging.getLogger(__name__)

API_MARKER = "/wp-json/"
API_CALLS_KEPT = 10_000
"""How many REST calls ``api_calls`` remembers (the demo and benchmarks run for long)."""


class _SubfolderMiddleware:
    """Serve ``/<wordpress subfolder>/wp-json/...`` like ``/wp-json/...`` (WordPress in a subfolder)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        index = path.find(API_MARKER)
        if index > 0:
            environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + path[:index]
            environ["PATH_INFO"] = path[index:]
        return self.app(environ, start_response)


class WooCommerceSimulator:
    """Simulated WooCommerce stores behind one Flask app (``.app``), chosen by consumer key.

    ``config`` is the seed section ``{"stores": [...]}``; each store has store_url, consumer_key,
    consumer_secret, webhook_secret, webhook_id, products, and optionally ``backordered_label``
    (the translated "Backordered" line meta key), ``utc_offset_hours`` (site timezone), ``language``,
    ``keys_manage_woocommerce`` and the site's identity: ``site_name``, ``site_icon_url``,
    ``email_from_address`` (sandbox/woocommerce_sim/site.py).
    ``clock`` returns the current UTC time; tests pass a controllable one.
    """

    def __init__(self, config: dict[str, Any], *, webhook_url: str | None = None,
                 clock: Callable[[], datetime] | None = None) -> None:
        self.webhook_url = webhook_url
        self.clock = clock or (lambda: datetime.now(UTC))
        self.stores: dict[str, SimStore] = {}
        for spec in config.get("stores", []):
            store = SimStore(
                store_url=str(spec["store_url"]).rstrip("/"), consumer_key=str(spec["consumer_key"]),
                consumer_secret=str(spec["consumer_secret"]), clock=lambda: self.clock(),
                backordered_label=str(spec.get("backordered_label", "Backordered")),
                utc_offset=timedelta(hours=float(spec.get("utc_offset_hours", 0))),
                language=str(spec.get("language", "en_US")),
                keys_manage_woocommerce=bool(spec.get("keys_manage_woocommerce", True)),
                site_name=str(spec.get("site_name", "")), site_icon_url=str(spec.get("site_icon_url", "")),
                email_from_address=str(spec.get("email_from_address", "")),
            )
            store.webhooks.append(Webhook(id=int(spec.get("webhook_id", 1)),
                                          topics=frozenset({"order.created", "order.updated",
                                                            "product.updated"}),
                                          secret=str(spec.get("webhook_secret", "")), delivery_url=None))
            for product in spec.get("products", []):
                store.add_product(product)
            self.stores[store.store_url] = store
        self._failures: list[tuple[int, int | None]] = []
        self._applied_failures: list[tuple[str, int, float, bool]] = []
        self._failures_lock = threading.Lock()
        self.api_calls: deque[str] = deque(maxlen=API_CALLS_KEPT)
        """The latest REST calls received, as ``"GET /orders/5/refunds"`` (below /wp-json/wc/v3), oldest first."""
        self.dispatcher = Dispatcher(lambda: self.webhook_url)
        self.app = Flask("woocommerce_sim")
        self.app.register_blueprint(create_blueprint(self))
        self.app.register_blueprint(create_control_blueprint(self))
        from sandbox.woocommerce_sim.wc_auth import create_wc_auth_blueprint

        self.auth_callbacks: list[tuple[str, dict[str, Any]]] = []
        """Every wc-auth key delivery (callback URL, JSON body), for replay tests."""
        self.app.register_blueprint(create_wc_auth_blueprint(self))
        from sandbox.woocommerce_sim.site import IndexRead, create_site_blueprint

        self.index_reads: deque[IndexRead] = deque(maxlen=API_CALLS_KEPT)
        """Every read of the public REST index (GET /wp-json/), oldest first."""
        self.app.register_blueprint(create_site_blueprint(self))
        self.app.wsgi_app = _SubfolderMiddleware(self.app.wsgi_app)  # type: ignore[method-assign]

    # -- lookup -------------------------------------------------------------------------------

    def store(self, store_url: str) -> SimStore:
        try:
            return self.stores[store_url.rstrip("/")]
        except KeyError:
            raise SimError(404, "sandbox_unknown_store", f"No simulated store {store_url!r}.") from None

    def store_by_key(self, consumer_key: str) -> SimStore | None:
        for store in self.stores.values():
            if store.secret_for(consumer_key) is not None:
                return store
        return None

    def revoke_keys(self, store_url: str) -> None:
        """The merchant deletes every API key of the store (the seeded one included): REST answers 401."""
        store = self.store(store_url)
        with store.lock:
            store.api_keys.clear()
            store.consumer_key = store.consumer_secret = "revoked-" + str(id(store))

    def webhook(self, store_url: str, hook_id: int) -> Webhook:
        store = self.store(store_url)
        with store.lock:
            return next(h for h in store.webhooks if h.id == hook_id)

    def delete_webhook(self, store_url: str, hook_id: int) -> None:
        store = self.store(store_url)
        with store.lock:
            store.webhooks[:] = [h for h in store.webhooks if h.id != hook_id]

    # -- orders -------------------------------------------------------------------------------

    def create_order(self, store_url: str, lines: list[dict[str, Any]], email: str = "customer@example.com",
                     deliver_webhook: bool = True, meta_data: list[dict[str, Any]] | None = None,
                     ) -> dict[str, Any]:
        """Place an order as the storefront checkout would; returns the order JSON (a copy).
        ``meta_data`` is order meta saved by checkout plugins (e.g. a delivery date)."""
        store = self.store(store_url)
        with store.lock:
            order = store.create_order(lines, email, meta_data=meta_data)
            snapshot = copy.deepcopy(order)
        if deliver_webhook:
            self.dispatcher.enqueue(store, "order.created", order["id"])
        return snapshot

    def update_order(self, store_url: str, order_id: int, changes: dict[str, Any],
                     deliver_webhook: bool = True) -> dict[str, Any]:
        """Change an order as the admin screen would (status, meta_data) and send order.updated."""
        store = self.store(store_url)
        with store.lock:
            order = copy.deepcopy(store.update_order(int(order_id), changes))
        if deliver_webhook:
            self.dispatcher.enqueue(store, "order.updated", int(order_id))
        return order

    def cancel_order(self, store_url: str, order_id: int, deliver_webhook: bool = True) -> dict[str, Any]:
        """Cancel: restocks managed products and sends order.updated."""
        return self.update_order(store_url, order_id, {"status": "cancelled"}, deliver_webhook)

    def refund_order(self, store_url: str, order_id: int, quantities: Mapping[int | str, int], *,
                     restock: bool = True, reason: str = "", deliver_webhook: bool = True) -> dict[str, Any]:
        """The merchant refunds units of lines in wp-admin (line id -> units, at the line's price);
        the lines keep their quantity, the refund records the units. Returns the refund."""
        from sandbox.woocommerce_sim.orders_admin import create_refund

        store = self.store(store_url)
        with store.lock:
            order = store.order(int(order_id))
            prices = {str(line["id"]): float(line.get("price") or 0) for line in order["line_items"]}
            lines = [{"id": int(line_id), "quantity": int(units),
                      "refund_total": round(prices.get(str(line_id), 0.0) * int(units), 2)}
                     for line_id, units in quantities.items()]
            refund = copy.deepcopy(create_refund(store, int(order_id), {
                "reason": reason, "line_items": lines, "api_refund": False, "api_restock": restock}))
        if deliver_webhook:
            self.dispatcher.enqueue(store, "order.updated", int(order_id))
        return refund

    def order(self, store_url: str, order_id: int) -> dict[str, Any]:
        """The order JSON plus ``notes`` (oldest first), as a copy."""
        store = self.store(store_url)
        with store.lock:
            order = copy.deepcopy(store.order(int(order_id)))
            order["notes"] = copy.deepcopy(store.notes[int(order_id)])
        return order

    def pay_order(self, store_url: str, order_id: int, gateway: str = "stripe", *,
                  authorise_only: bool = True) -> dict[str, Any]:
        """Checkout paid the order with ``gateway`` (stripe | woocommerce_payments): only authorised, to be
        captured when the status moves on, or captured at once (sandbox/woocommerce_sim/payments.py)."""
        from sandbox.woocommerce_sim.payments import pay

        store = self.store(store_url)
        with store.lock:
            return copy.deepcopy(pay(store, int(order_id), gateway, authorise_only=authorise_only))

    def gateway_captures(self, store_url: str) -> list[dict[str, Any]]:
        """Every capture the store's gateways made, oldest first (a copy)."""
        from sandbox.woocommerce_sim.payments import captures

        store = self.store(store_url)
        with store.lock:
            return copy.deepcopy(captures(store))

    # -- catalog ------------------------------------------------------------------------------

    def product(self, store_url: str, sku: str) -> dict[str, Any]:
        store = self.store(store_url)
        with store.lock:
            return copy.deepcopy(store.by_sku(sku))

    def set_stock(self, store_url: str, sku: str, quantity: int) -> dict[str, Any]:
        store = self.store(store_url)
        with store.lock:
            item = store.by_sku(sku)
            store.set_quantity(item, int(quantity))
            return copy.deepcopy(item)

    def update_stock(self, store_url: str, sku: str, quantity: int, deliver_webhook: bool = True) -> dict[str, Any]:
        """The merchant edits a product's (or variation's) stock in the admin: it is saved, so
        product.updated is sent with its REST JSON (built at delivery). ``set_stock`` changes it quietly."""
        store = self.store(store_url)
        with store.lock:
            item = store.by_sku(sku)
            store.set_quantity(item, int(quantity))
            snapshot = copy.deepcopy(item)
        if deliver_webhook:
            self.dispatcher.enqueue(store, "product.updated", int(snapshot["id"]))
        return snapshot

    # -- webhooks -----------------------------------------------------------------------------

    @property
    def deliveries(self) -> list[Delivery]:
        return list(self.dispatcher.deliveries)

    def wait_for_deliveries(self, timeout: float = 5.0, count: int | None = None) -> list[Delivery]:
        """Wait until no delivery is queued or in flight (and at least ``count`` were logged)."""
        deadline = time.monotonic() + timeout
        if not self.dispatcher.wait(timeout):
            raise TimeoutError(f"webhook deliveries still pending after {timeout}s")
        while count is not None and len(self.dispatcher.deliveries) < count:
            if time.monotonic() > deadline:
                logged = len(self.dispatcher.deliveries)
                raise TimeoutError(f"{logged} of {count} deliveries after {timeout}s")
            time.sleep(0.01)
        return self.deliveries

    def ping(self, store_url: str) -> Delivery:
        """Send the form-encoded activation ping of the store's seeded webhook."""
        store = self.store(store_url)
        return self.dispatcher.ping(store, store.webhooks[0])

    # -- faults -------------------------------------------------------------------------------

    def inject_failures(self, count: int, status: int = 503, retry_after: int | None = None) -> None:
        """The next ``count`` REST calls answer ``status``; a 429 carries Retry-After (default 1)."""
        if status == 429 and retry_after is None:
            retry_after = 1
        with self._failures_lock:
            self._failures.extend([(status, retry_after)] * count)

    def inject_applied_failures(self, count: int, call: str = "POST ", *, status: int = 504,
                                hang_seconds: float = 0.0, applied: bool = True) -> None:
        """The next ``count`` REST calls starting with ``call`` (e.g. ``"POST /orders/5/refunds"``) are
        APPLIED and then fail: after waiting ``hang_seconds`` (longer than the client's timeout makes it
        a timeout), the answer is ``status`` (a gateway's 504) instead of the real one; what a client
        cannot tell apart from a write that never happened. ``applied=False`` fails them before they
        are applied (the other case the client cannot tell apart)."""
        with self._failures_lock:
            self._applied_failures.extend([(call, status, hang_seconds, applied)] * count)

    def take_applied_failure(self, call: str, *, applied: bool = True) -> tuple[int, float] | None:
        """The failed answer ``call`` is to get after (``applied``) or instead of being applied, if queued."""
        with self._failures_lock:
            for index, (prefix, status, hang, when) in enumerate(self._applied_failures):
                if when == applied and call.startswith(prefix):
                    del self._applied_failures[index]
                    return status, hang
        return None

    def take_injected_failure(self, call: str | None = None) -> tuple[int, int | None] | None:
        """Log one REST call (``call``) and take the failure it is to answer, if one is queued."""
        with self._failures_lock:
            if call is not None:
                self.api_calls.append(call)
            return self._failures.pop(0) if self._failures else None
