"""The install and connect pages (issue 18): what a merchant's browser sees at every step and failure, and
that API clients keep their JSON. Against the sandbox's Shopify and WooCommerce simulators over real
HTTP (they call the connector back), with the pages read through the Flask test client, on SQLite and
PostgreSQL.
"""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from urllib.parse import urlsplit

import pytest
import requests
from flask.testing import FlaskClient
from sqlalchemy import update

from connector.app import create_app
from connector.domain.clock import utcnow
from connector.install.models import PendingConnect
from sandbox.stack import LocalStack, start_stack
from tests.support.install_flows import approve, callback_params, install_query

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"}
API = {"Accept": "application/json"}
NEW_SHOP = "fresh-shop.myshopify.com"
NEW_STORE = "https://new-store.example"
SUPPORT = "help@connector.example"
AGAIN = "/woocommerce/connect?store_url=https%3A%2F%2Fnew-store.example"


@pytest.fixture
def stack(database_url: str):  # type: ignore[no-untyped-def]
    with start_stack(database_url=database_url, worker_threads=0, app_support_email=SUPPORT) as running:
        yield running


@pytest.fixture
def client(stack: LocalStack) -> FlaskClient:
    return create_app(container=stack.container).test_client()


def local(url: str) -> str:
    """A URL on the connector as the test client's path and query."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def text_of(answer) -> str:  # type: ignore[no-untyped-def]
    """The page's words, tags removed (entities decoded), spaces collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", answer.get_data(as_text=True))).split())


def assert_is_a_page(answer) -> None:  # type: ignore[no-untyped-def]
    html = answer.get_data(as_text=True)
    assert answer.mimetype == "text/html", answer.data[:200]
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert '<html lang="en">' in html and "<title>" in html
    assert "min-height: 44px" in html  # the buttons' tap target
    nonce = re.search(r'<style nonce="([^"]+)">', html).group(1)  # type: ignore[union-attr]
    assert f"style-src 'nonce-{nonce}'" in answer.headers["Content-Security-Policy"]
    assert answer.headers["Cache-Control"] == "no-store"
    assert f'href="mailto:{SUPPORT}"' in html  # how to reach support
    assert "Traceback" not in html and '{"error"' not in html


def buttons(answer) -> dict[str, str]:  # type: ignore[no-untyped-def]
    html = answer.get_data(as_text=True)
    return {unescape(label.strip()): unescape(href)
            for href, label in re.findall(r'<a class="button[^"]*" href="([^"]+)"[^>]*>([^<]+)</a>', html)}


def start_connect(client: FlaskClient, store: str = NEW_STORE) -> str:
    """GET /woocommerce/connect: the wc-auth authorize URL (with the attempt's one-time user_id)."""
    started = client.get("/woocommerce/connect", query_string={"store_url": store}, headers=BROWSER)
    assert started.status_code == 302, started.data[:300]
    return started.headers["Location"]


# -- Shopify ---------------------------------------------------------------------------------------------

def shopify_callback(stack: LocalStack, client: FlaskClient) -> str:
    stack.sandbox.shopify.oauth.auto_approve = True
    started = client.get("/shopify/install", query_string=install_query(stack, NEW_SHOP), headers=BROWSER)
    assert started.status_code == 302
    return approve(started.headers["Location"])


def test_a_browser_finishing_a_shopify_install_goes_straight_into_the_app_in_its_admin(
        stack: LocalStack, client: FlaskClient) -> None:
    """Shopify's App Store requirements: the app's UI right after installation, not a page of our own."""
    answer = client.get(local(shopify_callback(stack, client)), headers=BROWSER)
    api_key = stack.sandbox.shopify.oauth.api_key
    assert answer.status_code == 302
    assert answer.headers["Location"] == f"https://admin.shopify.com/store/fresh-shop/apps/{api_key}"


def test_shopify_install_failures_are_pages_for_browsers_and_json_for_api_clients(
        stack: LocalStack, client: FlaskClient) -> None:
    forged = install_query(stack, NEW_SHOP, secret="not-the-app-secret")
    page = client.get("/shopify/install", query_string=forged, headers=BROWSER)
    assert page.status_code == 401
    assert_is_a_page(page)
    assert "This install link could not be checked" in text_of(page)
    assert "hmac" not in page.get_data(as_text=True).lower()  # no raw error text
    assert buttons(page) == {"Go to the apps in your Shopify admin":
                             "https://admin.shopify.com/store/fresh-shop/settings/apps"}
    api = client.get("/shopify/install", query_string=forged, headers=API)
    assert api.status_code == 401 and api.json == {"error": "hmac does not match the query"}
    assert client.get("/shopify/install", query_string=forged).json == {"error": "hmac does not match the query"}

    elsewhere = client.get("/shopify/install", query_string=install_query(stack, "evil.example.com"), headers=BROWSER)
    assert elsewhere.status_code == 400 and "does not name a Shopify store" in text_of(elsewhere)
    assert buttons(elsewhere) == {}  # no link built from a domain that is not a shop's


def test_a_used_or_expired_approval_says_so_and_points_back_to_the_shops_apps(
        stack: LocalStack, client: FlaskClient) -> None:
    callback = local(shopify_callback(stack, client))
    assert client.get(callback, headers=BROWSER).status_code == 302
    replay = client.get(callback, headers=BROWSER)
    assert replay.status_code == 401
    assert_is_a_page(replay)
    assert "This approval link has already been used or has expired" in text_of(replay)
    assert "already used" not in replay.get_data(as_text=True)  # the log's words, not the page's
    assert buttons(replay) == {"Go to the apps in your Shopify admin":
                               "https://admin.shopify.com/store/fresh-shop/settings/apps"}
    assert client.get(callback, headers=API).json == {"error": "state was already used"}

    no_code = {k: v for k, v in callback_params(shopify_callback(stack, client)).items() if k != "code"}
    resigned = install_query(stack, NEW_SHOP, **{k: v for k, v in no_code.items() if k not in ("shop", "hmac",
                                                                                                "timestamp")})
    missing = client.get("/shopify/callback", query_string=resigned, headers=BROWSER)
    assert missing.status_code == 400 and "Shopify did not confirm the install" in text_of(missing)


# -- WooCommerce ----------------------------------------------------------------------------------------

def test_connected_is_shown_only_once_the_attempts_keys_are_stored_and_names_the_store_escaped(
        stack: LocalStack, client: FlaskClient) -> None:
    authorize = start_connect(client)
    user_id = callback_params(authorize)["user_id"]
    early = client.get("/woocommerce/connected", query_string={"success": "1", "user_id": user_id}, headers=BROWSER)
    assert early.status_code == 202  # success=1 but no keys yet: not connected
    assert_is_a_page(early)
    assert "We are still waiting for WooCommerce's keys" in text_of(early)
    assert "new-store.example is connected" not in text_of(early) and "Not connected yet" in text_of(early)
    retry = buttons(early)["Check again"]
    assert retry == f"/woocommerce/connected?success=1&user_id={user_id}"
    assert buttons(early)["Start connecting again"] == f"{stack.url}{AGAIN}"

    returned = requests.get(authorize, allow_redirects=False, timeout=70)  # wc-auth posts the keys, then returns
    assert returned.status_code == 302 and "success=1" in returned.headers["Location"]
    with stack.container.uow() as uow:
        shop = uow.shops.by_domain("woocommerce", NEW_STORE)
        assert shop is not None and stack.container.box.open(shop.credentials).consumer_key
        shop.store_name = "Tea & <Co>"  # as the store may call itself
        uow.commit()
    answer = client.get(retry, headers=BROWSER)
    assert answer.status_code == 200
    assert_is_a_page(answer)
    html = answer.get_data(as_text=True)
    assert "Tea &amp; &lt;Co&gt; is connected" in html and "<Co>" not in html
    assert "Read from the webhook" in text_of(answer)
    assert buttons(answer) == {
        "Open the connector's settings in WordPress":
            f"{NEW_STORE}/wp-admin/admin.php?page=backorder-connector-settings",
        "Open WooCommerce › Backorders": f"{NEW_STORE}/wp-admin/admin.php?page=backorder-connector"}
    api = client.get(retry, headers=API)
    assert api.status_code == 200 and api.json == {"status": "connected", "approved": True, "store_url": NEW_STORE}


def test_keys_that_were_not_approved_or_did_not_work_or_came_too_late_say_not_connected_and_start_again(
        stack: LocalStack, client: FlaskClient) -> None:
    user_id = callback_params(start_connect(client))["user_id"]
    declined = client.get("/woocommerce/connected", query_string={"success": "0", "user_id": user_id},
                          headers=BROWSER)
    assert declined.status_code == 200
    assert_is_a_page(declined)
    assert "The keys were not approved" in text_of(declined) and "Nothing was connected" in text_of(declined)
    assert buttons(declined) == {"Start connecting again": f"{stack.url}{AGAIN}"}

    body = {"key_id": 1, "user_id": user_id, "consumer_key": "ck_wrong", "consumer_secret": "cs_wrong",
            "key_permissions": "read_write"}
    assert client.post("/woocommerce/callback", json=body).status_code == 400  # refused: they do not work
    refused = client.get("/woocommerce/connected", query_string={"success": "1", "user_id": user_id},
                         headers=BROWSER)
    assert refused.status_code == 200 and "The keys from WooCommerce did not work" in text_of(refused)
    assert "still waiting" not in text_of(refused)

    late = callback_params(start_connect(client))["user_id"]
    with stack.container.uow() as uow:
        uow.session.execute(update(PendingConnect).where(PendingConnect.used_at.is_(None))  # type: ignore[union-attr]
                            .values(expires_at=utcnow() - timedelta(seconds=1)))
        uow.commit()
    expired = client.get("/woocommerce/connected", query_string={"success": "1", "user_id": late}, headers=BROWSER)
    assert expired.status_code == 200 and "This connection expired" in text_of(expired)


def test_an_unknown_or_forged_attempt_gets_a_clear_page_that_names_no_store(
        stack: LocalStack, client: FlaskClient) -> None:
    start_connect(client)  # an attempt exists, for another user_id
    for query in ({"success": "1", "user_id": "guessed"}, {"success": "1"}, {"success": "0", "user_id": "x" * 500}):
        answer = client.get("/woocommerce/connected", query_string=query, headers=BROWSER)
        assert answer.status_code == 404, query
        assert_is_a_page(answer)
        assert "We do not recognise this connection" in text_of(answer)
        assert "new-store" not in answer.get_data(as_text=True)
        assert buttons(answer) == {"Start connecting again": f"{stack.url}/woocommerce/connect"}
    api = client.get("/woocommerce/connected", query_string={"success": "1", "user_id": "guessed"}, headers=API)
    assert api.status_code == 404 and api.json == {"error": "unknown connect attempt"}


def test_the_connect_link_asks_a_browser_for_the_store_and_says_what_is_wrong_with_an_address(
        stack: LocalStack, client: FlaskClient) -> None:
    form = client.get("/woocommerce/connect", headers=BROWSER)
    assert form.status_code == 200
    assert_is_a_page(form)
    html = form.get_data(as_text=True)
    assert '<label for="store_url">' in html and 'type="url"' in html and "Continue to WooCommerce" in html
    assert "form-action 'self' https:" in form.headers["Content-Security-Policy"]  # on to the store's approval

    typed = "ftp://tea.example/<b>&"
    refused = client.get("/woocommerce/connect", query_string={"store_url": typed}, headers=BROWSER)
    assert refused.status_code == 400
    assert "This address cannot be connected" in text_of(refused)
    assert 'value="ftp://tea.example/&lt;b&gt;&amp;"' in refused.get_data(as_text=True)
    assert 'aria-invalid="true"' in refused.get_data(as_text=True)
    api = client.get("/woocommerce/connect", query_string={"store_url": typed}, headers=API)
    assert api.status_code == 400 and api.json == {"error": "store_url must be an https:// URL"}
    assert client.get("/woocommerce/connect").status_code == 400  # no Accept: JSON, as before


def test_a_replayed_key_delivery_opened_in_a_browser_is_a_page_and_json_for_woocommerce(
        stack: LocalStack, client: FlaskClient) -> None:
    requests.get(start_connect(client), allow_redirects=False, timeout=70)
    url, payload = stack.sandbox.woocommerce.auth_callbacks[-1]
    assert client.post(local(url), json=payload).json == {"error": "keys for this user_id were already delivered"}
    page = client.post(local(url), json=payload, headers=BROWSER)
    assert page.status_code == 409
    assert_is_a_page(page)
    assert "These keys were already delivered" in text_of(page)


def test_the_rate_limit_is_a_page_for_a_browser(database_url: str) -> None:
    with start_stack(database_url=database_url, worker_threads=0, install_rate_limit="1/minute",
                     app_support_email=SUPPORT) as limited:
        client = create_app(container=limited.container).test_client()
        client.get("/woocommerce/connect", headers=BROWSER)
        page = client.get("/woocommerce/connect", headers=BROWSER)
        assert page.status_code == 429 and int(page.headers["Retry-After"]) > 0
        assert_is_a_page(page)
        assert f"Wait {page.headers['Retry-After']} seconds" in text_of(page)
        plain = client.get("/woocommerce/connect")
        assert plain.status_code == 429 and plain.mimetype == "text/plain"


def test_each_return_page_names_its_own_store(stack: LocalStack, client: FlaskClient) -> None:
    """Two attempts for two stores: each return page names its own store, never the other's."""
    first, second = start_connect(client, "https://one.example"), start_connect(client, "https://two.example")
    for authorize in (first, second):
        assert "success=1" in requests.get(authorize, allow_redirects=False, timeout=70).headers["Location"]
    for authorize, store, other in ((first, "https://one.example", "two.example"),
                                    (second, "https://two.example", "one.example")):
        user_id = callback_params(authorize)["user_id"]
        answer = client.get("/woocommerce/connected", query_string={"success": "1", "user_id": user_id},
                            headers=BROWSER)
        assert answer.status_code == 200 and f"{store.removeprefix('https://')} is connected" in text_of(answer)
        assert other not in answer.get_data(as_text=True)


# -- the data export's download link ---------------------------------------------------------------------

def test_an_export_link_that_does_not_work_or_expired_is_a_page_for_a_browser_and_json_for_the_app(
        database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from connector.privacy import privacy
    from tests.support.webapp import make_webapp

    web = make_webapp(database_url, app_url="https://connector.example", app_support_email=SUPPORT,
                      privacy_export_link_days=7)
    try:
        export_id = privacy.export_customer(web.container, web.shop_id,
                                            privacy.Customer("ada@example.com", (), "c-1"), "req-1")
        link = privacy.download_link(web.container, export_id)
        url = f"/privacy/exports/{export_id}?token={link.token}"
        assert web.client.get(url, headers=BROWSER).status_code == 200  # the export itself, as a download

        wrong = web.client.get(f"/privacy/exports/{export_id}?token=guess", headers=BROWSER)
        assert wrong.status_code == 404
        assert_is_a_page(wrong)
        assert "This download link does not work" in text_of(wrong)
        assert web.client.get(f"/privacy/exports/{export_id}?token=guess").json == {"error": "no such export"}

        later = utcnow() + timedelta(days=7, minutes=1)
        monkeypatch.setattr(privacy, "utcnow", lambda: later)
        expired = web.client.get(url, headers=BROWSER)
        assert expired.status_code == 410
        assert_is_a_page(expired)
        words = text_of(expired)
        assert "This download link has expired" in words
        assert f"stopped working on {link.expires_at.strftime('%Y-%m-%d %H:%M UTC')}" in words
        api = web.client.get(url, headers=API)
        assert api.status_code == 410 and "download link expired on" in api.json["error"]
    finally:
        web.container.close()
