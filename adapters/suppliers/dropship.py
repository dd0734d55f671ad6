"""DropshipSupplier adapters: a supplier's HTTP drop-ship API, or a purchase sheet (CSV) by email.

Supplier settings, key ``dropship``:
- ``{"mode": "api", "url": "https://supplier/api/dropship/orders", "auth"?: {...}}`` — auth defaults
  to the supplier's own ``auth`` and secret. Every call carries the ``Idempotency-Key`` header;
  ``find`` asks ``GET <url>?idempotency_key=K``; ``shipments`` reads ``GET <url>/<id>``.
- ``{"mode": "email", "email": "orders@supplier.example"}`` — the order goes out as a CSV purchase
  sheet attached to an email whose Message-ID is derived from the idempotency key, so a resend
  after a crash is recognisable as the same order. Shipments are entered by the merchant
  (``connector dropship ship``).
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any
from urllib.parse import urlsplit

from adapters.suppliers.transport import auth_headers, make_transport
from connector.domain.errors import (
    ConfigError,
    DeliveryError,
    DeliveryRejected,
    PlatformError,
    PlatformNotFound,
    PlatformThrottled,
    SupplierRejected,
    SupplierThrottled,
    SupplierUnavailable,
    TransientError,
)
from connector.domain.routing import DropshipRequest, Shipment, SupplierOrderStatus
from connector.domain.spreadsheet import write_sheet
from connector.ports import Mailer

log = logging.getLogger(__name__)

MODES = ("api", "email")


def _status(body: Any) -> SupplierOrderStatus:
    if not isinstance(body, Mapping) or not body.get("id"):
        raise SupplierRejected("supplier answered a drop-ship call without an order id")
    shipments = []
    for item in body.get("shipments") or []:
        shipments.append(Shipment(str(item["id"]), int(item.get("quantity") or 0), item.get("carrier"),
                                  item.get("tracking_number"), item.get("tracking_url"), item.get("shipped_at")))
    return SupplierOrderStatus(str(body["id"]), str(body.get("status") or "accepted"), tuple(shipments),
                               body.get("message") or body.get("error"))


class HttpDropshipClient:
    can_find = True

    def __init__(self, settings: Mapping[str, Any], secret: Mapping[str, Any] | None = None,
                 *, name: str = "supplier") -> None:
        options = settings.get("dropship") or {}
        url = str(options.get("url") or "")
        if urlsplit(url).scheme not in ("http", "https"):
            raise ConfigError("dropship.url", f"must be an http(s) URL, got {url!r}")
        self.url = url.rstrip("/")
        self.name = name
        auth = options.get("auth") or settings.get("auth")
        self.headers = {"Accept": "application/json", **auth_headers(auth, secret)}
        self.transport = make_transport(f"supplier {name} drop-ship", {**settings, **options})

    def _request(self, method: str, path: str = "", *, key: str | None = None, **kwargs: Any) -> Any:
        """The choke point: auth, Idempotency-Key, retries and error mapping; None on 404."""
        headers = dict(self.headers)
        if key is not None:
            headers["Idempotency-Key"] = key
        try:  # the supplier honours Idempotency-Key: a keyed write may be resent after a timeout or 5xx
            response = self.transport.request(method, self.url + path, headers=headers,
                                              resend_safe=True if key is not None else None, **kwargs)
        except PlatformNotFound:
            return None
        except PlatformThrottled as exc:
            raise SupplierThrottled(str(exc), retry_after=exc.retry_after) from None
        except PlatformError as exc:
            if isinstance(exc, TransientError):
                raise SupplierUnavailable(str(exc)) from None
            raise SupplierRejected(str(exc)) from None
        try:
            return response.json()
        except ValueError:
            raise SupplierRejected(f"supplier {self.name}: drop-ship answer is not JSON") from None

    def place(self, order: DropshipRequest, idempotency_key: str) -> SupplierOrderStatus:
        body = {"reference": order.reference,
                "lines": [{"sku": sku, "quantity": quantity} for sku, quantity in order.lines],
                "ship_to": order.ship_to.as_dict(),
                "contact": {"email": order.ship_to.email, "phone": order.ship_to.phone}}
        answer = self._request("POST", key=idempotency_key, json=body)
        if answer is None:
            raise SupplierRejected(f"supplier {self.name}: drop-ship endpoint not found")
        return _status(answer)

    def find(self, idempotency_key: str) -> SupplierOrderStatus | None:
        body = self._request("GET", key=idempotency_key, params={"idempotency_key": idempotency_key})
        return None if body is None else _status(body)

    def shipments(self, supplier_reference: str) -> SupplierOrderStatus:
        body = self._request("GET", f"/{supplier_reference}")
        if body is None:
            raise SupplierRejected(f"supplier {self.name} does not know drop-ship order {supplier_reference}")
        return _status(body)


class EmailDropshipSupplier:
    """Sends the order as a CSV purchase sheet by email (suppliers without an API)."""

    can_find = False

    def __init__(self, mailer: Mailer, *, to: str, sender: str, supplier_name: str, shop_name: str) -> None:
        if "@" not in to:
            raise ConfigError("dropship.email", f"must be an email address, got {to!r}")
        self.mailer, self.to, self.sender = mailer, to, sender
        self.supplier_name, self.shop_name = supplier_name, shop_name

    def message(self, order: DropshipRequest, idempotency_key: str) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = self.to
        message["Subject"] = f"Drop-ship purchase order {order.reference} from {self.shop_name}"
        message["Date"] = formatdate(localtime=False)
        digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
        message["Message-ID"] = f"<dropship-{digest}@backorder-connector>"
        message["X-Idempotency-Key"] = idempotency_key
        a = order.ship_to
        lines = "\n".join(f"  {quantity} x {sku}" for sku, quantity in order.lines)
        message.set_content(
            f"Hello {self.supplier_name},\n\nplease ship this order directly to our customer.\n\n"
            f"Our reference: {order.reference}\n\n{lines}\n\nShip to:\n  {a.name}\n  {a.address1 or ''}\n"
            f"  {a.zip or ''} {a.city or ''}\n  {a.country_code or ''}\n\n"
            "The attached purchase sheet (CSV) has the same content. Please reply with the carrier and\n"
            "tracking number once shipped. If you receive this order twice, it is the same order\n"
            f"(reference {order.reference}): ship it once.\n")
        message.add_attachment(purchase_sheet(order).encode("utf-8"), maintype="text", subtype="csv",
                               filename=f"purchase-order-{order.reference.replace('#', '')}.csv",
                               params={"charset": "utf-8"})  # bytes, base64: a CR inside a cell stays
        return message

    def place(self, order: DropshipRequest, idempotency_key: str) -> SupplierOrderStatus:
        try:
            message_id = self.mailer.send(self.message(order, idempotency_key))
        except DeliveryRejected as exc:
            raise SupplierRejected(f"purchase sheet refused by the mail server: {exc}") from None
        except DeliveryError as exc:  # unavailable or uncertain: retried later with the same Message-ID
            raise SupplierUnavailable(f"purchase sheet not sent: {exc}") from None
        return SupplierOrderStatus(message_id, "sent")

    def find(self, idempotency_key: str) -> SupplierOrderStatus | None:
        return None

    def shipments(self, supplier_reference: str) -> SupplierOrderStatus:
        return SupplierOrderStatus(supplier_reference, "sent")


def purchase_sheet(order: DropshipRequest) -> str:
    """The CSV purchase sheet: one row per line, with the ship-to address on every row; cells that
    begin like a formula are prefixed with ``'`` and every cell is quoted (connector/domain/spreadsheet.py)."""
    out = io.StringIO()
    columns = ["reference", "sku", "quantity", "name", "company", "address1", "address2", "city", "province",
               "zip", "country_code", "phone", "email"]
    address = order.ship_to.as_dict()
    write_sheet(out, [columns, *([order.reference, sku, quantity, *(address[c] for c in columns[3:])]
                                for sku, quantity in order.lines)])
    return out.getvalue()


def dropship_mode(settings: Mapping[str, Any]) -> str | None:
    options = settings.get("dropship")
    if not isinstance(options, Mapping):
        return None
    mode = str(options.get("mode") or "api")
    if mode not in MODES:
        raise ConfigError("dropship.mode", f"must be one of {MODES}, got {mode!r}")
    return mode
