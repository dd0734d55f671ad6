"""The storefront pieces run on real engines: the theme block on Liquid here; the WooCommerce plugin's
product-page date on PHP in tests/unit/test_woocommerce_plugin.py.

The Liquid block renders with python-liquid (the reference Liquid semantics) plus the two things Shopify
adds that the block uses: the ``{% schema %}`` tag (not rendered) and the ``json`` filter.
"""

from __future__ import annotations

import json
import re

from tests.conftest import ROOT, unavailable

BLOCK = ROOT / "extensions" / "shopify-theme" / "blocks" / "in_stock_date.liquid"


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
