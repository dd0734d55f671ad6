"""The WooCommerce site language as the fallback language of a store's customers, over real HTTP against
the sandbox on SQLite and PostgreSQL: read at connect (GET system_status, environment.language only), again
by the health check once a day, kept when the keys' user may not read it (403), and used for customers
whose order names no language unless the merchant chose notify.language."""

from __future__ import annotations

from datetime import timedelta

import pytest

from connector.install.health import check_subscriptions
from connector.notify import settings as notify_settings
from connector.notify.delivery import message_language
from connector.shop_settings import set_setting
from sandbox.stack import LocalStack, start_stack
from sandbox.woocommerce_sim.wc_auth import store_for
from tests.support.install_flows import connect_woocommerce, shop_row

STORE = "https://dutch-store.example"


@pytest.fixture
def stack(database_url: str):  # type: ignore[no-untyped-def]
    with start_stack(database_url=database_url, worker_threads=0) as running:
        yield running


def connect(stack: LocalStack, *, language: str = "nl_NL", manage: bool = True) -> int:
    sim_store = store_for(stack.sandbox.woocommerce, STORE)
    sim_store.language, sim_store.keys_manage_woocommerce = language, manage
    answer = connect_woocommerce(stack, STORE)
    assert answer.status_code == 302 and "success=1" in answer.headers["Location"], answer.headers
    return int(shop_row(stack, "woocommerce", STORE).id)


def status_reads(stack: LocalStack) -> int:
    return sum(1 for call in stack.sandbox.woocommerce.api_calls if call == "GET /system_status")


def age_the_read(stack: LocalStack, shop_id: int, by: timedelta) -> None:
    with stack.container.uow() as uow:
        shop = uow.shops.get(shop_id)
        assert shop is not None and shop.site_language_read_at is not None
        shop.site_language_read_at -= by
        uow.commit()


def test_the_site_language_is_read_at_connect_and_again_by_the_health_check_a_day_later(stack: LocalStack):
    shop_id = connect(stack)
    shop = shop_row(stack, "woocommerce", STORE)
    assert shop.site_language == "nl_NL" and shop.site_language_read_at is not None
    assert status_reads(stack) == 1

    check_subscriptions(stack.container, shop_id)
    assert status_reads(stack) == 1  # read less than a day ago: not asked again

    store_for(stack.sandbox.woocommerce, STORE).language = "en_GB"
    age_the_read(stack, shop_id, timedelta(days=1, minutes=1))
    report = check_subscriptions(stack.container, shop_id)
    assert report.status == "active" and report.site_language == "en_GB"
    assert shop_row(stack, "woocommerce", STORE).site_language == "en_GB"
    assert status_reads(stack) == 2


def test_keys_whose_user_may_not_read_the_system_status_connect_and_keep_the_shop_active(stack: LocalStack):
    shop_id = connect(stack, manage=False)
    shop = shop_row(stack, "woocommerce", STORE)
    assert shop.status == "active" and shop.site_language is None
    assert shop.site_language_read_at is not None  # refused: asked again in a day, not every half hour

    sim_store = store_for(stack.sandbox.woocommerce, STORE)
    sim_store.keys_manage_woocommerce, sim_store.language = True, "nl_BE"
    age_the_read(stack, shop_id, timedelta(days=2))
    assert check_subscriptions(stack.container, shop_id).status == "active"
    assert shop_row(stack, "woocommerce", STORE).site_language == "nl_BE"

    sim_store.keys_manage_woocommerce = False
    age_the_read(stack, shop_id, timedelta(days=2))
    report = check_subscriptions(stack.container, shop_id)
    assert report.status == "active" and report.site_language is None
    assert shop_row(stack, "woocommerce", STORE).site_language == "nl_BE"  # what was read before is kept


def test_customers_without_an_order_language_get_the_site_language_unless_the_merchant_chose_one(
        stack: LocalStack):
    shop_id = connect(stack, language="nl_NL")
    shop = notify_settings.load(stack.container.uow(), shop_id)
    assert (shop.language, shop.language_chosen, shop.site_language) == ("en", False, "nl_NL")
    assert message_language(shop, "capture_notice", None) == "nl"
    assert message_language(shop, "capture_notice", "en-US") == "en"  # the order's own language wins
    assert message_language(shop, "merchant_decision", None) == "en"  # the shop's messages: notify.language

    set_setting(stack.container.uow(), shop_id, "notify.language", "en", actor="test")
    chosen = notify_settings.load(stack.container.uow(), shop_id)
    assert chosen.language_chosen and message_language(chosen, "capture_notice", None) == "en"


def test_a_site_language_the_connector_does_not_ship_falls_back_to_notify_language(stack: LocalStack):
    shop_id = connect(stack, language="fr_FR")
    shop = notify_settings.load(stack.container.uow(), shop_id)
    assert shop.site_language == "fr_FR"
    assert message_language(shop, "apology", None) == "en"
