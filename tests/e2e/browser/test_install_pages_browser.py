"""The install and connect pages in Chromium on a 390 px phone screen (issue 18): the connect form leads
through WooCommerce's approval (the sandbox's wc-auth, which posts the keys back) to the connected page,
with the page's CSP letting the form go on to the store; the Shopify installed page; nothing wider than
the screen, every button at least 44 px tall, the page's own stylesheet applied."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from sandbox.stack import LocalStack, start_stack

pytestmark = pytest.mark.slow
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    database = tmp_path_factory.mktemp("install-pages") / "connector.db"
    with start_stack(database_url=f"sqlite:///{database}", worker_threads=0,
                     app_support_email="help@connector.example") as running:
        yield running


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    blocked: list[str] = []
    context.on("console", lambda message: blocked.append(message.text) if "Content Security Policy" in message.text
               else None)
    page = context.new_page()
    page.blocked = blocked
    yield page
    context.close()


def fits_the_phone(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    heights = page.evaluate("[...document.querySelectorAll('.button, input')].map(e => e.offsetHeight)")
    assert heights and min(heights) >= 44, heights
    # the stylesheet applied (a blocked one would leave the browser's blue, unpadded links)
    assert page.evaluate("getComputedStyle(document.querySelector('.brand')).backgroundColor") == "rgb(11, 92, 74)"
    assert page.blocked == []


def test_a_merchant_on_a_phone_connects_a_woocommerce_store_from_the_form(stack: LocalStack, phone: Any) -> None:
    phone.goto(f"{stack.url}/woocommerce/connect")
    fits_the_phone(phone)
    phone.get_by_label("Your store's address").fill("https://phone-store.example")
    phone.get_by_role("button", name="Continue to WooCommerce").click()
    phone.wait_for_url("**/woocommerce/connected?success=1&user_id=*")
    assert phone.get_by_role("heading", level=1).inner_text() == "phone-store.example is connected"
    fits_the_phone(phone)
    settings = phone.get_by_role("link", name="Open the connector's settings in WordPress")
    assert settings.get_attribute("href") == \
        "https://phone-store.example/wp-admin/admin.php?page=backorder-connector-settings"


def test_a_refused_address_comes_back_in_the_form_with_what_is_wrong(stack: LocalStack, phone: Any) -> None:
    phone.goto(f"{stack.url}/woocommerce/connect?store_url=ftp%3A%2F%2Ftea.example")
    fits_the_phone(phone)
    assert "This address cannot be connected" in phone.locator(".error").inner_text()
    assert phone.get_by_label("Your store's address").input_value() == "ftp://tea.example"
