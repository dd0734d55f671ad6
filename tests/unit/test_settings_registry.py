"""The settings registry: every per-shop setting declared once, listed explicitly, and the generated
reference (docs/settings.md) kept in step with the declarations."""

from __future__ import annotations

from pathlib import Path

import pytest

from connector import shop_settings
from connector.config import Settings, deployment_settings
from connector.domain.errors import InvalidPayload
from connector.settings_registry import FEATURE_SETTINGS, build_registry, reference, registry
from connector.shop_settings import ShopSettingSpec, ShopSettingsRegistry

REFERENCE = Path(__file__).resolve().parents[2] / "docs" / "settings.md"


def test_the_settings_reference_is_generated_from_the_declarations_and_not_stale():
    assert REFERENCE.read_text(encoding="utf-8") == reference(), (
        "docs/settings.md is stale: run `python -m connector.settings_registry > docs/settings.md`")


def test_the_reference_names_every_deployment_and_per_shop_setting():
    text = reference()
    for setting in deployment_settings():
        assert f"`{setting.yaml_key}`" in text and all(f"`{env}`" in text for env in setting.env)
    for spec in registry():
        assert f"`{spec.key}`" in text


def test_each_deployment_setting_declares_its_yaml_key_help_and_environment_once():
    named = {s.name: s for s in deployment_settings()}
    assert set(named) == set(Settings.model_fields) - {"source"}
    assert named["database_url"].env == ("DATABASE_URL", "CONNECTOR_DATABASE_URL")
    assert named["secret_key"].env == ("CONNECTOR_SECRET_KEY",)
    assert named["worker_threads"].yaml_key == "workers.threads"
    assert all(s.help for s in named.values())


NAMESPACES = {"promise": "capture", "dates": "supply", "publish": "supply", "alerts": "notify", "brand": "notify"}
"""Key prefixes that are not their feature's own name, and the feature each belongs to."""


def test_every_feature_declares_settings_under_a_heading_naming_a_feature_package():
    package = Path(__file__).resolve().parents[2] / "connector"
    for heading, specs in FEATURE_SETTINGS:
        feature, sep, title = heading.partition(": ")
        assert sep and title.strip(), f"heading {heading!r} is not '<feature>: <what>'"
        assert (package / feature / "__init__.py").exists(), f"{heading!r}: no package connector/{feature}"
        assert len(specs) > 0, f"{heading!r} declares no settings"


def test_keys_are_unique_and_each_key_s_prefix_names_its_feature():
    keys = [spec.key for _, specs in FEATURE_SETTINGS for spec in specs]
    assert len(keys) == len(set(keys)) == len(build_registry())
    for heading, specs in FEATURE_SETTINGS:
        feature = heading.partition(": ")[0]
        for spec in specs:
            prefix, dot, rest = spec.key.partition(".")
            assert dot and rest, f"{spec.key!r} is not '<prefix>.<name>'"
            assert NAMESPACES.get(prefix, prefix) == feature, (
                f"{spec.key!r} is declared under {heading!r}: its prefix names another feature")
            assert spec.help.strip(), f"{spec.key!r} has no help"


def test_a_few_defaults_the_code_relies_on():
    built = build_registry()
    assert built.spec("dropship.enabled").default is False
    assert built.spec("notify.grace_days").default == 7
    assert built.spec("dates.timezone").default == "UTC"
    assert built.spec("publish.dates").default is True
    assert built.spec("promise.shopify_delivery_method").default is True
    assert built.spec("payments.route").default == "none"
    assert built.secret_keys() == ["alerts.slack_webhook_url"]


def test_an_unknown_key_is_refused_naming_the_known_ones():
    with pytest.raises(InvalidPayload, match="unknown shop setting 'dropship.enabeld'; known: alerts.email"):
        build_registry().spec("dropship.enabeld")


def test_a_key_declared_twice_is_refused():
    spec = ShopSettingSpec("x.y", 1, "twice")
    with pytest.raises(ValueError, match="'x.y' is declared twice"):
        ShopSettingsRegistry([spec, spec])


def test_features_declare_tuples_and_nothing_registers_itself():
    assert not hasattr(shop_settings, "register") and not hasattr(shop_settings, "SETTINGS")
    for _, specs in FEATURE_SETTINGS:
        assert isinstance(specs, tuple) and all(isinstance(spec, ShopSettingSpec) for spec in specs)
