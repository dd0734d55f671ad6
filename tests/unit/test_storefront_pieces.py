"""The storefront pieces read exactly what the adapters write (namespace, key, type, meta key)."""

from __future__ import annotations

import json
import re
import tomllib

import pytest
from graphql import parse, validate

from adapters.shopify import catalog as shopify_catalog
from adapters.woocommerce.catalog import META_KEY
from connector.domain.shopify_access import API_VERSIONS
from tests.conftest import ROOT
from tests.unit.test_shopify_documents import real_schema

THEME = ROOT / "extensions" / "shopify-theme"


def test_the_theme_extension_is_a_theme_extension() -> None:
    config = tomllib.loads((THEME / "shopify.extension.toml").read_text())
    assert config["type"] == "theme" and config["name"]


def test_the_block_reads_the_app_owned_metafield_the_connector_writes() -> None:
    liquid = (THEME / "blocks" / "in_stock_date.liquid").read_text()
    assert shopify_catalog.NAMESPACE == "$app" and shopify_catalog.KEY == "in_stock_date"
    assert liquid.count("metafields['$app'].in_stock_date.value") == 2
    assert '"type": "date"' not in liquid  # the type is set by metafieldsSet, not the block
    schema = json.loads(re.search(r"{% schema %}(.*){% endschema %}", liquid, re.S).group(1))
    assert schema["target"] == "section" and schema["enabled_on"]["templates"] == ["product"]
    assert {s["id"] for s in schema["settings"]} == {"label", "date_format", "text_color"}
    assert "Expected in stock:" in {s.get("default") for s in schema["settings"]}


def test_the_woocommerce_plugin_reads_the_meta_key_the_connector_writes() -> None:
    php = (ROOT / "extensions" / "woocommerce" / "backorder-connector" / "includes" / "product-date.php").read_text()
    assert f"const BACKORDER_CONNECTOR_META = '{META_KEY}';" in php
    assert "esc_html(" in php and "Expected in stock: %s" in php


@pytest.mark.parametrize("version", API_VERSIONS)
def test_catalogue_documents_validate_against_the_real_schema_of_each_accepted_version(version: str) -> None:
    """Against Shopify's real schema (../shared/fixtures/schemas), not the simulator's own subset,
    which would agree with whatever the simulator was written to accept."""
    real = real_schema(version)
    for document in shopify_catalog.DOCUMENTS:
        assert [e.message for e in validate(real, parse(document))] == []


class RecordingClient:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict]] = []

    def execute(self, document: str, variables: dict) -> dict:
        self.sent.append((document, variables))
        name = "metafieldsSet" if document is shopify_catalog.METAFIELDS_SET else "metafieldsDelete"
        return {name: {"userErrors": []}}


def test_dates_are_set_as_date_metafields_and_gone_dates_deleted() -> None:
    from datetime import date

    from connector.domain.supply import PageDate

    client = RecordingClient()
    catalog = shopify_catalog.ShopifyCatalog(client)  # type: ignore[arg-type]
    catalog.write_dates([PageDate("A", "1", "11", date(2026, 12, 5)), PageDate("B", "1", "12", None)])
    (set_doc, set_vars), (delete_doc, delete_vars) = client.sent
    assert set_doc is shopify_catalog.METAFIELDS_SET and delete_doc is shopify_catalog.METAFIELDS_DELETE
    assert set_vars == {"metafields": [{"ownerId": "gid://shopify/ProductVariant/11", "namespace": "$app",
                                        "key": "in_stock_date", "type": "date", "value": "2026-12-05"}]}
    assert delete_vars == {"metafields": [{"ownerId": "gid://shopify/ProductVariant/12", "namespace": "$app",
                                           "key": "in_stock_date"}]}
    with pytest.raises(ValueError, match="at most 25"):
        catalog.write_dates([PageDate(f"S{n}", "1", str(n), date(2026, 12, 5)) for n in range(26)])
