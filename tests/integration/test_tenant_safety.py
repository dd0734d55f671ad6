"""Tenant safety and secret hygiene: shop A's webhook, session token or keys never reach shop B;
no token, key or secret appears in logs or in any answer the connector gives."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
import requests
from sqlalchemy import select

from connector.db.models import Order
from connector.install.models import DataExport
from connector.privacy import privacy
from sandbox.runner import load_seed
from sandbox.stack import LocalStack, start_stack
from tests.integration.test_privacy_webhooks import post
from tests.support.install_flows import connect_woocommerce, embedded_token, install_shopify, shop_row
from tests.support.webapp import sign

SHOP_A, SHOP_B = "sandbox-outdoors.myshopify.com", "second-outdoors.myshopify.com"
STORE_A, STORE_B = "https://store-a.example", "https://store-b.example"
JOHN = "john@example.com"


def two_shop_seed() -> dict[str, Any]:
    seed = load_seed()
    first = seed["shopify"]["shops"][0]
    seed["shopify"]["shops"].append({**json.loads(json.dumps(first)), "domain": SHOP_B, "access_token": "shpat_b"})
    return seed


@pytest.fixture
def stack(database_url: str):  # type: ignore[no-untyped-def]
    with start_stack(database_url=database_url, seed=two_shop_seed()) as running:
        yield running


def orders_of(stack: LocalStack, shop_id: int) -> dict[str, str | None]:
    with stack.container.uow() as uow:
        return {o.platform_order_id: o.customer_email
                for o in uow.session.scalars(select(Order).where(Order.shop_id == shop_id))}  # type: ignore[union-attr]


def test_shop_a_privacy_webhooks_cannot_touch_shop_b(stack: LocalStack) -> None:
    sim = stack.sandbox.shopify
    a = sim.create_order(SHOP_A, [{"sku": "MUG-TRAIL", "quantity": 1}], email=JOHN)
    b = sim.create_order(SHOP_B, [{"sku": "MUG-TRAIL", "quantity": 1}], email=JOHN)
    stack.wait_for_capture()
    id_a, id_b = stack.shops[SHOP_A].id, stack.shops[SHOP_B].id
    redact = {"shop_id": 1, "shop_domain": SHOP_B, "customer": {"id": 5, "email": JOHN},
              "orders_to_redact": [b["id"]]}
    # a delivery for shop A that names shop B in its payload is refused
    assert post(stack, "customers/redact", redact, shop=SHOP_A).status_code == 400
    # shop A's own request, even listing shop B's order id, redacts only shop A's rows
    own = {**redact, "shop_domain": SHOP_A, "orders_to_redact": [a["id"], b["id"]]}
    assert post(stack, "customers/redact", own, shop=SHOP_A).status_code == 200
    assert orders_of(stack, id_a) == {str(a["id"]): None}
    assert orders_of(stack, id_b) == {str(b["id"]): JOHN}
    assert post(stack, "shop/redact", {"shop_id": 1, "shop_domain": SHOP_B}, shop=SHOP_A).status_code == 400
    assert shop_row(stack, "shopify", SHOP_B) is not None


def test_shop_a_session_token_cannot_read_shop_b_export(stack: LocalStack) -> None:
    id_b = stack.shops[SHOP_B].id
    export_b = privacy.export_customer(stack.container, id_b, privacy.Customer(JOHN, (), "5"), "req-b")
    token_b = privacy.download_token(stack.container, export_b)
    as_a = {"Authorization": "Bearer " + embedded_token(stack, SHOP_A)}
    as_b = {"Authorization": "Bearer " + embedded_token(stack, SHOP_B)}
    url = f"{stack.url}/privacy/exports/{export_b}?token={token_b}"
    assert requests.get(url, headers=as_a).status_code == 404
    assert requests.get(url, headers=as_b).status_code == 200
    forged = embedded_token(stack, SHOP_B)[:-4] + "abcd"
    assert requests.get(url, headers={"Authorization": "Bearer " + forged}).status_code == 401


def test_store_a_webhook_secret_does_not_sign_for_store_b(stack: LocalStack) -> None:
    connect_woocommerce(stack, STORE_A)
    connect_woocommerce(stack, STORE_B)
    secret_a = stack.container.box.open(shop_row(stack, "woocommerce", STORE_A).credentials).webhook_secret
    secret_b = stack.container.box.open(shop_row(stack, "woocommerce", STORE_B).credentials).webhook_secret
    assert secret_a != secret_b
    body = json.dumps({"id": 9, "date_modified_gmt": "2026-01-01T00:00:00", "line_items": []}).encode()
    headers = {"X-WC-Webhook-Source": STORE_B + "/", "X-WC-Webhook-Topic": "order.created",
               "X-WC-Webhook-ID": "1", "X-WC-Webhook-Signature": sign(body, secret_a or ""),
               "Content-Type": "application/json"}
    assert requests.post(f"{stack.url}/webhooks/woocommerce", data=body, headers=headers).status_code == 401


def test_no_secret_reaches_a_log_line_or_an_http_answer(stack: LocalStack, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    # urllib3 logs the test's own requests, which play the merchant's browser (the callback URL carries
    # Shopify's code); the connector's outgoing calls put credentials in headers and bodies, never URLs.
    logging.getLogger("urllib3").setLevel(logging.WARNING)
    answers: list[str] = []
    sim = stack.sandbox.shopify
    answers.append(install_shopify(stack, SHOP_A).text)
    answers.append(connect_woocommerce(stack, STORE_A).headers["Location"])
    url, payload = stack.sandbox.woocommerce.auth_callbacks[-1]
    answers.append(requests.post(url, json=payload).text)  # replay: refused
    answers.append(requests.get(f"{stack.url}/shopify/callback", params={"shop": SHOP_A, "code": "c0de-secret",
                                                                         "state": "st4te", "hmac": "x"}).text)
    answers.append(requests.post(f"{stack.url}/shopify/session",
                                 headers={"Authorization": "Bearer " + embedded_token(stack, "third.myshopify.com")}
                                 ).text)
    from datetime import timedelta

    from connector.install import tokens

    shop_id = shop_row(stack, "shopify", SHOP_A).id
    tokens.refresh_if_due(stack.container.uow(), stack.container.box, stack.container.token_client(), shop_id,
                          margin=timedelta(days=1))
    creds = [stack.container.box.open(shop_row(stack, p, d).credentials)
             for p, d in (("shopify", SHOP_A), ("woocommerce", STORE_A), ("shopify", "third.myshopify.com"))]
    secrets = {sim.api_secret, payload["consumer_secret"], "c0de-secret", *sim.oauth.tokens_of(SHOP_A)}
    for c in creds:
        secrets |= {v for v in (c.access_token, c.consumer_key, c.consumer_secret, c.webhook_secret,
                                c.extra.get("refresh_token")) if v}
    assert len(secrets) >= 8
    text = caplog.text + "".join(json.dumps(getattr(r, "__dict__", {}), default=str) for r in caplog.records)
    leaked = [s for s in secrets if s in text or any(s in a for a in answers)]
    assert leaked == []
    with stack.container.uow() as uow:
        assert uow.session.scalar(select(DataExport)) is None  # type: ignore[union-attr]
