"""The merchant app's authentication over HTTP (Flask's client, a real database): Shopify session
tokens on document loads and fetches, the bounce page, the security headers, CSRF, WooCommerce app
links and session cookies. Every refusal is tried as an attacker would send it."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Blueprint, g
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from connector.db.models import Backorder
from connector.domain.clock import utcnow
from connector.domain.model import Platform, ShopCredentials
from connector.merchant.auth import COOKIE, _app_keys
from connector.merchant.shell import merchant_view
from connector.shops import add_shop
from tests.support.merchant import API_KEY, app_path, bearer, csrf_token, link_request, session_token, woo_link
from tests.support.webapp import SHOP, SHOPIFY_SECRET, STORE, WOO_SECRET, WebApp, make_webapp

OTHER = "other-shop.myshopify.com"


@pytest.fixture
def web(database_url: str) -> Iterator[WebApp]:
    webapp = make_webapp(database_url, shopify_api_key=API_KEY, app_url="https://connector.example",
                         shopify_admin_base="http://127.0.0.1:9", http_max_attempts=1)
    probe = Blueprint("probe", __name__)

    @probe.route("/app/probe", methods=["GET", "POST"])
    @merchant_view
    def answer() -> Any:
        return {"shop_id": g.merchant.shop_id, "shop": g.merchant.shop_domain, "platform": g.merchant.platform,
                "actor": g.merchant.actor}

    webapp.app.register_blueprint(probe)
    yield webapp


def token(shop: str = SHOP, **claims: Any) -> str:
    return session_token(shop, SHOPIFY_SECRET, **claims)


def waiting_backorder(web: WebApp, shop_id: int, quantity: int = 3) -> None:
    from connector.db.models import Order, OrderLine

    with web.container.uow() as uow:
        now = utcnow()
        order = Order(shop_id=shop_id, platform_order_id=f"o-{shop_id}", name="#1001", status="open",
                      ordered_at=now, platform_updated_at=now)
        line = OrderLine(shop_id=shop_id, order=order, platform_line_id=f"l-{shop_id}", sku="TEA-1",
                         quantity=quantity)
        uow.session.add_all([order, line])  # type: ignore[union-attr]
        uow.session.flush()  # type: ignore[union-attr]
        uow.session.add(Backorder(shop_id=shop_id, order_line_id=line.id, sku="TEA-1",  # type: ignore[union-attr]
                                  quantity_backordered=quantity, status="open"))
        uow.commit()


# -- Shopify --------------------------------------------------------------------------------------------

def test_a_valid_session_token_opens_the_home_page_of_its_shop_with_app_bridge_and_security_headers(web: WebApp):
    waiting_backorder(web, web.shop_id, quantity=3)
    answer = web.client.get(app_path("/app", SHOP, token()))
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert SHOP in html and 'data-testid="waiting-lines">1<' in html and "3 units" in html
    assert f'<meta name="shopify-api-key" content="{API_KEY}">' in html
    assert '<script src="https://cdn.shopify.com/shopifycloud/app-bridge.js"></script>' in html
    csp = answer.headers["Content-Security-Policy"]
    assert f"frame-ancestors https://{SHOP} https://admin.shopify.com;" in csp
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Referrer-Policy"] == "same-origin"
    assert answer.headers["Cache-Control"] == "no-store"


def test_links_and_forms_carry_the_session_so_pages_open_without_javascript(web: WebApp):
    first = token()
    html = web.client.get(app_path("/app", SHOP, first)).get_data(as_text=True)
    assert f'/app/backorders?shop={SHOP}&amp;host=' in html and f"id_token={first}" in html


def test_the_session_token_decides_the_shop_not_the_query_string(web: WebApp):
    other = add_shop(web.container.uow(), web.container.box, Platform.SHOPIFY, OTHER,
                     ShopCredentials(access_token="t2"))
    waiting_backorder(web, web.shop_id)
    answer = web.client.get(app_path("/app", SHOP, token(OTHER)))  # shop= says SHOP, the token says OTHER
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and OTHER in html and 'data-testid="waiting-lines">0<' in html
    probe = web.client.get("/app/probe", headers=bearer(token(OTHER))).get_json()
    assert probe == {"shop_id": other.id, "shop": OTHER, "platform": "shopify", "actor": "shopify:73"}


@pytest.mark.parametrize("forged", [
    pytest.param(lambda: session_token(SHOP, "not-the-app-secret"), id="signed with another secret"),
    pytest.param(lambda: token(aud="another-app"), id="for another app"),
    pytest.param(lambda: token(dest=f"https://{OTHER}"), id="iss and dest differ"),
    pytest.param(lambda: token(sid=None), id="without sid"),
    pytest.param(lambda: token(nbf=int(time.time()) + 600), id="not valid yet"),
    pytest.param(lambda: token()[:-4] + "AAAA", id="signature changed"),
    pytest.param(lambda: "not-a-jwt", id="garbage"),
])
def test_a_forged_session_token_is_refused_on_pages_and_fetches(web: WebApp, forged: Any):
    waiting_backorder(web, web.shop_id)
    page = web.client.get(app_path("/app", SHOP, forged()))
    assert page.status_code == 401 and "waiting-lines" not in page.get_data(as_text=True)
    fetch = web.client.get("/app/probe", headers={**bearer(forged()), "Accept": "application/json"})
    assert fetch.status_code == 401 and "error" in fetch.get_json()
    assert fetch.headers["X-Shopify-Retry-Invalid-Session-Request"] == "1"


def test_a_token_of_a_shop_that_is_not_installed_is_refused(web: WebApp):
    answer = web.client.get("/app/probe", headers=bearer(token(OTHER)))
    assert answer.status_code == 401  # the token exchange (to an address that refuses) could not install it
    with web.container.uow() as uow:
        assert uow.shops.by_domain("shopify", OTHER) is None


def test_an_uninstalled_shop_cannot_open_the_app(web: WebApp):
    with web.container.uow() as uow:
        shop = uow.shops.get(web.shop_id)
        assert shop is not None
        shop.status = "uninstalled"
        uow.commit()
    assert web.client.get(app_path("/app", SHOP, token())).status_code == 401


def test_an_expired_token_on_a_document_load_bounces_through_app_bridge_keeping_the_address(web: WebApp):
    stale = token(now=time.time() - 3600)
    answer = web.client.get(app_path("/app/probe", SHOP, stale, status="open"))
    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert location.startswith("/app/session-token?") and "id_token" not in location
    bounce = web.client.get(location)
    html = bounce.get_data(as_text=True)
    assert bounce.status_code == 200 and f'content="{API_KEY}"' in html and "app-bridge.js" in html
    assert "https://admin.shopify.com/store/signed-shop/apps/" + API_KEY in html
    from urllib.parse import parse_qs, urlsplit

    reload_to = parse_qs(urlsplit(location).query)["shopify-reload"][0]
    assert reload_to.startswith("/app/probe?") and "status=open" in reload_to


def test_a_document_load_without_a_token_bounces_and_a_fetch_gets_401(web: WebApp):
    assert web.client.get(f"/app?shop={SHOP}&host=abc").status_code == 302
    assert web.client.get("/app").status_code == 401
    fetch = web.client.get("/app/probe", headers={"Accept": "application/json"})
    assert fetch.status_code == 401 and fetch.get_json()["error"]


def test_an_expired_token_on_a_fetch_is_a_401_that_app_bridge_retries(web: WebApp):
    answer = web.client.get("/app/probe", headers=bearer(token(now=time.time() - 3600)))
    assert answer.status_code == 401
    assert answer.headers["X-Shopify-Retry-Invalid-Session-Request"] == "1"


def test_the_bounce_page_reloads_only_app_pages(web: WebApp):
    for target in ("https://evil.example/app", "//evil.example/app", "/admin", "/application"):
        answer = web.client.get("/app/session-token", query_string={"shop": SHOP, "shopify-reload": target})
        assert answer.status_code == 400, target


def test_a_form_post_needs_the_csrf_token_of_its_session(web: WebApp):
    page = web.client.get(app_path("/app", SHOP, token(user="5")))
    csrf = csrf_token(page.get_data(as_text=True))
    fresh = token(user="5")
    assert web.client.post("/app/probe", data={"id_token": fresh}).status_code == 403
    altered = ("y" if csrf[0] == "x" else "x") + csrf[1:]  # another first character, whatever the token's was
    assert web.client.post("/app/probe", data={"id_token": fresh, "csrf_token": altered}).status_code == 403
    other_user = csrf_token(web.client.get(app_path("/app", SHOP, token(user="6"))).get_data(as_text=True))
    assert web.client.post("/app/probe", data={"id_token": fresh, "csrf_token": other_user}).status_code == 403
    ok = web.client.post("/app/probe", data={"id_token": fresh, "csrf_token": csrf})
    assert ok.status_code == 200 and ok.get_json()["actor"] == "shopify:5"


def test_a_post_with_a_bearer_token_needs_no_csrf_token(web: WebApp):
    assert web.client.post("/app/probe", headers=bearer(token())).status_code == 200


# -- WooCommerce ----------------------------------------------------------------------------------------

def enter(web: WebApp, link: str) -> Any:
    return web.client.get(link.removeprefix("https://connector.example"))


def test_a_woocommerce_link_opens_once_and_starts_an_http_only_session(web: WebApp):
    waiting_backorder(web, web.store_id, quantity=2)
    link = woo_link(web.container, web.store_id, user_id="9", user_login="ann")
    opened = enter(web, link)
    assert opened.status_code == 303 and opened.headers["Location"] == "/app"
    cookie = opened.headers["Set-Cookie"]
    assert cookie.startswith(f"{COOKIE}=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" in cookie and "Path=/app" in cookie and "Max-Age=28800" in cookie
    home = web.client.get("/app")
    html = home.get_data(as_text=True)
    assert home.status_code == 200 and STORE in html and 'data-testid="waiting-lines">1<' in html
    assert "app-bridge.js" not in html and "shopify-api-key" not in html
    assert "frame-ancestors 'none'" in home.headers["Content-Security-Policy"]
    assert web.client.get("/app/probe").get_json()["actor"] == "woocommerce:9:ann"
    web.client.delete_cookie(COOKIE, path="/app")
    again = enter(web, link)
    assert again.status_code == 401 and "already used" in again.get_data(as_text=True)
    assert "Set-Cookie" not in again.headers


def test_an_expired_woocommerce_link_does_not_open(web: WebApp):
    link = woo_link(web.container, web.store_id, minted_at=utcnow() - timedelta(minutes=6))
    answer = enter(web, link)
    assert answer.status_code == 401 and "expired" in answer.get_data(as_text=True)


def test_a_changed_or_misdirected_woocommerce_link_does_not_open(web: WebApp):
    link = woo_link(web.container, web.store_id)
    other = add_shop(web.container.uow(), web.container.box, Platform.WOOCOMMERCE, "https://coffee.example",
                     ShopCredentials(consumer_key="k", consumer_secret="s", webhook_secret="coffee-secret"))
    assert enter(web, link.replace(f"store={web.store_id}", f"store={other.id}")).status_code == 401
    assert enter(web, link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")).status_code == 401
    assert enter(web, link.replace("token=", "token=x")).status_code == 401
    assert enter(web, "/app/woocommerce/enter?store=abc&token=").status_code == 401
    assert enter(web, link).status_code == 303  # the genuine one still opens


def test_a_shopify_shop_cannot_be_entered_through_a_woocommerce_link(web: WebApp):
    answer = enter(web, f"/app/woocommerce/enter?store={web.shop_id}&token=a.b")
    assert answer.status_code == 401


def test_a_forged_or_stale_session_cookie_is_refused(web: WebApp):
    enter(web, woo_link(web.container, web.store_id))
    web.client.set_cookie(COOKIE, "eyJzIjoxfQ.forged.sig", path="/app")
    assert web.client.get("/app").status_code == 401

    class EightHoursAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 8 * 3600 - 5

    keys = list(reversed(_app_keys(web.container, "session")))
    old = URLSafeTimedSerializer(keys, salt="merchant-session", signer=EightHoursAgo)
    web.client.set_cookie(COOKIE, old.dumps({"s": web.store_id, "a": "woocommerce:1:admin", "n": "x"}), path="/app")
    answer = web.client.get("/app")
    assert answer.status_code == 401 and "expired" in answer.get_data(as_text=True)
    fresh = URLSafeTimedSerializer(keys, salt="merchant-session")
    web.client.set_cookie(COOKIE, fresh.dumps({"s": web.store_id, "a": "woocommerce:1:admin", "n": "x"}), path="/app")
    assert web.client.get("/app").status_code == 200  # the same cookie, young: the age is what refused it


def test_a_woocommerce_form_post_needs_its_csrf_token(web: WebApp):
    enter(web, woo_link(web.container, web.store_id))
    csrf = csrf_token(web.client.get("/app").get_data(as_text=True))
    assert web.client.post("/app/probe").status_code == 403
    assert web.client.post("/app/probe", data={"csrf_token": csrf + "x"}).status_code == 403
    assert web.client.post("/app/probe", data={"csrf_token": csrf}).status_code == 200
    assert web.client.post("/app/probe", headers={"X-CSRF-Token": csrf}).status_code == 200


def test_the_plugin_gets_a_link_for_a_signed_fresh_request(web: WebApp):
    body, headers = link_request(STORE, WOO_SECRET, user_id="3", user_login="bob")
    answer = web.client.post("/app/woocommerce/link", data=body, headers=headers)
    assert answer.status_code == 200
    url = answer.get_json()["url"]
    assert url.startswith(f"https://connector.example/app/woocommerce/enter?store={web.store_id}&token=")
    assert enter(web, url).status_code == 303
    assert web.client.get("/app/probe").get_json()["actor"] == "woocommerce:3:bob"
    replay = web.client.post("/app/woocommerce/link", data=body, headers=headers)
    assert replay.status_code == 401


def test_a_bad_signature_and_an_unknown_store_get_the_same_refusal(web: WebApp):
    body, headers = link_request(STORE, "wrong-secret")
    bad = web.client.post("/app/woocommerce/link", data=body, headers=headers)
    body, headers = link_request("https://unknown.example", WOO_SECRET)
    unknown = web.client.post("/app/woocommerce/link", data=body, headers=headers)
    assert bad.status_code == unknown.status_code == 401
    assert bad.get_json() == unknown.get_json() == {"error": "signature refused"}
    body, headers = link_request(STORE, WOO_SECRET)
    assert web.client.post("/app/woocommerce/link", data=body, headers={**headers, "X-Connector-Signature": ""}) \
        .get_json() == {"error": "signature refused"}


def test_a_stale_or_malformed_plugin_request_is_refused(web: WebApp):
    body, headers = link_request(STORE, WOO_SECRET, timestamp=time.time() - 400)
    assert web.client.post("/app/woocommerce/link", data=body, headers=headers).status_code == 401
    body, headers = link_request(STORE, WOO_SECRET, timestamp=time.time() + 400)
    assert web.client.post("/app/woocommerce/link", data=body, headers=headers).status_code == 401
    answer = web.client.post("/app/woocommerce/link", data=b"{", headers=headers)
    assert answer.status_code == 400
    big = json.dumps({"store_url": STORE, "pad": "x" * 20000}).encode()
    assert web.client.post("/app/woocommerce/link", data=big, headers=headers).status_code == 413


def test_the_stylesheet_is_served_and_pages_load_no_outside_script_but_app_bridge(web: WebApp):
    css = web.client.get("/app/static/app.css")
    assert css.status_code == 200 and css.mimetype == "text/css"
    html = web.client.get(app_path("/app", SHOP, token())).get_data(as_text=True)
    import re

    sources = re.findall(r'<script[^>]*src="([^"]+)"', html)
    assert sources == ["https://cdn.shopify.com/shopifycloud/app-bridge.js", "/app/static/app.js"]
    assert "<script>" not in html  # no inline script (the CSP allows none)
