"""The plugin's blocks script (assets/ships-by-blocks.js) in Chromium (issue 16 item 2), on a page that provides
the globals WordPress and WooCommerce give block scripts: wp.element (React, Debian's UMD build, as
@wordpress/element re-exports it), wp.plugins.registerPlugin, and wc.blocksCheckout with
registerCheckoutFilters/applyCheckoutFilter, ExperimentalOrderMeta (a Fill that clones its children with the
slot's fillProps {cart, extensions, context}) and extensionCartUpdate (POST /wc/store/v1/cart/extensions,
then the cart it answers is the blocks' cart; an error answer becomes a notice). The stand-in Cart/Checkout
block renders the cart's lines (with the cartItemClass filter and the item_data) and the order-meta slot
with the plugins of scope woocommerce-checkout.

The cart and every answer of /cart/extensions come from the plugin's PHP (run on the PHP CLI with the
Store API stand-ins): the data callbacks, the update callback and the session it writes. Checked: the notice,
the two labelled choices, ready now first, a click and the keyboard send extensionCartUpdate with the choice,
the PHP keeps it and the cart comes back with it, the checkout shows it, a refused choice goes back; lines that
wait are marked; a cart that is not mixed shows nothing."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.browser.conftest import SCREENSHOTS
from tests.support.wordpress_plugin import PLUGIN, run_plugin
from tests.unit.test_woocommerce_storefront import BACKORDER, DATED, product, store

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REACT = Path("/usr/share/nodejs/react/umd/react.production.min.js")
REACT_DOM = Path("/usr/share/nodejs/react-dom/umd/react-dom.production.min.js")
BLOCKS = json.dumps(str(Path(__file__).resolve().parents[2] / "support" / "woocommerce_blocks.php"))
SHOP = "https://shop.example"
EXTENSIONS = "/wp-json/wc/store/v1/cart/extensions"
NS = "backorder-connector"
MIXED = [{"product_id": 1, "quantity": 1}, {"product_id": 2, "quantity": 2}]

# The cart as the Store API answers it (the parts the blocks read here): each line's name, item_data
# (woocommerce_get_item_data, tags stripped as CartItemSchema does) and extensions, and the cart's extensions.
CART = """$cart = array();
foreach ( json_decode( $lines_json, true ) as $key => $line ) {
    $cart[ "k$key" ] = apply_filters( 'woocommerce_get_cart_item_from_session',
        array_merge( $line, array( 'data' => wc_get_product( $line['product_id'] ) ) ), $line, "k$key" );
}
$GLOBALS['wp']['cart'] = new WC_Cart( $cart );
if ( null !== $chosen ) { WC()->session->set( 'backorder_shipping', $chosen ); }
do_action( 'woocommerce_blocks_loaded' );
function cart_response() {
    $items = array();
    foreach ( WC()->cart->get_cart() as $key => $item ) {
        $items[] = array( 'key' => $key, 'name' => 'Tea ' . $item['product_id'], 'quantity' => $item['quantity'],
            'item_data' => array_map( fn( $d ) => array_map( 'wp_strip_all_tags', $d ),
                apply_filters( 'woocommerce_get_item_data', array(), $item ) ),
            'extensions' => wc_test_endpoint_data( 'cart-item', $item ) );
    }
    return array( 'items' => $items, 'extensions' => wc_test_endpoint_data( 'cart' ) );
}
"""
POST = """$answer = wc_test_cart_extensions( $post['namespace'] ?? null, $post['data'] ?? null );
if ( 200 === $answer['status'] ) { $answer['body'] = cart_response(); }
$out = array( 'answer' => $answer, 'session' => WC()->session->get( 'backorder_shipping' ) );"""

# What WordPress and WooCommerce give block scripts, the way they give it (see the module's docstring).
GLOBALS = """
(function () {
  var plugins = {}, filters = {}, OrderMeta = React.createContext(null);
  window.storeCalls = []; window.storeNotices = [];
  window.wp = {
    element: Object.assign({}, React, { createRoot: ReactDOM.createRoot }),
    plugins: { registerPlugin: function (name, settings) { plugins[name] = settings; return settings; } },
  };
  function applyCheckoutFilter(options) {
    return Object.keys(filters).reduce(function (value, namespace) {
      var filter = filters[namespace][options.filterName];
      return filter ? filter(value, options.extensions || {}, options.arg) : value;
    }, options.defaultValue);
  }
  window.wc = { blocksCheckout: {
    registerCheckoutFilters: function (namespace, given) {
      filters[namespace] = Object.assign({}, filters[namespace], given);
    },
    applyCheckoutFilter: applyCheckoutFilter,
    ExperimentalOrderMeta: function (props) {
      var fillProps = React.useContext(OrderMeta);
      return React.Children.map(props.children, function (child) { return React.cloneElement(child, fillProps); });
    },
    extensionCartUpdate: function (args) {
      window.storeCalls.push(JSON.parse(JSON.stringify(args)));
      return fetch('/wp-json/wc/store/v1/cart/extensions', { method: 'POST', body: JSON.stringify(args),
        headers: { 'Content-Type': 'application/json' } }).then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) { window.storeNotices.push(body.message); window.renderBlock(); throw body; }
          window.blockCart = body; window.renderBlock(); return body;
        });
      });
    },
  } };
  var root = null;
  window.renderBlock = function () {
    var e = React.createElement, cart = window.blockCart, context = document.body.dataset.context;
    var block = e('div', { className: 'wc-block-' + context },
      e('ul', { className: 'wc-block-cart-items' }, cart.items.map(function (item) {
        var extra = applyCheckoutFilter({ filterName: 'cartItemClass', defaultValue: '', extensions: item.extensions,
                                          arg: { context: 'cart', cartItem: item, cart: cart } });
        return e('li', { key: item.key, className: ('wc-block-cart-items__row ' + extra).trim(), 'data-key': item.key },
          item.name, item.item_data.map(function (d) {
            return e('span', { key: d.key, className: 'wc-block-components-product-details__value' },
                     ' ' + d.key + ': ' + d.value);
          }));
      })),
      e('div', { className: 'wc-block-components-notices' }, window.storeNotices.map(function (n, i) {
        return e('div', { key: i, role: 'alert' }, n);
      })),
      e('div', { className: 'wc-block-components-order-meta' },
        e(OrderMeta.Provider, { value: { cart: cart, extensions: cart.extensions, context: 'woocommerce/' + context } },
          Object.keys(plugins).filter(function (n) { return plugins[n].scope === 'woocommerce-checkout'; })
            .map(function (n) { return e(React.Fragment, { key: n }, plugins[n].render()); }))));
    root = root || ReactDOM.createRoot(document.getElementById('block'));
    ReactDOM.flushSync(function () { root.render(block); });
  };
})();
"""


class Shop:
    """The shop's pages and its Store API, answered by the plugin's PHP; the session kept between requests."""

    def __init__(self, tmp_path: Path, lines: list[dict]) -> None:
        self.tmp_path, self.lines = tmp_path, lines
        self.session: str | None = None
        self.allow = True
        self.posts: list[Any] = []

    def php(self, body: str) -> Any:
        setup = (f"require {BLOCKS};\n" + store(product(1, meta=DATED, **BACKORDER), product(2),
                                                options={"mixed_choice": self.allow}))
        return run_plugin(self.tmp_path, f"$lines_json = {json.dumps(json.dumps(self.lines))};\n"
                                         f"$chosen = {json.dumps(self.session)};\n{CART}{body}", setup=setup)

    def page(self, context: str) -> str:
        cart = json.dumps(self.php("$out = cart_response();")).replace("</", "<\\/")
        scripts = "".join(f'<script src="/js/{name}"></script>' for name in ("react.js", "react-dom.js", "globals.js"))
        return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{context}</title></head>'
                f'<body data-context="{context}"><main id="block"></main>{scripts}'
                f'<script>window.blockCart = {cart};</script><script src="/js/ships-by-blocks.js"></script>'
                f'<script>window.renderBlock();</script></body></html>')

    def route(self, route: Any) -> None:
        request = route.request
        path = request.url.removeprefix(SHOP)
        files = {"/js/react.js": REACT, "/js/react-dom.js": REACT_DOM,
                 "/js/ships-by-blocks.js": PLUGIN / "assets" / "ships-by-blocks.js"}
        if path in files:
            route.fulfill(status=200, content_type="text/javascript", body=files[path].read_text())
        elif path == "/js/globals.js":
            route.fulfill(status=200, content_type="text/javascript", body=GLOBALS)
        elif path in ("/cart/", "/checkout/"):
            route.fulfill(status=200, content_type="text/html", body=self.page(path.strip("/")))
        elif path == EXTENSIONS and request.method == "POST":
            post = json.loads(request.post_data or "null")
            self.posts.append(post)
            out = self.php(f"$post = json_decode( {json.dumps(json.dumps(post))}, true );\n{POST}")
            self.session = out["session"]
            route.fulfill(status=out["answer"]["status"], content_type="application/json",
                          body=json.dumps(out["answer"]["body"]))
        else:
            route.fulfill(status=404, body="not found")


def _react_or_unavailable() -> None:
    if REACT.is_file() and REACT_DOM.is_file():
        return
    message = f"React's UMD build not found at {REACT} (apt-get install node-react node-react-dom)"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message)
    pytest.skip(message)


def open_shop(browser: Any, shop: Shop, width: int = 1024) -> Any:
    _react_or_unavailable()
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.route("**/*", lambda route: shop.route(route) if route.request.url.startswith(SHOP) else route.abort())
    return context


def test_a_mixed_cart_shows_the_notice_and_the_two_choices_and_sends_the_choice(browser: Any, tmp_path: Path) -> None:
    shop = Shop(tmp_path, MIXED)
    context = open_shop(browser, shop)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(f"{SHOP}/cart/")
        notice = page.get_by_role("status")
        assert notice.inner_text() == ("Your cart has items in stock and items on backorder; "
                                       "each backordered item shows the date it ships by.")
        group = page.get_by_role("group", name="Some items are on backorder. How should we ship your order?")
        ready = group.get_by_label("Ship what's ready now; the backordered items follow when they arrive")
        together = group.get_by_label("Ship together, when the backordered items arrive")
        assert ready.is_checked() and not together.is_checked()
        rows = page.locator(".wc-block-cart-items__row")
        assert rows.nth(0).get_attribute("class") == "wc-block-cart-items__row backorder-connector-ships-later"
        assert rows.nth(1).get_attribute("class") == "wc-block-cart-items__row"
        assert "Ships by: December 5, 2026" in rows.nth(0).inner_text()  # the plugin's item_data
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "storefront-woocommerce-blocks-cart.png"), full_page=True)

        with page.expect_response(f"{SHOP}{EXTENSIONS}"):
            together.click()
        assert page.evaluate("window.storeCalls") == [{"namespace": NS, "data": {"choice": "together"}}]
        assert shop.posts == [{"namespace": NS, "data": {"choice": "together"}}] and shop.session == "together"
        page.wait_for_function("window.blockCart.extensions['backorder-connector'].choice === 'together'")
        assert together.is_checked() and not ready.is_checked()

        with page.expect_response(f"{SHOP}{EXTENSIONS}"):  # from the keyboard: the arrow moves the choice
            together.focus()
            page.keyboard.press("ArrowUp")
        assert shop.posts[-1] == {"namespace": NS, "data": {"choice": "ready_now"}} and shop.session == "ready_now"
        page.wait_for_function("window.blockCart.extensions['backorder-connector'].choice === 'ready_now'")
        assert ready.is_checked()

        together.click()  # the checkout shows what the customer chose in the cart
        page.wait_for_function("window.blockCart.extensions['backorder-connector'].choice === 'together'")
        page.goto(f"{SHOP}/checkout/")
        chosen = page.locator("#backorder-connector-checkout-shipping-together")
        assert chosen.is_checked() and page.get_by_role("status").is_visible()
        page.screenshot(path=str(SCREENSHOTS / "storefront-woocommerce-blocks-checkout.png"), full_page=True)
        assert errors == []
    finally:
        context.close()


def test_a_refused_choice_goes_back_to_the_carts_and_woocommerce_shows_why(browser: Any, tmp_path: Path) -> None:
    shop = Shop(tmp_path, MIXED)
    context = open_shop(browser, shop, width=360)
    page = context.new_page()
    try:
        page.goto(f"{SHOP}/cart/")
        together = page.get_by_label("Ship together, when the backordered items arrive")
        shop.allow = False  # the merchant turned the choice off meanwhile
        with page.expect_response(f"{SHOP}{EXTENSIONS}") as answer:
            together.click()
        assert answer.value.status == 400 and shop.session is None
        page.get_by_role("alert").wait_for()
        assert "nothing to choose" in page.get_by_role("alert").inner_text()
        page.wait_for_function("!document.querySelector('fieldset').getAttribute('aria-busy').includes('true')")
        assert not together.is_checked()
        assert page.get_by_label("Ship what's ready now; the backordered items follow when they arrive").is_checked()
    finally:
        context.close()


def test_a_cart_that_is_not_mixed_shows_no_notice_and_no_choice(browser: Any, tmp_path: Path) -> None:
    shop = Shop(tmp_path, [{"product_id": 1, "quantity": 2}])
    context = open_shop(browser, shop)
    page = context.new_page()
    try:
        page.goto(f"{SHOP}/cart/")
        page.locator(".wc-block-cart-items__row").first.wait_for()
        assert page.locator(".backorder-connector-mixed-cart").count() == 0
        assert page.locator(".wc-block-cart-items__row").first.get_attribute("class") == (
            "wc-block-cart-items__row backorder-connector-ships-later")
        assert shop.posts == []
    finally:
        context.close()
