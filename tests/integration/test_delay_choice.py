"""The delay notice's choice, made obvious (issue 18 item 3), over real SMTP and real HTTP requests on SQLite
and PostgreSQL: keeping waiting is confirmed on the page and by exactly one e-mail (the link and the order
page alike), the cancellation page states the refund with its currency, the pages show both choices with
the items in the customer's language and the shop's brand."""

from __future__ import annotations

import html
import re
from decimal import Decimal

import pytest

from connector.app import create_app
from connector.db.models import Backorder
from connector.notify.models import Message
from tests.support.notify_support import BASE_URL, days

SHOP = "Tea & Leaf <Co.>"


@pytest.fixture
def client(h):
    return create_app(container=h.container).test_client()


def links(mail):
    found = dict((action, path) for path, action in
                 re.findall(re.escape(BASE_URL) + r"(/orders/[A-Za-z0-9._-]+/(cancel|wait))", mail.part("plain")))
    assert set(found) == {"cancel", "wait"}
    return found


def text_of(response) -> str:
    body = response.get_data(as_text=True).split("<body>")[1]
    return html.unescape(" ".join(re.sub(r"<[^>]+>", " ", body).split()))


def order_details(h, backorder_id, **values):
    """Set what the store gave for the order (first name, locale, currency) and the line (unit price)."""
    with h.container.uow() as uow:
        backorder = uow.session.get(Backorder, backorder_id)
        for name, value in values.items():
            target = backorder.line if name == "unit_price" else backorder.line.order
            setattr(target, name, value)
        uow.commit()


def notice(h, sink, *, expected=45, **values):
    backorder_id = h.backorder(expected=days(expected) if expected is not None else None, quantity=2,
                               title="Darjeeling & <Assam> First Flush 100 g")
    order_details(h, backorder_id, **values)
    h.evaluate()
    return links(sink.messages[-1])


def test_keep_waiting_from_the_link_is_confirmed_on_the_page_and_by_exactly_one_email(h, sink, client):
    h.set("notify.sender_name", SHOP)
    found = notice(h, sink, customer_first_name="Anna", unit_price=Decimal("16.00"), currency="EUR")
    [delay] = sink.messages
    assert delay.subject == "Your order #1001 is delayed, no action needed"
    assert delay.part("plain").startswith("Hello Anna,")
    page = client.get(found["wait"])
    assert page.status_code == 200
    text = text_of(page)
    assert "Keep waiting for these items?" in text and "2 × Darjeeling & <Assam> First Flush 100 g" in text
    assert "Ships by Friday 15 January 2027" in text and "No action needed" in text
    assert "Keep waiting" in text and "Cancel for a full refund" in text  # both choices
    assert len(sink.messages) == 1  # a GET (or a mail scanner) sends nothing
    done = client.post(found["wait"])
    assert done.status_code == 200
    text = text_of(done)
    assert "Thank you for waiting" in text and "They ship by Friday 15 January 2027." in text
    assert "We have sent you a confirmation by e-mail." in text
    assert "You can still cancel them from your order page" in text
    assert re.search(r'href="https://connector\.example/orders/o\d+-\d+\.\d+\.[^"]+">See your order</a>',
                     done.get_data(as_text=True))
    h.evaluate()
    confirmations = [m for m in sink.messages if m.subject == "Thank you for waiting: your order #1001"]
    assert len(confirmations) == 1
    plain = confirmations[0].part("plain")
    assert plain.startswith("Hello Anna,") and "2 x Darjeeling & <Assam> First Flush 100 g" in plain
    assert "They ship by Friday 15 January 2027." in plain and "You can still cancel them on your order page" in plain
    assert "Darjeeling &amp; &lt;Assam&gt;" in confirmations[0].part("html")
    again = client.post(found["wait"])  # a second click: the answer is kept, nothing is sent again
    assert again.status_code == 409 and "you chose to keep waiting" in text_of(again)
    h.evaluate()
    h.evaluate()
    assert len([m for m in sink.messages if m.subject.startswith("Thank you for waiting")]) == 1
    assert [(m.kind, m.status) for m in h.rows(Message)] == [("delay_notice", "sent"), ("wait_confirmed", "sent")]


def test_keep_waiting_on_the_order_page_answers_the_notice_and_is_confirmed_once(h, sink, client):
    notice(h, sink, locale="nl-NL")
    [delay] = sink.messages
    assert delay.subject == "Je bestelling #1001 is vertraagd, je hoeft niets te doen"
    [page_url] = re.findall(re.escape(BASE_URL) + r"(/orders/o[A-Za-z0-9._-]+)", delay.part("plain"))
    order_page = client.get(page_url)
    assert "Blijven wachten</button>" in order_page.get_data(as_text=True)
    assert "Annuleren, volledig terugbetaald</a>" in order_page.get_data(as_text=True)
    for _ in range(2):
        assert client.post(f"{page_url}/items/wait").status_code == 303
    h.evaluate()
    h.evaluate()
    confirmations = [m for m in sink.messages if m.subject == "Bedankt voor je geduld: je bestelling #1001"]
    assert len(confirmations) == 1
    assert "Ze worden uiterlijk vrijdag 15 januari 2027 verzonden." in confirmations[0].part("plain")
    assert [m.kind for m in h.rows(Message)] == ["delay_notice", "wait_confirmed"]


def test_the_cancel_pages_state_the_refund_with_its_currency(h, sink, client):
    found = notice(h, sink, unit_price=Decimal("1016.25"), currency="EUR")
    page = client.get(found["cancel"])
    text = text_of(page)
    assert "Cancel these items?" in text and "You get EUR 2,032.50 back, to the way you paid." in text
    assert re.search(r'class="primary">Cancel for a full refund</button>', page.get_data(as_text=True))
    assert re.search(r'class="secondary">Keep waiting</button>', page.get_data(as_text=True))
    done = client.post(found["cancel"])
    text = text_of(done)
    assert done.status_code == 200 and "Cancellation requested" in text
    assert "2 × Darjeeling & <Assam> First Flush 100 g" in text
    assert "Your refund: EUR 2,032.50. It goes back to the way you paid" in text
    h.evaluate()
    assert [m.kind for m in h.rows(Message)] == ["delay_notice", "cancelled"]  # no wait confirmation


def test_the_dutch_cancel_page_writes_the_amount_the_dutch_way(h, sink, client):
    found = notice(h, sink, locale="nl", unit_price=Decimal("1016.25"), currency="EUR")
    done = client.post(found["cancel"])
    text = text_of(done)
    assert '<html lang="nl">' in done.get_data(as_text=True)
    assert "Annulering aangevraagd" in text and "Je terugbetaling: EUR 2.032,50." in text


def test_an_order_only_reserved_is_told_it_was_not_charged_and_no_amount(h, sink, client):
    found = notice(h, sink, financial_status="authorized", unit_price=Decimal("16.00"), currency="EUR")
    text = text_of(client.post(found["cancel"]))
    assert "You were not charged for them, and you will not be." in text
    assert "EUR" not in text and "refund" not in text.lower()


def test_a_consent_notice_puts_the_deadline_above_both_choices_on_the_page(h, sink, client):
    h.set("notify.delay_policy", "cancel_and_refund")
    found = notice(h, sink, expected=75)
    [mail] = sink.messages
    assert mail.subject == "Action needed by Thursday 31 December: your order #1001"
    body = client.get(found["wait"]).get_data(as_text=True)
    deadline = body.index("Please choose by Thursday 31 December 2026.")
    assert deadline < body.index(">Keep waiting</button>") < body.index(">Cancel for a full refund</button>")
    assert "If we do not hear from you by then, we will cancel these items and refund them in full." in body
    assert "No action needed" not in body


def test_the_link_page_wears_the_shops_brand(h, sink, client):
    h.set("notify.sender_name", SHOP)
    h.set("brand.accent_color", "#ffcc00")
    found = notice(h, sink)
    body = client.get(found["cancel"]).get_data(as_text=True)
    assert "Tea &amp; Leaf &lt;Co.&gt;</a></header>" in body and "<img" not in body  # no logo: the name
    assert "--accent: #ffcc00;" in body and "--accent-text: #000000;" in body  # black on yellow (contrast)
    assert 'name="viewport"' in body and "min-height: 48px" in body
    h.set("brand.logo_url", "https://cdn.tea.example/logo.png")
    body = client.get(found["cancel"]).get_data(as_text=True)
    assert '<img src="https://cdn.tea.example/logo.png" alt="Tea &amp; Leaf &lt;Co.&gt;">' in body
    response = client.get(found["cancel"])
    assert "style-src 'nonce-" in response.headers["Content-Security-Policy"] and "<script" not in body


def test_a_line_without_a_title_is_an_item_on_the_page_never_its_sku(h, sink, client):
    h.backorder(expected=days(45), title="", sku="SECRET-SKU-9", quantity=1)
    h.evaluate()
    text = text_of(client.get(links(sink.messages[-1])["wait"]))
    assert "1 × item" in text and "SECRET-SKU-9" not in text
