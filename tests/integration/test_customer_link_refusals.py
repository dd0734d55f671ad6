"""Customer links that cannot be used (issue 18): plain sentences in the customer's language, the date
written out, what to do next and how to reach the shop; never the internal reason ("Bad signature.",
"(answer: cancel)", an ISO date). Real HTTP requests into the app, on SQLite and PostgreSQL."""

from __future__ import annotations

import html
import re
from datetime import date

import pytest

from connector.app import create_app
from connector.db.models import Backorder
from connector.notify.links import order_token
from tests.support.notify_support import BASE_URL, days

SHOP = "Tea & Leaf <Co.>"
SUPPORT = "help@tea-and-leaf.example"


@pytest.fixture
def client(h):
    h.set("notify.sender_name", SHOP)
    h.set("notify.support_email", SUPPORT)
    return create_app(container=h.container).test_client()


def links(mail):
    return dict((action, path) for path, action in
                re.findall(re.escape(BASE_URL) + r"(/orders/[A-Za-z0-9._-]+/(cancel|wait))", mail.part("plain")))


def text_of(response) -> str:
    body = response.get_data(as_text=True)
    return html.unescape(" ".join(re.sub(r"<[^>]+>", " ", body.split("<body>")[1]).split()))


def no_internals(response) -> None:
    body = response.get_data(as_text=True)
    for internal in ("Bad signature", "bad signature", "(answer:", "malformed", "2020-01-01", "Link expired on"):
        assert internal not in body


def delay_notice(h, sink, *, locale=None):
    backorder_id = h.backorder(expected=days(45))
    if locale:
        with h.container.uow() as uow:
            uow.session.get(Backorder, backorder_id).line.order.locale = locale
            uow.commit()
    h.evaluate()
    return backorder_id, links(sink.messages[-1])


def test_an_expired_delay_link_writes_the_date_out_says_what_to_do_and_names_the_shops_address(h, sink, client):
    _, found = delay_notice(h, sink)
    nonce = found["cancel"].split("/")[2].split(".")[0]
    response = client.get(f"/orders/{h.links.token(nonce, date(2020, 1, 1))}/cancel")
    assert response.status_code == 410
    text = text_of(response)
    assert "This link has expired" in text
    assert "This link expired on Wednesday 1 January 2020." in text
    assert "Please open the link in the latest e-mail about your order #1001" in text
    assert f"Questions? Write to {SHOP}: {SUPPORT}" in text
    assert f'href="mailto:{SUPPORT}"' in response.get_data(as_text=True)
    assert "Tea &amp; Leaf &lt;Co.&gt;" in response.get_data(as_text=True)
    no_internals(response)


def test_an_expired_link_is_written_in_the_customers_language(h, sink, client):
    _, found = delay_notice(h, sink, locale="nl-NL")
    nonce = found["wait"].split("/")[2].split(".")[0]
    response = client.post(f"/orders/{h.links.token(nonce, date(2020, 1, 1))}/wait")
    assert response.status_code == 410
    text = text_of(response)
    assert "Deze link is verlopen op woensdag 1 januari 2020." in text and f"Vragen? Schrijf {SHOP}: {SUPPORT}" in text
    assert '<html lang="nl">' in response.get_data(as_text=True)
    no_internals(response)


def test_a_link_already_answered_says_what_the_customer_chose_in_a_sentence(h, sink, client):
    _, found = delay_notice(h, sink)
    assert client.post(found["cancel"]).status_code == 200
    for response in (client.get(found["cancel"]), client.post(found["cancel"]), client.get(found["wait"])):
        assert response.status_code == 409
        text = text_of(response)
        assert "You have already answered" in text
        assert "We already have your answer: you asked us to cancel these items." in text
        assert "You do not need to do anything else." in text and SUPPORT in text
        no_internals(response)


def test_a_changed_link_says_so_without_naming_a_shop_it_cannot_trust(h, sink, client):
    _, found = delay_notice(h, sink)
    forged = found["cancel"].replace("/cancel", "")[:-2] + "zz/cancel"
    response = client.get(forged)
    assert response.status_code == 400
    text = text_of(response)
    assert "This link does not work" in text and "copy the whole address" in text
    assert "Questions? Reply to the e-mail you received from the shop." in text
    assert SUPPORT not in text and "Tea" not in text
    no_internals(response)


def test_an_expired_order_page_link_writes_the_date_out_and_names_the_shops_address(h, sink, client):
    backorder_id = h.backorder(expected=days(45))
    with h.container.uow() as uow:
        order_id = uow.session.get(Backorder, backorder_id).line.order_id
    response = client.get(f"/orders/{order_token(h.links, h.shop_id, order_id, date(2020, 1, 1))}")
    assert response.status_code == 410
    text = text_of(response)
    assert "This link expired on Wednesday 1 January 2020." in text and "#1001" in text
    assert f"Questions? Write to {SHOP}: {SUPPORT}" in text
    no_internals(response)
