"""Sender identity (issue 18 item 2) through a real SMTP server on SQLite and PostgreSQL: customer e-mails
come From the shop's name at the deployment's address, Reply-To the shop's support address; without a
support e-mail set, the store's contact e-mail (read at install), never the deployment's address. The
layout shows the shop's name, the order's page in the store and the support address."""

from __future__ import annotations

from email.utils import getaddresses, parseaddr

from sqlalchemy import update

from connector.db.models import Backorder, Order, OrderLine, Shop
from sandbox.stack import start_stack
from tests.support.install_flows import install_shopify, shop_row
from tests.support.notify_support import days


def set_order(h, backorder_id: int, **values: str) -> None:  # type: ignore[no-untyped-def]
    with h.container.uow() as uow:
        backorder = uow.session.get(Backorder, backorder_id)
        line = uow.session.get(OrderLine, backorder.order_line_id)
        uow.session.execute(update(Order).where(Order.id == line.order_id).values(**values))
        uow.commit()


def set_shop(h, **values: str) -> None:  # type: ignore[no-untyped-def]
    with h.container.uow() as uow:
        uow.session.execute(update(Shop).where(Shop.id == h.shop_id).values(**values))
        uow.commit()


def test_from_is_the_shops_name_at_the_deployments_address_and_reply_to_its_support_address(h, sink):
    h.set("notify.sender_name", "Tea & Leaf <Co>")
    h.set("notify.support_email", "help@tea-leaf.example")
    h.set("brand.accent_color", "#ffcc00")
    backorder = h.backorder(expected=days(20), email="ada@example.com")
    set_order(h, backorder, customer_first_name="Ada", status_url="https://tea-shop.example/orders/9f?key=k")

    assert h.evaluate().sent == 1

    [mail] = sink.to("ada@example.com")
    name, address = parseaddr(str(mail.message["From"]))
    assert (name, address) == ("Tea & Leaf <Co>", "orders@tea.example")
    assert getaddresses([str(mail.message["Reply-To"])]) == [("", "help@tea-leaf.example")]
    html, text = mail.part("html"), mail.part("plain")
    assert "Tea &amp; Leaf &lt;Co&gt;" in html and "background:#ffcc00;" in html
    assert 'href="https://tea-shop.example/orders/9f?key=k"' in html
    assert 'href="mailto:help@tea-leaf.example"' in html
    assert "https://tea-shop.example/orders/9f?key=k" in text


def test_without_settings_the_store_read_name_and_contact_e_mail_are_used_not_the_domain(h, sink):
    set_shop(h, store_name="Tea Shop Amsterdam", contact_email="contact@tea-shop.example")
    h.backorder(expected=days(20), email="ada@example.com")
    h.evaluate()
    [mail] = sink.to("ada@example.com")
    assert parseaddr(str(mail.message["From"])) == ("Tea Shop Amsterdam", "orders@tea.example")
    assert str(mail.message["Reply-To"]) == "contact@tea-shop.example"


def test_with_nothing_known_there_is_no_reply_to_rather_than_the_deployments_address(h, sink):
    h.backorder(expected=days(20), email="ada@example.com")
    h.evaluate()
    [mail] = sink.to("ada@example.com")
    assert mail.message["Reply-To"] is None
    assert parseaddr(str(mail.message["From"])) == ("tea-shop.myshopify.com", "orders@tea.example")
    assert "Questions? Reply to this e-mail." in mail.part("html")


def test_installing_on_the_shopify_simulator_reads_the_shops_name_and_contact_e_mail(database_url: str) -> None:
    domain = "voice-outdoors.myshopify.com"
    with start_stack(database_url=database_url) as running:
        assert install_shopify(running, domain).status_code == 302
        running.wait_for_capture()
        shop = shop_row(running, "shopify", domain)
    assert (shop.store_name, shop.contact_email) == ("voice-outdoors", "contact@voice-outdoors.example")
    assert shop.identity_read_at is not None
