"""Shopify's privacy webhooks and app/uninstalled, end to end over HTTP, checked in the database afterwards."""

from __future__ import annotations

import base64
import email
import hashlib
import hmac
import json
import re
import time
import uuid
from typing import Any

import pytest
import requests
from aiosmtpd.controller import Controller
from sqlalchemy import LargeBinary, String, Text, select

from connector.db.models import Order, WebhookEvent
from connector.install.models import DataExport, WebhookSubscription
from connector.privacy import export_mail, privacy
from connector.schema import Base
from jobs import install as install_jobs
from sandbox.stack import LocalStack, start_stack
from tests.conftest import load_json_fixture
from tests.support.install_flows import embedded_token, install_shopify, shop_row

SHOP = "sandbox-outdoors.myshopify.com"
STORE = "https://sandbox-tea.example"
JOHN, JANE = "john@example.com", "jane@example.com"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp():  # type: ignore[no-untyped-def]
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, f"smtp://127.0.0.1:{port}"
    controller.stop()


@pytest.fixture
def stack(database_url: str, smtp):  # type: ignore[no-untyped-def]
    with start_stack(database_url=database_url, smtp_url=smtp[1]) as running:
        assert install_shopify(running, SHOP).status_code == 302
        shopify, woo = running.sandbox.shopify, running.sandbox.woocommerce
        orders = [shopify.create_order(SHOP, [{"sku": "MUG-TRAIL", "quantity": 1}], email=JOHN),
                  shopify.create_order(SHOP, [{"sku": "SOCKS-M", "quantity": 1}], email=JOHN),
                  shopify.create_order(SHOP, [{"sku": "MUG-TRAIL", "quantity": 1}], email=JANE)]
        woo.create_order(STORE, [{"sku": "TEA-SENCHA", "quantity": 1}], email=JOHN)
        running.wait_for_capture()
        running.orders = orders  # type: ignore[attr-defined]
        yield running


def payload(name: str, stack: LocalStack, **changes: Any) -> dict[str, Any]:
    body = load_json_fixture(f"shopify/webhooks/{name}.json")
    body["shop_domain"] = body["shop_domain"].replace("{shop}.myshopify.com", SHOP)
    body.update(changes)
    return body  # type: ignore[no-any-return]


def post(stack: LocalStack, topic: str, body: dict[str, Any], *, secret: str | None = None,
         shop: str = SHOP) -> requests.Response:
    raw = json.dumps(body).encode()
    key = (secret or stack.sandbox.shopify.api_secret).encode()
    signature = base64.b64encode(hmac.new(key, raw, hashlib.sha256).digest()).decode()
    return requests.post(f"{stack.url}/webhooks/shopify", data=raw, timeout=10, headers={
        "X-Shopify-Topic": topic, "X-Shopify-Shop-Domain": shop, "X-Shopify-Hmac-Sha256": signature,
        "X-Shopify-Webhook-Id": str(uuid.uuid4()), "X-Shopify-API-Version": "2026-04",
        "Content-Type": "application/json"})


def rows_mentioning(stack: LocalStack, shop_id: int, needle: str) -> list[str]:
    """table.column of every row of this shop, in every table, whose text or bytes contain ``needle``."""
    found = []
    with stack.container.uow() as uow:
        session = uow.session
        assert session is not None
        for table in Base.metadata.sorted_tables:
            if "shop_id" not in table.c:
                continue
            for row in session.execute(select(table).where(table.c.shop_id == shop_id)):
                for column in table.c:
                    value = row._mapping[column.name]
                    if isinstance(column.type, String | Text | LargeBinary) and value is not None:
                        text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
                        if needle.lower() in text.lower():
                            found.append(f"{table.name}.{column.name}")
    return found


def message_to_john(stack: LocalStack, shop_id: int) -> None:
    """A customer message about John's backordered line, as the notify feature stores it."""
    from connector.db.models import Backorder, OrderLine

    messages = Base.metadata.tables["notify_messages"]
    with stack.container.uow() as uow:
        session = uow.session
        assert session is not None
        order = session.scalar(select(Order).where(Order.shop_id == shop_id, Order.platform_order_id == str(
            stack.orders[1]["id"])))  # type: ignore[attr-defined]
        assert order is not None
        backorder_id = session.scalar(select(Backorder.id).join(OrderLine, Backorder.order_line_id == OrderLine.id)
                                      .where(OrderLine.order_id == order.id))
        assert backorder_id is not None, "SOCKS-M has no stock: John's second order is a backorder"
        session.execute(messages.insert().values(
            shop_id=shop_id, backorder_id=backorder_id, order_id=order.id, kind="privacy-test", date_key="unknown",
            recipient=JOHN, subject="John, your socks are on their way", status="sent", attempts=1,
            outcome=f"sent to {JOHN}", created_at=order.captured_at))
        uow.commit()


def john_ids(stack: LocalStack) -> list[int]:
    return [o["id"] for o in stack.orders[:2]]  # type: ignore[attr-defined]


def test_customers_redact_erases_the_customer_everywhere_and_leaves_others_alone(stack: LocalStack) -> None:
    shop_id = shop_row(stack, "shopify", SHOP).id
    store_id = shop_row(stack, "woocommerce", STORE).id
    message_to_john(stack, shop_id)
    assert set(rows_mentioning(stack, shop_id, JOHN)) >= {"orders.customer_email", "webhook_events.body",
                                                          "notify_messages.recipient"}
    answer = post(stack, "customers/redact", payload("customers_redact", stack, orders_to_redact=john_ids(stack),
                                                     customer={"id": 191167, "email": JOHN, "phone": "555"}))
    assert answer.status_code == 200, answer.text
    assert rows_mentioning(stack, shop_id, JOHN) == []
    assert "orders.customer_email" in rows_mentioning(stack, shop_id, JANE)
    assert "orders.customer_email" in rows_mentioning(stack, store_id, JOHN)  # another shop's customer record
    with stack.container.uow() as uow:
        names = {o.platform_order_id: o.customer_email
                 for o in uow.session.scalars(select(Order).where(Order.shop_id == shop_id))}  # type: ignore[union-attr]
    assert {names[str(i)] for i in john_ids(stack)} == {None}
    # a second delivery of the same request is harmless
    assert post(stack, "customers/redact", payload("customers_redact", stack)).status_code == 200


def test_customers_data_request_exports_the_customer_emails_the_contact_and_keeps_it_for_download(
        stack: LocalStack, smtp: Any) -> None:
    inbox, _ = smtp
    body = payload("customers_data_request", stack, orders_requested=john_ids(stack),
                   customer={"id": 191167, "email": JOHN, "phone": "555"})
    assert post(stack, "customers/data_request", body).status_code == 200
    stack.container.queue.wait_idle(10)
    shop_id = shop_row(stack, "shopify", SHOP).id
    with stack.container.uow() as uow:
        export = uow.session.scalar(select(DataExport).where(DataExport.shop_id == shop_id))  # type: ignore[union-attr]
        assert export is not None
        raw_export = export.content
    content = json.loads(raw_export)
    orders = content["tables"]["orders"]
    assert sorted(o["platform_order_id"] for o in orders) == sorted(str(i) for i in john_ids(stack))
    assert {o["customer_email"] for o in orders} == {JOHN}
    assert len(content["tables"]["order_lines"]) == 2 and len(content["tables"]["webhook_events"]) >= 2
    assert JANE not in raw_export
    deadline = time.monotonic() + 10
    while not inbox.messages and time.monotonic() < deadline:
        time.sleep(0.05)
    message = inbox.messages[0]
    assert message["To"] == "contact@sandbox-outdoors.example"
    attachment = next(p for p in message.walk() if p.get_filename())
    assert json.loads(attachment.get_payload(decode=True)) == content
    text = next(p for p in message.walk() if p.get_content_type() == "text/plain").get_payload(decode=True).decode()
    link = re.search(r"(http\S+/privacy/exports/\d+\?token=\S+)", text).group(1)  # type: ignore[union-attr]
    mine = {"Authorization": "Bearer " + embedded_token(stack, SHOP)}
    assert requests.get(link, headers=mine).json() == content
    assert requests.get(link.split("?")[0] + "?token=guess", headers=mine).status_code == 404
    assert requests.get(link).json() == content  # the e-mailed link opens on its own (until it expires)
    assert requests.get(link.split("?")[0] + "?token=guess").status_code == 404
    # a repeated delivery of the request does not make a second export
    assert post(stack, "customers/data_request", body).status_code == 200
    with stack.container.uow() as uow:
        assert len(list(uow.session.scalars(select(DataExport)))) == 1  # type: ignore[union-attr]


def export_for_john(stack: LocalStack) -> int:
    """A stored data export of John's orders, not yet e-mailed (what customers/data_request makes)."""
    shop_id = shop_row(stack, "shopify", SHOP).id
    return privacy.export_customer(stack.container, shop_id,
                                   privacy.Customer(JOHN, tuple(map(str, john_ids(stack))), "191167"), "req-once")


def links(inbox: Inbox) -> list[str]:
    """The download link of every e-mail the SMTP server accepted, in order."""
    texts = [next(p for p in m.walk() if p.get_content_type() == "text/plain").get_payload(decode=True).decode()
             for m in inbox.messages]
    return [re.search(r"(http\S+/privacy/exports/\d+\?token=\S+)", t).group(1)  # type: ignore[union-attr]
            for t in texts]


def emailed_at(stack: LocalStack, export_id: int) -> Any:
    with stack.container.uow() as uow:
        return uow.session.get(DataExport, export_id).emailed_at  # type: ignore[union-attr]


def test_the_export_email_run_again_after_it_was_sent_sends_nothing(stack: LocalStack, smtp: Any) -> None:
    inbox, _ = smtp
    export_id = export_for_john(stack)
    assert install_jobs.email_export(export_id) is True and len(inbox.messages) == 1
    sent_at = emailed_at(stack, export_id)
    assert sent_at is not None
    assert install_jobs.email_export(export_id) is True  # the sweeper's rerun, or a duplicate queue entry
    assert len(inbox.messages) == 1 and emailed_at(stack, export_id) == sent_at
    mine = {"Authorization": "Bearer " + embedded_token(stack, SHOP)}
    assert requests.get(links(inbox)[0], headers=mine).status_code == 200


def test_a_worker_dying_after_the_send_makes_the_rerun_send_the_same_link_and_the_first_still_works(
        stack: LocalStack, smtp: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    inbox, _ = smtp
    export_id = export_for_john(stack)

    def worker_dies() -> Any:
        raise SystemExit("worker killed after the SMTP server accepted the message")

    monkeypatch.setattr(export_mail, "utcnow", worker_dies)  # emailed_at is never committed
    with pytest.raises(SystemExit):
        install_jobs.email_export(export_id)
    assert len(inbox.messages) == 1 and emailed_at(stack, export_id) is None
    monkeypatch.undo()
    assert install_jobs.email_export(export_id) is True  # the rerun cannot know the first e-mail went out
    first, second = links(inbox)
    assert first == second and emailed_at(stack, export_id) is not None
    mine = {"Authorization": "Bearer " + embedded_token(stack, SHOP)}
    content = json.loads(requests.get(first, headers=mine).content)
    assert content["request_id"] == "req-once"
    assert install_jobs.email_export(export_id) is True and len(inbox.messages) == 2


def test_shop_redact_deletes_every_row_of_the_shop_only(stack: LocalStack) -> None:
    shop_id = shop_row(stack, "shopify", SHOP).id
    store_id = shop_row(stack, "woocommerce", STORE).id
    assert post(stack, "shop/redact", payload("shop_redact", stack)).status_code == 200
    assert shop_row(stack, "shopify", SHOP) is None
    with stack.container.uow() as uow:
        session = uow.session
        assert session is not None
        for table in Base.metadata.sorted_tables:
            if "shop_id" in table.c:
                assert session.execute(select(table).where(table.c.shop_id == shop_id)).first() is None, table.name
        assert session.scalar(select(Order).where(Order.shop_id == store_id)) is not None


def test_app_uninstalled_stops_the_shop_and_discards_its_tokens_but_keeps_its_records(stack: LocalStack) -> None:
    shop_id = shop_row(stack, "shopify", SHOP).id
    assert post(stack, "app/uninstalled", {"id": 1, "myshopify_domain": SHOP, "domain": SHOP}).status_code == 200
    shop = shop_row(stack, "shopify", SHOP)
    creds = stack.container.box.open(shop.credentials)
    assert shop.status == "uninstalled" and shop.uninstalled_at is not None
    assert creds.access_token is None and creds.extra == {} and shop.token_expires_at is None
    with stack.container.uow() as uow:
        session = uow.session
        assert session is not None
        assert session.scalar(select(WebhookSubscription).where(WebhookSubscription.shop_id == shop_id)) is None
        assert len(list(session.scalars(select(Order).where(Order.shop_id == shop_id)))) == 3
    stack.sandbox.shopify.create_order(SHOP, [{"sku": "MUG-TRAIL", "quantity": 1}])
    stack.sandbox.shopify.wait_for_deliveries(10)
    assert stack.sandbox.shopify.deliveries[-1].status_code == 401
    from jobs.schedules import enqueue_shop_jobs

    assert enqueue_shop_jobs(stack.container) == 1  # only the WooCommerce store still gets jobs


@pytest.mark.parametrize("topic, name", [("customers/redact", "customers_redact"),
                                         ("customers/data_request", "customers_data_request"),
                                         ("shop/redact", "shop_redact")])
def test_a_privacy_webhook_with_a_bad_hmac_is_refused_with_401_and_changes_nothing(
        stack: LocalStack, topic: str, name: str) -> None:
    shop_id = shop_row(stack, "shopify", SHOP).id
    before = rows_mentioning(stack, shop_id, JOHN)
    answer = post(stack, topic, payload(name, stack, orders_to_redact=john_ids(stack)), secret="wrong-secret")
    assert answer.status_code == 401
    assert rows_mentioning(stack, shop_id, JOHN) == before and shop_row(stack, "shopify", SHOP) is not None
    with stack.container.uow() as uow:
        assert uow.session.scalar(select(DataExport)) is None  # type: ignore[union-attr]
        assert uow.session.scalar(select(WebhookEvent).where(WebhookEvent.topic == topic)) is None  # type: ignore[union-attr]
