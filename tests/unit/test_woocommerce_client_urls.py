"""Where the client sends its calls: the API root from store URL and api_base."""

from __future__ import annotations

import pytest

from adapters.woocommerce.client import WooCommerceClient, api_root
from connector.domain.errors import ConfigError


def test_the_api_root_sits_under_the_store_url() -> None:
    assert api_root("https://woo.example") == "https://woo.example/wp-json/wc/v3"
    assert api_root("https://woo.example/") == "https://woo.example/wp-json/wc/v3"


def test_a_wordpress_in_a_subfolder_keeps_its_path() -> None:
    assert api_root("https://example.com/shop/") == "https://example.com/shop/wp-json/wc/v3"


def test_api_base_replaces_only_scheme_host_and_port() -> None:
    root = api_root("https://example.com/shop", "http://127.0.0.1:8081")
    assert root == "http://127.0.0.1:8081/shop/wp-json/wc/v3"


@pytest.mark.parametrize("api_base", ["http://127.0.0.1:8081/prefix", "127.0.0.1:8081", "ftp://x"])
def test_an_api_base_with_a_path_or_without_a_scheme_is_a_config_error(api_base: str) -> None:
    with pytest.raises(ConfigError, match="api_base"):
        api_root("https://woo.example", api_base)


def test_the_client_repr_hides_the_credentials() -> None:
    client = WooCommerceClient("https://woo.example", "ck_secret_key", "cs_secret_value")
    assert "ck_secret_key" not in repr(client) and "cs_secret_value" not in repr(client)


def test_missing_credentials_are_a_config_error() -> None:
    with pytest.raises(ConfigError):
        WooCommerceClient("https://woo.example", "", "cs")
