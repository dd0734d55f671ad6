"""The delay notice's link pages over real HTTP say what the notice said about the money: "you will not be
charged" when the payment is only reserved, "a full refund" when it was taken; both choices are on the page."""

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
    assert "Cancel, you will not be charged" in mail.part("plain")  # what the notice said
    cancel = cancel_link(mail)
    page = client.get(cancel)
    assert page.status_code == 200
    assert "Cancel, you will not be charged</button>" in body(page) and "Keep waiting</button>" in body(page)
    assert "refund" not in body(page)
    done = client.post(cancel)
    assert done.status_code == 200 and "Cancellation requested" in body(done)
    assert "You were not charged for them, and you will not be." in body(done) and "refund" not in body(done)


def test_the_cancel_page_of_a_paid_order_offers_a_full_refund(h, sink, client):
    h.backorder(expected=TODAY + timedelta(days=45), financial_status="paid")
    h.evaluate()
    [mail] = sink.messages
    assert "Cancel for a full refund" in mail.part("plain")  # what the notice said
    cancel = cancel_link(mail)
    page = client.get(cancel)
    assert page.status_code == 200
    assert "Cancel for a full refund</button>" in body(page) and "Keep waiting</button>" in body(page)
    assert "We refund them in full" in body(page) and "not be charged" not in body(page)
    done = client.post(cancel)
    assert done.status_code == 200
    assert "They are refunded in full" in body(done) and "not be charged" not in body(done)


def test_the_wait_page_offers_both_choices_and_its_own_does_not_depend_on_the_payment(h, sink, client):
    h.backorder(expected=TODAY + timedelta(days=45), financial_status="authorized")
    h.evaluate()
    wait = cancel_link(sink.messages[0]).removesuffix("/cancel") + "/wait"
    page = client.get(wait)
    assert page.status_code == 200 and "Keep waiting for these items?" in body(page)
    assert re.search(r'class="primary">Keep waiting</button>', body(page))  # the choice clicked, in front
    assert re.search(r'class="secondary">Cancel, you will not be charged</button>', body(page))  # the other too
    done = client.post(wait)
    assert done.status_code == 200 and "charged" not in body(done) and "refund" not in body(done)
