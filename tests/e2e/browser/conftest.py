"""Browser tests: Playwright driving Debian's Chromium against the connector served on loopback over
the sandbox (the default seed's shops, with waiting backorders captured from real webhooks).

Fixtures: ``live`` (the running stack, one per module, SQLite), ``browser`` (one Chromium per
module), ``page`` (a fresh context and page per test; every request leaving loopback is answered by
the test or refused, so nothing leaves the machine and Shopify's CDN is never reached) and ``app``
(``app.open(page, path)`` mints a Shopify session token and loads ``/app/...?shop&host&id_token``;
``app.enter_woo(page)`` opens a WooCommerce app link; each visit is screenshotted into
test-artifacts/screenshots/), ``customer`` (a customer's phone with JavaScript off, as e-mailed links
are opened); ``loopback_page(browser, ...)`` gives any other page that keeps to loopback. With CI=true a
missing Chromium fails the tests instead of skipping them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from sandbox.stack import LocalStack, start_stack
from tests.conftest import shared_fixture
from tests.support.merchant import app_path, session_token, woo_link

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync",
                 # The imitation of the Shopify admin is answered by the test (a "public" origin) and frames
                 # the app on loopback, which Chromium's Local Network Access checks would block; the real
                 # admin frames a public app URL, where no such check applies.
                 "--disable-features=LocalNetworkAccessChecks"]
ROOT = Path(__file__).resolve().parents[3]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
SHOP = "sandbox-outdoors.myshopify.com"
STORE = "https://sandbox-tea.example"
LOOPBACK = ("127.0.0.1", "localhost")
PHONE = {"width": 360, "height": 740}


def _chromium_or_unavailable() -> str:
    if os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium per test module (closed after it, so a module driving Playwright itself runs too)."""
    path = _chromium_or_unavailable()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
        yield launched
        launched.close()


@contextmanager
def loopback_page(browser: Any, **options: Any) -> Iterator[Any]:
    """A page in a fresh context (``options`` as Playwright's ``new_context`` takes them) whose requests
    leaving loopback are refused, so nothing leaves the machine; the context is closed after."""
    context = browser.new_context(**options)
    context.route("**/*", lambda route: route.continue_() if (urlsplit(route.request.url).hostname or "") in LOOPBACK
                  else route.abort())
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def customer(browser: Any) -> Iterator[Any]:
    """A customer's phone-sized page (360 px) with JavaScript off, as the links in the e-mails are opened."""
    with loopback_page(browser, viewport=PHONE, java_script_enabled=False) as opened:
        yield opened


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """The connector and the sandbox with the default seed, and orders that left backorders waiting."""
    database = tmp_path_factory.mktemp("browser") / "connector.db"
    stack = start_stack(database_url=f"sqlite:///{database}",
                        shopify_schema=shared_fixture("schemas/shopify_admin_2026-04.graphql"))
    try:
        shopify = stack.sandbox.shopify
        shopify.create_order(SHOP, [{"sku": "MUG-TRAIL", "quantity": 5}, {"sku": "SOCKS-M", "quantity": 2}])
        shopify.create_order(SHOP, [{"sku": "LANTERN", "quantity": 3}])
        stack.sandbox.woocommerce.create_order(STORE, [{"sku": "TEA-SENCHA", "quantity": 4}])
        stack.wait_for_capture()
        yield stack
    finally:
        stack.stop()


@dataclass
class App:
    """Opens the merchant's app in a page, as the Shopify admin or the WordPress plugin would."""

    stack: LocalStack
    test_name: str
    shots: list[Path] = field(default_factory=list)

    @property
    def api_key(self) -> str:
        return self.stack.container.settings.shopify_api_key or ""

    def token(self, shop: str = SHOP, **claims: Any) -> str:
        return session_token(shop, self.stack.sandbox.shopify.api_secret, api_key=self.api_key, **claims)

    def url(self, path: str, shop: str = SHOP, token: str | None = None, **params: Any) -> str:
        return self.stack.url + app_path(path, shop, token or self.token(shop), **params)

    def open(self, page: Any, path: str = "/app", shop: str = SHOP, token: str | None = None,
             **params: Any) -> Any:
        """Load ``path`` with a fresh session token (or ``token``); returns the response."""
        response = page.goto(self.url(path, shop, token, **params))
        self.shot(page, path)
        return response

    def enter_woo(self, page: Any, store: str = STORE, link: str | None = None) -> Any:
        """Open a WooCommerce app link (a fresh one unless given) for ``store``."""
        shop_id = self.stack.shops[store].id
        link = link or woo_link(self.stack.container, shop_id)
        response = page.goto(link)
        self.shot(page, "woocommerce")
        return response

    def shot(self, page: Any, label: str) -> Path:
        """A full-page screenshot into test-artifacts/screenshots/<test>-<n>-<label>.png."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        slug = re.sub(r"[^A-Za-z0-9]+", "-", f"{self.test_name}-{len(self.shots) + 1:02d}-{label}").strip("-")
        path = SCREENSHOTS / f"{slug[:150]}.png"
        page.screenshot(path=str(path), full_page=True)
        self.shots.append(path)
        return path


@pytest.fixture
def app(live: LocalStack, request: pytest.FixtureRequest) -> App:
    return App(live, request.node.name)


ExternalHandler = Callable[[Any], None]
"""Answers a request to an outside address (``route``), e.g. an imitation of the Shopify admin."""


@pytest.fixture
def outside() -> dict[str, ExternalHandler]:
    """Handlers by host for requests leaving loopback; a host without one is refused (aborted)."""
    return {}


@pytest.fixture
def page(browser: Any, app: App, outside: dict[str, ExternalHandler]) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})

    def guard(route: Any) -> None:
        host = urlsplit(route.request.url).hostname or ""
        if host in LOOPBACK:
            route.continue_()
        elif host in outside:
            outside[host](route)
        else:
            route.abort()  # nothing leaves the machine (App Bridge's CDN included)

    context.route("**/*", guard)
    opened = context.new_page()
    yield opened
    if not opened.is_closed() and opened.url.startswith("http"):
        app.shot(opened, "end")
    context.close()
