"""The WooCommerce plugin's PHP talking to the real connector over HTTP on loopback: the connector app
on a real database, served by a real server; the plugin on the PHP CLI with WordPress stood in for
(tests/support/wordpress.php), whose wp_remote_post makes the real request. What the connector
accepts is what the plugin signs; what the plugin hands WordPress is built from the connector's answers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import select

from connector.db.models import Order
from sandbox.serve import ServerHandle, serve_in_thread
from tests.support.webapp import STORE, WOO_SECRET, WebApp, make_webapp
from tests.support.wordpress_plugin import customer_order, run_plugin

JOHN, JANE = "john@example.com", "jane@example.com"


@pytest.fixture
def live(database_url: str) -> Iterator[tuple[WebApp, ServerHandle]]:
    web = make_webapp(database_url)
    server = serve_in_thread(web.app)
    web.container.settings = web.container.settings.with_overrides(app_url=server.url)
    yield web, server
    server.stop()


def configured(server: ServerHandle, secret: str = WOO_SECRET) -> str:
    return (f"$GLOBALS['wp']['options']['home'] = '{STORE}';"
            f"$GLOBALS['wp']['options']['backorder_connector_url'] = '{server.url}';"
            f"$GLOBALS['wp']['options']['backorder_connector_secret'] = '{secret}';"
            "$GLOBALS['wp']['user'] = array( 'ID' => 12, 'user_login' => 'mia' );")


OPEN_APP = """
try { do_action( 'load-woocommerce_page_backorder-connector' ); $out = array( 'redirect' => null ); }
catch ( WP_Redirect $r ) { $out = array( 'redirect' => $r->location, 'status' => $r->status ); }
ob_start(); do_action( 'admin_notices' ); $out['notices'] = ob_get_clean();
"""


def test_the_menu_item_opens_the_app_through_a_link_the_connector_minted_for_the_plugins_request(
        live: tuple[WebApp, ServerHandle], tmp_path: Path) -> None:
    web, server = live
    out = run_plugin(tmp_path, OPEN_APP, setup=configured(server))
    assert out["notices"] == "" and out["status"] == 303
    link = out["redirect"]
    assert link.startswith(f"{server.url}/app/woocommerce/enter?store={web.store_id}&token=")
    with requests.Session() as browser:
        entered = browser.get(link, allow_redirects=False, timeout=10)
        assert entered.status_code == 303 and entered.headers["Location"].endswith("/app")
        home = browser.get(f"{server.url}/app", timeout=10)
        assert home.status_code == 200 and "tea.example" in home.text
    again = requests.get(link, allow_redirects=False, timeout=10)
    assert again.status_code == 401  # single use


def test_a_wrong_store_secret_or_an_unreachable_connector_is_shown_as_a_notice(
        live: tuple[WebApp, ServerHandle], tmp_path: Path) -> None:
    _, server = live
    wrong = run_plugin(tmp_path, OPEN_APP, setup=configured(server, secret="not-the-store-secret"))
    assert wrong["redirect"] is None
    assert "refused the request (signature refused). Check the store secret" in wrong["notices"]
    closed = configured(server).replace(server.url, "http://127.0.0.1:9")
    down = run_plugin(tmp_path, OPEN_APP, setup=closed)
    assert down["redirect"] is None and "could not be reached" in down["notices"]


EXPORT_ALL = """$out = array(); $page = 1;
do { $r = backorder_connector_export_personal_data( 'John@Example.com', $page++ );
     if ( is_wp_error( $r ) ) { $out[] = $r->get_error_message(); break; } $out[] = $r; } while ( ! $r['done'] );"""
ERASE = """$r = backorder_connector_erase_personal_data( 'john@example.com', 1 );
$out = is_wp_error( $r ) ? $r->get_error_message() : $r;"""


def test_the_exporter_pages_through_what_the_connector_holds_in_wordpress_shapes(
        live: tuple[WebApp, ServerHandle], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from connector.privacy import wordpress

    web, server = live
    monkeypatch.setattr(wordpress, "PAGE_ITEMS", 3)  # the server runs in this process
    customer_order(web.container, web.store_id, JOHN, 901)
    customer_order(web.container, web.store_id, JOHN, 902, message=False)  # 3 items
    customer_order(web.container, web.store_id, JANE, 903)
    pages = run_plugin(tmp_path, EXPORT_ALL, setup=configured(server))
    assert [p["done"] for p in pages] == [False, False, True]
    items = [item for page in pages for item in page["data"]]
    assert len(items) == 7 and len({i["item_id"] for i in items}) == 7
    for item in items:
        assert set(item) == {"group_id", "group_label", "group_description", "item_id", "data"}
        assert all(set(pair) == {"name", "value"} and isinstance(pair["value"], str) for pair in item["data"])
    names = {pair["value"] for item in items for pair in item["data"] if pair["name"] == "name"}
    assert names == {"#901", "#902"} and JANE not in json.dumps(pages)


def test_the_eraser_erases_in_the_connector_and_says_so(live: tuple[WebApp, ServerHandle], tmp_path: Path) -> None:
    web, server = live
    customer_order(web.container, web.store_id, JOHN, 911)
    customer_order(web.container, web.store_id, JANE, 912)
    first = run_plugin(tmp_path, ERASE, setup=configured(server))
    assert first["items_removed"] is True and first["items_retained"] is False and first["done"] is True
    assert len(first["messages"]) == 1
    with web.container.uow() as uow:
        emails = dict(uow.session.execute(select(Order.name, Order.customer_email)).all())  # type: ignore[union-attr]
    assert emails == {"#911": None, "#912": JANE}
    second: Any = run_plugin(tmp_path, ERASE, setup=configured(server))
    assert second == {"items_removed": False, "items_retained": False, "messages": [], "done": True}
    refused = run_plugin(tmp_path, ERASE, setup=configured(server, secret="not-the-store-secret"))
    assert isinstance(refused, str) and "refused the request" in refused
