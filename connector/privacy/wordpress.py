"""WordPress's personal data exporter and eraser, answered by the connector (the WooCommerce plugin).

WordPress (Tools > Export / Erase Personal Data) calls every registered exporter and eraser with a
customer's e-mail address and a page number until one answers ``done``. The plugin
(extensions/woocommerce/backorder-connector) forwards those calls here, signed like its app link
request: ``X-Connector-Signature`` = base64(HMAC-SHA256(raw body, store secret)), the body JSON
{store_url, email, page, timestamp, nonce (random, optional)}. The store secret is the one the
connector holds for the store (its webhook secret). An unknown store and a bad signature get the
same refusal; a timestamp more than ``REQUEST_TTL`` off, or a request seen before (its signature is
recorded once, in app_links), is refused too.

The export walks the same registry the Shopify ``customers/data_request`` export does
(connector/privacy/registry.py), one WordPress item per row, ``PAGE_ITEMS`` items a page. Erasure is
``privacy.redact_customer``, exactly the ``customers/redact`` path.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from connector.domain.clock import utcnow
from connector.domain.errors import AppAccessRefused, CredentialsError, InvalidPayload
from connector.merchant.repository import MerchantRepository
from connector.privacy import privacy
from connector.privacy.ports import PrivacyPorts
from connector.privacy.registry import Customer
from connector.privacy.repository import PrivacyRepository
from connector.shops import normalise_store_url

log = logging.getLogger(__name__)

REQUEST_TTL = timedelta(minutes=5)
"""How far a request's timestamp may be from the connector's clock."""
NONCE_PURPOSE = "woocommerce_privacy_request"
PAGE_ITEMS = 100
"""Export items per page (WordPress asks for the next page until ``done``)."""
MAX_PAGE = 10_000
GROUP_PREFIX = "backorder-connector-"
GROUPS: dict[str, tuple[str, str]] = {
    "orders": ("Backorder connector: orders", "Orders the backorder connector recorded for this customer."),
    "order_lines": ("Backorder connector: order lines", "The lines of those orders."),
    "notify_messages": ("Backorder connector: messages", "Messages the connector sent about waiting items."),
    "dropship_orders": ("Backorder connector: drop-ship orders",
                        "Orders the connector sent to a supplier to ship, with the address."),
    "webhook_events": ("Backorder connector: store notifications",
                       "Copies of the store's order notifications the connector received."),
}
"""WordPress export groups of the tables known to hold customer data; others get a label from their name."""


@dataclass(frozen=True)
class StoreRequest:
    """A verified request of a store's plugin."""

    shop_id: int
    email: str
    page: int


def _refused() -> AppAccessRefused:
    return AppAccessRefused("signature refused", 401)


def _store_secret(container: PrivacyPorts, store_url: str) -> tuple[int, str] | None:
    with container.uow() as uow:
        shop = uow.shops.by_domain("woocommerce", store_url)
        if shop is None or shop.status != "active":
            return None
        try:
            secret = container.box.open(shop.credentials).webhook_secret
        except CredentialsError:
            return None
        return (shop.id, secret) if secret else None


def verify(container: PrivacyPorts, body: bytes, signature: str) -> StoreRequest:
    """The store, e-mail and page of a signed plugin request; AppAccessRefused (400/401) otherwise."""
    try:
        fields = json.loads(body)
        store_url = normalise_store_url(str(fields["store_url"]))
        email, stamp = str(fields["email"]).strip().lower(), float(fields["timestamp"])
        page = int(fields.get("page", 1))
    except (ValueError, KeyError, TypeError, AttributeError, InvalidPayload):
        raise AppAccessRefused("body must be JSON with store_url, email, page and timestamp", 400) from None
    if "@" not in email or not 1 <= page <= MAX_PAGE:
        raise AppAccessRefused("email must be an e-mail address and page a number from 1", 400)
    found = _store_secret(container, store_url)
    secret = found[1] if found else secrets.token_hex(16)  # the same work for an unknown store
    expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())
    if not hmac.compare_digest(expected, signature.strip().encode()) or found is None:
        log.warning("woocommerce privacy request refused", extra={"store": store_url})
        raise _refused()
    shop_id = found[0]
    now = utcnow()
    if abs(now.timestamp() - stamp) > REQUEST_TTL.total_seconds():
        raise AppAccessRefused("timestamp is more than 5 minutes off", 401)
    digest = hashlib.sha256(signature.strip().encode()).hexdigest()
    with container.uow() as uow:
        fresh = uow.repo(MerchantRepository).use_nonce(shop_id, NONCE_PURPOSE, digest, now + 2 * REQUEST_TTL, now)
        uow.commit()
    if not fresh:
        raise AppAccessRefused("this request was already answered", 401)
    return StoreRequest(shop_id, email, page)


def _text(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return str(value)


def _item(table: str, key: str, fields: dict[str, Any]) -> dict[str, Any]:
    label, description = GROUPS.get(table, (f"Backorder connector: {table.replace('_', ' ')}", ""))
    item: dict[str, Any] = {
        "group_id": GROUP_PREFIX + table.replace("_", "-"), "group_label": label,
        "item_id": f"{table}-{key}",
        "data": [{"name": name, "value": _text(value)} for name, value in fields.items()
                 if value is not None and value != ""]}
    if description:
        item["group_description"] = description
    return item


def export_items(container: PrivacyPorts, shop_id: int, email: str) -> list[dict[str, Any]]:
    """Everything the connector holds about ``email`` in this store, as WordPress exporter items, in a
    stable order (tables as listed in GROUPS, then by name; rows by id)."""
    customer = Customer(email.strip().lower(), (), "")
    with container.uow() as uow:
        store = uow.repo(PrivacyRepository)
        order_pks, backorder_pks = store.customer_keys(shop_id, customer)
        tables = store.customer_rows(shop_id, customer, order_pks, backorder_pks)
        events = [(e.id, e.topic, e.received_at, e.body) for e in privacy._raw_events(uow, shop_id, customer)]
    order = list(GROUPS) + sorted(set(tables) - set(GROUPS))
    items: list[dict[str, Any]] = []
    for table in order:
        for row in sorted(tables.get(table, []), key=lambda r: r.get("id") or 0):
            fields = {k: v for k, v in row.items() if k != "shop_id"}
            items.append(_item(table, str(row.get("id", len(items))), fields))
    for event_id, topic, received_at, body in sorted(events, key=lambda e: e[0]):
        items.append(_item("webhook_events", str(event_id),
                           {"topic": topic, "received_at": received_at, "payload": body}))
    return items


def export_page(container: PrivacyPorts, request: StoreRequest) -> dict[str, Any]:
    """WordPress's exporter answer for one page: {data: [items], done}."""
    items = export_items(container, request.shop_id, request.email)
    start = (request.page - 1) * PAGE_ITEMS
    page = items[start:start + PAGE_ITEMS]
    log.info("woocommerce privacy export page", extra={"shop_id": request.shop_id, "page": request.page,
                                                        "items": len(page)})
    return {"data": page, "done": start + PAGE_ITEMS >= len(items)}


def erase(container: PrivacyPorts, request: StoreRequest) -> dict[str, Any]:
    """WordPress's eraser answer: the customer's data erased as Shopify's customers/redact does, at once
    (every page is answered the same way; the first does the work, later ones find nothing)."""
    report = privacy.redact_customer(container, request.shop_id, Customer(request.email, (), ""))
    rows = sum(report.rows.values())
    messages = [f"Backorder connector: personal data erased from {rows} record{'s' if rows != 1 else ''}."] \
        if rows else []
    return {"items_removed": rows > 0, "items_retained": False, "messages": messages, "done": True}
