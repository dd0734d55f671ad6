"""The supplier page's Push section in a real headless Chromium (Debian's, driven by Playwright) against
the app served on loopback: a push key made by a click and shown once (its URL accepting a push signed
with it), the supplier page afterwards without it, a replacement confirmed on its own page (the old key
refused at once), and push turned off; the key page at 390 px without sideways scrolling. Screenshots
go to test-artifacts/screenshots/."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from connector.app import create_app
from connector.bootstrap import bootstrap
from connector.config import Settings
from connector.crypto import generate_key
from connector.domain.model import Platform, ShopCredentials
from connector.shops import add_shop
from connector.supply.push import signature
from connector.supply.suppliers import add_supplier
from sandbox.serve import serve_in_thread
from tests.e2e.browser.conftest import loopback_page
from tests.e2e.browser.test_suppliers_pages import SECRET, SHOP, SHOTS
from tests.support.merchant import API_KEY, app_path, session_token

pytestmark = [pytest.mark.browser, pytest.mark.slow]

APP_URL = "https://connector.example"


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[str, int]]:
    """The app on a SQLite file, served on loopback, with one supplier; yields (address, supplier id)."""
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'app.db'}", secret_key=generate_key(),
                        shopify_api_secret=SECRET, shopify_api_key=API_KEY, worker_threads=0,
                        allow_private_targets=True, app_url=APP_URL)
    container = bootstrap(settings, auto_upgrade=True)
    shop = add_shop(container.uow(), container.box, Platform.SHOPIFY, SHOP, ShopCredentials(access_token="t"))
    supplier_id = add_supplier(container.uow(), container.box, shop.id, {
        "name": "Acme Tea", "kind": "http_json", "settings": {"url": "http://127.0.0.1:9/api"}},
        clients=container.supplier_client)
    server = serve_in_thread(create_app(container=container))
    yield server.url, supplier_id
    server.stop()
    container.close()


@pytest.fixture
def browser_page(browser: Any, live: tuple[str, int]) -> Iterator[Any]:
    with loopback_page(browser, viewport={"width": 1100, "height": 900}) as opened:
        yield opened


def push(base: str, url: str, key: str, event_id: str) -> int:
    body = json.dumps({"id": event_id, "sent_at": datetime.now(UTC).isoformat(), "event": "changed"}).encode()
    return requests.post(base + url.removeprefix(APP_URL), data=body, timeout=10, headers={
        "Content-Type": "application/json", "X-Supplier-Event-Id": event_id,
        "X-Supplier-Hmac-Sha256": signature(body, key)}).status_code


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"supplier-push-{name}.png"), full_page=True)


def test_a_push_key_is_made_shown_once_replaced_and_turned_off_in_the_browser(browser_page, live) -> None:
    page, (base, supplier_id) = browser_page, live
    page.goto(base + app_path(f"/app/suppliers/{supplier_id}", SHOP, session_token(SHOP, SECRET, ttl=3600)))
    section = page.get_by_test_id("push-section")
    assert "Push is off" in section.get_by_test_id("push-state").inner_text()
    section.get_by_role("button", name="Make a push key").click()
    page.wait_for_load_state()
    url = page.get_by_test_id("push-url").inner_text().strip()
    key = page.get_by_test_id("push-key").inner_text().strip()
    assert url.startswith(APP_URL + "/webhooks/suppliers/") and len(key) >= 40
    assert "X-Supplier-Hmac-Sha256" in page.get_by_test_id("push-how").inner_text()
    shot(page, "made")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scroll
    shot(page, "made-390")
    page.set_viewport_size({"width": 1100, "height": 900})
    assert push(base, url, key, "evt-1") == 202

    page.get_by_role("link", name="Done: back to Acme Tea").click()
    page.wait_for_load_state()
    assert key not in page.content()
    state = page.get_by_test_id("push-state").inner_text()
    assert "Push is on: a key was made on " + datetime.now(UTC).strftime("%Y-%m-%d") in state
    assert "poll now" in page.get_by_test_id("last-push").inner_text()

    page.get_by_role("button", name="Replace the push key").click()
    page.wait_for_load_state()
    assert "stop working at once" in page.get_by_test_id("push-confirm").inner_text()
    shot(page, "confirm")
    page.get_by_test_id("push-confirm").get_by_role("button", name="Replace the push key").click()
    page.wait_for_load_state()
    new_url, new_key = (page.get_by_test_id("push-url").inner_text().strip(),
                        page.get_by_test_id("push-key").inner_text().strip())
    assert new_key != key
    assert push(base, url, key, "evt-2") == 401 and push(base, new_url, key, "evt-3") == 401
    assert push(base, new_url, new_key, "evt-4") == 202

    page.get_by_role("link", name="Done: back to Acme Tea").click()
    page.wait_for_load_state()
    page.get_by_role("button", name="Turn push off").click()
    page.wait_for_load_state()
    assert page.get_by_role("status").filter(has_text="Push is off").is_visible()
    assert "Push is off" in page.get_by_test_id("push-state").inner_text()
    assert push(base, new_url, new_key, "evt-5") == 401
    shot(page, "off")
