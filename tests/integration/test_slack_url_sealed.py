"""The shop's Slack webhook URL is a secret: sealed at rest, redacted when shown, opened only to post.

Real SQLite and PostgreSQL (``database_url``), a real Slack-like endpoint on loopback, the real CLI.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from flask import Flask, request
from sqlalchemy import text

from connector.bootstrap import Container, bootstrap
from connector.cli import main
from connector.config import Settings
from connector.crypto import CredentialBox, generate_key
from connector.domain.errors import ConfigError
from connector.domain.model import Platform, ShopCredentials
from connector.dropship.alerts import deliver_alerts
from connector.dropship.place import alert
from connector.install.keys import rotate_all
from connector.notify import settings as notify_settings
from connector.shop_settings import SealedSetting, all_settings, redact_url, set_setting
from connector.shops import add_shop
from sandbox.serve import serve_in_thread

SHOP = "sealed-slack.myshopify.com"
KEY = "alerts.slack_webhook_url"
SLACK_PATH = "/services/T0SECRET/B0SECRET/xoxsecretpart"


@pytest.fixture
def slack():  # type: ignore[no-untyped-def]
    app = Flask("slack-like")
    received: list[dict] = []

    @app.post(SLACK_PATH)
    def hook():  # type: ignore[no-untyped-def]
        received.append(request.get_json())
        return "ok"

    server = serve_in_thread(app)
    yield server.url + SLACK_PATH, received
    server.stop()


@pytest.fixture
def container(database_url: str):  # type: ignore[no-untyped-def]
    settings = Settings(database_url=database_url, secret_key=generate_key(), worker_threads=0,
                        allow_private_targets=True)  # the Slack-like endpoint is on loopback
    c = bootstrap(settings, auto_upgrade=True, bind_jobs=False)
    yield c
    c.close()


def _shop(c: Container) -> int:
    return add_shop(c.uow(), c.box, Platform.SHOPIFY, SHOP, ShopCredentials(access_token="t")).id


def _stored(c: Container, shop_id: int) -> str:
    with c.engine.connect() as connection:
        return str(connection.execute(text("SELECT value FROM shop_settings WHERE shop_id = :s AND key = :k"),
                                      {"s": shop_id, "k": KEY}).scalar_one())


def _store_plaintext(c: Container, shop_id: int, url: str) -> None:
    """What a deployment from before sealing has in its database."""
    with c.engine.begin() as connection:
        connection.execute(text("INSERT INTO shop_settings (shop_id, key, value, updated_at) "
                                "VALUES (:s, :k, :v, CURRENT_TIMESTAMP)"),
                           {"s": shop_id, "k": KEY, "v": json.dumps(url)})


def _deliver(c: Container, shop_id: int, box: CredentialBox | None) -> int:
    alert(c.uow(), shop_id, "store_refused_fulfillment", f"k-{box is None}-{shop_id}", "Order #1001 refused.")
    return deliver_alerts(c.uow, None, "orders@example.com", shop_id, slack=c.slack_webhook, slack_timeout=5,
                          box=box)


def test_the_stored_column_holds_a_sealed_value_not_the_url(container, slack):
    url, _ = slack
    shop_id = _shop(container)
    set_setting(container.uow(), shop_id, KEY, url, box=container.box)
    stored = _stored(container, shop_id)
    assert url not in stored and "hooks" not in stored and "T0SECRET" not in stored and "secret" not in stored
    assert container.box.open_json(stored) == url
    value = all_settings(container.uow(), shop_id)[KEY]
    assert isinstance(value, SealedSetting) and not value.legacy
    assert url not in repr(value) and url not in str(value) and url not in repr(all_settings(container.uow(), shop_id))


def test_a_secret_setting_is_not_stored_without_the_key_to_seal_it(container, slack):
    url, _ = slack
    shop_id = _shop(container)
    with pytest.raises(ConfigError, match="CONNECTOR_SECRET_KEY"):
        set_setting(container.uow(), shop_id, KEY, url)


def test_a_sealed_slack_url_still_delivers_alerts_to_the_endpoint(container, slack):
    url, received = slack
    shop_id = _shop(container)
    set_setting(container.uow(), shop_id, KEY, url, box=container.box)
    assert _deliver(container, shop_id, container.box) == 1
    [posted] = received
    assert "Order #1001 refused" in str(posted["blocks"])


def test_a_sealed_url_without_the_key_is_refused_by_name_and_never_shown(container, slack):
    url, received = slack
    shop_id = _shop(container)
    set_setting(container.uow(), shop_id, KEY, url, box=container.box)
    shop = notify_settings.load(container.uow(), shop_id)
    from connector.domain.errors import DeliveryRejected

    with pytest.raises(DeliveryRejected, match="cannot be unsealed") as refused:
        notify_settings.open_slack_url(shop, None)
    assert url not in str(refused.value) and received == []


def test_a_plaintext_url_from_before_sealing_still_delivers_and_is_sealed_by_the_next_write(container, slack):
    url, received = slack
    shop_id = _shop(container)
    _store_plaintext(container, shop_id, url)
    value = all_settings(container.uow(), shop_id)[KEY]
    assert isinstance(value, SealedSetting) and value.legacy
    assert _deliver(container, shop_id, container.box) == 1 and len(received) == 1

    set_setting(container.uow(), shop_id, KEY, url, box=container.box)
    assert url not in _stored(container, shop_id) and container.box.open_json(_stored(container, shop_id)) == url


def test_key_rotation_seals_plaintext_urls_and_reseals_sealed_ones_under_the_new_key(container, slack):
    url, received = slack
    legacy_shop, sealed_shop = _shop(container), add_shop(
        container.uow(), container.box, Platform.SHOPIFY, "second-" + SHOP, ShopCredentials(access_token="t")).id
    _store_plaintext(container, legacy_shop, url)
    set_setting(container.uow(), sealed_shop, KEY, url, box=container.box)
    old_key = container.settings.secret_key or ""
    new_key = generate_key()
    report = rotate_all(container.uow(), CredentialBox(f"{new_key},{old_key}"))
    assert report.sealed == 1 and report.rotated["shop_settings.value"] == 1
    only_new = CredentialBox(new_key)
    for shop_id in (legacy_shop, sealed_shop):
        stored = _stored(container, shop_id)
        assert url not in stored and only_new.open_json(stored) == url
        assert _deliver(container, shop_id, only_new) == 1
    assert len(received) == 2


def test_shops_settings_and_shops_set_print_the_url_redacted(container, slack):
    url, _ = slack
    _shop(container)
    env = {"DATABASE_URL": container.settings.database_url, "CONNECTOR_SECRET_KEY": container.settings.secret_key,
           "CONNECTOR_CONFIG": ""}
    runner = CliRunner()
    done = runner.invoke(main, ["shops", "set", SHOP, KEY, url], env=env)
    assert done.exit_code == 0, done.output
    listed = runner.invoke(main, ["shops", "settings", SHOP], env=env)
    assert listed.exit_code == 0, listed.output
    for output in (done.output, listed.output):
        assert url not in output and "B0SECRET" not in output and "xoxsecretpart" not in output
        assert redact_url(url) in output
    assert "/services/T…/•••" in listed.output
    refused = runner.invoke(main, ["shops", "set", SHOP, KEY, url.replace("http", "ftp", 1)], env=env)
    assert refused.exit_code != 0 and "xoxsecretpart" not in refused.output


def test_a_plaintext_url_is_listed_redacted_with_a_hint_to_seal_it(container, slack):
    url, _ = slack
    shop_id = _shop(container)
    _store_plaintext(container, shop_id, url)
    env = {"DATABASE_URL": container.settings.database_url, "CONNECTOR_SECRET_KEY": container.settings.secret_key,
           "CONNECTOR_CONFIG": ""}
    listed = CliRunner().invoke(main, ["shops", "settings", SHOP], env=env)
    assert listed.exit_code == 0, listed.output
    assert url not in listed.output and "connector keys rotate" in listed.output


@pytest.mark.parametrize(("url", "shown"), [
    ("https://hooks.slack.com/services/T0001/B0002/abcdef", "https://hooks.slack.com/services/T…/•••"),
    ("https://chat.example/hook", "https://chat.example/•••"),
    ("not a url", "•••"),
])
def test_urls_are_redacted_to_their_host_and_the_first_letter_of_the_workspace(url, shown):
    assert redact_url(url) == shown
