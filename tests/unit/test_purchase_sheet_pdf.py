"""The PDF purchase sheet: what a supplier reads in it (text extracted with pypdf), and the e-mail that
carries it instead of the CSV one when the supplier's terms say ``sheet_format: pdf``."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from email.message import EmailMessage

import pytest
from pypdf import PdfReader

from adapters.suppliers.purchase_orders import EmailPurchaseOrderSupplier
from adapters.suppliers.purchase_sheet_pdf import purchase_sheet_pdf
from connector.domain.errors import ConfigError
from connector.domain.purchasing import PurchaseOrderLineRequest, PurchaseOrderRequest, purchase_message_id

ORDER = PurchaseOrderRequest(
    "PO-41",
    (PurchaseOrderLineRequest("SOCKS-M", "AC-SOCK-M", 24, Decimal("2.50"), "Wool socks – M"),
     PurchaseOrderLineRequest("HAT-1", "=HYPERLINK(\"x\")", 6, Decimal("7.25"), "Bobble hat 帽")),
    "EUR", buyer="Sock Shop", ordered_on=date(2026, 12, 2), expected_date=date(2026, 12, 14))


def text_of(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_the_pdf_sheet_shows_the_shop_reference_supplier_dates_every_line_and_the_totals():
    text = text_of(purchase_sheet_pdf(ORDER, supplier="Acme Hosiery"))
    lines = text.splitlines()
    assert "Purchase order PO-41" in lines
    assert "From Sock Shop" in lines and "To Acme Hosiery" in lines and "Our reference PO-41" in lines
    assert "Date 2026-12-02" in lines and "Expected delivery 2026-12-14" in lines
    assert "SKU Supplier SKU Title Quantity Unit cost Line total" in lines
    # 24 x 2.50 = 60.00; 6 x 7.25 = 43.50; 30 units worth 103.50
    assert "SOCKS-M AC-SOCK-M Wool socks – M 24 2.50 60.00" in lines
    assert "HAT-1 =HYPERLINK(\"x\") Bobble hat ? 6 7.25 43.50" in lines  # drawn as text; no CJK font: '?'
    assert "Total units 30" in lines and "Total value 103.50 EUR" in lines


def test_a_line_without_a_known_cost_leaves_the_totals_value_unknown_and_dates_unknown_say_so():
    order = PurchaseOrderRequest("PO-2", (PurchaseOrderLineRequest("A", "A", 3, None),), None, buyer="shop.example")
    lines = text_of(purchase_sheet_pdf(order, supplier="S")).splitlines()
    assert "A A - 3 - -" in lines
    assert "Total units 3" in lines and "Total value -" in lines and "Expected delivery not known" in lines


def test_a_long_order_runs_over_pages_with_every_line_on_one_of_them():
    order = PurchaseOrderRequest("PO-3", tuple(PurchaseOrderLineRequest(f"SKU-{n:03}", f"S-{n:03}", n, Decimal("1.00"))
                                               for n in range(1, 121)), "USD")
    data = purchase_sheet_pdf(order, supplier="S")
    assert len(PdfReader(io.BytesIO(data)).pages) > 1
    text = text_of(data)
    assert all(f"SKU-{n:03} S-{n:03} - {n} 1.00 {n}.00" in text for n in range(1, 121))
    assert "Total units 7260" in text and "Total value 7260.00 USD" in text


class SentMail:
    """A Mailer that keeps what it is given (the SMTP route is tested over the real sink in integration)."""

    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []

    def send(self, message: EmailMessage) -> str:
        self.sent.append(message)
        return str(message["Message-ID"])


def test_a_pdf_supplier_gets_the_pdf_attached_with_the_orders_message_id_and_no_csv():
    mailer = SentMail()
    supplier = EmailPurchaseOrderSupplier(mailer, to="po@acme.example", sender="shop@example.com",
                                          supplier_name="Acme Hosiery", sheet_format="pdf")
    answer = supplier.send(ORDER, "po-1-key")
    [message] = mailer.sent
    assert answer.reference == message["Message-ID"] == purchase_message_id("po-1-key")
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf" and attachment.get_filename() == "PO-41.pdf"
    assert "SOCKS-M AC-SOCK-M Wool socks – M 24 2.50 60.00" in text_of(attachment.get_content())
    assert "purchase sheet (PDF)" in message.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def test_an_unknown_sheet_format_is_a_configuration_error():
    with pytest.raises(ConfigError, match="sheet_format"):
        EmailPurchaseOrderSupplier(SentMail(), to="po@acme.example", sender="s@example.com", supplier_name="A",
                                   sheet_format="xlsx")
