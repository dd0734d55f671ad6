"""PurchaseOrderSupplier adapters: a supplier's HTTP purchase-order API, or a purchase sheet by e-mail.

The supplier's purchasing terms (settings key ``purchasing``, connector/purchasing/terms.py) say which:
- ``channel: api``, ``url: https://supplier/api/purchase-orders`` — auth is the supplier's own
  ``auth`` and secret. ``POST <url>`` carries ``Idempotency-Key`` (the order's stored key; the
  transport may resend it after a timeout or 5xx, the supplier answering the same order); ``find``
  asks ``GET <url>?idempotency_key=K``; ``status`` reads ``GET <url>/<id>``. Answers:
  ``{id, status, expected_date?, lines: [{sku, quantity, delivered?}], message?}``.
- ``channel: email``, ``email: po@supplier`` — the order goes out as a CSV purchase sheet
  (formula-safe cells, connector/domain/spreadsheet.py), or with ``sheet_format: pdf`` a PDF one
  (adapters/suppliers/purchase_sheet_pdf.py), attached to an e-mail whose Message-ID is
  derived from the key (connector/domain/purchasing.py ``purchase_message_id``), stored by the
  service before the send. An interrupted SMTP call raises SupplierSendUncertain: never resent blindly.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Mapping
from datetime import date
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

from adapters.suppliers.order_api import SupplierOrderApi
from adapters.suppliers.purchase_sheet_pdf import purchase_sheet_pdf
from connector.domain.errors import (
    ConfigError,
    DeliveryError,
    DeliveryRejected,
    DeliveryUncertain,
    SupplierRejected,
    SupplierSendUncertain,
    SupplierUnavailable,
)
from connector.domain.purchasing import SHEET_FORMATS, PurchaseOrderAnswer, PurchaseOrderRequest, purchase_message_id
from connector.domain.spreadsheet import write_sheet
from connector.ports import Mailer

log = logging.getLogger(__name__)


def _answer(body: Any) -> PurchaseOrderAnswer:
    if not isinstance(body, Mapping) or not body.get("id"):
        raise SupplierRejected("supplier answered a purchase-order call without an order id")
    expected = None
    if body.get("expected_date"):
        try:
            expected = date.fromisoformat(str(body["expected_date"])[:10])
        except ValueError:
            log.warning("supplier sent an unreadable expected date", extra={"value": str(body["expected_date"])[:40]})
    delivered: dict[str, int] = {}
    for line in body.get("lines") or []:
        if isinstance(line, Mapping) and line.get("sku") is not None:
            try:
                delivered[str(line["sku"])] = max(0, int(line.get("delivered") or 0))
            except (TypeError, ValueError):
                raise SupplierRejected(f"supplier sent a bad delivered quantity for {line.get('sku')}") from None
    return PurchaseOrderAnswer(str(body["id"]), str(body.get("status") or "accepted"), expected, delivered,
                               body.get("message") or body.get("error"))


class HttpPurchaseOrderClient:
    can_find = True

    def __init__(self, settings: Mapping[str, Any], secret: Mapping[str, Any] | None = None,
                 *, name: str = "supplier") -> None:
        self.api = SupplierOrderApi(settings, secret, section="purchasing", auth=settings.get("auth"), name=name,
                                    what="purchase-order", transport_name="purchase orders")
        self.name = name

    def send(self, order: PurchaseOrderRequest, idempotency_key: str) -> PurchaseOrderAnswer:
        body = {"reference": order.reference, "currency": order.currency, "buyer": order.buyer,
                "lines": [{"sku": line.sku, "supplier_sku": line.supplier_sku, "quantity": line.quantity,
                           "unit_cost": None if line.unit_cost is None else str(line.unit_cost)}
                          for line in order.lines]}
        answer = self.api.request("POST", key=idempotency_key, json=body)
        if answer is None:
            raise SupplierRejected(f"supplier {self.name}: purchase-order endpoint not found")
        return _answer(answer)

    def find(self, idempotency_key: str) -> PurchaseOrderAnswer | None:
        body = self.api.request("GET", params={"idempotency_key": idempotency_key})
        return None if body is None else _answer(body)

    def status(self, supplier_reference: str) -> PurchaseOrderAnswer:
        body = self.api.request("GET", f"/{supplier_reference}")
        if body is None:
            raise SupplierRejected(f"supplier {self.name} does not know purchase order {supplier_reference}")
        return _answer(body)


class EmailPurchaseOrderSupplier:
    """Sends the order as a purchase sheet (CSV, or PDF: ``sheet_format``) by e-mail (suppliers without an API)."""

    can_find = False

    def __init__(self, mailer: Mailer, *, to: str, sender: str, supplier_name: str, sheet_format: str = "csv") -> None:
        if "@" not in to:
            raise ConfigError("purchasing.email", f"must be an e-mail address, got {to!r}")
        if sheet_format not in SHEET_FORMATS:
            raise ConfigError("purchasing.sheet_format", f"must be one of {SHEET_FORMATS}, got {sheet_format!r}")
        self.mailer, self.to, self.sender, self.supplier_name = mailer, to, sender, supplier_name
        self.sheet_format = sheet_format

    def message(self, order: PurchaseOrderRequest, idempotency_key: str) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = self.to
        message["Subject"] = f"Purchase order {order.reference}" + (f" from {order.buyer}" if order.buyer else "")
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = purchase_message_id(idempotency_key)
        message["X-Idempotency-Key"] = idempotency_key
        lines = "\n".join(f"  {line.quantity} x {line.supplier_sku}" + (f" (our SKU {line.sku})"
                                                                        if line.sku != line.supplier_sku else "")
                          for line in order.lines)
        message.set_content(
            f"Hello {self.supplier_name},\n\nplease supply this purchase order.\n\nOur reference: "
            f"{order.reference}\n\n{lines}\n\nThe attached purchase sheet ({self.sheet_format.upper()}) has the "
            "same content. Please reply with your order number and\ndelivery date. If you receive this order twice, "
            f"it is the same order (reference {order.reference}):\nsupply it once.\n")
        if self.sheet_format == "pdf":
            message.add_attachment(purchase_sheet_pdf(order, supplier=self.supplier_name), maintype="application",
                                   subtype="pdf", filename=f"{order.reference}.pdf")
        else:
            message.add_attachment(purchase_sheet(order).encode("utf-8"), maintype="text", subtype="csv",
                                   filename=f"{order.reference}.csv", params={"charset": "utf-8"})
        return message

    def send(self, order: PurchaseOrderRequest, idempotency_key: str) -> PurchaseOrderAnswer:
        try:
            message_id = self.mailer.send(self.message(order, idempotency_key))
        except DeliveryRejected as exc:
            raise SupplierRejected(f"purchase sheet refused by the mail server: {exc}") from None
        except DeliveryUncertain as exc:
            raise SupplierSendUncertain(f"purchase sheet may have been sent: {exc}") from None
        except DeliveryError as exc:  # unavailable: certainly not sent; retried later with the same Message-ID
            raise SupplierUnavailable(f"purchase sheet not sent: {exc}") from None
        return PurchaseOrderAnswer(message_id, "sent")

    def find(self, idempotency_key: str) -> PurchaseOrderAnswer | None:
        return None

    def status(self, supplier_reference: str) -> PurchaseOrderAnswer:
        return PurchaseOrderAnswer(supplier_reference, "sent")


def purchase_sheet(order: PurchaseOrderRequest) -> str:
    """The CSV purchase sheet: one row per line; every cell quoted and formula-safe."""
    out = io.StringIO()
    write_sheet(out, [["reference", "supplier_sku", "sku", "quantity", "unit_cost", "currency"],
                      *([order.reference, line.supplier_sku, line.sku, line.quantity,
                         "" if line.unit_cost is None else line.unit_cost, order.currency or ""]
                        for line in order.lines)])
    return out.getvalue()
