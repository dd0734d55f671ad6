"""The storefront pieces run on real engines: the theme block on Liquid, the WooCommerce snippet on PHP.

The Liquid block renders with python-liquid (the reference Liquid semantics) plus the two things Shopify
adds that the block uses: the ``{% schema %}`` tag (not rendered) and the ``json`` filter. The PHP snippet
runs on the PHP CLI; WordPress and WooCommerce are not installed, so the few functions the snippet calls
(add_action, add_filter, __, date_i18n, get_option, esc_html, WC_Product::get_meta/is_type) are small
stand-ins written the way WordPress defines them. What is tested is the snippet's own code.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

from tests.conftest import ROOT, unavailable

BLOCK = ROOT / "extensions" / "shopify-theme" / "blocks" / "in_stock_date.liquid"
SNIPPET = ROOT / "docs" / "woocommerce-in-stock-date.php"


# --- Liquid ---------------------------------------------------------------------------------------------

def _liquid_env():  # type: ignore[no-untyped-def]
    try:
        import liquid
    except ImportError:
        unavailable("python-liquid (a test extra) is not installed")
    from liquid.ast import Node
    from liquid.extra import JSON
    from liquid.tag import Tag
    from liquid.token import TOKEN_EOF, TOKEN_TAG

    class SchemaNode(Node):
        def render_to_output(self, context, buffer):  # type: ignore[no-untyped-def]
            return False

        def children(self, static_context, *, include_partials=True):  # type: ignore[no-untyped-def]
            return []

    class SchemaTag(Tag):
        """Shopify's ``{% schema %}``: JSON for the theme editor, never rendered."""

        name, end = "schema", "endschema"

        def parse(self, stream):  # type: ignore[no-untyped-def]
            token = stream.eat(TOKEN_TAG)
            while not (stream.current.kind == TOKEN_TAG and stream.current.value == self.end):
                if stream.current.kind == TOKEN_EOF:
                    raise AssertionError("schema tag never closed")
                next(stream)
            return SchemaNode(token)

    env = liquid.Environment()
    env.add_tag(SchemaTag)
    env.add_filter("json", JSON())
    return env


def _variant(variant_id: int, day: str | None) -> dict:
    metafields = {"$app": {"in_stock_date": {"value": day}}} if day else {}
    return {"id": variant_id, "metafields": metafields}


def _render(selected: dict, variants: list[dict], date_format: str = "%B %-d, %Y") -> str:
    block = {"id": "AbC1", "shopify_attributes": 'data-shopify-editor-block="{}"',
             "settings": {"label": "Expected <in> stock:", "date_format": date_format, "text_color": "#6b4e16"}}
    template = _liquid_env().from_string(BLOCK.read_text())
    return template.render(product={"selected_or_first_available_variant": selected, "variants": variants},
                           block=block)


def _variant_dates(html: str) -> dict:
    script = re.search(r'<script type="application/json" id="backorder-dates-AbC1">(.*?)</script>', html, re.S)
    assert script, html
    return json.loads(script.group(1))


def test_the_block_shows_the_selected_variants_date_in_the_merchants_format() -> None:
    dated, undated = _variant(11, "2026-12-05"), _variant(12, None)
    html = _render(dated, [dated, undated])
    div = re.search(r'<div class="backorder-in-stock-date"[^>]*>', html, re.S).group(0)  # type: ignore[union-attr]
    assert " hidden" not in div
    assert '<time class="backorder-in-stock-date__value" datetime="2026-12-05">December 5, 2026</time>' in html
    assert "Expected &lt;in&gt; stock:" in html  # the merchant's label is escaped
    assert "{% schema %}" not in html and '"settings"' not in html
    assert _variant_dates(html) == {"11": {"iso": "2026-12-05", "text": "December 5, 2026"}, "12": None}


def test_the_block_is_hidden_for_a_variant_without_a_date() -> None:
    undated = _variant(12, None)
    html = _render(undated, [undated])
    div = re.search(r'<div class="backorder-in-stock-date"[^>]*>', html, re.S).group(0)  # type: ignore[union-attr]
    assert div.rstrip(">").rstrip().endswith("hidden")
    assert re.search(r'datetime="">\s*</time>', html)
    assert _variant_dates(html) == {"12": None}


def test_every_date_format_the_block_offers_renders() -> None:
    schema = json.loads(re.search(r"{% schema %}(.*){% endschema %}", BLOCK.read_text(), re.S).group(1))  # type: ignore[union-attr]
    formats = next(s for s in schema["settings"] if s["id"] == "date_format")["options"]
    dated = _variant(11, "2026-12-05")
    for option in formats:
        html = _render(dated, [dated], option["value"])
        assert _variant_dates(html)["11"]["text"] == option["label"]


# --- PHP ------------------------------------------------------------------------------------------------

HARNESS = r"""<?php
define( 'ABSPATH', __DIR__ . '/' );
$GLOBALS['hooks'] = array();
function add_action( $hook, $callback, $priority = 10, $args = 1 ) { $GLOBALS['hooks'][ $hook ][] = $callback; }
function add_filter( $hook, $callback, $priority = 10, $args = 1 ) { $GLOBALS['hooks'][ $hook ][] = $callback; }
function __( $text, $domain = 'default' ) { return $text; }
function get_option( $name ) { return array( 'date_format' => 'F j, Y' )[ $name ]; }
function date_i18n( $format, $timestamp ) { return gmdate( $format, $timestamp ); }
function esc_html( $text ) { return htmlspecialchars( (string) $text, ENT_QUOTES, 'UTF-8' ); }
class WC_Product {
	public function __construct( private string $type, private array $meta ) {}
	public function is_type( $type ) { return $this->type === $type; }
	public function get_meta( $key, $single = true ) { return $this->meta[ $key ] ?? ''; }
}
require $argv[1];
$cases = json_decode( file_get_contents( 'php://stdin' ), true );
$out = array();
foreach ( $cases as $case ) {
	global $product;
	$product = new WC_Product( $case['type'], $case['meta'] );
	if ( 'variation' === $case['type'] ) {
		$data = array( 'availability_html' => '<p class="stock">Available on backorder</p>' );
		foreach ( $GLOBALS['hooks']['woocommerce_available_variation'] as $filter ) {
			$data = $filter( $data, new WC_Product( 'variable', array() ), $product );
		}
		$out[] = $data['availability_html'];
	} else {
		ob_start();
		foreach ( $GLOBALS['hooks']['woocommerce_single_product_summary'] as $action ) { $action(); }
		$out[] = ob_get_clean();
	}
}
echo json_encode( $out );
"""


def _php(tmp_path: Path, cases: list[dict]) -> list[str]:
    php = shutil.which("php")
    if php is None:
        unavailable("the PHP CLI is not installed (apt-get install php-cli)")
    harness = tmp_path / "harness.php"
    harness.write_text(HARNESS)
    lint = subprocess.run([php, "-l", str(SNIPPET)], capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    run = subprocess.run([php, "-d", "display_errors=stderr", "-d", "error_reporting=-1", str(harness), str(SNIPPET)],
                         input=json.dumps(cases), capture_output=True, text=True, timeout=30)
    assert run.returncode == 0 and not run.stderr, run.stderr
    return json.loads(run.stdout)


def test_the_snippet_runs_on_php_for_simple_products(tmp_path: Path) -> None:
    meta = "_backorder_in_stock_date"
    out = _php(tmp_path, [
        {"type": "simple", "meta": {meta: "2026-12-05"}},
        {"type": "simple", "meta": {}},
        {"type": "simple", "meta": {meta: "soon"}},
        {"type": "simple", "meta": {meta: "2026-12-5"}},
        {"type": "variable", "meta": {meta: "2026-12-05"}},  # variable products show it per variation
    ])
    assert out == ['<p class="backorder-in-stock-date">Expected in stock: December 5, 2026</p>', "", "", "", ""]


def test_the_snippet_runs_on_php_for_variations(tmp_path: Path) -> None:
    meta = "_backorder_in_stock_date"
    out = _php(tmp_path, [
        {"type": "variation", "meta": {meta: "2027-01-31"}},
        {"type": "variation", "meta": {}},
    ])
    stock = '<p class="stock">Available on backorder</p>'
    assert out == [stock + '<p class="backorder-in-stock-date">Expected in stock: January 31, 2027</p>', stock]
