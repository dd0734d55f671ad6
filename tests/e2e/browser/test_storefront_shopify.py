"""The Shopify theme app extension in Chromium (issue 16 item 1): the product block and the mixed-cart app
embed rendered on python-liquid (tests/support/shopify_theme.py: Shopify's t, asset_url and date) into
the pages of a small storefront served on loopback: a product form as Dawn-like themes build it (option
radios or a select, the hidden ``id`` input, the add button with its <span>), the extension's
``ships-by.js`` and ``ships-by.css`` as Shopify serves a block's assets, and Shopify's cart endpoints
(``/cart/add``, ``/cart``, ``/cart/update.js``) answered by the test server, which keeps the cart and
records every request, so the tests assert what the browser sent.

Theme scripts (a stand-in for the theme's own JavaScript, ``?theme=``): ``dawn`` sets the hidden id
input's value and replaces ``?variant=`` in the URL; ``push`` does the same with pushState and goes back
to the URL's variant on popstate; ``events`` only dispatches ``variant:change`` (not bubbling) on the
variant picker; ``select`` is a classic ``<select name="id">`` in the form.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest

from tests.e2e.browser.conftest import LOOPBACK, SCREENSHOTS
from tests.support.shopify_theme import EXT, block_schema, render_cart_choice, render_ships_by

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ASSETS = "/cdn/extensions/backorder/assets/"
FALLBACK = "Backorder: ships in 2-3 weeks"
DATED = "Backorder: ships by December 15, 2026"


def variant(variant_id: int, title: str, *, quantity: int, day: str | None = None) -> dict[str, Any]:
    """A Liquid ``variant`` as Shopify passes it: tracked, sold on backorder when out of stock."""
    return {"id": variant_id, "title": title, "inventory_management": "shopify", "inventory_policy": "continue",
            "inventory_quantity": quantity, "available": True,
            "metafields": {"$app": {"in_stock_date": {"value": day}}} if day else {}}


VARIANTS = [variant(11, "Small", quantity=0, day="2026-12-15"),  # on backorder, dated
            variant(12, "Medium", quantity=5),                    # in stock
            variant(13, "Large", quantity=-1)]                    # on backorder, no date


THEME_SCRIPTS = {
    "dawn": """
document.querySelectorAll('input[name="Size"]').forEach(function (radio) {
  radio.addEventListener('change', function () {
    var id = radio.dataset.variant;
    document.querySelector('#product-form-main input[name="id"]').value = id;
    history.replaceState(null, '', location.pathname + '?theme=dawn&variant=' + id);
  });
});""",
    "push": """
function pick(id) {
  document.querySelector('#product-form-main input[name="id"]').value = id;
  document.querySelector('input[name="Size"][data-variant="' + id + '"]').checked = true;
}
document.querySelectorAll('input[name="Size"]').forEach(function (radio) {
  radio.addEventListener('change', function () {
    pick(radio.dataset.variant);
    history.pushState(null, '', location.pathname + '?theme=push&variant=' + radio.dataset.variant);
  });
});
window.addEventListener('popstate', function () { pick(new URLSearchParams(location.search).get('variant')); });""",
    "events": """
document.querySelectorAll('input[name="Size"]').forEach(function (radio) {
  radio.addEventListener('change', function () {
    document.querySelector('variant-radios').dispatchEvent(new CustomEvent('variant:change',
      { bubbles: false, detail: { variant: { id: Number(radio.dataset.variant) } } }));
  });
});""",
    "select": "",
}


@dataclass
class Storefront:
    """A storefront on loopback: the product page, the cart, and Shopify's cart endpoints."""

    locale: str = "en"
    cart: dict[str, Any] = field(default_factory=lambda: {"items": [], "attributes": {}})
    requests: list[tuple[str, Any]] = field(default_factory=list)
    url: str = ""

    def received(self, path: str) -> list[Any]:
        return [body for seen, body in self.requests if seen == path]

    def product_page(self, query: dict[str, str]) -> str:
        theme = query.get("theme", "dawn")
        selected = next((v for v in VARIANTS if str(v["id"]) == query.get("variant")), VARIANTS[0])
        product = {"id": 1, "title": "Trail lamp", "variants": VARIANTS,
                   "selected_or_first_available_variant": selected}
        block = render_ships_by(product, self.locale, fallback_text=FALLBACK)
        if theme == "select":
            options = "".join(f'<option value="{v["id"]}"{" selected" if v is selected else ""}>{v["title"]}</option>'
                              for v in VARIANTS)
            picker = ""
            id_input = f'<label for="variant-id">Size</label> <select id="variant-id" name="id">{options}</select>'
        else:
            radios = "".join(f'<input type="radio" id="size-{v["id"]}" name="Size" value="{v["title"]}" '
                             f'data-variant="{v["id"]}"{" checked" if v is selected else ""}>'
                             f'<label for="size-{v["id"]}">{v["title"]}</label>' for v in VARIANTS)
            picker = f'<variant-radios><fieldset><legend>Size</legend>{radios}</fieldset></variant-radios>'
            id_input = f'<input type="hidden" name="id" value="{selected["id"]}">'
        body = (f'<h1>Trail lamp</h1>{picker}'
                f'<product-form><form method="post" action="/cart/add" id="product-form-main" accept-charset="UTF-8">'
                f'{id_input}<input type="hidden" name="quantity" value="1">'
                f'<button type="submit" name="add" class="product-form__submit button"><span>Add to cart</span>'
                f'</button></form></product-form>{block}')
        return self.page("Trail lamp", body, THEME_SCRIPTS[theme])

    def cart_page(self) -> str:
        rows = []
        for item in self.cart["items"]:
            shown = "".join(f"<dd>{name}: {value}</dd>" for name, value in item["properties"].items()
                            if not name.startswith("_"))  # Dawn shows the properties not starting with _
            rows.append(f'<li>{item["title"]} × {item["quantity"]}<dl>{shown}</dl></li>')
        body = (f'<h1>Your cart</h1><form action="/cart" method="post" id="cart"><ul>{"".join(rows)}</ul>'
                f'<button type="submit" name="checkout" class="button">Check out</button></form>')
        return self.page("Your cart", body, "")

    def page(self, title: str, body: str, theme_script: str) -> str:
        embed = render_cart_choice(self.cart, self.locale)  # a body app embed: every page, end of body
        styles = "".join(f'<link rel="stylesheet" href="{ASSETS}{name}">'
                         for name in sorted({block_schema(b).get("stylesheet") for b in ("ships_by", "cart_choice")}
                                            - {None}))  # Shopify links a block's "stylesheet" in the head
        return (f'<!doctype html><html lang="{self.locale}"><head><meta charset="utf-8">'
                '<meta name="viewport" content="width=device-width, initial-scale=1">'
                f'<title>{title}</title>{styles}<style>body{{font:16px/1.5 sans-serif;margin:1rem;color:#121212}}'
                '.button{padding:.75em 2em;background:#121212;color:#fff;border:0}</style></head>'
                f'<body><main>{body}</main>{embed}<script>{theme_script}</script></body></html>')

    def add(self, form: dict[str, str]) -> None:
        chosen = next(v for v in VARIANTS if str(v["id"]) == form["id"])
        properties = {key[len("properties["):-1]: value for key, value in form.items()
                      if key.startswith("properties[") and value}
        self.cart["items"].append({"id": chosen["id"], "title": f"Trail lamp - {chosen['title']}",
                                   "quantity": int(form.get("quantity", "1")), "properties": properties})


class Handler(BaseHTTPRequestHandler):
    store: Storefront

    def log_message(self, *args: Any) -> None:
        pass

    def reply(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        url = urlsplit(self.path)
        if url.path.startswith(ASSETS):
            name = url.path[len(ASSETS):]
            kind = {"js": "text/javascript", "css": "text/css"}[name.rsplit(".", 1)[1]]
            self.reply(200, (EXT / "assets" / name).read_bytes(), kind)
        elif url.path == "/products/trail-lamp":
            query = {k: v[-1] for k, v in parse_qs(url.query).items()}
            self.reply(200, self.store.product_page(query).encode(), "text/html; charset=utf-8")
        elif url.path == "/cart":
            self.reply(200, self.store.cart_page().encode(), "text/html; charset=utf-8")
        elif url.path == "/checkout":
            self.reply(200, b"<!doctype html><title>Checkout</title><h1>Checkout</h1>", "text/html")
        else:
            self.reply(404, b"not found", "text/plain")

    def do_POST(self) -> None:  # noqa: N802
        url = urlsplit(self.path)
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
        if url.path == "/cart/update.js":  # Shopify's Ajax API: JSON {attributes: {...}}
            body = json.loads(raw)
            self.store.requests.append((url.path, body))
            self.store.cart["attributes"].update(body.get("attributes", {}))
            self.reply(200, json.dumps(self.store.cart).encode(), "application/json")
            return
        form = dict(parse_qsl(raw, keep_blank_values=True))
        self.store.requests.append((url.path, form))
        if url.path == "/cart/add":
            self.store.add(form)
            self.reply(303, b"", "text/plain", {"Location": "/cart"})
        elif url.path == "/cart":
            self.store.cart["attributes"].update({k[len("attributes["):-1]: v for k, v in form.items()
                                                  if k.startswith("attributes[")})
            self.reply(303, b"", "text/plain", {"Location": "/checkout" if "checkout" in form else "/cart"})
        else:
            self.reply(404, b"not found", "text/plain")


def serve(store: Storefront) -> Iterator[Storefront]:
    handler = type("StoreHandler", (Handler,), {"store": store})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    store.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield store
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def store() -> Iterator[Storefront]:
    yield from serve(Storefront())


@pytest.fixture
def dutch_store() -> Iterator[Storefront]:
    yield from serve(Storefront(locale="nl"))


def new_page(browser: Any, width: int = 1280, javascript: bool = True) -> Any:
    context = browser.new_context(viewport={"width": width, "height": 800}, java_script_enabled=javascript)
    context.route("**/*", lambda route: route.continue_() if urlsplit(route.request.url).hostname in LOOPBACK
                  else route.abort())  # nothing leaves the machine
    return context.new_page()


def shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"storefront-shopify-{name}.png"), full_page=True)


def button(page: Any) -> str:
    return str(page.locator("#product-form-main [name=add]").inner_text()).strip()


def properties(page: Any) -> dict[str, str]:
    """The line item properties the product form would send now."""
    return dict(page.evaluate("""() => Array.from(new FormData(document.getElementById('product-form-main')))
        .filter(([name]) => name.startsWith('properties[')).map(([name, value]) => [name, value])"""))


ON_BACKORDER = {"properties[Ships by]": "December 15, 2026", "properties[_backorder_ships_by]": "2026-12-15"}


def added(variant_id: str, **line_properties: str) -> dict[str, str]:
    """What the product form posts to /cart/add (the submit button's name included, as browsers send it)."""
    return {"id": variant_id, "quantity": "1", "add": "", **line_properties}


def choose(page: Any, title: str) -> None:
    page.get_by_label(title, exact=True).check()


def open_product(page: Any, store: Storefront, theme: str, variant_id: int | None = None) -> None:
    query = f"?theme={theme}" + (f"&variant={variant_id}" if variant_id else "")
    page.goto(store.url + "/products/trail-lamp" + query)
    page.wait_for_load_state("load")


def test_a_dawn_like_form_shows_the_date_for_the_backorder_variant_and_the_line_carries_it(browser, store):
    page = new_page(browser)
    try:
        open_product(page, store, "dawn")
        assert button(page) == DATED and properties(page) == ON_BACKORDER
        shot(page, "product-backorder")
        choose(page, "Medium")  # in stock: the theme's own text, no date on the line
        assert button(page) == "Add to cart" and properties(page) == {}
        assert page.locator("[data-backorder-text]").is_hidden()
        choose(page, "Large")  # on backorder without a date: the merchant's fallback, no date on the line
        assert button(page) == FALLBACK and properties(page) == {}
        assert page.locator("[data-backorder-text]").inner_text() == FALLBACK
        choose(page, "Small")
        assert button(page) == DATED and properties(page) == ON_BACKORDER
        assert "variant=11" in page.url
        page.locator("#product-form-main [name=add]").click()
        page.wait_for_url("**/cart")
        choose_and_add = store.received("/cart/add")
        assert choose_and_add == [added("11", **ON_BACKORDER)]
        assert "Ships by: December 15, 2026" in page.locator("main").inner_text()  # shown on the cart's line
        open_product(page, store, "dawn")
        choose(page, "Medium")
        page.locator("#product-form-main [name=add]").click()
        page.wait_for_url("**/cart")
        assert store.received("/cart/add")[1] == added("12")
    finally:
        page.context.close()


def test_variant_change_events_drive_the_button_even_when_they_do_not_bubble(browser, store):
    page = new_page(browser)
    try:
        open_product(page, store, "events")
        assert button(page) == DATED
        choose(page, "Medium")
        assert button(page) == "Add to cart" and properties(page) == {}
        choose(page, "Large")
        assert button(page) == FALLBACK
        choose(page, "Small")
        assert button(page) == DATED and properties(page) == ON_BACKORDER
        # another product's variant (a quick-add or featured product) leaves this form alone
        page.evaluate("""document.dispatchEvent(new CustomEvent('variant:change',
            { detail: { variant: { id: 999 } } }))""")
        assert button(page) == DATED and properties(page) == ON_BACKORDER
    finally:
        page.context.close()


def test_a_select_named_id_drives_the_button_from_the_keyboard(browser, store):
    page = new_page(browser)
    try:
        open_product(page, store, "select")
        assert button(page) == DATED
        page.focus("#variant-id")
        page.keyboard.press("ArrowDown")  # Medium
        assert page.input_value("#variant-id") == "12" and button(page) == "Add to cart" and properties(page) == {}
        page.keyboard.press("ArrowDown")  # Large
        assert button(page) == FALLBACK
        page.keyboard.press("ArrowUp")
        page.keyboard.press("ArrowUp")
        assert button(page) == DATED and properties(page) == ON_BACKORDER
    finally:
        page.context.close()


def test_the_line_carries_the_date_of_the_variant_the_form_adds_even_when_no_signal_came(browser, store):
    """A theme script that sets the select's value without an event: the add sends that variant, and
    the properties are read again on submit (none for the in-stock variant)."""
    page = new_page(browser)
    try:
        open_product(page, store, "select")
        assert properties(page) == ON_BACKORDER
        page.evaluate("document.getElementById('variant-id').value = '12'")
        page.locator("#product-form-main [name=add]").click()
        page.wait_for_url("**/cart")
        assert store.received("/cart/add") == [added("12")]
    finally:
        page.context.close()


def test_the_variant_in_the_url_and_back_and_forward(browser, store):
    page = new_page(browser)
    try:
        open_product(page, store, "push", variant_id=12)  # Shopify renders ?variant= as the selected one
        assert button(page) == "Add to cart" and properties(page) == {}
        choose(page, "Small")
        assert button(page) == DATED and "variant=11" in page.url
        page.go_back()
        page.wait_for_function("() => location.search.includes('variant=12')")
        page.wait_for_function("() => document.querySelector('#product-form-main [name=add]').innerText.trim()"
                               " === 'Add to cart'")
        assert properties(page) == {}
        page.go_forward()
        page.wait_for_function(f"() => document.querySelector('#product-form-main [name=add]').innerText.trim()"
                               f" === {json.dumps(DATED)}")
        assert properties(page) == ON_BACKORDER
        open_product(page, store, "push", variant_id=13)
        assert button(page) == FALLBACK
    finally:
        page.context.close()


def test_without_javascript_the_block_says_it_and_the_form_sends_the_date(browser, store):
    page = new_page(browser, javascript=False)
    try:
        open_product(page, store, "dawn")
        assert page.locator("[data-backorder-text]").inner_text() == DATED
        assert button(page) == "Add to cart"  # the theme's button; the block's text stands next to it
        page.locator("#product-form-main [name=add]").click()
        page.wait_for_url("**/cart")
        assert store.received("/cart/add") == [added("11", **ON_BACKORDER)]
    finally:
        page.context.close()


def test_a_dutch_storefront_writes_the_date_and_the_property_in_dutch(browser, dutch_store):
    page = new_page(browser, width=360)
    try:
        open_product(page, dutch_store, "dawn")
        assert button(page) == "Nabestelling: verzonden vóór 15 december 2026"
        assert properties(page) == {"properties[Verzonden vóór]": "15 december 2026",
                                    "properties[_backorder_ships_by]": "2026-12-15"}
        choose(page, "Medium")
        choose(page, "Small")
        assert button(page) == "Nabestelling: verzonden vóór 15 december 2026"
        shot(page, "product-dutch-360")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    finally:
        page.context.close()


def fill_mixed_cart(page: Any, store: Storefront) -> None:
    for title in ("Small", "Medium"):  # one line waiting, one in stock, added through the product form
        open_product(page, store, "dawn")
        choose(page, title)
        page.locator("#product-form-main [name=add]").click()
        page.wait_for_url("**/cart")


def test_a_mixed_cart_says_so_and_the_choice_is_saved_as_the_cart_attribute(browser, store):
    page = new_page(browser, width=360)
    try:
        page.goto(store.url + "/cart")
        assert page.locator("[data-backorder-cart]").count() == 0  # an empty cart is not mixed
        fill_mixed_cart(page, store)
        notice = page.get_by_role("region", name="Backorder")
        assert "Some items in your cart are on backorder" in notice.inner_text()
        ready, together = page.get_by_label("Ship what's ready now"), page.get_by_label("Ship everything together")
        assert ready.is_checked() and not together.is_checked()
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        shot(page, "cart-mixed-360")
        ready.focus()
        with page.expect_request("**/cart/update.js") as sent:
            page.keyboard.press("ArrowDown")  # radios move with the arrow keys
        assert together.is_checked()
        assert sent.value.post_data_json == {"attributes": {"Backorder shipping": "together"}}
        assert sent.value.headers["content-type"] == "application/json"
        deadline = time.monotonic() + 5
        while not store.received("/cart/update.js") and time.monotonic() < deadline:
            time.sleep(0.02)
        assert store.received("/cart/update.js") == [{"attributes": {"Backorder shipping": "together"}}]
        page.reload()
        assert page.get_by_label("Ship everything together").is_checked()  # the cart keeps it
        page.get_by_role("button", name="Check out").click()
        page.wait_for_url("**/checkout")
        assert store.received("/cart")[-1] == {"checkout": "", "attributes[Backorder shipping]": "together"}
    finally:
        page.context.close()


def test_the_choice_on_a_page_with_both_pieces_is_sent_once(browser, store):
    """On the product page of a mixed cart the block and the embed both load ships-by.js."""
    page = new_page(browser)
    try:
        fill_mixed_cart(page, store)
        open_product(page, store, "dawn")
        assert page.locator(f"script[src='{ASSETS}ships-by.js']").count() == 2
        page.get_by_label("Ship everything together").check()
        page.wait_for_timeout(300)
        assert store.received("/cart/update.js") == [{"attributes": {"Backorder shipping": "together"}}]
        assert button(page) == DATED  # the product block still works alongside the embed
    finally:
        page.context.close()
