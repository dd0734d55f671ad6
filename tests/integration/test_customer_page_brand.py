"""Every customer page in one frame (issue 18 item 1), over real HTTP requests into the app on SQLite and
PostgreSQL: the order page, the delay notice's link pages and the refusals of a genuine link show the shop's
logo or name linking to the store, its accent colour on the main button (text black or white by contrast) and
a footer with how to reach the shop, the order's page in the store and a link back to the store; a forged
link names no shop. The frame is one template (customer/_layout.html), not copies."""

from __future__ import annotations

import html
import re
from datetime import date
from pathlib import Path

import pytest

from connector.app import create_app
from connector.db.models import Backorder
from connector.notify.links import order_token
from tests.support.notify_support import BASE_URL, days

SHOP = "Tea & Leaf <Co.>"
SUPPORT = "help@tea-and-leaf.example"
STATUS = "https://tea-shop.example/orders/abc/authenticate?key=k&x=1"
TEMPLATES = Path(__file__).resolve().parents[2] / "connector" / "templates" / "customer"


@pytest.fixture
def client(h):
    h.set("notify.sender_name", SHOP)
    h.set("brand.accent_color", "#ffcc00")
    return create_app(container=h.container).test_client()


def text_of(response) -> str:
    body = response.get_data(as_text=True).split("<body>")[1]
    return html.unescape(" ".join(re.sub(r"<[^>]+>", " ", body).split()))


def order_with_notice(h, sink, *, status_url: str | None = STATUS, locale: str | None = None):
    """A delay notice for a backordered order; its order page's path and its link pages' paths."""
    backorder_id = h.backorder(expected=days(45))
    with h.container.uow() as uow:
        order = uow.session.get(Backorder, backorder_id).line.order
        order.status_url, order.locale = status_url, locale
        order_id = order.id
        uow.commit()
    h.evaluate()
    plain = sink.messages[-1].part("plain")
    [page] = set(re.findall(re.escape(BASE_URL) + r"(/orders/o[A-Za-z0-9._-]+)", plain))
    choices = dict((action, path) for path, action in
                   re.findall(re.escape(BASE_URL) + r"(/orders/[A-Za-z0-9._-]+/(cancel|wait))", plain))
    return order_id, page, choices


def frame_of(body: str) -> tuple[str, str]:
    """The page's header and footer, as served."""
    header = re.search(r'<header class="shop">.*?</header>', body, re.S)
    footer = re.search(r"<footer.*?</footer>", body, re.S)
    return (header.group(0) if header else "", footer.group(0) if footer else "")


def test_the_order_page_wears_the_shops_name_accent_and_footer(h, sink, client):
    h.set("notify.support_email", SUPPORT)
    _, page, _ = order_with_notice(h, sink)
    response = client.get(page)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    header, footer = frame_of(body)
    assert header == ('<header class="shop"><a href="https://tea-shop.myshopify.com/">Tea &amp; Leaf &lt;Co.&gt;'
                      '</a></header>')
    assert "--accent: #ffcc00;" in body and "--accent-text: #000000;" in body  # black on yellow, by contrast
    assert re.search(r'<button type="submit" class="primary">Keep waiting</button>', body)  # the accent, not dark
    assert "#303030; border-color: #303030" not in body and "button-primary" not in body
    assert f'<a href="mailto:{SUPPORT}">{SUPPORT}</a>' in footer
    assert f'<a class="away" href="{html.escape(STATUS)}">Your order in our store</a>' in footer
    assert '<a class="away" href="https://tea-shop.myshopify.com/">Back to Tea &amp; Leaf &lt;Co.&gt;</a>' in footer
    text = text_of(response)
    assert "Order #1001 · Tea & Leaf <Co.> Questions? Write to help@tea-and-leaf.example" in text


def test_the_order_page_shows_the_logo_and_its_csp_lets_only_https_images_in(h, sink, client):
    h.set("brand.logo_url", "https://cdn.tea.example/logo.png")
    _, page, _ = order_with_notice(h, sink, status_url=None)
    response = client.get(page)
    body = response.get_data(as_text=True)
    header, footer = frame_of(body)
    assert '<img src="https://cdn.tea.example/logo.png" alt="Tea &amp; Leaf &lt;Co.&gt;">' in header
    assert "img-src https:;" in response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in response.headers["Content-Security-Policy"] and "<script" not in body
    assert "Your order in our store" not in footer  # the store gave no status page: no empty link
    assert "Questions? Reply to the e-mail from Tea & Leaf <Co.>." in html.unescape(footer)  # no support address


def test_the_dutch_order_page_has_the_same_frame_in_dutch_and_says_je(h, sink, client):
    h.set("notify.support_email", SUPPORT)
    _, page, _ = order_with_notice(h, sink, locale="nl-NL")
    text = text_of(client.get(page))
    assert "Bestelling #1001 · Tea & Leaf <Co.> Vragen? Mail naar help@tea-and-leaf.example" in text
    assert "Je bestelling in onze winkel" in text and "Terug naar Tea & Leaf <Co.>" in text
    assert "We mailden je: " in text and not re.search(r"\b[Uu]w?\b", text)


def test_the_link_pages_and_the_order_page_share_one_frame(h, sink, client):
    h.set("notify.support_email", SUPPORT)
    _, page, choices = order_with_notice(h, sink)
    frames = {path: frame_of(client.get(path).get_data(as_text=True)) for path in (page, choices["wait"])}
    frames["done"] = frame_of(client.post(choices["wait"]).get_data(as_text=True))
    assert len(set(frames.values())) == 1, frames  # header and footer alike, after the answer too
    for name in ("page.html", "order.html"):
        source = (TEMPLATES / name).read_text()
        assert source.count('{% extends "_layout.html" %}') == 1 and "<footer" not in source
        assert "<header" not in source and "<style" not in source


def test_a_genuine_refused_link_wears_the_brand_and_a_forged_one_names_no_shop(h, sink, client):
    h.set("notify.support_email", SUPPORT)
    order_id, _, choices = order_with_notice(h, sink)
    expired = client.get(f"/orders/{order_token(h.links, h.shop_id, order_id, date(2020, 1, 1))}")
    assert expired.status_code == 410
    header, footer = frame_of(expired.get_data(as_text=True))
    assert "Tea &amp; Leaf &lt;Co.&gt;</a></header>" in header
    assert "Your order in our store" in footer and f"mailto:{SUPPORT}" in footer
    assert f"Questions? Write to {SHOP}: {SUPPORT}" in text_of(expired)
    forged = client.get(choices["wait"].replace("/wait", "x/wait"))
    assert forged.status_code in (400, 404)
    body = forged.get_data(as_text=True)
    header, footer = frame_of(body)
    assert header == "" and "Tea" not in body and SUPPORT not in body
    assert "Questions? Reply to the e-mail you received from the shop." in text_of(forged)
