"""The date follows the item in WooCommerce's Cart and Checkout blocks (issue 16 item 2): the plugin's Store
API data on cart items and on the cart, its cart/extensions update callback (the mixed-cart choice kept in the
session), the order meta written at block checkout (woocommerce_store_api_checkout_update_order_from_request)
and the blocks script's registration (extensions/woocommerce/backorder-connector/includes/storefront-blocks.php,
class-blocks-integration.php). Run on the PHP CLI with the WordPress stand-ins of tests/support/wordpress.php
and WooCommerce's Store API ones of tests/support/woocommerce_blocks.php; PHP warnings fail a run. The order
built through the block checkout is read by the connector's WooCommerce order parser."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from adapters.woocommerce.catalog import META_KEY
from adapters.woocommerce.orders import parse_order
from tests.conftest import load_json_fixture
from tests.support.wordpress_plugin import PLUGIN, run_plugin
from tests.unit.test_woocommerce_storefront import BACKORDER, DATED, DUTCH, product, store

BLOCKS = json.dumps(str(Path(__file__).resolve().parents[1] / "support" / "woocommerce_blocks.php"))
NS = "backorder-connector"
PRODUCTS = (product(1, meta=DATED, **BACKORDER), product(2),
            product(3, meta=DATED, manage_stock=True, backorders="notify", stock_quantity=2),
            product(4, **BACKORDER))
MIXED = [{"product_id": 1, "quantity": 1}, {"product_id": 2, "quantity": 2}]
NOTICE = "Your cart has items in stock and items on backorder; each backordered item shows the date it ships by."
QUESTION = "Some items are on backorder. How should we ship your order?"
CHOICES = [{"value": "ready_now", "label": "Ship what's ready now; the backordered items follow when they arrive"},
           {"value": "together", "label": "Ship together, when the backordered items arrive"}]

# The cart as WooCommerce has it on a Store API request: read from the session (the plugin keeps each line's
# date current there), then the blocks loaded.
CART = """$cart = array();
foreach ( json_decode( $lines_json, true ) as $key => $line ) {
    $cart[ "k$key" ] = apply_filters( 'woocommerce_get_cart_item_from_session',
        array_merge( $line, array( 'data' => wc_get_product( $line['product_id'] ) ) ), $line, "k$key" );
}
$GLOBALS['wp']['cart'] = new WC_Cart( $cart );
if ( null !== $chosen ) { WC()->session->set( 'backorder_shipping', $chosen ); }
do_action( 'woocommerce_blocks_loaded' );
"""


def blocks(tmp_path: Path, body: str, *, lines: list[dict] | None = None, allow: bool = True,
           chosen: str | None = None, setup: str = "") -> Any:
    """Run ``body`` with the blocks' stand-ins, the products, the storefront settings and the cart."""
    prelude = f"require {BLOCKS};\n" + store(*PRODUCTS, options={"mixed_choice": allow}) + setup
    cart = (f"$lines_json = {json.dumps(json.dumps(lines or []))};\n$chosen = {json.dumps(chosen)};\n{CART}")
    return run_plugin(tmp_path, cart + body, setup=prelude)


TYPES: dict[str, type | tuple[type, ...]] = {"string": str, "null": type(None), "boolean": bool, "integer": int,
                                             "array": list, "object": dict}


def conforms(value: Any, schema: dict) -> None:
    """``value`` is of the schema's type(s), in its enum, and (objects) has exactly its properties."""
    types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    assert any(isinstance(value, TYPES[t]) and not (t == "integer" and isinstance(value, bool)) for t in types), \
        (value, schema)
    if "enum" in schema:
        assert value in schema["enum"], (value, schema["enum"])
    if isinstance(value, list) and "items" in schema:
        for item in value:
            conforms(item, schema["items"])
    if isinstance(value, dict) and "properties" in schema:
        assert set(value) == set(schema["properties"]), (value, schema["properties"])
        for name, item in value.items():
            conforms(item, schema["properties"][name])


ENDPOINTS = """$out = array(
    'items' => array_map( fn( $item ) => wc_test_endpoint_data( 'cart-item', $item ),
        array_values( WC()->cart->get_cart() ) ),
    'cart' => wc_test_endpoint_data( 'cart' ),
    'item_schema' => wc_test_endpoint_schema( 'cart-item' ),
    'cart_schema' => wc_test_endpoint_schema( 'cart' ),
);"""


def endpoints(tmp_path: Path, lines: list[dict], **kwargs: Any) -> Any:
    out = blocks(tmp_path, ENDPOINTS, lines=lines, **kwargs)
    for item in out["items"]:
        conforms(item[NS], out["item_schema"][NS])
    conforms(out["cart"][NS], out["cart_schema"][NS])
    return out


# -- Store API data ------------------------------------------------------------------------------------------

def test_each_cart_item_carries_the_day_it_ships_by_as_shown_and_the_units_that_wait(tmp_path: Path) -> None:
    lines = [{"product_id": 1, "quantity": 2}, {"product_id": 2, "quantity": 1},
             {"product_id": 3, "quantity": 5}, {"product_id": 4, "quantity": 1}]
    out = endpoints(tmp_path, lines)
    assert [item[NS] for item in out["items"]] == [
        {"ships_by": "2026-12-05", "ships_by_text": "December 5, 2026", "waiting": 2},
        {"ships_by": None, "ships_by_text": None, "waiting": 0},
        {"ships_by": "2026-12-05", "ships_by_text": "December 5, 2026", "waiting": 3},  # 2 in stock
        {"ships_by": None, "ships_by_text": None, "waiting": 1},  # on backorder, the connector has no date
    ]
    dutch = endpoints(tmp_path, lines[:1], setup=DUTCH)
    assert dutch["items"][0][NS]["ships_by_text"] == "5 december 2026"


def test_a_line_whose_date_the_connector_moved_carries_the_new_one(tmp_path: Path) -> None:
    moved = ("$GLOBALS['wp']['products'][1] = new WC_Product( 'simple', "
             f"array( '{META_KEY}' => '2027-01-31' ), array( 'id' => 1, 'stock_status' => 'onbackorder' ) );")
    lines = [{"product_id": 1, "quantity": 1, "backorder_ships_by": "2026-12-05"}]
    out = endpoints(tmp_path, lines, setup=moved)
    assert out["items"][0][NS] == {"ships_by": "2027-01-31", "ships_by_text": "January 31, 2027", "waiting": 1}


def test_a_mixed_cart_carries_the_notice_the_question_the_two_choices_and_ready_now_first(tmp_path: Path) -> None:
    out = endpoints(tmp_path, MIXED)
    assert out["cart"][NS] == {"mixed": True, "notice": NOTICE, "asks_choice": True, "question": QUESTION,
                               "choices": CHOICES, "choice": "ready_now"}
    chosen = endpoints(tmp_path, MIXED, chosen="together")
    assert chosen["cart"][NS]["choice"] == "together"
    partly = endpoints(tmp_path, [{"product_id": 3, "quantity": 5}])  # one line, partly in stock
    assert partly["cart"][NS]["mixed"] is True and partly["cart"][NS]["asks_choice"] is True


@pytest.mark.parametrize(("lines", "allow", "mixed"), [
    pytest.param(MIXED, False, True, id="the merchant does not offer the choice"),
    pytest.param([{"product_id": 1, "quantity": 3}], True, False, id="everything waits"),
    pytest.param([{"product_id": 2, "quantity": 3}, {"product_id": 3, "quantity": 2}], True, False, id="all in stock"),
    pytest.param([], True, False, id="empty cart"),
])
def test_no_choice_is_offered_when_there_is_nothing_to_choose(tmp_path: Path, lines: list[dict], allow: bool,
                                                               mixed: bool) -> None:
    cart = endpoints(tmp_path, lines, allow=allow, chosen="together")["cart"][NS]
    assert cart == {"mixed": mixed, "notice": NOTICE if mixed else "", "asks_choice": False, "question": "",
                    "choices": [], "choice": None}


def test_without_the_store_api_nothing_is_registered_and_nothing_fails(tmp_path: Path) -> None:
    # an old WooCommerce, or a request that never loads the blocks: the hooks run, nothing is registered
    out = run_plugin(tmp_path, "do_action( 'woocommerce_blocks_loaded' ); $out = function_exists( "
                               "'woocommerce_store_api_register_endpoint_data' );")
    assert out is False
    registered = blocks(tmp_path, "$out = array( array_map( 'array_keys', $GLOBALS['wp']['store_api']['data'] ),"
                                  " array_keys( $GLOBALS['wp']['store_api']['callbacks'] ) );")
    assert registered == [{"cart-item": [NS], "cart": [NS]}, [NS]]


# -- the choice sent with extensionCartUpdate ---------------------------------------------------------------

UPDATE = """$answers = array();
foreach ( json_decode( $posts_json, true ) as $post ) {
    $answers[] = wc_test_cart_extensions( $post['namespace'], $post['data'] );
}
$out = array( 'answers' => $answers, 'session' => WC()->session->get( 'backorder_shipping' ) );"""


def update(tmp_path: Path, posts: list[dict], **kwargs: Any) -> Any:
    return blocks(tmp_path, f"$posts_json = {json.dumps(json.dumps(posts))};\n{UPDATE}", **kwargs)


def test_a_choice_sent_by_the_blocks_is_kept_in_the_session_and_comes_back_with_the_cart(tmp_path: Path) -> None:
    out = update(tmp_path, [{"namespace": NS, "data": {"choice": "together"}}], lines=MIXED)
    (answer,) = out["answers"]
    assert answer["status"] == 200 and out["session"] == "together"
    assert answer["body"]["extensions"][NS]["choice"] == "together"
    assert [item["extensions"][NS]["waiting"] for item in answer["body"]["items"]] == [1, 0]
    back = update(tmp_path, [{"namespace": NS, "data": {"choice": "together"}},
                             {"namespace": NS, "data": {"choice": "ready_now"}}], lines=MIXED)
    assert [a["body"]["extensions"][NS]["choice"] for a in back["answers"]] == ["together", "ready_now"]
    assert back["session"] == "ready_now"


@pytest.mark.parametrize("data", [
    None, [], {}, {"choice": ""}, {"choice": "both"}, {"choice": "<script>"}, {"choice": ["together"]},
    {"choice": True}, {"choise": "together"}, "together",
])
def test_anything_but_one_of_the_two_choices_is_refused_with_a_clear_error(tmp_path: Path, data: Any) -> None:
    out = update(tmp_path, [{"namespace": NS, "data": data}], lines=MIXED, chosen="together")
    (answer,) = out["answers"]
    assert answer == {"status": 400, "body": {
        "code": "backorder_connector_invalid_choice",
        "message": "Please choose whether to ship what&#039;s ready now or everything together.",
        "data": {"status": 400}}}
    assert out["session"] == "together"  # the choice made before is kept


def test_a_choice_is_refused_when_the_merchant_does_not_offer_one(tmp_path: Path) -> None:
    out = update(tmp_path, [{"namespace": NS, "data": {"choice": "together"}}], lines=MIXED, allow=False)
    (answer,) = out["answers"]
    assert answer["status"] == 400 and answer["body"]["code"] == "backorder_connector_choice_not_offered"
    assert "nothing to choose" in answer["body"]["message"] and out["session"] is None


def test_without_a_session_the_choice_is_refused_rather_than_lost(tmp_path: Path) -> None:
    out = blocks(tmp_path, "$GLOBALS['wp']['session'] = null;"
                           f"$out = wc_test_cart_extensions( '{NS}', array( 'choice' => 'together' ) );", lines=MIXED)
    assert out["status"] == 400 and out["body"]["code"] == "backorder_connector_no_session"


def test_another_namespace_is_not_ours(tmp_path: Path) -> None:
    out = update(tmp_path, [{"namespace": "someone-else", "data": {"choice": "together"}}], lines=MIXED)
    assert out["answers"][0]["status"] == 400 and out["session"] is None


def test_a_placed_order_empties_the_cart_and_the_next_cart_starts_without_a_choice(tmp_path: Path) -> None:
    out = blocks(tmp_path, "do_action( 'woocommerce_cart_emptied', true );"
                           "$out = array( WC()->session->get( 'backorder_shipping' ),"
                           " wc_test_endpoint_data( 'cart' ) );",
                 lines=MIXED, chosen="together")
    assert out[0] is None and out[1][NS]["choice"] == "ready_now"


def test_the_classic_checkout_shows_the_choice_made_in_the_cart_block_first(tmp_path: Path) -> None:
    review = "ob_start(); do_action( 'woocommerce_review_order_before_payment' ); $out = ob_get_clean();"
    page = blocks(tmp_path, review, lines=MIXED, chosen="together")
    assert 'id="backorder-shipping-together" value="together" checked>' in page
    assert 'value="ready_now">' in page


# -- block checkout ------------------------------------------------------------------------------------------

CHECKOUT = """$order = new WC_Order();
if ( $stale ) { $order->update_meta_data( '_backorder_shipping', 'together' ); }
do_action( 'woocommerce_store_api_checkout_update_order_from_request', $order, new stdClass() );
$out = array_map( fn( $m ) => array( $m->key, $m->value ), $order->get_meta_data() );"""


def block_checkout(tmp_path: Path, lines: list[dict], *, stale: bool = False, **kwargs: Any) -> Any:
    return blocks(tmp_path, f"$stale = {json.dumps(stale)};\n{CHECKOUT}", lines=lines, **kwargs)


@pytest.mark.parametrize(("chosen", "saved"), [("together", "together"), ("ready_now", "ready_now"),
                                               (None, "ready_now")])
def test_block_checkout_saves_the_choice_as_the_classic_checkout_does(tmp_path: Path, chosen: str | None,
                                                                      saved: str) -> None:
    assert block_checkout(tmp_path, MIXED, chosen=chosen) == [["_backorder_shipping", saved]]


@pytest.mark.parametrize(("lines", "allow"), [
    pytest.param(MIXED, False, id="the merchant does not offer the choice"),
    pytest.param([{"product_id": 1, "quantity": 3}], True, id="everything waits"),
    pytest.param([{"product_id": 2, "quantity": 1}], True, id="all in stock"),
])
def test_block_checkout_saves_nothing_when_nothing_was_asked_and_clears_a_draft_orders_old_choice(
        tmp_path: Path, lines: list[dict], allow: bool) -> None:
    assert block_checkout(tmp_path, lines, allow=allow, chosen="together") == []
    assert block_checkout(tmp_path, lines, allow=allow, chosen="together", stale=True) == []


ORDER = """$order = new WC_Order();
$lines = array();
foreach ( WC()->cart->get_cart() as $key => $values ) {
    // WC_Checkout::create_order_line_items, which the Store API's OrderController calls too
    $item = new WC_Order_Item_Product();
    do_action( 'woocommerce_checkout_create_order_line_item', $item, $key, $values, $order );
    $lines[] = array_map( fn( $m ) => array( $m->key, $m->value ), $item->get_meta_data() );
}
do_action( 'woocommerce_store_api_checkout_update_order_from_request', $order, new stdClass() );
$out = array( 'lines' => $lines,
              'order' => array_map( fn( $m ) => array( $m->key, $m->value ), $order->get_meta_data() ) );"""


def rest_meta(pairs: list[list[str]], first_id: int) -> list[dict]:
    return [{"id": first_id + n, "key": key, "value": value, "display_key": key, "display_value": value}
            for n, (key, value) in enumerate(pairs)]


def test_the_connectors_order_parser_reads_what_the_block_checkout_wrote(tmp_path: Path) -> None:
    lines = [{"product_id": 1, "quantity": 2}, {"product_id": 2, "quantity": 1}]
    built = blocks(tmp_path, ORDER, lines=lines, chosen="together")
    assert built["order"] == [["_backorder_shipping", "together"]]
    payload = load_json_fixture("woocommerce/wc_v3_order_create_response.json")
    payload["meta_data"] = payload["meta_data"] + rest_meta(built["order"], 900)
    for item, meta in zip(payload["line_items"], built["lines"], strict=True):
        item["meta_data"] = rest_meta(meta, 910)
    snapshot = parse_order(payload)
    assert snapshot.ship_choice == "together"
    assert ("_backorder_ships_by", "2026-12-05") in snapshot.lines[0].properties


# -- the blocks script ---------------------------------------------------------------------------------------

INTEGRATION = """$out = array();
foreach ( array( 'cart', 'checkout' ) as $block ) {
    $registry = new WC_Test_Integration_Registry();
    do_action( "woocommerce_blocks_{$block}_block_registration", $registry );
    $registry->initialize();
    $out[ $block ] = array_map( fn( $i ) => array( $i->get_script_handles(), $i->get_editor_script_handles(),
        $i->get_script_data(), $i instanceof Automattic\\WooCommerce\\Blocks\\Integrations\\IntegrationInterface ),
        $registry->integrations );
}
$out['scripts'] = $GLOBALS['wp']['registered_scripts'];"""


def test_the_blocks_script_is_registered_for_the_cart_and_checkout_blocks_with_its_globals_as_dependencies(
        tmp_path: Path) -> None:
    out = blocks(tmp_path, INTEGRATION)
    handle = "backorder-connector-ships-by-blocks"
    for block in ("cart", "checkout"):
        assert out[block] == {NS: [[handle], [], [], True]}
    script = out["scripts"][handle]
    assert script["src"] == "https://tea.example/wp-content/plugins/backorder-connector/assets/ships-by-blocks.js"
    assert script["deps"] == ["wc-blocks-checkout", "wp-plugins", "wp-element"]
    assert script["ver"] == "2.2.0" and script["args"] is True
    assert (PLUGIN / "assets" / "ships-by-blocks.js").is_file()
