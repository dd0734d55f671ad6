"""The date follows the item on WooCommerce (issue 16 item 2): the plugin's add-to-cart text, cart item
data, order item meta and mixed-cart choice (extensions/woocommerce/backorder-connector/includes/
storefront*.php), run on the PHP CLI with the WordPress stand-ins of tests/support/wordpress.php; PHP
warnings and notices fail a run. The order the PHP builds is read by the connector's WooCommerce order
parser at the end."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from adapters.woocommerce.catalog import META_KEY
from adapters.woocommerce.orders import parse_order
from connector.domain.line_promise import line_promise
from tests.conftest import load_json_fixture
from tests.support.wordpress_plugin import PLUGIN, run_plugin

BACKORDER = {"stock_status": "onbackorder"}
MANAGED_EMPTY = {"manage_stock": True, "backorders": "notify", "stock_quantity": 0, "stock_status": "onbackorder"}
DATED = {META_KEY: "2026-12-05"}
DUTCH = ("$GLOBALS['wp']['locale'] = 'nl_NL';"
         "$GLOBALS['wp']['locale_months'] = array( 'December' => 'december', 'January' => 'januari' );"
         "$GLOBALS['wp']['options']['date_format'] = 'j F Y';")


def product(pid: int, kind: str = "simple", meta: dict | None = None, **props: Any) -> dict:
    return {"id": pid, "type": kind, "meta": meta or {}, "props": {"id": pid, **props}}


def store(*products: dict, options: dict | None = None) -> str:
    """PHP that puts the products in the store (wc_get_product) and the storefront settings in place."""
    code = [f"foreach ( json_decode( {json.dumps(json.dumps(list(products)))}, true ) as $p ) {{"
            " $GLOBALS['wp']['products'][ $p['id'] ] = new WC_Product( $p['type'], $p['meta'], $p['props'] ); }"]
    if options is not None:
        code.append(f"$GLOBALS['wp']['options']['backorder_connector_storefront'] = "
                    f"json_decode( {json.dumps(json.dumps(options))}, true );")
    return "\n".join(code)


BUTTONS = """$out = array();
foreach ( $GLOBALS['wp']['products'] as $id => $p ) {
    $out[ $id ] = array(
        apply_filters( 'woocommerce_product_single_add_to_cart_text', 'Add to cart', $p ),
        apply_filters( 'woocommerce_product_add_to_cart_text', 'Add to cart', $p ),
    );
}"""


def buttons(tmp_path: Path, *products: dict, options: dict | None = None, setup: str = "") -> dict[str, str]:
    out = run_plugin(tmp_path, BUTTONS, setup=setup + store(*products, options=options))
    for single, loop in out.values():
        assert single == loop  # the shop pages and the product page say the same
    return {pid: single for pid, (single, _) in out.items()}


# -- the add-to-cart button ------------------------------------------------------------------------------

def test_the_button_reads_backorder_ships_by_the_date_only_for_items_on_backorder_with_a_date(tmp_path: Path) -> None:
    out = buttons(
        tmp_path,
        product(1, meta=DATED, **BACKORDER),
        product(2, meta=DATED, **MANAGED_EMPTY),
        product(3, meta=DATED, manage_stock=True, backorders="yes", stock_quantity=-4, stock_status="onbackorder"),
        product(4, meta=DATED, manage_stock=True, backorders="notify", stock_quantity=5),   # in stock
        product(5, meta=DATED),                                                           # in stock, unmanaged
        product(6, meta=DATED, manage_stock=True, backorders="no", stock_quantity=0, stock_status="outofstock"),
        product(7, "variable", DATED, **BACKORDER),  # the variation's text follows the choice (script)
        product(8, "grouped", DATED, **BACKORDER),
        product(9, "variation", DATED, **BACKORDER),
    )
    ships = "Backorder: ships by December 5, 2026"
    assert out == {"1": ships, "2": ships, "3": ships, "4": "Add to cart", "5": "Add to cart", "6": "Add to cart",
                   "7": "Add to cart", "8": "Add to cart", "9": ships}


def test_without_a_date_the_button_reads_the_merchants_fallback_or_stays_as_it_is(tmp_path: Path) -> None:
    undated = [product(1, **BACKORDER), product(2, meta={META_KEY: "2026-02-30"}, **BACKORDER),
               product(3, meta={META_KEY: "soon"}, **MANAGED_EMPTY), product(4)]
    assert buttons(tmp_path, *undated) == dict.fromkeys("1234", "Add to cart")
    fallback = {"fallback_text": {"": "Backorder: ships in 2-3 weeks"}}
    assert buttons(tmp_path, *undated, options=fallback) == {
        "1": "Backorder: ships in 2-3 weeks", "2": "Backorder: ships in 2-3 weeks",
        "3": "Backorder: ships in 2-3 weeks", "4": "Add to cart"}


def test_the_merchants_text_per_language_and_the_date_in_the_sites_language(tmp_path: Path) -> None:
    items = [product(1, meta=DATED, **BACKORDER), product(2, **BACKORDER)]
    options = {"button_text": {"": "Pre-order: {date}", "nl_NL": "Nabestelling: verzonden vóór {date}"},
               "fallback_text": {"": "Ships in 3 weeks", "nl": "Verzonden binnen 3 weken"}}
    assert buttons(tmp_path, *items, options=options, setup=DUTCH) == {
        "1": "Nabestelling: verzonden vóór 5 december 2026", "2": "Verzonden binnen 3 weken"}
    belgian = DUTCH.replace("'nl_NL'", "'nl_BE'")  # same language, another country: nl_NL's text
    belgian_text = buttons(tmp_path, *items, options=options, setup=belgian)["1"]
    assert belgian_text == "Nabestelling: verzonden vóór 5 december 2026"
    english = buttons(tmp_path, *items, options=options)
    assert english == {"1": "Pre-order: December 5, 2026", "2": "Ships in 3 weeks"}
    # no text of the merchant's: the translatable default, with the date in the site's language
    assert buttons(tmp_path, *items, setup=DUTCH)["1"] == "Backorder: ships by 5 december 2026"


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago"])
def test_the_date_on_the_button_is_the_published_day_in_every_site_time_zone(tmp_path: Path, zone: str) -> None:
    setup = f"$GLOBALS['wp']['options']['timezone_string'] = '{zone}';"
    assert buttons(tmp_path, product(1, meta=DATED, **BACKORDER), setup=setup) == {
        "1": "Backorder: ships by December 5, 2026"}


def test_a_filter_may_change_the_text_and_markup_never_reaches_the_button(tmp_path: Path) -> None:
    setup = ("add_filter( 'backorder_connector_button_text', fn( $text, $date, $iso ) =>"
             " \"<b>Soon</b> ($iso)\", 10, 3 );")
    assert buttons(tmp_path, product(1, meta=DATED, **BACKORDER), setup=setup) == {"1": "Soon (2026-12-05)"}
    hidden = "add_filter( 'backorder_connector_button_text', fn() => '' );"
    assert buttons(tmp_path, product(1, meta=DATED, **BACKORDER), setup=hidden) == {"1": "Add to cart"}


VARIATIONS = """$out = array();
$parent = new WC_Product( 'variable', array() );
foreach ( $GLOBALS['wp']['products'] as $id => $variation ) {
    $data = apply_filters( 'woocommerce_available_variation',
        array( 'variation_id' => $id, 'availability_html' => '' ), $parent, $variation );
    $out[ $id ] = $data['backorder_button_text'];
}"""


def test_each_variations_data_carries_its_button_text_for_the_script(tmp_path: Path) -> None:
    out = run_plugin(tmp_path, VARIATIONS, setup=store(
        product(21, "variation", DATED, **BACKORDER), product(22, "variation", {}, **BACKORDER),
        product(23, "variation", DATED, manage_stock=True, backorders="notify", stock_quantity=3),
        options={"fallback_text": {"": "Ships in <3> weeks"}}))
    assert out == {"21": "Backorder: ships by December 5, 2026", "22": "Ships in weeks", "23": ""}


def test_the_variation_script_is_loaded_on_product_pages_only(tmp_path: Path) -> None:
    enqueue = "do_action( 'wp_enqueue_scripts' ); $out = $GLOBALS['wp']['scripts'];"
    assert run_plugin(tmp_path, enqueue) == []
    out = run_plugin(tmp_path, enqueue, setup="$GLOBALS['wp']['is_product'] = true;")
    script = out["backorder-connector-ships-by"]
    assert script["src"] == "https://tea.example/wp-content/plugins/backorder-connector/assets/ships-by.js"
    assert script["deps"] == ["jquery", "wc-add-to-cart-variation"]
    assert (PLUGIN / "assets" / "ships-by.js").is_file()


# -- cart and order lines --------------------------------------------------------------------------------

ADD_TO_CART = """$out = array();
foreach ( json_decode( $adds_json, true ) as [ $product_id, $variation_id, $quantity ] ) {
    $out[] = apply_filters( 'woocommerce_add_cart_item_data', array(), $product_id, $variation_id, $quantity );
}"""


def test_adding_to_the_cart_keeps_the_date_of_a_line_that_waits(tmp_path: Path) -> None:
    setup = store(product(1, meta=DATED, **BACKORDER), product(2, meta=DATED),
                  product(3, meta=DATED, manage_stock=True, backorders="notify", stock_quantity=2),
                  product(4, "variable"), product(41, "variation", {META_KEY: "2027-01-31"}, **BACKORDER),
                  product(5, **BACKORDER))
    adds = [[1, 0, 1], [2, 0, 1], [3, 0, 2], [3, 0, 3], [4, 41, 1], [5, 0, 1]]
    out = run_plugin(tmp_path, f"$adds_json = {json.dumps(json.dumps(adds))};\n{ADD_TO_CART}", setup=setup)
    assert out == [{"backorder_ships_by": "2026-12-05"}, [], [], {"backorder_ships_by": "2026-12-05"},
                   {"backorder_ships_by": "2027-01-31"}, []]


CART_TO_ORDER = """$out = array( 'lines' => array(), 'shown' => array() );
$order = new WC_Order();
foreach ( json_decode( $lines_json, true ) as $key => $line ) {
    // as WooCommerce reads the cart from the session on every request, then shows and orders it
    $item = apply_filters( 'woocommerce_get_cart_item_from_session',
        array_merge( $line, array( 'data' => wc_get_product( $line['product_id'] ) ) ), $line, "k$key" );
    $out['shown'][] = apply_filters( 'woocommerce_get_item_data', array(), $item );
    $order_item = new WC_Order_Item_Product();
    do_action( 'woocommerce_checkout_create_order_line_item', $order_item, "k$key", $item, $order );
    $out['lines'][] = array_map( fn( $m ) => array( $m->key, $m->value,
        apply_filters( 'woocommerce_order_item_display_meta_key', $m->key, $m, $order_item ) ),
        $order_item->get_meta_data() );
}"""


def cart_to_order(tmp_path: Path, lines: list[dict], setup: str) -> Any:
    return run_plugin(tmp_path, f"$lines_json = {json.dumps(json.dumps(lines))};\n{CART_TO_ORDER}", setup=setup)


def test_cart_and_checkout_show_the_date_and_the_order_line_keeps_it_under_the_connectors_keys(tmp_path: Path) -> None:
    setup = DUTCH + store(product(1, meta=DATED, **BACKORDER), product(2, meta=DATED))
    out = cart_to_order(tmp_path, [{"product_id": 1, "quantity": 1, "backorder_ships_by": "2026-12-05"},
                                   {"product_id": 2, "quantity": 1}], setup)
    assert out["shown"] == [[{"key": "Ships by", "name": "Ships by", "value": "5 december 2026", "display": ""}], []]
    assert out["lines"] == [[["Ships by", "5 december 2026", "Ships by"],
                             ["_backorder_ships_by", "2026-12-05", "_backorder_ships_by"]], []]


def test_the_cart_follows_a_date_the_connector_changes_and_a_line_back_in_stock_loses_it(tmp_path: Path) -> None:
    setup = store(product(1, meta={META_KEY: "2027-01-31"}, **BACKORDER), product(2, meta=DATED),
                  product(3, meta=DATED, manage_stock=True, backorders="notify", stock_quantity=2),
                  product(4, **BACKORDER))
    out = cart_to_order(tmp_path, [
        {"product_id": 1, "quantity": 1, "backorder_ships_by": "2026-12-05"},  # the date moved later
        {"product_id": 2, "quantity": 1, "backorder_ships_by": "2026-12-05"},  # back in stock
        {"product_id": 3, "quantity": 5},  # quantity raised past the stock in the cart
        {"product_id": 4, "quantity": 1, "backorder_ships_by": "2026-12-05"},  # the connector removed the date
    ], setup)
    shown = [[d["value"] for d in line] for line in out["shown"]]
    assert shown == [["January 31, 2027"], [], ["December 5, 2026"], []]
    assert [dict((k, v) for k, v, _ in line) for line in out["lines"]] == [
        {"Ships by": "January 31, 2027", "_backorder_ships_by": "2027-01-31"}, {},
        {"Ships by": "December 5, 2026", "_backorder_ships_by": "2026-12-05"}, {}]


def test_the_date_shown_in_the_cart_is_escaped(tmp_path: Path) -> None:
    setup = store(product(1, meta=DATED, **BACKORDER))
    setup += "add_filter( 'backorder_connector_date_format', fn() => '<\\\\b>j' );"
    out = cart_to_order(tmp_path, [{"product_id": 1, "quantity": 1}], setup)
    assert out["shown"] == [[{"key": "Ships by", "name": "Ships by", "value": "&lt;b&gt;5", "display": ""}]]


# -- mixed carts -----------------------------------------------------------------------------------------

CHECKOUT = """$cart = array();
foreach ( json_decode( $lines_json, true ) as $key => $line ) {
    $cart[ "k$key" ] = array_merge( $line, array( 'data' => wc_get_product( $line['product_id'] ) ) );
}
$GLOBALS['wp']['cart'] = new WC_Cart( $cart );
if ( null !== $posted ) { $_POST['backorder_shipping'] = $posted; }
ob_start(); do_action( 'woocommerce_before_cart' ); $cart_page = ob_get_clean();
ob_start(); do_action( 'woocommerce_before_checkout_form' ); do_action( 'woocommerce_review_order_before_payment' );
$checkout_page = ob_get_clean();
$errors = new WP_Error();
do_action( 'woocommerce_after_checkout_validation', array(), $errors );
$order = new WC_Order();
if ( ! $errors->get_error_codes() ) { do_action( 'woocommerce_checkout_create_order', $order, array() ); }
$out = array( 'cart' => $cart_page, 'checkout' => $checkout_page, 'errors' => $errors->get_error_messages(),
              'meta' => array_map( fn( $m ) => array( $m->key, $m->value ), $order->get_meta_data() ) );"""
MIXED = [{"product_id": 1, "quantity": 1}, {"product_id": 2, "quantity": 2}]


def checkout(tmp_path: Path, lines: list[dict], posted: str | None, *, allow: bool) -> Any:
    setup = store(product(1, meta=DATED, **BACKORDER), product(2),
                  product(3, manage_stock=True, backorders="notify", stock_quantity=2),
                  options={"mixed_choice": allow})
    return run_plugin(tmp_path, f"$lines_json = {json.dumps(json.dumps(lines))};\n$posted = {json.dumps(posted)};\n"
                      f"{CHECKOUT}", setup=setup)


def test_a_mixed_cart_says_so_and_the_customers_choice_is_saved_on_the_order(tmp_path: Path) -> None:
    out = checkout(tmp_path, MIXED, "together", allow=True)
    notice = '<div class="woocommerce-info backorder-connector-mixed-cart" role="status">'
    assert out["cart"].startswith(notice) and "items in stock and items on backorder" in out["cart"]
    assert "choose to get what is ready now or everything together" in out["cart"]
    page = out["checkout"]
    assert page.count(notice) == 1 and '<fieldset class="backorder-connector-shipping"' in page and "<legend>" in page
    assert ('<input type="radio" name="backorder_shipping" id="backorder-shipping-together" value="together" checked>'
            ' <label for="backorder-shipping-together">Ship together') in page
    assert 'value="ready_now">' in page and "Ship what&#039;s ready now" in page
    assert out["errors"] == [] and out["meta"] == [["_backorder_shipping", "together"]]
    ready = checkout(tmp_path, MIXED, "ready_now", allow=True)
    assert ready["meta"] == [["_backorder_shipping", "ready_now"]]


def test_the_choice_offered_first_is_ready_now(tmp_path: Path) -> None:
    page = checkout(tmp_path, MIXED, None, allow=True)["checkout"]
    assert 'id="backorder-shipping-ready_now" value="ready_now" checked>' in page
    assert 'value="together">' in page


@pytest.mark.parametrize("posted", [None, "", "both", "<script>"])
def test_a_missing_or_unknown_choice_is_refused_at_checkout(tmp_path: Path, posted: str | None) -> None:
    out = checkout(tmp_path, MIXED, posted, allow=True)
    assert out["errors"] == ["Please choose whether to ship what's ready now or everything together."]
    assert out["meta"] == []


def test_a_line_partly_in_stock_makes_a_mixed_cart(tmp_path: Path) -> None:
    out = checkout(tmp_path, [{"product_id": 3, "quantity": 5}], "ready_now", allow=True)
    assert "mixed-cart" in out["cart"] and out["meta"] == [["_backorder_shipping", "ready_now"]]


@pytest.mark.parametrize(("lines", "allow"), [
    pytest.param(MIXED, False, id="the merchant does not offer the choice"),
    pytest.param([{"product_id": 1, "quantity": 3}], True, id="everything waits"),
    pytest.param([{"product_id": 2, "quantity": 3}, {"product_id": 3, "quantity": 2}], True, id="all in stock"),
])
def test_no_choice_is_asked_or_saved_when_there_is_nothing_to_choose(tmp_path: Path, lines: list[dict],
                                                                      allow: bool) -> None:
    out = checkout(tmp_path, lines, "together", allow=allow)
    assert "fieldset" not in out["checkout"] and out["errors"] == [] and out["meta"] == []
    mixed = lines is MIXED
    assert ("mixed-cart" in out["cart"]) is mixed and ("mixed-cart" in out["checkout"]) is mixed
    if mixed:
        assert "choose" not in out["cart"]


# -- settings --------------------------------------------------------------------------------------------

SAVE = """$out = array();
foreach ( json_decode( $saves_json, true ) as $value ) {
    $GLOBALS['wp']['settings_errors'] = array();
    update_option( 'backorder_connector_storefront', $value );
    $out[] = array( get_option( 'backorder_connector_storefront' ),
                    array_column( $GLOBALS['wp']['settings_errors'], 'message' ) );
}"""


def test_the_storefront_settings_are_checked_when_saved(tmp_path: Path) -> None:
    saves = [
        {"button_text": {"": "  Backorder:\n ships <b>by</b> {date} ", "nl_NL": "Nabestelling {date}", "x y": "{date}"},
         "fallback_text": {"": "Ships in 2-3 weeks", "nl_NL": ""}, "mixed_choice": "1"},
        {"button_text": {"": "Backorder soon", "nl_NL": "Nabestelling: {date}"}},
        {"button_text": {"": "x" * 120 + "{date}"}, "fallback_text": "not a list"},
        "not even a list",
    ]
    out = run_plugin(tmp_path, f"$saves_json = {json.dumps(json.dumps(saves))};\n{SAVE}")
    assert out[0] == [{"button_text": {"": "Backorder: ships by {date}", "nl_NL": "Nabestelling {date}"},
                       "fallback_text": {"": "Ships in 2-3 weeks"}, "mixed_choice": True}, []]
    assert out[1] == [{"button_text": {"": "Backorder: ships by {date}", "nl_NL": "Nabestelling: {date}"},
                       "fallback_text": [], "mixed_choice": False},
                      ['The button text "Backorder soon" has no {date}: it was not saved.']]
    # cut at 100 characters, which lost {date}: refused, the text before kept
    assert out[2][0]["button_text"] == {"": "Backorder: ships by {date}"} and out[2][0]["fallback_text"] == []
    assert out[2][1] == [f'The button text "{"x" * 100}" has no {{date}}: it was not saved.']
    assert out[3] == [{"button_text": [], "fallback_text": [], "mixed_choice": False}, []]


FORM = "ob_start(); backorder_connector_settings_page(); $out = ob_get_clean();"


def test_the_settings_page_has_a_labelled_field_per_language_and_escapes_what_it_shows(tmp_path: Path) -> None:
    setup = ("$GLOBALS['wp']['languages'] = array( 'nl_NL' );" + store(options={
        "button_text": {"nl_NL": 'Nu "{date}" <script>'}, "mixed_choice": True}))
    html = run_plugin(tmp_path, FORM, setup=setup)
    assert 'name="option_page" value="backorder_connector_storefront"' in html
    assert 'name="_wpnonce" value="nonce-backorder_connector_storefront-options"' in html
    for field in ("button-text", "button-text-en-us", "button-text-nl-nl", "fallback-text", "fallback-text-nl-nl"):
        assert f'<label for="backorder-connector-{field}">' in html and f'id="backorder-connector-{field}"' in html
    assert ('name="backorder_connector_storefront[button_text][nl_NL]"'
            ' value="Nu &quot;{date}&quot; &lt;script&gt;"') in html
    assert "<script>" not in html
    assert ('id="backorder-connector-mixed-choice" name="backorder_connector_storefront[mixed_choice]"'
            ' value="1" checked') in html
    one_language = run_plugin(tmp_path, FORM)
    assert "button-text-en-us" not in one_language and 'id="backorder-connector-button-text"' in one_language
    assert run_plugin(tmp_path, FORM, setup="$GLOBALS['wp']['caps'] = array();") == ""
    saved_by = run_plugin(
        tmp_path, "$out = apply_filters( 'option_page_capability_backorder_connector_storefront', 'manage_options' );")
    assert saved_by == "manage_woocommerce"


def test_uninstalling_deletes_the_storefront_settings(tmp_path: Path) -> None:
    uninstall = json.dumps(str(PLUGIN / "uninstall.php"))
    gone = run_plugin(tmp_path, f"""$GLOBALS['wp']['options']['backorder_connector_storefront'] = array( 1 );
        define( 'WP_UNINSTALL_PLUGIN', 'x' ); require {uninstall}; $out = array_keys( $GLOBALS['wp']['options'] );""",
                      load=False)
    assert "backorder_connector_storefront" not in gone and "home" in gone


# -- the connector reads what the plugin wrote -----------------------------------------------------------

ORDER = CART_TO_ORDER.replace("$out = array( 'lines' => array(), 'shown' => array() );",
                              "$out = array( 'lines' => array(), 'shown' => array() );"
                              "$_POST['backorder_shipping'] = 'together';"
                              "$GLOBALS['wp']['cart'] = new WC_Cart( array_map( fn( $l ) =>"
                              " array_merge( $l, array( 'data' => wc_get_product( $l['product_id'] ) ) ),"
                              " json_decode( $lines_json, true ) ) );") + """
do_action( 'woocommerce_checkout_create_order', $order, array() );
$out['order'] = array_map( fn( $m ) => array( $m->key, $m->value ), $order->get_meta_data() );"""


def rest_meta(pairs: list[list[str]], first_id: int) -> list[dict]:
    """Meta as WooCommerce's REST API and webhooks give it (order items: with display_key/display_value)."""
    return [{"id": first_id + n, "key": key, "value": value, "display_key": key, "display_value": value}
            for n, (key, value, *_) in enumerate(pairs)]


def test_the_connectors_order_parser_reads_the_date_and_the_choice_the_plugin_wrote(tmp_path: Path) -> None:
    setup = store(product(93, meta=DATED, **BACKORDER), product(23), options={"mixed_choice": True})
    lines = [{"product_id": 93, "quantity": 2}, {"product_id": 23, "quantity": 1}]
    built = run_plugin(tmp_path, f"$lines_json = {json.dumps(json.dumps(lines))};\n{ORDER}", setup=setup)
    assert built["order"] == [["_backorder_shipping", "together"]]
    payload = load_json_fixture("woocommerce/wc_v3_order_create_response.json")  # lines 93 (simple), 22/23
    payload["meta_data"] = payload["meta_data"] + rest_meta(built["order"], 900)
    for item, meta in zip(payload["line_items"], built["lines"], strict=True):
        item["meta_data"] = rest_meta(meta, 910)
    snapshot = parse_order(payload)
    assert snapshot.ship_choice == "together"
    dated, in_stock = snapshot.lines
    promise, unreadable = line_promise(dated.properties)
    assert promise is not None and promise.day.isoformat() == "2026-12-05"
    assert promise.source == "line_property:_backorder_ships_by" and unreadable == []
    assert line_promise(in_stock.properties) == (None, [])
    # the visible meta alone (as an older plugin or a hand-edited order has it) reads the same day
    visible = [(name, value) for name, value in dated.properties if name == "Ships by"]
    assert visible == [("Ships by", "December 5, 2026")]
    alone, _ = line_promise(visible)
    assert alone is not None and alone.day.isoformat() == "2026-12-05"
