"""The WooCommerce store's identity (issue 18 items 1-2) over real HTTP against the simulator: the site's name,
address and icon from the public WordPress REST index (asked for without the keys), the store's e-mail from
WooCommerce's settings (with the keys, refused without manage_woocommerce); read onto the shop at connect and
by the health check at most daily on SQLite and PostgreSQL, checked (https icon and address, no no-reply
address), a refusal recorded without failing anything; and the brand a capture e-mail is written in."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from email.utils import parseaddr
from typing import Any

import pytest
import requests
from flask import Flask

from adapters.http import HttpRetry, HttpTransport
from adapters.woocommerce.client import INDEX_MAX_BYTES, WooCommerceClient
from adapters.woocommerce.install import WooWebhooks
from connector.db.models import Shop
from connector.domain.errors import PlatformAuthError, PlatformRejected
from connector.domain.model import Platform, ShopCredentials
from connector.install.health import check_subscriptions
from connector.install.woo_identity import contact_ok, read_woo_identity, store_url_ok
from connector.notify import brand
from connector.shop_settings import set_setting
from connector.shops import add_shop
from sandbox.serve import ServerHandle, serve_in_thread
from sandbox.smtp_sink import SmtpSink
from sandbox.stack import LocalStack, start_stack
from sandbox.woocommerce_sim import WooCommerceSimulator
from sandbox.woocommerce_sim.state import SimStore
from sandbox.woocommerce_sim.wc_auth import store_for
from tests.support.install_flows import connect_woocommerce, shop_row
from tests.support.notify_support import Harness, days

STORE = "https://tea-and-co.example"
KEY, SECRET = "ck_identity_1234", "cs_identity_5678"
NAME = "Tea & Co's"
ICON = "https://tea-and-co.example/wp-content/uploads/2026/01/cropped-icon-512x512.png"
FROM = "hello@tea-and-co.example"


def identity_seed(**store: Any) -> dict[str, Any]:
    spec = {"store_url": STORE, "consumer_key": KEY, "consumer_secret": SECRET, "site_name": NAME,
            "site_icon_url": ICON, "email_from_address": FROM}
    return {"stores": [{**spec, **store}]}


@pytest.fixture
def sim() -> WooCommerceSimulator:
    return WooCommerceSimulator(identity_seed())


def webhooks_api(server: ServerHandle, key: str = KEY, secret: str = SECRET) -> WooWebhooks:
    transport = HttpTransport(timeout=5, retry=HttpRetry(max_attempts=1), name="woocommerce")
    return WooWebhooks(WooCommerceClient(STORE, key, secret, api_base=server.url, transport=transport))


def sim_store(sim: WooCommerceSimulator) -> SimStore:
    return sim.store(STORE)


# -- the adapter and the simulator --------------------------------------------------------------------------

def test_the_index_gives_the_sites_name_address_and_icon_and_is_asked_without_the_keys(sim, server) -> None:  # type: ignore[no-untyped-def]
    site = webhooks_api(server).site_identity()
    assert (site.name, site.home_url, site.icon_url) == (NAME, STORE, ICON)  # "Tea &amp; Co&#039;s" decoded
    [read] = sim.index_reads
    assert read.with_credentials is False and "site_icon_url" in (read.fields or "").split(",")


def test_the_store_email_is_woocommerces_from_address_read_with_the_keys(sim, server) -> None:  # type: ignore[no-untyped-def]
    assert webhooks_api(server).store_email() == FROM
    assert "GET /settings/email/woocommerce_email_from_address" in sim.api_calls
    sim_store(sim).email_from_address = ""
    assert webhooks_api(server).store_email() is None


def test_a_site_without_an_icon_or_a_title_reads_as_none(sim, server) -> None:  # type: ignore[no-untyped-def]
    sim_store(sim).site_icon_url, sim_store(sim).site_name = "", ""
    site = webhooks_api(server).site_identity()
    assert (site.name, site.home_url, site.icon_url) == (None, STORE, None)


def test_the_settings_refuse_wrong_keys_and_a_user_without_manage_woocommerce(sim, server) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PlatformAuthError) as wrong:
        webhooks_api(server, secret="cs_wrong").store_email()
    assert "401" in str(wrong.value) and "cs_wrong" not in str(wrong.value)
    sim_store(sim).keys_manage_woocommerce = False
    with pytest.raises(PlatformAuthError) as weak:
        webhooks_api(server).store_email()
    assert "403" in str(weak.value)
    assert webhooks_api(server).site_identity().name == NAME  # the index stays public


def test_the_simulator_serves_the_index_as_wordpress_does(sim, server) -> None:  # type: ignore[no-untyped-def]
    whole = requests.get(f"{server.url}/wp-json/", timeout=5)
    assert whole.status_code == 200 and whole.json()["name"] == "Tea &amp; Co&#039;s"
    assert {"routes", "namespaces", "site_icon_url", "site_logo"} <= set(whole.json())
    trimmed = requests.get(f"{server.url}/wp-json/", params={"_fields": "name,home"}, timeout=5).json()
    assert trimmed == {"name": "Tea &amp; Co&#039;s", "home": STORE}
    with_keys = requests.get(f"{server.url}/wp-json/", auth=(KEY, SECRET), timeout=5)
    assert with_keys.status_code == 401 and with_keys.json()["code"] == "invalid_username"
    settings = requests.get(f"{server.url}/wp-json/wc/v3/settings/email", timeout=5)
    assert settings.status_code == 401
    missing = requests.get(f"{server.url}/wp-json/wc/v3/settings/email/nope", auth=(KEY, SECRET), timeout=5)
    assert (missing.status_code, missing.json()["code"]) == (404, "rest_setting_setting_invalid")


@pytest.fixture
def odd_site() -> Iterator[tuple[ServerHandle, dict[str, str], list[str]]]:
    """A site whose /wp-json/ answers what WordPress never does, per ``case``: a redirect, HTML, or too much."""
    app = Flask("odd_site")
    answer = {"case": "redirect"}
    followed: list[str] = []

    @app.get("/wp-json/")
    def index() -> Any:
        if answer["case"] == "redirect":
            return "", 302, {"Location": "/elsewhere/wp-json/"}
        if answer["case"] == "html":
            return "<html><body>Not found</body></html>", 200, {"Content-Type": "text/html"}
        return {"name": "x" * (INDEX_MAX_BYTES + 10)}

    @app.get("/elsewhere/wp-json/")
    def elsewhere() -> Any:
        followed.append("elsewhere")
        return {"name": "Somewhere else"}

    handle = serve_in_thread(app)
    yield handle, answer, followed
    handle.stop()


@pytest.mark.parametrize("case, words", [("redirect", "not followed"), ("html", "non-JSON"),
                                         ("large", "more than")])
def test_an_index_that_is_no_wordpress_index_is_refused_and_no_address_from_it_is_called(
        odd_site, case: str, words: str) -> None:  # type: ignore[no-untyped-def]
    handle, answer, followed = odd_site
    answer["case"] = case
    with pytest.raises(PlatformRejected) as refused:
        webhooks_api(handle).site_identity()
    assert words in str(refused.value) and followed == []


@pytest.mark.parametrize("address, kept", [
    ("https://tea-and-co.example", True), ("https://tea-and-co.example/shop/", True),
    ("http://tea-and-co.example", False), ("https://", False), ("javascript:alert(1)", False),
    ('https://tea.example/"><script>', False), ("https://tea.example/" + "a" * 500, False)])
def test_only_an_https_storefront_address_safe_in_an_attribute_is_kept(address: str, kept: bool) -> None:
    assert store_url_ok(address) is kept


@pytest.mark.parametrize("address, kept", [
    (FROM, True), ("Orders@Tea.example", True), ("noreply@tea.example", False), ("No-Reply@tea.example", False),
    ("do_not_reply@tea.example", False), ("wordpress@", False), ("two words@tea.example", False),
    ("x@" + "a" * 320 + ".example", False)])
def test_only_an_address_customers_can_write_to_is_kept_as_the_contact(address: str, kept: bool) -> None:
    assert contact_ok(address) is kept


# -- read onto the shop at connect and by the health check, SQLite and PostgreSQL ---------------------------

@pytest.fixture
def stack(database_url: str) -> Iterator[LocalStack]:
    with start_stack(database_url=database_url, worker_threads=0) as running:
        yield running


def connect(stack: LocalStack, **site: Any) -> tuple[int, requests.Response]:
    store = store_for(stack.sandbox.woocommerce, STORE)
    store.site_name, store.site_icon_url, store.email_from_address = NAME, ICON, FROM
    for field, value in site.items():
        setattr(store, field, value)
    answer = connect_woocommerce(stack, STORE)
    assert answer.status_code == 302 and "success=1" in answer.headers["Location"], answer.headers
    return int(shop_row(stack, "woocommerce", STORE).id), answer


def voice(stack: LocalStack, shop_id: int) -> brand.Brand:
    return brand.load(stack.container.uow(), shop_id)


def age_the_read(stack: LocalStack, shop_id: int, by: timedelta) -> None:
    with stack.container.uow() as uow:
        shop = uow.shops.get(shop_id)
        assert shop is not None and shop.brand_read_at is not None
        shop.brand_read_at -= by
        if shop.identity_read_at is not None:
            shop.identity_read_at -= by
        uow.commit()


def test_connecting_reads_the_stores_name_address_icon_and_email_and_the_connected_page_names_it(stack) -> None:  # type: ignore[no-untyped-def]
    shop_id, answer = connect(stack)
    shop: Shop = shop_row(stack, "woocommerce", STORE)
    assert (shop.store_name, shop.store_url, shop.store_logo_url, shop.contact_email) == (NAME, STORE, ICON, FROM)
    assert shop.identity_read_at is not None and shop.brand_read_error is None and shop.status == "active"
    assert not any(read.with_credentials for read in stack.sandbox.woocommerce.index_reads)
    shown = voice(stack, shop_id)
    assert (shown.shop_name, shown.logo_url, shown.support_email, shown.missing) == (NAME, ICON, FROM, ())
    page = requests.get(answer.headers["Location"], headers={"Accept": "text/html"}, timeout=10)
    assert page.status_code == 200 and "Tea &amp; Co&#39;s" in page.text


def test_an_http_icon_and_a_no_reply_address_are_not_kept(stack) -> None:  # type: ignore[no-untyped-def]
    shop_id, _ = connect(stack, site_icon_url="http://tea-and-co.example/icon.png",
                         email_from_address="noreply@tea-and-co.example")
    shop = shop_row(stack, "woocommerce", STORE)
    assert (shop.store_name, shop.store_logo_url, shop.contact_email) == (NAME, None, None)
    shown = voice(stack, shop_id)
    assert shown.logo_url == "" and shown.missing == ("support e-mail",)  # asked for, never the deployment's


def test_a_store_without_an_icon_shows_its_name_and_one_without_a_title_is_asked_for_it(stack) -> None:  # type: ignore[no-untyped-def]
    shop_id, _ = connect(stack, site_icon_url="", site_name="")
    shop = shop_row(stack, "woocommerce", STORE)
    assert (shop.store_name, shop.store_logo_url, shop.contact_email) == (None, None, FROM)
    shown = voice(stack, shop_id)
    assert (shown.shop_name, shown.logo_url, shown.missing) == ("tea-and-co.example", "", ("shop name",))


def test_settings_refused_to_the_keys_still_connect_with_the_name_and_the_refusal_recorded(stack) -> None:  # type: ignore[no-untyped-def]
    shop_id, _ = connect(stack, keys_manage_woocommerce=False)
    shop = shop_row(stack, "woocommerce", STORE)
    assert shop.status == "active" and (shop.store_name, shop.store_logo_url, shop.contact_email) == (NAME, ICON, None)
    assert shop.brand_read_error and "manage_woocommerce" in shop.brand_read_error
    assert voice(stack, shop_id).missing == ("support e-mail",)


def test_the_health_check_reads_again_a_day_later_and_a_blocked_index_keeps_what_was_read(stack) -> None:  # type: ignore[no-untyped-def]
    shop_id, _ = connect(stack)
    reads = stack.sandbox.woocommerce.index_reads
    assert len(reads) == 1
    report = check_subscriptions(stack.container, shop_id)
    assert report.status == "active" and report.brand_error is None and len(reads) == 1  # read today already

    store = store_for(stack.sandbox.woocommerce, STORE)
    store.site_name, store.site_icon_url = "Tea & Co", ""  # renamed, icon removed
    age_the_read(stack, shop_id, timedelta(days=1, minutes=1))
    assert check_subscriptions(stack.container, shop_id).brand_error is None and len(reads) == 2
    shop = shop_row(stack, "woocommerce", STORE)
    assert (shop.store_name, shop.store_logo_url, shop.contact_email) == ("Tea & Co", None, FROM)

    store.index_refused, store.site_name = True, "Never read"
    age_the_read(stack, shop_id, timedelta(days=1, minutes=1))
    report = check_subscriptions(stack.container, shop_id)
    assert report.status == "active" and report.brand_error and "site index not read" in report.brand_error
    shop = shop_row(stack, "woocommerce", STORE)
    assert shop.store_name == "Tea & Co" and shop.brand_read_error == report.brand_error
    check_subscriptions(stack.container, shop_id)
    assert len(reads) == 3  # tried: not asked again within the day


def test_brand_from_store_off_keeps_the_icon_out_but_still_reads_the_name(stack) -> None:  # type: ignore[no-untyped-def]
    shop_id, _ = connect(stack)
    set_setting(stack.container.uow(), shop_id, "brand.from_store", False)
    store_for(stack.sandbox.woocommerce, STORE).site_name = "Tea & Co"
    read = read_woo_identity(stack.container, shop_id, stack.container.woocommerce_webhooks(
        STORE, stack.container.settings.woocommerce_api_base, *keys_of(stack, shop_id)), force=True)
    assert read.error is None and read.logo_url is None
    shop = shop_row(stack, "woocommerce", STORE)
    assert (shop.store_name, shop.store_logo_url) == ("Tea & Co", ICON)  # the icon read before is left as it was


def keys_of(stack: LocalStack, shop_id: int) -> tuple[str, str]:
    creds = stack.container.shop_access(shop_id).credentials
    return creds.consumer_key or "", creds.consumer_secret or ""


# -- the capture e-mail in the store's name and icon ----------------------------------------------------------

@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with SmtpSink() as running:
        yield running


def test_a_capture_email_carries_the_name_icon_and_reply_address_read_from_the_store(
        database_url: str, sink: SmtpSink, sim: WooCommerceSimulator, server: ServerHandle) -> None:
    h = Harness(database_url, sink)
    try:
        shop = add_shop(h.container.uow(), h.container.box, Platform.WOOCOMMERCE, STORE,
                        ShopCredentials(consumer_key=KEY, consumer_secret=SECRET), api_base=server.url)
        h.shop_id = shop.id
        read = read_woo_identity(h.container, shop.id, h.container.woocommerce_webhooks(STORE, server.url, KEY, SECRET),
                                 force=True)
        assert read.error is None
        h.backorder(expected=days(20))
        assert h.evaluate().sent == 1
        [mail] = sink.to("ada@example.com")
        html = mail.part("html")
        assert f'<img src="{ICON}" alt="Tea &amp; Co&#39;s"' in html and f'href="{STORE}/"' in html
        assert mail.message["Reply-To"] == FROM
        assert parseaddr(str(mail.message["From"])) == (NAME, "orders@tea.example")  # the deployment's domain
    finally:
        h.close()
