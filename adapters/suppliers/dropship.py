"""DropshipSupplier adapters: a supplier's HTTP drop-ship API, or a purchase sheet (CSV) by email.

Supplier settings, key ``dropship``:
- ``{"mode": "api", "url": "https://supplier/api/dropship/orders", "auth"?: {...}}`` — auth defaults
  to the supplier's own ``auth`` and secret. Every call carries the ``Idempotency-Key`` header;
  ``find`` asks ``GET <url>?idempotency_key=K``; ``shipments`` reads ``GET <url>/<id>``.
- ``{"mode": "email", "email": "orders@supplier.example"}`` — the order goes out as a CSV purchase
  sheet attached to an email whose Message-ID is derived from the idempotency key, so a resend
  after a crash is recognisable as the same order. The body (templates/dropship_purchase_sheet.*,
  text and HTML) names the shop and carries the complete ship-to address field by field, as the
  sheet has it, so a supplier working from the body ships to the same place; Reply-To is the
  merchant's support address, so tracking replies reach the shop. Shipments are entered by the
  merchant (``connector dropship ship``).
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formataddr, formatdate
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from adapters.suppliers.order_api import SupplierOrderApi
from connector.domain.errors import (
    ConfigError,
    DeliveryError,
    DeliveryRejected,
    SupplierRejected,
    SupplierUnavailable,
)
from connector.domain.routing import DropshipRequest, Shipment, SupplierOrderStatus
from connector.domain.spreadsheet import write_sheet
from connector.ports import Mailer

log = logging.getLogger(__name__)

MODES = ("api", "email")

TEMPLATES = Path(__file__).resolve().parent / "templates"

ADDRESS_LABELS = (("name", "Name"), ("company", "Company"), ("address1", "Address"), ("address2", "Address 2"),
                  ("city", "City"), ("province", "Region"), ("zip", "Postcode"), ("country_code", "Country"),
                  ("phone", "Phone"), ("email", "E-mail"))
"""The ship-to fields in the purchase sheet's column order, with the label the e-mail body gives them."""


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]),
                       trim_blocks=True, lstrip_blocks=True, undefined=StrictUndefined)


def _one_line(value: str) -> str:
    """A header value on one line: a store's text cannot start another header."""
    return " ".join(value.split())


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
        auth = (settings.get("dropship") or {}).get("auth") or settings.get("auth")
        self.api = SupplierOrderApi(settings, secret, section="dropship", auth=auth, name=name, what="drop-ship",
                                    transport_name="drop-ship")
        self.name = name

    def place(self, order: DropshipRequest, idempotency_key: str) -> SupplierOrderStatus:
        body = {"reference": order.reference,
                "lines": [{"sku": sku, "quantity": quantity} for sku, quantity in order.lines],
                "ship_to": order.ship_to.as_dict(),
                "contact": {"email": order.ship_to.email, "phone": order.ship_to.phone}}
        answer = self.api.request("POST", key=idempotency_key, json=body)
        if answer is None:
            raise SupplierRejected(f"supplier {self.name}: drop-ship endpoint not found")
        return _status(answer)

    def find(self, idempotency_key: str) -> SupplierOrderStatus | None:
        body = self.api.request("GET", key=idempotency_key, params={"idempotency_key": idempotency_key})
        return None if body is None else _status(body)

    def shipments(self, supplier_reference: str) -> SupplierOrderStatus:
        body = self.api.request("GET", f"/{supplier_reference}")
        if body is None:
            raise SupplierRejected(f"supplier {self.name} does not know drop-ship order {supplier_reference}")
        return _status(body)


class EmailDropshipSupplier:
    """Sends the order as a CSV purchase sheet by email (suppliers without an API)."""

    can_find = False

    def __init__(self, mailer: Mailer, *, to: str, sender: str, supplier_name: str, shop_name: str,
                 reply_to: str | None = None) -> None:
        if "@" not in to:
            raise ConfigError("dropship.email", f"must be an email address, got {to!r}")
        if reply_to is not None and ("@" not in reply_to or _one_line(reply_to) != reply_to or " " in reply_to):
            raise ConfigError("notify.support_email", f"must be an email address, got {reply_to!r}")
        self.mailer, self.to, self.sender = mailer, to, sender
        self.supplier_name, self.shop_name, self.reply_to = supplier_name, shop_name, reply_to or None

    def render(self, order: DropshipRequest) -> tuple[str, str, str]:
        """(subject, text, html) of the purchase sheet e-mail for ``order``."""
        subject = _one_line(f"Drop-ship purchase order {order.reference} from {self.shop_name}")
        fields = order.ship_to.as_dict()
        context = {"subject": subject, "supplier_name": self.supplier_name, "shop_name": self.shop_name,
                   "reference": order.reference, "lines": order.lines, "reply_to": self.reply_to,
                   "address": [(label, str(fields[key])) for key, label in ADDRESS_LABELS
                               if fields[key] not in (None, "")]}
        env = _environment()
        return (subject, env.get_template("dropship_purchase_sheet.txt").render(context),
                env.get_template("dropship_purchase_sheet.html").render(context))

    def message(self, order: DropshipRequest, idempotency_key: str) -> EmailMessage:
        subject, text, html = self.render(order)
        message = EmailMessage()
        message["From"] = formataddr((_one_line(self.shop_name), self.sender)) if self.shop_name.strip() \
            else self.sender
        message["To"] = self.to
        if self.reply_to:
            message["Reply-To"] = self.reply_to
        message["Subject"] = subject
        message["Date"] = formatdate(localtime=False)
        digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
        message["Message-ID"] = f"<dropship-{digest}@backorder-connector>"
        message["X-Idempotency-Key"] = idempotency_key
        message.set_content(text)
        message.add_alternative(html, subtype="html")
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
