"""The drop-ship purchase sheet e-mailed to a supplier (real SMTP server on loopback) cannot carry a
formula: every cell a customer or the store controls that begins with = + - @ tab or CR arrives
prefixed with a single quote (OWASP's rule), and ordinary cells arrive unchanged."""

from __future__ import annotations

import csv
import io

from adapters.notify.smtp import SmtpMailer
from adapters.suppliers.dropship import EmailDropshipSupplier
from connector.domain.routing import Address, DropshipRequest
from sandbox.smtp_sink import SmtpSink

ATTACKS = ['=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(1)", "\tx", "\rx"]
SUPPLIER = "orders@supplier.example"


def sent_sheet(order: DropshipRequest) -> list[list[str]]:
    with SmtpSink() as sink:
        mailer = SmtpMailer(sink.host, sink.port, timeout=5)
        supplier = EmailDropshipSupplier(mailer, to=SUPPLIER, sender="shop@example.com", supplier_name="Acme",
                                         shop_name="Socks & Co")
        supplier.place(order, "dropship:1:key")
        [mail] = sink.to(SUPPLIER)
    [attachment] = list(mail.message.iter_attachments())
    assert attachment.get_content_type() == "text/csv" and attachment.get_content_charset() == "utf-8"
    return list(csv.reader(io.StringIO(attachment.get_content(), newline="")))


def test_every_cell_that_begins_like_a_formula_arrives_prefixed_with_a_single_quote() -> None:
    for attack in ATTACKS:
        reference = "#1001-1" if "\r" in attack else attack  # CR in a Subject header is item 11's (sanitised there)
        order = DropshipRequest(reference, ((attack, 1), ("SOCKS-M", 2)), Address(
            name=attack, company=attack, address1=attack, address2=attack, city=attack, province=attack,
            zip=attack, country_code=attack, phone=attack, email=attack))

        header, *rows = sent_sheet(order)

        assert header[:3] == ["reference", "sku", "quantity"] and len(rows) == 2
        for row in rows:
            cells = [cell for column, cell in zip(header, row, strict=True) if column != "quantity"]
            cells = [cell for cell in cells if cell not in ("SOCKS-M", "#1001-1")]
            assert cells and all(cell == "'" + attack for cell in cells), (attack, row)


def test_ordinary_cells_arrive_unchanged_and_a_phone_number_with_a_plus_is_prefixed_by_the_same_rule() -> None:
    order = DropshipRequest("#1001-1", (("SOCKS-M", 3),), Address(
        name='Zoë "Z" Smith', company=None, address1="Chestnut Street 92, flat 3", city="Louisville",
        zip="40202", country_code="US", province="Kentucky", phone="+1(502)-459-2181",
        email="customer@example.com"))

    header, row = sent_sheet(order)

    assert dict(zip(header, row, strict=True)) == {
        "reference": "#1001-1", "sku": "SOCKS-M", "quantity": "3", "name": 'Zoë "Z" Smith', "company": "",
        "address1": "Chestnut Street 92, flat 3", "address2": "", "city": "Louisville", "province": "Kentucky",
        "zip": "40202", "country_code": "US", "phone": "'+1(502)-459-2181", "email": "customer@example.com"}
