"""The checkout-promise settings from the command line: listed, set, and refused by name."""

from __future__ import annotations

from click.testing import CliRunner

from connector.cli import main
from connector.crypto import CredentialBox, generate_key
from connector.db.engine import make_engine, upgrade
from connector.db.uow import UnitOfWork
from connector.domain.model import Platform, ShopCredentials
from connector.shops import add_shop

SHOP = "cli-promise.myshopify.com"


def test_promise_settings_are_listed_set_and_refused_by_name(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url, key = f"sqlite:///{tmp_path}/c.db", generate_key()
    engine = make_engine(url)
    upgrade(engine)
    add_shop(UnitOfWork(engine), CredentialBox(key), Platform.SHOPIFY, SHOP, ShopCredentials(access_token="t"))
    engine.dispose()
    env = {"DATABASE_URL": url, "CONNECTOR_SECRET_KEY": key, "CONNECTOR_CONFIG": ""}
    runner = CliRunner()
    listed = runner.invoke(main, ["shops", "settings", SHOP], env=env)
    assert listed.exit_code == 0, listed.output
    assert "promise.note_attributes" in listed.output and "promise.meta_keys" in listed.output
    done = runner.invoke(main, ["shops", "set", SHOP, "promise.note_attributes", '["Liefertermin"]'], env=env)
    assert done.exit_code == 0 and 'promise.note_attributes = ["Liefertermin"]' in done.output
    refused = runner.invoke(main, ["shops", "set", SHOP, "promise.date_formats", '["dd/mm/yyyy"]'], env=env)
    assert refused.exit_code != 0 and "promise.date_formats" in refused.output
