"""The app's shell in Chromium: the home page in and outside an imitation of the Shopify admin
(frame-ancestors respected), keyboard navigation, 360 px without horizontal scroll, refused tokens,
WooCommerce links that open once and expire, and App Bridge's bounce giving a fresh token."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest

from connector.domain.clock import utcnow
from connector.merchant.shell import NAV
from tests.e2e.browser.conftest import SHOP, STORE, App
from tests.support.merchant import woo_link

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ADMIN = "admin.shopify.com"
SECTIONS = [label for label, _ in NAV]
"""The nav as the shell declares it: later pages add entries without this test changing."""
ISSUE_SECTIONS = ["Backorders", "Suppliers", "Settings", "Messages", "Jobs"]
"""The sections issue 14 asks for, first and in this order."""


def admin_page(app_url: str) -> str:
    return (f"<!doctype html><html><head><title>Shopify admin</title></head><body><h1>Admin</h1>"
            f"<iframe id='app' title='Backorder connector' src='{app_url}' width='1000' height='700'></iframe>"
            f"</body></html>")


def test_the_home_page_renders_with_the_shop_and_its_waiting_backorders(page: Any, app: App):
    answer = app.open(page, "/app")
    assert answer.status == 200
    assert page.locator("h1").inner_text() == SHOP
    assert int(page.locator("[data-testid=waiting-lines]").inner_text()) == 3
    nav = page.get_by_role("navigation", name="Sections").get_by_role("link")
    assert SECTIONS[:len(ISSUE_SECTIONS)] == ISSUE_SECTIONS
    assert nav.all_inner_texts() == SECTIONS
    assert [urlsplit(href).path for href in nav.evaluate_all("links => links.map(a => a.href)")] == \
        [path for _, path in NAV]
    assert "app.css" in page.evaluate("[...document.styleSheets].map(s => s.href).join(' ')")


def test_the_home_page_opens_inside_the_admin_and_nowhere_else(page: Any, app: App,
                                                               outside: dict[str, Any]):
    framed = app.url("/app")
    outside[ADMIN] = lambda route: route.fulfill(status=200, content_type="text/html", body=admin_page(framed))
    outside["evil.example"] = lambda route: route.fulfill(status=200, content_type="text/html",
                                                          body=admin_page(app.url("/app")))
    page.goto(f"https://{ADMIN}/store/sandbox-outdoors/apps/{app.api_key}")
    frame = page.frame_locator("#app")
    assert frame.locator("h1").inner_text(timeout=10000) == SHOP
    app.shot(page, "in-admin")
    page.goto("https://evil.example/framing")
    app.shot(page, "framed-elsewhere")
    time.sleep(0.5)
    child = next(f for f in page.frames if f != page.main_frame)
    assert SHOP not in child.content()  # the browser refused to show the app there (CSP frame-ancestors)


def test_the_keyboard_reaches_the_skip_link_then_every_section(page: Any, app: App):
    app.open(page, "/app")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    assert page.locator(".skip-link").bounding_box()["y"] >= 0  # shown when focused
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"
    app.open(page, "/app")
    # the shop's name and support address were never read from the store nor set: the banner asking for them
    # comes before the content, each link reachable
    expected = ["Skip to content", "Backorder connector", *SECTIONS, "set the name customers see",
                "set your support e-mail", "See the backorders"]
    reached = []
    for _ in expected:
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.textContent.trim()"))
    assert reached == expected
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"


def test_at_360_px_the_page_does_not_scroll_sideways(page: Any, app: App):
    page.set_viewport_size({"width": 360, "height": 740})
    app.open(page, "/app")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.locator("[data-testid=waiting-lines]").is_visible()


@pytest.mark.parametrize("kind", ["forged", "expired"])
def test_a_forged_or_expired_token_shows_nothing_of_the_shop(page: Any, app: App, kind: str):
    if kind == "forged":
        token = app.token().rsplit(".", 1)[0] + ".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"  # signature replaced
        answer = app.open(page, "/app", token=token)
        assert answer.status == 401 and "not signed in" in page.content()
    elif kind == "expired":
        answer = app.open(page, "/app", token=app.token(now=time.time() - 3600))
        assert "/app/session-token" in page.url and "Opening the app" in page.content()
    assert "waiting-lines" not in page.content()


def test_another_shop_s_token_shows_that_shop_only_whatever_the_address_says(page: Any, app: App):
    other = "someone-else.myshopify.com"  # the simulated admin installs it by token exchange on first open
    answer = app.open(page, "/app", token=app.token(other))  # the address still says shop=SHOP
    assert answer.status == 200
    assert page.locator("h1").inner_text() == other
    assert int(page.locator("[data-testid=waiting-lines]").inner_text()) == 0
    assert SHOP not in page.locator("main").inner_text()


def fake_app_bridge(app: App) -> Any:
    """An imitation of App Bridge's script: idToken() gives a fresh session token, and a page loaded with
    shopify-reload is reloaded there with id_token added (Shopify's documented bounce)."""
    def serve(route: Any) -> None:
        script = f"""
        window.shopify = {{ idToken: () => Promise.resolve({app.token()!r}) }};
        const reload = new URLSearchParams(location.search).get('shopify-reload');
        if (reload) {{
          const target = new URL(reload, location.origin);
          target.searchParams.set('id_token', {app.token()!r});
          location.replace(target.toString());
        }}"""
        route.fulfill(status=200, content_type="text/javascript", body=script)
    return serve


def test_app_bridge_s_bounce_brings_a_fresh_token_and_fetches_carry_it(page: Any, app: App, outside: dict[str, Any]):
    outside["cdn.shopify.com"] = fake_app_bridge(app)
    app.open(page, "/app", token=app.token(now=time.time() - 3600), extra="kept")
    page.wait_for_url("**/app?**id_token=**", timeout=10000)
    assert page.locator("h1").inner_text() == SHOP and "extra=kept" in page.url
    app.shot(page, "after-bounce")
    assert page.evaluate("typeof window.connectorFetch") == "function"
    answer = page.evaluate("connectorFetch('/app', {headers: {Accept: 'text/html'}}).then(r => r.status)")
    assert answer == 200  # the fetch carried Authorization: Bearer with App Bridge's token


def test_a_woocommerce_link_opens_the_app_once(page: Any, app: App, browser: Any):
    link = woo_link(app.stack.container, app.stack.shops[STORE].id, user_login="ann")
    app.enter_woo(page, link=link)
    assert page.url.endswith("/app")
    assert page.locator("h1").inner_text() == STORE
    assert int(page.locator("[data-testid=waiting-lines]").inner_text()) == 1
    assert "shopify-api-key" not in page.content()
    page.get_by_role("link", name="Backorder connector").click()  # the cookie session holds across pages
    assert page.locator("h1").inner_text() == STORE
    other = browser.new_context()
    try:
        second = other.new_page()
        answer = second.goto(link)
        app.shot(second, "link-used")
        assert answer.status == 401 and "already used" in second.content()
    finally:
        other.close()


def test_an_expired_woocommerce_link_does_not_open(page: Any, app: App):
    link = woo_link(app.stack.container, app.stack.shops[STORE].id, minted_at=utcnow() - timedelta(minutes=6))
    answer = app.enter_woo(page, link=link)
    assert answer.status == 401 and "expired" in page.content()
    assert STORE not in page.locator("main").inner_text()
