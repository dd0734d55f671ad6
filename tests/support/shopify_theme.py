"""The Shopify theme app extension (extensions/shopify-theme) rendered on python-liquid with what Shopify
adds to Liquid for a storefront in a given language: ``t`` reading the extension's locale files,
``asset_url``, and the ``date`` filter's locale-aware form ``date: format: 'date'``.

Shopify's ``date`` filter takes a strftime string (Ruby's strftime: month names always English) or
``format:`` one of its named formats (``date``, ``abbreviated_date``, ...), which Shopify writes in the
storefront's language. The named formats here stand in for Shopify's with the language's CLDR long
(``date``: December 5, 2026 / 5 december 2026) and medium (``abbreviated_date``: Dec 5, 2026 /
5 dec 2026) date formats; Shopify's wording for a language may differ in detail (abbreviations,
punctuation), not in the language.
"""

from __future__ import annotations

import json
from datetime import date as Date
from datetime import datetime
from typing import Any

from babel.dates import format_date

from tests.conftest import ROOT

EXT = ROOT / "extensions" / "shopify-theme"
NAMED_FORMATS = {"date": "long", "abbreviated_date": "medium"}


def locale_strings(locale: str) -> dict[str, Any]:
    name = "en.default.json" if locale == "en" else f"{locale}.json"
    strings: dict[str, Any] = json.loads((EXT / "locales" / name).read_text(encoding="utf-8"))
    return strings


def shopify_date(locale: str, environment: Any) -> Any:
    """Shopify's ``date`` filter for a storefront in ``locale``: ``format:`` a named format in that
    language; a strftime string as Liquid's own filter does."""
    strftime_date = environment.filters["date"]

    def date(value: Any, fmt: Any = None, *, format: str | None = None) -> Any:  # noqa: A002 (Shopify's name)
        if format is None:
            return strftime_date(value, fmt, environment=environment)
        if format not in NAMED_FORMATS:
            raise ValueError(f"date format {format!r} is not one of Shopify's named formats")
        day = value if isinstance(value, Date) else datetime.fromisoformat(str(value)).date()
        return format_date(day, NAMED_FORMATS[format], locale=locale)

    return date


def theme_env(locale: str = "en") -> Any:
    """A python-liquid environment as Shopify renders the extension's blocks for ``locale``."""
    from tests.unit.test_storefront_engines import _liquid_env

    environment = _liquid_env()
    strings = locale_strings(locale)

    def t(key: str) -> str:
        value: Any = strings
        for part in key.split("."):
            value = value[part]
        assert isinstance(value, str)
        return value

    environment.add_filter("t", t)
    environment.add_filter("asset_url", lambda name: f"/cdn/extensions/backorder/assets/{name}")
    environment.add_filter("date", shopify_date(locale, environment))
    return environment


def block_schema(name: str) -> dict[str, Any]:
    """The ``{% schema %}`` JSON of blocks/<name>.liquid."""
    text = (EXT / "blocks" / f"{name}.liquid").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text.split("{% schema %}")[1].split("{% endschema %}")[0])
    return schema


def setting_defaults(name: str) -> dict[str, Any]:
    """The block's settings as a merchant who changed nothing has them (Shopify: the schema's defaults)."""
    return {s["id"]: s.get("default", "" if s["type"] != "checkbox" else False)
            for s in block_schema(name)["settings"]}


def render_ships_by(product: dict[str, Any], locale: str = "en", section_id: str = "main",
                    **settings: Any) -> str:
    template = theme_env(locale).from_string((EXT / "blocks" / "ships_by.liquid").read_text(encoding="utf-8"))
    block = {"id": "b1", "shopify_attributes": "", "settings": {**setting_defaults("ships_by"), **settings}}
    return str(template.render(product=product, block=block, section={"id": section_id}))


def render_cart_choice(cart: dict[str, Any], locale: str = "en", **settings: Any) -> str:
    template = theme_env(locale).from_string((EXT / "blocks" / "cart_choice.liquid").read_text(encoding="utf-8"))
    block = {"id": "e1", "settings": {**setting_defaults("cart_choice"), **settings}}
    return str(template.render(cart=cart, block=block))


def liquid_variant(variant: dict[str, Any]) -> dict[str, Any]:
    """The Liquid ``variant`` object of a variant of the Shopify simulator (``ShopifySimulator.variant``):
    inventory fields as Liquid names them and the app's metafields under ``$app``."""
    app = {key: {"value": field["value"]} for (namespace, key), field in variant["metafields"].items()
           if namespace == "app--sim"}
    return {"id": variant["id"], "title": variant["title"], "sku": variant["sku"],
            "inventory_management": "shopify" if variant.get("tracked", True) else None,
            "inventory_policy": variant["inventory_policy"].lower(),
            "inventory_quantity": variant["inventory_quantity"],
            "available": variant["inventory_quantity"] > 0 or variant["inventory_policy"] == "CONTINUE",
            "metafields": {"$app": app} if app else {}}
