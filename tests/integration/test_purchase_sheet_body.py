"""The drop-ship purchase sheet e-mail (issue 18, "Wrong today"): a supplier working from the body ships to
the same address as the attached CSV, sees which shop it comes from, and replies to the merchant.

Sent through a real SMTP server on loopback; on the job path through the sandbox stack and the container."""

from __future__ import annotations

import csv
import io
import json
from email.message import EmailMessage

import pytest
from markupsafe import escape
from sqlalchemy import update

from adapters.notify.smtp import SmtpMailer
from adapters.suppliers.dropship import EmailDropshipSupplier
from connector.domain.routing import Address, DropshipRequest
from connector.domain.spreadsheet import FORMULA_STARTS
from connector.dropship.models import DropshipOrder
from connector.dropship.routing import route_shop
from connector.shop_settings import set_setting
from jobs.dropship import place_dropship_order, store_for
from sandbox.smtp_sink import SmtpSink
from sandbox.stack import start_stack
from tests.support.dropship_support import add_dropship_supplier, dropship_orders, enable, restock_in, shop, terms

SUPPLIER = "orders@supplier.example"
SHOP_NAME = "Tea & Leaf <Amsterdam> Co."
FULL_ADDRESS = Address(
    name="Maximiliaan van den Berg-O'Sullivan & Zoë <Junior>", company="Koffie & Thee <Groothandel> B.V.",
    address1="Keizersgracht 123", address2="Flat 3, back entrance", city="Amsterdam", province="Noord-Holland",
    zip="1015 CJ", country_code="NL", phone="+31 20 123 4567", email="maximiliaan@example.nl")
THREE_LINES = (("TEA-DJ-100", 1), ("TEA-SENCHA-50", 2), ("MUG-<WHITE>&BLUE", 3))
ADDRESS_COLUMNS = ("name", "company", "address1", "address2", "city", "province", "zip", "country_code", "phone",
                   "email")


def parts(message: EmailMessage) -> tuple[str, str, list[dict[str, str]]]:
    """(text body, HTML body, the attached CSV's rows)."""
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None, "the purchase sheet has a text and an HTML part"
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "text/csv"
    rows = list(csv.DictReader(io.StringIO(attachment.get_content(), newline="")))
    return text.get_content(), html.get_content(), rows


def as_typed(cell: str) -> str:
    """A CSV cell as the customer typed it: the sheet prefixes formula-like cells with ``'``."""
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS) else cell


def assert_body_carries_the_sheet(message: EmailMessage) -> list[dict[str, str]]:
    text, html, rows = parts(message)
    assert rows, "the sheet has rows"
    for row in rows:
        for column in ADDRESS_COLUMNS:
            value = as_typed(row[column])
            if value:
                assert value in text, (column, value)
                assert str(escape(value)) in html, (column, value)
        assert row["sku"] in text and str(escape(row["sku"])) in html
        assert f"{row['quantity']} x {row['sku']}" in text
    return rows


def sent(order: DropshipRequest, *, shop_name: str = SHOP_NAME, reply_to: str | None = "help@tea.example"
         ) -> EmailMessage:
    with SmtpSink() as sink:
        supplier = EmailDropshipSupplier(SmtpMailer(sink.host, sink.port, timeout=5), to=SUPPLIER,
                                         sender="backorders@deployment.example", supplier_name="Acme & Sons",
                                         shop_name=shop_name, reply_to=reply_to)
        supplier.place(order, "dropship:1:key")
        [mail] = sink.to(SUPPLIER)
    return mail.message


def test_the_body_carries_every_address_field_of_the_attached_sheet_in_text_and_html() -> None:
    message = sent(DropshipRequest("#1001-2", THREE_LINES, FULL_ADDRESS))

    rows = assert_body_carries_the_sheet(message)

    assert len(rows) == 3 and {row["address2"] for row in rows} == {"Flat 3, back entrance"}
    text, html, _ = parts(message)
    assert "Address 2: Flat 3, back entrance" in text
    assert "<Junior>" not in html and "&lt;Junior&gt;" in html  # the store's text is escaped in HTML


def test_every_column_of_the_sheet_is_compared_and_each_field_sits_in_the_body_under_its_own_label() -> None:
    """Field by field: the CSV's columns are the line's (reference, sku, quantity) and the address fields this
    module checks, none left out (a new column fails here until the body carries it); the full address fills
    every one of them, and each value stands on exactly one labelled line of the text, and in the HTML."""
    message = sent(DropshipRequest("#1001-2", THREE_LINES, FULL_ADDRESS))
    text, html, rows = parts(message)

    assert tuple(rows[0]) == ("reference", "sku", "quantity", *ADDRESS_COLUMNS)
    assert all(FULL_ADDRESS.as_dict()[column] for column in ADDRESS_COLUMNS)  # no field skipped as empty
    for row in rows:
        assert row["reference"] == "#1001-2" and as_typed(row["reference"]) in text
        assert {column: as_typed(row[column]) for column in ADDRESS_COLUMNS} == FULL_ADDRESS.as_dict()
    lines = text.splitlines()
    for column in ADDRESS_COLUMNS:
        value = FULL_ADDRESS.as_dict()[column]
        assert value is not None
        [line] = [line for line in lines if line.rstrip().endswith(value) and ":" in line]  # one labelled line
        assert line.split(":", 1)[0].strip(), (column, line)
        assert str(escape(value)) in html, column


def test_the_shop_is_named_in_subject_body_and_sender_and_replies_go_to_the_merchant() -> None:
    message = sent(DropshipRequest("#1001-2", THREE_LINES, FULL_ADDRESS))

    assert message["Subject"] == f"Drop-ship purchase order #1001-2 from {SHOP_NAME}"
    assert message["Reply-To"] == "help@tea.example"
    assert message["From"].addresses[0].display_name == SHOP_NAME
    assert message["From"].addresses[0].addr_spec == "backorders@deployment.example"
    text, html, _ = parts(message)
    assert f"this order from {SHOP_NAME} directly" in text and f"reaches {SHOP_NAME} at help@tea.example" in text
    assert str(escape(SHOP_NAME)) in html and 'href="mailto:help@tea.example"' in html


def test_a_sheet_without_a_support_address_has_no_reply_to_and_does_not_promise_one() -> None:
    message = sent(DropshipRequest("#1001-1", (("SOCKS-M", 1),), FULL_ADDRESS), reply_to=None)

    assert message["Reply-To"] is None
    text, _, _ = parts(message)
    assert "your reply reaches" not in text


def test_empty_address_fields_are_left_out_of_the_body_not_shown_as_blank_labels() -> None:
    bare = Address(name="Bob Norman", address1="Chestnut Street 92", city="Louisville", zip="40202",
                   country_code="US")
    text, html, _ = parts(sent(DropshipRequest("#1001-1", (("SOCKS-M", 1),), bare)))

    assert "Company" not in text and "Address 2" not in text and "Phone" not in text
    assert "Company" not in html and "None" not in text and "None" not in html


@pytest.fixture
def stack(database_url):  # type: ignore[no-untyped-def]
    with start_stack(database_url=database_url) as running:
        yield running


def placed_by_the_job(stack, *, sender_name: str | None, support_email: str | None):  # type: ignore[no-untyped-def]
    """A Shopify order of three SKUs routed to an e-mail supplier, the row's address replaced by a full one,
    then placed by the queued job's function (jobs/dropship.py) through the container."""
    sim = stack.sandbox
    info = shop(stack, "shopify")
    sim.supplier.set_stock({"sku": "SOCKS-M", "quantity": 10})
    supplier_id = add_dropship_supplier(stack, info.id, mode="email", email=SUPPLIER)
    terms(stack, supplier_id, "SOCKS-M", "1.00")
    enable(stack, info.id)
    c = stack.container
    if sender_name is not None:
        set_setting(c.uow(), info.id, "notify.sender_name", sender_name)
    if support_email is not None:
        set_setting(c.uow(), info.id, "notify.support_email", support_email)
    sim.shopify.create_order(info.domain, [{"sku": "SOCKS-M", "quantity": 2}])
    stack.wait_for_capture()
    restock_in(stack, info.id)
    [order_id] = route_shop(c.uow(), store_for(info.id), info.id).routed
    with c.uow() as uow:  # the sandbox's orders all ship to Bob Norman, without company, flat or region
        uow.session.execute(update(DropshipOrder).where(DropshipOrder.id == order_id)
                            .values(ship_to=json.dumps(FULL_ADDRESS.as_dict())))
        uow.commit()
    assert place_dropship_order(order_id) == "placed"
    [mail] = sim.smtp.to(SUPPLIER)
    return info, mail.message


def test_on_the_job_path_the_subject_ends_with_the_shop_name_and_the_body_carries_the_whole_address(stack):
    info, message = placed_by_the_job(stack, sender_name=SHOP_NAME, support_email="help@tea.example")

    [row] = dropship_orders(stack, info.id)
    assert message["Subject"] == f"Drop-ship purchase order {row.reference} from {SHOP_NAME}"
    assert message["Reply-To"] == "help@tea.example"
    rows = assert_body_carries_the_sheet(message)
    assert rows[0]["address2"] == "Flat 3, back entrance" and rows[0]["company"] == FULL_ADDRESS.company


def test_on_the_job_path_a_shop_without_a_name_or_support_address_uses_its_domain_and_contact_email(stack):
    info = shop(stack, "shopify")
    with stack.container.uow() as uow:
        found = uow.shops.get(info.id)
        found.contact_email = "owner@tea.example"
        uow.commit()

    _, message = placed_by_the_job(stack, sender_name=None, support_email=None)

    assert message["Subject"].endswith(f" from {info.domain}")
    assert message["Reply-To"] == "owner@tea.example"
