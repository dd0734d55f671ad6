"""The Suppliers pages in a real headless Chromium (Debian's, driven by Playwright) against the app
served on loopback with the supplier simulator: a supplier added through the form, its test connection
showing the simulator's rows and the unreadable ones, the column mapping edited, and "poll now" followed
to done with the rows counted by the in-process workers. Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connector.app import create_app
from connector.bootstrap import bootstrap
from connector.config import Settings
from connector.crypto import generate_key
from connector.domain.model import Platform, ShopCredentials
from connector.shops import add_shop
from connector.supply.models import StoreSku
from sandbox.serve import serve_in_thread
from sandbox.supplier_sim import SupplierSimulator
from tests.e2e.browser.conftest import loopback_page
from tests.support.merchant import API_KEY, app_path, session_token

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SECRET = "browser-shopify-app-secret-of-32-bytes+"
SHOP = "browser-tea.myshopify.com"
SHOTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "screenshots"
ITEMS = [{"sku": "TEA-1", "quantity": 4}, {"sku": "TEA-2", "quantity": 0, "restock_date": "2026-12-20"},
         {"sku": "TEA-3", "quantity": "lots"}, {"sku": "TEA-4", "quantity": 1, "restock_date": "soon"},
         {"sku": "TEA-5", "quantity": 2, "lead_time_days": 9}]


@pytest.fixture
def supplier_sim() -> Iterator[Any]:
    sim = SupplierSimulator({"auth": {"type": "bearer", "token": "sim-token"}, "items": ITEMS})
    server = serve_in_thread(sim.app)
    sim.url = server.url  # type: ignore[attr-defined]
    yield sim
    server.stop()


@pytest.fixture
def live_app(tmp_path: Path) -> Iterator[str]:
    """The app with its in-process workers on a SQLite file, served on loopback; yields its address."""
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'app.db'}", secret_key=generate_key(),
                        shopify_api_secret=SECRET, shopify_api_key=API_KEY, worker_threads=2,
                        allow_private_targets=True, app_url="https://connector.example")
    container = bootstrap(settings, start_workers=True, auto_upgrade=True)
    shop_id = add_shop(container.uow(), container.box, Platform.SHOPIFY, SHOP, ShopCredentials(access_token="t")).id
    with container.uow() as uow:  # the catalogue was read (a first poll would read it first, from a real store)
        for item in ITEMS:
            uow.session.add(StoreSku(shop_id=shop_id, sku=item["sku"], product_id="1", variant_id="11"))
        uow.commit()
    server = serve_in_thread(create_app(container=container))
    yield server.url
    server.stop()
    container.close()


@pytest.fixture
def page(browser: Any, live_app: str) -> Iterator[Any]:
    with loopback_page(browser, viewport={"width": 1100, "height": 900}) as opened:
        yield opened


def open_page(page: Any, base: str, path: str) -> None:
    page.goto(base + app_path(path, SHOP, session_token(SHOP, SECRET, ttl=3600)))


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"suppliers-{name}.png"), full_page=True)


def test_a_supplier_is_added_tested_edited_and_polled_through_the_pages(page, live_app, supplier_sim) -> None:
    open_page(page, live_app, "/app/suppliers")
    assert page.get_by_role("heading", name="Suppliers", level=1).is_visible()
    page.get_by_role("link", name="Add a supplier").click()
    page.get_by_label("Name", exact=True).fill("Acme Tea")
    page.get_by_label("Kind").select_option("http_json")
    page.get_by_label("API address").fill(supplier_sim.url + "/api/all")
    page.get_by_label("Authentication").select_option("bearer")
    page.get_by_label("API key, token or password").fill("sim-token")
    page.get_by_role("button", name="Test connection").click()

    rows = page.get_by_test_id("sample-rows")
    rows.wait_for()
    assert [rows.get_by_role("cell", name=sku, exact=True).count() for sku in ("TEA-1", "TEA-2", "TEA-5")] == [1, 1, 1]
    bad = page.get_by_test_id("bad-rows")
    assert "quantity: not a number: 'lots'" in bad.inner_text()
    assert "restock date: unrecognised date 'soon'" in bad.inner_text()
    shot(page, "test-connection")

    page.get_by_label("API key, token or password").fill("sim-token")  # never shown back: typed again
    page.get_by_role("button", name="Save", exact=True).click()
    # waits for it: the click returns once the next page has begun loading, maybe before its status is parsed
    page.get_by_role("status").filter(has_text="Supplier saved.").wait_for()
    assert page.get_by_test_id("secret-state").inner_text() == "set"

    page.get_by_label("Quantity in stock column").fill("qty")
    page.get_by_label("Date formats").fill("%d/%m/%Y")
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_role("status").filter(has_text="Supplier saved.").wait_for()
    assert page.get_by_label("Quantity in stock column").input_value() == "qty"
    assert page.get_by_label("Date formats").input_value() == "%d/%m/%Y"
    page.get_by_label("Quantity in stock column").fill("quantity")
    page.get_by_role("button", name="Save", exact=True).click()
    shot(page, "edit")

    page.get_by_role("button", name="Poll now").click()
    progress = page.locator('[data-progress][data-state="done"]')
    progress.wait_for(timeout=20_000)
    assert page.get_by_test_id("rows-total").inner_text() == "5"
    assert "Done: 5 rows read, 2 unreadable, 3 changed." in page.get_by_test_id("poll-state").inner_text()
    shot(page, "poll-done")

    page.get_by_role("link", name="All suppliers and their last polls").click()
    card = page.get_by_test_id("supplier-card")
    assert "Acme Tea" in card.inner_text() and "polled" in card.inner_text()
    assert card.get_by_role("cell", name="ok").count() == 1
    shot(page, "list")
    page.set_viewport_size({"width": 360, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shot(page, "list-360")


def test_a_refused_value_is_shown_beside_its_field_in_the_browser(page, live_app, supplier_sim) -> None:
    open_page(page, live_app, "/app/suppliers/new")
    page.get_by_label("Name", exact=True).fill("Acme Tea")
    page.get_by_label("API address").fill(supplier_sim.url + "/api/all")
    page.get_by_label("Schedule").select_option("cron")
    page.get_by_label("Cron expression").fill("every morning")
    page.get_by_role("button", name="Save", exact=True).click()
    cron = page.get_by_label("Cron expression")
    assert cron.get_attribute("aria-invalid") == "true"
    assert page.locator("#cron-error").inner_text().startswith("Cron expression:")
    assert "Nothing was saved" in page.get_by_test_id("form-errors").inner_text()
    shot(page, "refused")
