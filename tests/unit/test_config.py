"""Settings: defaults, YAML, environment overrides, and start-up errors that name the setting."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from connector.config import Settings, load_settings
from connector.domain.errors import ConfigError

KEY = Fernet.generate_key().decode()


def test_defaults_need_no_file_and_no_environment(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = load_settings(env={})
    assert settings.database_url == "sqlite:///connector.db"
    assert settings.shopify_api_version == "2026-04"
    assert settings.woocommerce_backordered_meta_keys == ("Backordered",)


def test_the_yaml_file_sets_nested_keys(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("shopify:\n  backorder_tag: pre-order\nworkers:\n  threads: 2\n"
                    "woocommerce:\n  backordered_meta_keys: [Backordered, Nachbestellt]\n")
    settings = load_settings(env={}, path=path)
    assert settings.shopify_backorder_tag == "pre-order"
    assert settings.worker_threads == 2
    assert settings.woocommerce_backordered_meta_keys == ("Backordered", "Nachbestellt")


def test_environment_variables_override_the_file(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("database_url: sqlite:///from-file.db\n")
    env = {"CONNECTOR_CONFIG": str(path), "DATABASE_URL": "postgresql://u@h/db", "CONNECTOR_SECRET_KEY": KEY,
           "SHOPIFY_API_SECRET": "s", "CONNECTOR_WORKER_THREADS": "0", "REDIS_URL": "redis://127.0.0.1:6379/0"}
    settings = load_settings(env=env)
    assert settings.database_url == "postgresql://u@h/db"
    assert settings.secret_key == KEY and settings.shopify_api_secret == "s"
    assert settings.worker_threads == 0 and settings.redis_url.startswith("redis://")


def test_the_example_config_documents_every_setting_and_loads():
    from pathlib import Path

    from connector.config import YAML_KEYS

    example = Path(__file__).resolve().parents[2] / "config.example.yaml"
    settings = load_settings(env={}, path=example)
    assert settings == Settings()
    text = example.read_text()
    for dotted in YAML_KEYS:
        assert dotted.split(".")[-1] + ":" in text, dotted


@pytest.mark.parametrize(("env", "named"), [
    ({"CONNECTOR_SECRET_KEY": "not-a-fernet-key"}, "CONNECTOR_SECRET_KEY"),
    ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
    ({"REDIS_URL": "http://x"}, "REDIS_URL"),
    ({"CONNECTOR_WORKER_THREADS": "many"}, "workers.threads"),
    ({"CONNECTOR_CONFIG": "/no/such/file.yaml"}, "CONNECTOR_CONFIG"),
])
def test_a_bad_setting_stops_start_up_naming_it(env, named):
    with pytest.raises(ConfigError) as error:
        load_settings(env=env)
    assert named in str(error.value)


def test_an_unknown_key_in_the_file_is_named(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("shopify:\n  api_secrte: typo\n")
    with pytest.raises(ConfigError, match="shopify.api_secrte"):
        load_settings(env={}, path=path)


def test_require_names_the_missing_setting():
    with pytest.raises(ConfigError, match="SHOPIFY_API_SECRET"):
        Settings(secret_key=KEY).require("secret_key", "shopify_api_secret")


def test_a_malformed_api_version_is_refused():
    with pytest.raises(ConfigError, match="shopify.api_version"):
        Settings(shopify_api_version="latest")


def test_app_url_must_be_https_outside_development_and_the_error_names_the_key():
    with pytest.raises(ConfigError, match="setting app.url: must be an https:// URL"):
        load_settings(env={"CONNECTOR_APP_URL": "http://connector.example"})
    with pytest.raises(ConfigError, match="setting woocommerce.api_base: must be an https:// URL"):
        Settings(woocommerce_api_base="http://127.0.0.1:8702")
    assert load_settings(env={"CONNECTOR_APP_URL": "https://connector.example"}).app_url == "https://connector.example"


def test_development_mode_allows_an_http_app_url_and_is_off_by_default(tmp_path):
    assert Settings().allow_private_targets is False and Settings().allow_local_files is False
    dev = load_settings(env={"CONNECTOR_ALLOW_PRIVATE_TARGETS": "true", "CONNECTOR_APP_URL": "http://127.0.0.1:8000"})
    assert dev.allow_private_targets is True and dev.app_url == "http://127.0.0.1:8000"
    path = tmp_path / "c.yaml"
    path.write_text("network:\n  allow_private_targets: true\nsuppliers:\n  allow_local_files: yes\n")
    from_file = load_settings(env={}, path=path)
    assert from_file.allow_private_targets is True and from_file.allow_local_files is True
    with pytest.raises(ConfigError, match="CONNECTOR_ALLOW_PRIVATE_TARGETS|network.allow_private_targets"):
        load_settings(env={"CONNECTOR_ALLOW_PRIVATE_TARGETS": "maybe"})
