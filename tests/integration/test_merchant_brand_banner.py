"""The merchant app asks for what the shop's brand is missing (issue 18 item 2): a banner on every /app page
while there is no support e-mail or no name customers see, linking to that setting's field; gone once the
setting, or what was read from the store, gives it. Flask's client, a real database (SQLite, PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import update

from connector.db.models import Shop
from connector.shop_settings import set_setting
from tests.support.merchant import API_KEY, app_path, session_token
from tests.support.webapp import SHOP, SHOPIFY_SECRET, WebApp, make_webapp

SUPPORT = "Customers&#39; replies have nowhere to go"
NAME = "Customers see your store&#39;s web address instead of its name"


@pytest.fixture
def web(database_url: str) -> Iterator[WebApp]:
    yield make_webapp(database_url, shopify_api_key=API_KEY, app_url="https://connector.example",
                      shopify_admin_base="http://127.0.0.1:9", http_max_attempts=1)


def page(web: WebApp, path: str = "/app") -> str:
    answer = web.client.get(app_path(path, SHOP, session_token(SHOP, SHOPIFY_SECRET)))
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def test_every_page_asks_for_the_support_e_mail_and_the_name_while_neither_is_known(web: WebApp) -> None:
    for path in ("/app", "/app/backorders", "/app/settings", "/app/messages"):
        html = page(web, path)
        assert html.count('data-testid="brand-missing"') == 2, path
        assert SUPPORT in html and ">set your support e-mail</a>" in html
        assert NAME in html and ">set the name customers see</a>" in html
    html = page(web)
    assert f"/app/settings?shop={SHOP}" in html and "#setting-notify-support-email" in html
    assert "#setting-notify-sender-name" in html


def test_the_settings_page_has_the_fields_the_banners_link_to(web: WebApp) -> None:
    html = page(web, "/app/settings")
    assert 'id="setting-notify-support-email"' in html and 'id="setting-notify-sender-name"' in html


def test_each_banner_goes_once_its_setting_is_set(web: WebApp) -> None:
    set_setting(web.container.uow(), web.shop_id, "notify.support_email", "help@tea.example")
    html = page(web)
    assert SUPPORT not in html and NAME in html
    set_setting(web.container.uow(), web.shop_id, "notify.sender_name", "Tea & Leaf")
    assert 'data-testid="brand-missing"' not in page(web)


def test_what_was_read_from_the_store_is_enough(web: WebApp) -> None:
    with web.container.uow() as uow:
        uow.session.execute(update(Shop).where(Shop.id == web.shop_id).values(  # type: ignore[union-attr]
            store_name="Tea Shop Amsterdam", contact_email="contact@tea-shop.example"))
        uow.commit()
    assert 'data-testid="brand-missing"' not in page(web)
