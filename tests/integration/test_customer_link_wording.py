"""The delay notice's cancel link page over real HTTP says what the notice said about the money:
"you will not be charged" when the payment is only reserved, "a full refund" when it was taken."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from connector.app import create_app
from tests.support.notify_support import BASE_URL, TODAY


@pytest.fixture
def client(h):
    return create_app(container=h.container).test_client()


def cancel_link(mail):
    [path] = re.findall(re.escape(BASE_URL) + r"(/orders/[A-Za-z0-9._-]+/cancel)", mail.part("plain"))
    return path


def body(response):
    return response.get_data(as_text=True).split("<body")[-1]


@pytest.mark.parametrize("financial_status", ["authorized", "pending"])  # Shopify reserved; WooCommerce unpaid
def test_the_cancel_page_of_an_order_only_reserved_says_it_will_not_be_charged(h, sink, client, financial_status):
    h.backorder(expected=TODAY + timedelta(days=45), financial_status=financial_status)
    h.evaluate()
    [mail] = sink.messages
    assert "(you will not be charged for them)" in mail.part("plain")  # what the notice said
    cancel = cancel_link(mail)
    page = client.get(cancel)
    assert page.status_code == 200
    assert "Yes, cancel them (you will not be charged for them)</button>" in body(page)
    assert "refund" not in body(page)
    done = client.post(cancel)
    assert done.status_code == 200 and "Cancellation requested" in body(done)
    assert "you will not be charged for them" in body(done) and "refund" not in body(done)


def test_the_cancel_page_of_a_paid_order_offers_a_full_refund(h, sink, client):
    h.backorder(expected=TODAY + timedelta(days=45), financial_status="paid")
    h.evaluate()
    [mail] = sink.messages
    assert "Cancel these items for a full refund" in mail.part("plain")  # what the notice said
    cancel = cancel_link(mail)
    page = client.get(cancel)
    assert page.status_code == 200
    assert "Yes, cancel them for a full refund</button>" in body(page)
    assert "refund them in full" in body(page) and "not be charged" not in body(page)
    done = client.post(cancel)
    assert done.status_code == 200
    assert "when the refund is on its way" in body(done) and "not be charged" not in body(done)


def test_the_wait_page_does_not_depend_on_the_payment(h, sink, client):
    h.backorder(expected=TODAY + timedelta(days=45), financial_status="authorized")
    h.evaluate()
    wait = cancel_link(sink.messages[0]).removesuffix("/cancel") + "/wait"
    page = client.get(wait)
    assert page.status_code == 200 and "Yes, I will wait</button>" in body(page)
    assert "charged" not in body(page) and "refund" not in body(page)
