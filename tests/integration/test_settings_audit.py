"""Every change of a shop's setting is audited (table shop_setting_changes): who, when, from what to what,
through which door (the app, `connector shops set`, the connector itself); a batch of settings is saved
whole or not at all; secrets never reach the audit trail. On SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from connector.bootstrap import Container, bootstrap
from connector.cli import main
from connector.config import Settings
from connector.crypto import generate_key
from connector.domain.errors import InvalidPayload
from connector.domain.model import Platform, ShopCredentials
from connector.install.settings_cli import cli_actor
from connector.shop_settings import (
    MASK,
    SettingsRefused,
    all_settings,
    get_setting,
    last_changes,
    set_setting,
    set_settings,
    setting_changes,
)
from connector.shops import add_shop

SHOP = "audited.myshopify.com"


@pytest.fixture
def container(database_url: str):  # type: ignore[no-untyped-def]
    c = bootstrap(Settings(database_url=database_url, secret_key=generate_key(), worker_threads=0),
                  auto_upgrade=True, bind_jobs=False)
    yield c
    c.close()


def _shop(c: Container, domain: str = SHOP) -> int:
    return add_shop(c.uow(), c.box, Platform.SHOPIFY, domain, ShopCredentials(access_token="t")).id


def test_a_change_from_the_app_is_recorded_with_its_actor_old_and_new_value(container) -> None:
    shop = _shop(container)
    changed = set_settings(container.uow(), shop, {"notify.grace_days": 3, "notify.delay_policy": "cancel_and_refund"},
                           actor="shopify:4242", source="app")
    assert sorted(changed) == ["notify.delay_policy", "notify.grace_days"]
    assert get_setting(container.uow(), shop, "notify.grace_days") == 3
    trail = {ch.key: ch for ch in setting_changes(container.uow(), shop)}
    grace = trail["notify.grace_days"]
    assert (grace.old_value, grace.new_value, grace.old_default, grace.actor, grace.source) == \
        (7, 3, True, "shopify:4242", "app")
    assert grace.changed_at.tzinfo is not None
    set_setting(container.uow(), shop, "notify.grace_days", 10, actor="shopify:77", source="app")
    newest = setting_changes(container.uow(), shop, key="notify.grace_days")
    assert [(ch.old_value, ch.new_value, ch.old_default, ch.actor) for ch in newest] == \
        [(3, 10, False, "shopify:77"), (7, 3, True, "shopify:4242")]
    assert last_changes(container.uow(), shop)["notify.grace_days"].new_value == 10


def test_saving_the_value_already_stored_writes_no_audit_row(container) -> None:
    shop = _shop(container)
    set_setting(container.uow(), shop, "dropship.served_countries", ["US", "CA"], actor="a", source="app")
    assert set_settings(container.uow(), shop, {"dropship.served_countries": ["US", "CA"]}, actor="b",
                        source="app") == []
    assert len(setting_changes(container.uow(), shop)) == 1


def test_one_bad_value_saves_nothing_and_names_each_bad_setting(container) -> None:
    shop = _shop(container)
    with pytest.raises(SettingsRefused) as refused:
        set_settings(container.uow(), shop, {"notify.grace_days": 2, "notify.delay_policy": "shrug",
                                             "dropship.min_margin_percent": "lots"}, actor="shopify:1", source="app")
    assert set(refused.value.problems) == {"notify.delay_policy", "dropship.min_margin_percent"}
    assert "'shrug'" in refused.value.problems["notify.delay_policy"]
    assert "notify.delay_policy" in refused.value.problems["notify.delay_policy"]
    assert get_setting(container.uow(), shop, "notify.grace_days") == 7  # the good one was not saved either
    assert setting_changes(container.uow(), shop) == []


def test_an_unknown_key_is_refused_as_before(container) -> None:
    shop = _shop(container)
    with pytest.raises(InvalidPayload, match="unknown shop setting 'notify.nope'"):
        set_setting(container.uow(), shop, "notify.nope", 1)


def test_a_secret_setting_is_audited_without_its_value(container) -> None:
    shop = _shop(container)
    url = "https://hooks.slack.com/services/T0/B0/secretpart"
    set_setting(container.uow(), shop, "alerts.slack_webhook_url", url, box=container.box, actor="shopify:1",
                source="app")
    (change,) = setting_changes(container.uow(), shop)
    assert (change.old_value, change.new_value) == ("", MASK)
    with container.engine.connect() as connection:
        stored = connection.execute(text("SELECT old_value, new_value FROM shop_setting_changes")).all()
    assert "secretpart" not in json.dumps([list(map(str, row)) for row in stored])


def test_changes_are_kept_per_shop(container) -> None:
    mine, other = _shop(container), _shop(container, "other-audited.myshopify.com")
    set_setting(container.uow(), other, "notify.grace_days", 1, actor="shopify:9", source="app")
    assert setting_changes(container.uow(), mine) == []
    assert all_settings(container.uow(), mine)["notify.grace_days"] == 7


def test_the_command_line_is_audited_as_cli_and_the_os_user_and_lists_the_trail(container) -> None:
    shop = _shop(container)
    env = {"DATABASE_URL": container.settings.database_url, "CONNECTOR_SECRET_KEY": container.settings.secret_key,
           "CONNECTOR_CONFIG": ""}
    runner = CliRunner()
    done = runner.invoke(main, ["shops", "set", SHOP, "notify.grace_days", "5"], env=env)
    assert done.exit_code == 0, done.output
    (change,) = setting_changes(container.uow(), shop)
    assert (change.actor, change.source, change.old_value, change.new_value) == (cli_actor(), "cli", 7, 5)
    assert change.actor.startswith("cli:")
    listed = runner.invoke(main, ["shops", "changes", SHOP, "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.output)[0] | {"changed_at": None} == {
        "key": "notify.grace_days", "old": 7, "new": 5, "old_default": True, "actor": cli_actor(), "source": "cli",
        "changed_at": None}
    refused = runner.invoke(main, ["shops", "set", SHOP, "notify.grace_days", '"soon"'], env=env)
    assert refused.exit_code != 0 and "notify.grace_days" in refused.output
    assert len(setting_changes(container.uow(), shop)) == 1
