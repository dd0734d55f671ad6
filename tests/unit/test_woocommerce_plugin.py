"""The WooCommerce plugin on the PHP CLI: its own code, with WordPress's functions stood in for
(tests/support/wordpress.php) and the connector's answers given. Against the real connector over HTTP:
tests/integration/test_woocommerce_plugin_connector.py."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import subprocess
import time
from pathlib import Path

import pytest

from adapters.woocommerce.catalog import META_KEY
from tests.support.wordpress_plugin import MAIN, PLUGIN, php_binary, run_plugin

SECRET = "store-secret-0123456789abcdef"
CONFIGURED = (f"$GLOBALS['wp']['options']['backorder_connector_url'] = 'https://connector.example/';"
              f"$GLOBALS['wp']['options']['backorder_connector_secret'] = '{SECRET}';")
LINK = "https://connector.example/app/woocommerce/enter?store=2&token=abc.def"
OPEN_APP = """
try { do_action( 'load-woocommerce_page_backorder-connector' ); $out = array( 'redirect' => null ); }
catch ( WP_Redirect $r ) { $out = array( 'redirect' => $r->location, 'status' => $r->status ); }
catch ( WP_Die $d ) { $out = array( 'died' => $d->getMessage(), 'status' => $d->status ); }
ob_start(); do_action( 'admin_notices' ); backorder_connector_app_page(); $out['page'] = ob_get_clean();
$out['requests'] = $GLOBALS['wp']['requests'];
"""


def answers(*replies: tuple[int, object] | str) -> str:
    """PHP setting the connector's next answers: (status, JSON body) or an error string (unreachable)."""
    items = [{"error": r} if isinstance(r, str) else {"code": r[0], "body": json.dumps(r[1])} for r in replies]
    return f"$GLOBALS['wp']['http_answers'] = json_decode({json.dumps(json.dumps(items))}, true);"


def test_every_plugin_file_is_valid_php_and_the_header_names_the_plugin() -> None:
    for path in sorted(PLUGIN.rglob("*.php")):
        lint = subprocess.run([php_binary(), "-l", str(path)], capture_output=True, text=True)
        assert lint.returncode == 0, lint.stdout + lint.stderr
        assert "defined( 'ABSPATH' ) || exit;" in path.read_text() or path.name == "uninstall.php"
    header = MAIN.read_text()[:1200]
    for field in ("Plugin Name: ", "Version: ", "Requires Plugins: ", "Text Domain: ", "License: "):
        assert f"* {field}" in re.sub(r" +", " ", header), field
    assert "Text Domain: backorder-connector" in re.sub(r" +", " ", header)


def test_the_menu_item_sits_under_woocommerce_for_users_who_manage_woocommerce(tmp_path: Path) -> None:
    out = run_plugin(tmp_path, """$out = array( 'menu' => $GLOBALS['wp']['menu'],
        'load' => isset( $GLOBALS['wp']['hooks']['load-woocommerce_page_backorder-connector'] ),
        'saves' => apply_filters( 'option_page_capability_backorder_connector', 'manage_options' ) );""")
    pages = {(p["parent"], p["menu_title"], p["capability"], p["slug"]) for p in out["menu"]}
    assert pages == {("woocommerce", "Backorders", "manage_woocommerce", "backorder-connector"),
                     ("woocommerce", "Backorder connector", "manage_woocommerce", "backorder-connector-settings")}
    assert out["load"] is True and out["saves"] == "manage_woocommerce"
    shop_manager_less = run_plugin(tmp_path, "$out = isset( $GLOBALS['wp']['hooks']"
                                   "['load-woocommerce_page_backorder-connector'] );",
                                   setup="$GLOBALS['wp']['caps'] = array( 'read' );")
    assert shop_manager_less is False


def test_opening_the_menu_item_asks_the_connector_for_a_signed_link_and_redirects_to_it(tmp_path: Path) -> None:
    before = time.time()
    out = run_plugin(tmp_path, OPEN_APP, setup=CONFIGURED + answers((200, {"url": LINK}))
                     + "$GLOBALS['wp']['user'] = array( 'ID' => 7, 'user_login' => 'mia' );")
    assert out["redirect"] == LINK and out["status"] == 303
    (request,) = out["requests"]
    assert request["url"] == "https://connector.example/app/woocommerce/link"
    args = request["args"]
    assert args["redirection"] == 0 and args["headers"]["Content-Type"] == "application/json"
    expected = base64.b64encode(hmac.new(SECRET.encode(), args["body"].encode(), hashlib.sha256).digest()).decode()
    assert args["headers"]["X-Connector-Signature"] == expected
    body = json.loads(args["body"])
    assert body["store_url"] == "https://tea.example/" and body["user_id"] == "7" and body["user_login"] == "mia"
    assert before - 1 <= body["timestamp"] <= time.time() + 1 and re.fullmatch(r"[0-9a-f]{16}", body["nonce"])


@pytest.mark.parametrize(("setup", "notice"), [
    pytest.param("", "is not set up yet", id="not configured"),
    pytest.param(CONFIGURED + answers((401, {"error": "signature <refused>"})),
                 "refused the request (signature &lt;refused&gt;). Check the store secret", id="refused"),
    pytest.param(CONFIGURED + answers("Connection refused"), "could not be reached: Connection refused",
                 id="unreachable"),
    pytest.param(CONFIGURED + answers((503, {"error": "storage unavailable"})), "answered 503 storage unavailable",
                 id="failing"),
    pytest.param(CONFIGURED + answers((200, {"url": "javascript:alert(1)//app/woocommerce/enter"})),
                 "without a link to its app", id="not a link"),
    pytest.param(CONFIGURED + answers((200, {"url": "http://connector.example/app/woocommerce/enter?t=1"})),
                 "without a link to its app", id="http link from an https connector"),
])
def test_when_the_link_cannot_be_had_the_page_says_why_in_an_admin_notice(tmp_path: Path, setup: str,
                                                                         notice: str) -> None:
    out = run_plugin(tmp_path, OPEN_APP, setup=setup)
    assert out["redirect"] is None
    assert re.search(r'<div class="notice notice-error"><p>[^<]*' + re.escape(notice), out["page"]), out["page"]
    assert "Try again" in out["page"] and "<refused>" not in out["page"]
    assert len(out["requests"]) == (0 if setup == "" else 1)


def test_a_user_without_the_capability_cannot_open_the_app(tmp_path: Path) -> None:
    out = run_plugin(tmp_path, OPEN_APP.replace("do_action( 'load-woocommerce_page_backorder-connector' )",
                                                "backorder_connector_open_app()"),
                     setup=CONFIGURED + answers((200, {"url": LINK})) + "$GLOBALS['wp']['caps'] = array( 'read' );")
    assert out["status"] == 403 and "not allowed" in out["died"] and out["requests"] == []


# -- settings --------------------------------------------------------------------------------------------

SANITIZE = """$out = array();
foreach ( json_decode( $argv_json, true ) as [ $option, $value ] ) {
    $GLOBALS['wp']['settings_errors'] = array();
    update_option( $option, $value );
    $out[] = array( get_option( $option ), count( $GLOBALS['wp']['settings_errors'] ) );
}"""


def test_settings_are_checked_when_saved_and_a_bad_value_keeps_the_previous_one(tmp_path: Path) -> None:
    url, secret = "backorder_connector_url", "backorder_connector_secret"
    cases = [[url, " https://backorders.example.com/ "], [url, "javascript:alert(1)"], [url, "ftp://x.example"],
             [url, "https://x.example/?a=1"], [url, ""], [url, "http://127.0.0.1:8000"],
             [secret, "s3cret-from-the-webhook"], [secret, ""], [secret, "two words"]]
    out = run_plugin(tmp_path, f"$argv_json = {json.dumps(json.dumps(cases))};\n" + SANITIZE)
    assert out == [["https://backorders.example.com", 0], ["https://backorders.example.com", 1],
                   ["https://backorders.example.com", 1], ["https://backorders.example.com", 1], ["", 0],
                   ["http://127.0.0.1:8000", 0],
                   ["s3cret-from-the-webhook", 0], ["s3cret-from-the-webhook", 0], ["s3cret-from-the-webhook", 1]]


def test_the_settings_page_escapes_the_url_and_never_shows_the_secret(tmp_path: Path) -> None:
    setup = ("$GLOBALS['wp']['options']['backorder_connector_url'] = 'https://c.example/\"><script>x</script>';"
             f"$GLOBALS['wp']['options']['backorder_connector_secret'] = '{SECRET}';")
    html = run_plugin(tmp_path, "ob_start(); backorder_connector_settings_page(); $out = ob_get_clean();", setup=setup)
    assert "<script>" not in html and "&quot;&gt;&lt;script&gt;" in html
    assert SECRET not in html and "A secret is stored" in html
    assert '<label for="backorder-connector-url">' in html and 'id="backorder-connector-url"' in html
    assert '<label for="backorder-connector-secret">' in html and 'type="password"' in html
    assert 'name="option_page" value="backorder_connector"' in html
    assert 'name="_wpnonce" value="nonce-backorder_connector_detect"' in html
    nobody = run_plugin(tmp_path, "ob_start(); backorder_connector_settings_page(); $out = ob_get_clean();",
                        setup=setup + "$GLOBALS['wp']['caps'] = array();")
    assert nobody == ""


DETECT = """try { backorder_connector_detect(); } catch ( WP_Redirect $r ) { $out = array( 'to' => $r->location ); }
catch ( WP_Die $d ) { $out = array( 'died' => $d->status ); }
$out['url'] = get_option( 'backorder_connector_url', '' );
$out['secret'] = get_option( 'backorder_connector_secret', '' );"""
WEBHOOKS = """$GLOBALS['wp']['webhooks'] = array(
  3 => array( 'status' => 'active', 'delivery_url' => 'https://hooks.example/other',
               'secret' => 'nope' ),
  4 => array( 'status' => 'disabled', 'delivery_url' => 'https://old.example/webhooks/woocommerce',
               'secret' => 'old' ),
  5 => array( 'status' => 'active', 'delivery_url' => 'https://backorders.example/webhooks/woocommerce',
               'secret' => 'abc123' ),
);"""


def test_the_settings_can_be_read_from_the_connectors_own_webhook(tmp_path: Path) -> None:
    out = run_plugin(tmp_path, DETECT, setup=WEBHOOKS)
    assert out == {"to": "https://tea.example/wp-admin/admin.php?page=backorder-connector-settings"
                         "&backorder-connector-detected=1", "url": "https://backorders.example", "secret": "abc123"}
    none = run_plugin(tmp_path, DETECT)
    assert none["to"].endswith("detected=0") and none["url"] == "" and none["secret"] == ""
    forged = run_plugin(tmp_path, DETECT, setup=WEBHOOKS + "$GLOBALS['wp']['nonce_ok'] = false;")
    assert forged == {"died": 403, "url": "", "secret": ""}
    nobody = run_plugin(tmp_path, DETECT, setup=WEBHOOKS + "$GLOBALS['wp']['caps'] = array();")
    assert nobody == {"died": 403, "url": "", "secret": ""}


def test_uninstalling_deletes_the_settings_and_only_when_wordpress_uninstalls(tmp_path: Path) -> None:
    uninstall = json.dumps(str(PLUGIN / "uninstall.php"))
    kept = f"""$GLOBALS['wp']['options']['backorder_connector_secret'] = 's';
        $pid = pcntl_fork(); if ( 0 === $pid ) {{ require {uninstall}; exit( 0 ); }}
        pcntl_waitpid( $pid, $status ); $out = pcntl_wexitstatus( $status );"""
    assert run_plugin(tmp_path, kept, load=False) == 0  # exits before deleting anything
    gone = run_plugin(tmp_path, f"""{CONFIGURED} define( 'WP_UNINSTALL_PLUGIN', 'x' ); require {uninstall};
        $out = array_keys( $GLOBALS['wp']['options'] );""", load=False)
    assert "backorder_connector_url" not in gone and "backorder_connector_secret" not in gone and "home" in gone


# -- the product page ------------------------------------------------------------------------------------

PRODUCTS = """$out = array();
foreach ( json_decode( $cases_json, true ) as $case ) {
    global $product;
    $product = new WC_Product( $case['type'], $case['meta'] );
    if ( 'variation' === $case['type'] ) {
        $data = apply_filters( 'woocommerce_available_variation',
            array( 'availability_html' => '<p class="stock">Available on backorder</p>' ),
            new WC_Product( 'variable', array() ), $product );
        $out[] = $data['availability_html'];
    } else {
        ob_start(); do_action( 'woocommerce_single_product_summary' ); $out[] = ob_get_clean();
    }
}"""


def product_page(tmp_path: Path, cases: list[dict], setup: str = "") -> list[str]:
    return run_plugin(tmp_path, f"$cases_json = {json.dumps(json.dumps(cases))};\n" + PRODUCTS,  # type: ignore[no-any-return]
                      setup=setup)


def test_the_in_stock_date_shows_on_simple_products_from_the_meta_the_connector_writes(tmp_path: Path) -> None:
    assert f"const BACKORDER_CONNECTOR_META = '{META_KEY}';" in (PLUGIN / "includes" / "product-date.php").read_text()
    out = product_page(tmp_path, [
        {"type": "simple", "meta": {META_KEY: "2026-12-05"}}, {"type": "simple", "meta": {}},
        {"type": "simple", "meta": {META_KEY: "soon"}}, {"type": "simple", "meta": {META_KEY: "2026-12-5"}},
        {"type": "simple", "meta": {META_KEY: "2026-02-30"}},
        {"type": "variable", "meta": {META_KEY: "2026-12-05"}},  # variable products show it per variation
    ])
    assert out == ['<p class="backorder-in-stock-date">Expected in stock: December 5, 2026</p>', "", "", "", "", ""]


def test_variations_get_the_date_after_their_availability(tmp_path: Path) -> None:
    out = product_page(tmp_path, [{"type": "variation", "meta": {META_KEY: "2027-01-31"}},
                                  {"type": "variation", "meta": {}}])
    stock = '<p class="stock">Available on backorder</p>'
    assert out == [stock + '<p class="backorder-in-stock-date">Expected in stock: January 31, 2027</p>', stock]


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago", "Europe/Amsterdam"])
def test_the_date_is_the_same_day_in_every_site_time_zone_and_in_the_sites_format_and_language(
        tmp_path: Path, zone: str) -> None:
    dutch = ("$GLOBALS['wp']['locale_months'] = array( 'December' => 'december' );"
             "$GLOBALS['wp']['options']['date_format'] = 'j F Y';"
             f"$GLOBALS['wp']['options']['timezone_string'] = '{zone}';")
    out = product_page(tmp_path, [{"type": "simple", "meta": {META_KEY: "2026-12-05"}}], setup=dutch)
    assert out == ['<p class="backorder-in-stock-date">Expected in stock: 5 december 2026</p>']


def test_the_merchant_can_change_the_text_and_format_and_what_a_filter_returns_is_escaped(tmp_path: Path) -> None:
    filters = """add_filter( 'backorder_connector_date_format', fn( $format ) => 'd/m/Y' );
        add_filter( 'backorder_connector_in_stock_text',
                    fn( $text, $date, $iso ) => "<b>Back</b> on $date ($iso)", 10, 3 );"""
    dated = f"$cases_json = {json.dumps(json.dumps([{'type': 'simple', 'meta': {META_KEY: '2026-12-05'}}]))};\n"
    out = run_plugin(tmp_path, f"{filters}\n{dated}" + PRODUCTS)
    assert out == ['<p class="backorder-in-stock-date">&lt;b&gt;Back&lt;/b&gt; on 05/12/2026 (2026-12-05)</p>']
    hidden = run_plugin(tmp_path, "add_filter( 'backorder_connector_in_stock_text', fn() => '' );\n" + dated + PRODUCTS)
    assert hidden == [""]


# -- privacy ---------------------------------------------------------------------------------------------

def test_the_exporter_and_eraser_are_registered_with_wordpress(tmp_path: Path) -> None:
    out = run_plugin(tmp_path, """$out = array( apply_filters( 'wp_privacy_personal_data_exporters', array() ),
        apply_filters( 'wp_privacy_personal_data_erasers', array() ), array_keys( $GLOBALS['wp']['policy'] ) );""")
    assert out == [{"backorder-connector": {"exporter_friendly_name": "Backorder connector",
                                            "callback": "backorder_connector_export_personal_data"}},
                   {"backorder-connector": {"eraser_friendly_name": "Backorder connector",
                                            "callback": "backorder_connector_erase_personal_data"}},
                   ["Backorder connector"]]


EXPORT = """$r = backorder_connector_export_personal_data( 'john@example.com', 2 );
$out = is_wp_error( $r ) ? array( 'error' => $r->get_error_message() ) : $r;
$out['sent'] = json_decode( $GLOBALS['wp']['requests'][0]['args']['body'] ?? 'null', true );"""
ERASE = EXPORT.replace("backorder_connector_export_personal_data", "backorder_connector_erase_personal_data")


def test_the_exporter_returns_the_connectors_items_as_wordpress_expects(tmp_path: Path) -> None:
    item = {"group_id": "backorder-connector-orders", "group_label": "Backorder connector: orders",
            "item_id": "orders-1", "data": [{"name": "name", "value": "#1001"}, {"name": "total", "value": 12}]}
    out = run_plugin(tmp_path, EXPORT, setup=CONFIGURED + answers((200, {"data": [item], "done": False})))
    assert out["done"] is False and out["data"] == [
        {**item, "group_description": "",
         "data": [{"name": "name", "value": "#1001"}, {"name": "total", "value": "12"}]}]
    assert out["sent"]["email"] == "john@example.com" and out["sent"]["page"] == 2
    for bad in ({"data": "x", "done": True}, {"data": [{"item_id": "1"}], "done": True}, {"data": []}):
        refused = run_plugin(tmp_path, EXPORT, setup=CONFIGURED + answers((200, bad)))
        assert "does not understand" in refused["error"]
    down = run_plugin(tmp_path, EXPORT, setup=CONFIGURED + answers((503, {"error": "storage unavailable"})))
    assert down["error"] == "The backorder connector answered 503 storage unavailable"


def test_the_eraser_returns_what_wordpress_expects(tmp_path: Path) -> None:
    answer = {"items_removed": True, "items_retained": False, "messages": ["erased from 3 records", 7], "done": True}
    out = run_plugin(tmp_path, ERASE, setup=CONFIGURED + answers((200, answer)))
    assert {k: out[k] for k in ("items_removed", "items_retained", "messages", "done")} == {
        "items_removed": True, "items_retained": False, "messages": ["erased from 3 records"], "done": True}
    refused = run_plugin(tmp_path, ERASE, setup=CONFIGURED + answers((200, {"items_removed": 1, "done": True})))
    assert "does not understand" in refused["error"]
    unset = run_plugin(tmp_path, ERASE)
    assert "is not set up yet" in unset["error"] and unset["sent"] is None


def test_with_the_old_snippet_still_installed_the_date_is_printed_once_and_the_merchant_told(tmp_path: Path) -> None:
    old = ("function backorder_connector_in_stock_text( $product ) { return 'old snippet'; }"
           "add_action( 'woocommerce_single_product_summary', function () { echo 'old snippet'; }, 25 );")
    dated = json.dumps(json.dumps([{"type": "simple", "meta": {META_KEY: "2026-12-05"}}]))
    out = run_plugin(tmp_path, f"$cases_json = {dated};\n{PRODUCTS}\n"
                     "ob_start(); do_action( 'admin_notices' ); $out[] = ob_get_clean();", setup=old)
    assert out[0] == "old snippet"
    assert 'notice-warning' in out[1] and "snippet is still installed" in out[1]
