"""The WooCommerce plugin's variation script in Chromium (issue 16 item 2): a product page whose variation
data comes from the plugin's PHP (woocommerce_available_variation, run on the PHP CLI), with Debian's
jQuery and a small stand-in for WooCommerce's variation form, which triggers found_variation with the
chosen variation's data and reset_data when the choice is cleared, as wc-add-to-cart-variation does.
Choosing variations changes the add-to-cart button's text; clearing the choice brings WooCommerce's back."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from adapters.woocommerce.catalog import META_KEY
from tests.e2e.browser.conftest import SCREENSHOTS
from tests.support.wordpress_plugin import PLUGIN, run_plugin

pytestmark = pytest.mark.browser

JQUERY = Path("/usr/share/javascript/jquery/jquery.min.js")

VARIATIONS = """$parent = new WC_Product( 'variable', array() );
$out = array( 'button' => apply_filters( 'woocommerce_product_single_add_to_cart_text', 'Add to cart', $parent ),
              'variations' => array() );
foreach ( $GLOBALS['wp']['products'] as $id => $variation ) {
    $out['variations'][] = apply_filters( 'woocommerce_available_variation',
        array( 'variation_id' => $id, 'attributes' => array( 'attribute_size' => "size-$id" ) ), $parent, $variation );
}"""

# What wc-add-to-cart-variation does for the script's purpose: on a choice, found_variation with that
# variation's data; on no choice, reset_data.
FORM_SCRIPT = """
jQuery( function ( $ ) {
  var $form = $( '.variations_form' ), variations = $form.data( 'product_variations' );
  $form.on( 'change', 'select', function () {
    var chosen = this.value;
    var found = variations.filter( function ( v ) { return v.attributes.attribute_size === chosen; } );
    if ( found.length ) { $form.trigger( 'found_variation', [ found[0] ] ); } else { $form.trigger( 'reset_data' ); }
  } );
} );
"""


def page_html(tmp_path: Path) -> str:
    products = [{"id": 31, "type": "variation", "meta": {META_KEY: "2026-12-05"}, "stock_status": "onbackorder"},
                {"id": 32, "type": "variation", "meta": {}, "stock_status": "instock"},
                {"id": 33, "type": "variation", "meta": {}, "stock_status": "onbackorder"}]
    setup = (f"foreach ( json_decode( {json.dumps(json.dumps(products))}, true ) as $p ) {{"
             " $GLOBALS['wp']['products'][ $p['id'] ] = new WC_Product( $p['type'], $p['meta'], $p ); }"
             "$GLOBALS['wp']['options']['backorder_connector_storefront'] ="
             " array( 'fallback_text' => array( '' => 'Backorder: ships in 2-3 weeks' ) );")
    built = run_plugin(tmp_path, VARIATIONS, setup=setup)
    options = "".join(f'<option value="size-{v["variation_id"]}">Size {v["variation_id"]}</option>'
                      for v in built["variations"])
    data = json.dumps(built["variations"]).replace("&", "&amp;").replace('"', "&quot;")
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Tea cup</title></head><body>'
            f'<form class="variations_form cart" data-product_variations="{data}">'
            f'<label for="size">Size</label> <select id="size" name="attribute_size">'
            f'<option value="">Choose an option</option>{options}</select>'
            f'<button type="submit" class="single_add_to_cart_button button alt">{built["button"]}</button>'
            f'</form></body></html>')


def test_the_button_follows_the_chosen_variation(browser: Any, tmp_path: Path) -> None:
    if not JQUERY.is_file():
        message = f"Debian's jQuery not found at {JQUERY} (apt-get install libjs-jquery)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    context = browser.new_context(viewport={"width": 360, "height": 640})
    page = context.new_page()
    try:
        page.set_content(page_html(tmp_path))
        page.add_script_tag(path=str(JQUERY))
        page.add_script_tag(path=str(PLUGIN / "assets" / "ships-by.js"))
        page.add_script_tag(content=FORM_SCRIPT)
        button = page.locator(".single_add_to_cart_button")
        assert button.inner_text() == "Add to cart"
        page.select_option("#size", "size-31")
        assert button.inner_text() == "Backorder: ships by December 5, 2026"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "storefront-woocommerce-variation.png"), full_page=True)
        page.select_option("#size", "size-32")  # in stock: WooCommerce's own text
        assert button.inner_text() == "Add to cart"
        page.select_option("#size", "size-33")  # on backorder, no date: the merchant's fallback
        assert button.inner_text() == "Backorder: ships in 2-3 weeks"
        page.select_option("#size", "")
        assert button.inner_text() == "Add to cart"
        page.keyboard.press("Tab")  # the choice works from the keyboard as well
        page.focus("#size")
        page.keyboard.press("ArrowDown")
        assert page.input_value("#size") == "size-31" and button.inner_text() == "Backorder: ships by December 5, 2026"
    finally:
        context.close()
