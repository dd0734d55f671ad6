"""WordPress's personal data exporter and eraser as the connector answers them (POST
/woocommerce/privacy/export and /erase, signed by the store's plugin), over HTTP on a real database."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from connector.db.models import Order, WebhookEvent
from connector.notify.models import Message
from connector.privacy import wordpress
from tests.support.webapp import STORE, WOO_SECRET, WebApp, make_webapp
from tests.support.wordpress_plugin import customer_order

JOHN, JANE = "john@example.com", "jane@example.com"


@pytest.fixture
def web(database_url: str) -> Iterator[WebApp]:
    yield make_webapp(database_url)


def signed(fields: dict[str, Any], secret: str = WOO_SECRET) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"store_url": STORE + "/", "timestamp": int(time.time()), "nonce": secrets.token_hex(8),
                       **fields}).encode()
    signature = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    return body, {"Content-Type": "application/json", "X-Connector-Signature": signature}


def post(web: WebApp, action: str, fields: dict[str, Any], secret: str = WOO_SECRET) -> Any:
    body, headers = signed(fields, secret)
    return web.client.post(f"/woocommerce/privacy/{action}", data=body, headers=headers)


def test_the_export_answers_every_record_of_that_customer_in_wordpress_item_format(web: WebApp):
    customer_order(web.container, web.store_id, JOHN, 501)
    customer_order(web.container, web.store_id, JANE, 502)
    customer_order(web.container, web.shop_id, JOHN, 503)  # the same e-mail in another shop is not this store's
    answer = post(web, "export", {"email": "John@Example.com", "page": 1})
    assert answer.status_code == 200
    result = answer.get_json()
    assert result["done"] is True
    groups = [item["group_id"] for item in result["data"]]
    assert groups == ["backorder-connector-orders", "backorder-connector-order-lines",
                      "backorder-connector-notify-messages", "backorder-connector-webhook-events"]
    for item in result["data"]:
        assert set(item) >= {"group_id", "group_label", "item_id", "data"}
        assert item["group_label"].startswith("Backorder connector: ")
        assert all(set(pair) == {"name", "value"} and isinstance(pair["value"], str) for pair in item["data"])
    order = {pair["name"]: pair["value"] for pair in result["data"][0]["data"]}
    assert order["customer_email"] == JOHN and order["name"] == "#501" and "shop_id" not in order
    message = {pair["name"]: pair["value"] for pair in result["data"][2]["data"]}
    assert message["subject"] == "Your order #501 is delayed" and message["recipient"] == JOHN
    event = {pair["name"]: pair["value"] for pair in result["data"][3]["data"]}
    assert event["topic"] == "order.created" and json.loads(event["payload"])["id"] == 501
    assert JANE not in json.dumps(result) and "#503" not in json.dumps(result)


def test_the_export_is_paged_until_done(web: WebApp, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(wordpress, "PAGE_ITEMS", 3)
    for number in (601, 602):
        customer_order(web.container, web.store_id, JOHN, number)  # 4 items each
    pages = [post(web, "export", {"email": JOHN, "page": page}).get_json() for page in (1, 2, 3)]
    assert [len(p["data"]) for p in pages] == [3, 3, 2] and [p["done"] for p in pages] == [False, False, True]
    ids = [item["item_id"] for p in pages for item in p["data"]]
    assert len(set(ids)) == 8
    assert post(web, "export", {"email": "nobody@example.com", "page": 1}).get_json() == {"data": [], "done": True}


def test_the_eraser_redacts_the_customer_as_shopifys_customers_redact_does(web: WebApp):
    customer_order(web.container, web.store_id, JOHN, 701)
    customer_order(web.container, web.store_id, JANE, 702)
    answer = post(web, "erase", {"email": JOHN, "page": 1})
    assert answer.status_code == 200
    result = answer.get_json()
    assert result["items_removed"] is True and result["items_retained"] is False and result["done"] is True
    assert result["messages"] and "erased" in result["messages"][0]
    with web.container.uow() as uow:
        emails = dict(uow.session.execute(select(Order.name, Order.customer_email)).all())  # type: ignore[union-attr]
        recipients = set(uow.session.scalars(select(Message.recipient)))  # type: ignore[union-attr]
        bodies = [e.body for e in uow.session.scalars(select(WebhookEvent))]  # type: ignore[union-attr]
    assert emails == {"#701": None, "#702": JANE}
    assert recipients == {None, JANE}
    assert not any(JOHN.encode() in body.lower() for body in bodies) and any(JANE.encode() in b.lower() for b in bodies)
    again = post(web, "erase", {"email": JOHN, "page": 1}).get_json()
    assert again == {"items_removed": False, "items_retained": False, "messages": [], "done": True}
    assert post(web, "export", {"email": JOHN, "page": 1}).get_json() == {"data": [], "done": True}


@pytest.mark.parametrize("action", ["export", "erase"])
def test_a_bad_signature_a_stale_timestamp_an_unknown_store_and_a_replay_are_refused(web: WebApp, action: str):
    customer_order(web.container, web.store_id, JOHN, 801)
    wrong_secret = post(web, action, {"email": JOHN, "page": 1}, secret="not-the-store-secret")
    stale_body = json.dumps({"store_url": STORE, "email": JOHN, "page": 1, "timestamp": int(time.time()) - 600})
    stale_sig = base64.b64encode(hmac.new(WOO_SECRET.encode(), stale_body.encode(), hashlib.sha256).digest())
    stale = web.client.post(f"/woocommerce/privacy/{action}", data=stale_body,
                            headers={"X-Connector-Signature": stale_sig.decode()})
    unknown_body, unknown_headers = signed({"store_url": "https://other.example", "email": JOHN, "page": 1})
    unknown = web.client.post(f"/woocommerce/privacy/{action}", data=unknown_body, headers=unknown_headers)
    body, headers = signed({"email": JOHN, "page": 1})
    unsigned = web.client.post(f"/woocommerce/privacy/{action}", data=body)
    first = web.client.post(f"/woocommerce/privacy/{action}", data=body, headers=headers)
    replay = web.client.post(f"/woocommerce/privacy/{action}", data=body, headers=headers)
    refused = [wrong_secret, stale, unknown, unsigned, replay]
    assert [r.status_code for r in refused] == [401] * 5
    assert all("error" in r.get_json() and JOHN not in r.get_data(as_text=True) for r in refused)
    assert wrong_secret.get_json() == unknown.get_json()  # an unknown store is not told apart
    assert first.status_code == 200
    with web.container.uow() as uow:
        still = uow.session.scalar(select(Order.customer_email).where(Order.name == "#801"))  # type: ignore[union-attr]
    assert still == (JOHN if action == "export" else None)  # only the signed request did anything


@pytest.mark.parametrize("fields", [
    {"email": "not-an-address", "page": 1}, {"email": JOHN, "page": 0}, {"page": 1}, {"email": JOHN, "page": "x"}])
def test_a_malformed_request_is_refused_before_anything_is_read(web: WebApp, fields: dict[str, Any]):
    answer = post(web, "export", fields)
    assert answer.status_code == 400 and "error" in answer.get_json()


def test_a_body_over_the_limit_is_refused(web: WebApp):
    body, headers = signed({"email": JOHN, "page": 1, "padding": "x" * 20_000})
    assert web.client.post("/woocommerce/privacy/export", data=body, headers=headers).status_code == 413
