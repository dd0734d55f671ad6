"""CONNECTOR_SECRET_KEY rotation: old and new keys both decrypt until `connector keys rotate` re-encrypts."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from connector.bootstrap import bootstrap
from connector.cli import main
from connector.crypto import CredentialBox, generate_key
from connector.domain.errors import CredentialsError
from sandbox.stack import start_stack
from tests.support.install_flows import connect_woocommerce, install_shopify

SHOP, STORE = "fresh-shop.myshopify.com", "https://new-store.example"


def sealed_values(engine) -> list[str]:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        return [row[0] for row in connection.execute(text("SELECT credentials FROM shops ORDER BY id"))]


def test_rotation_keeps_every_secret_readable_and_then_needs_only_the_new_key(database_url: str) -> None:
    with start_stack(database_url=database_url, worker_threads=0) as stack:
        install_shopify(stack, SHOP)
        connect_woocommerce(stack, STORE)
        old_key = stack.container.settings.secret_key or ""
        before = sealed_values(stack.container.engine)
        plain = [CredentialBox(old_key).open(v) for v in before]
    new_key = generate_key()
    both = stack.container.settings.with_overrides(secret_key=f"{new_key},{old_key}", worker_threads=0)
    container = bootstrap(both, bind_jobs=False)
    try:
        # during the rotation both keys decrypt what is stored
        assert [container.box.open(v) for v in before] == plain
        result = CliRunner().invoke(main, ["keys", "rotate"], env={
            "DATABASE_URL": database_url, "CONNECTOR_SECRET_KEY": f"{new_key},{old_key}"})
        assert result.exit_code == 0, result.output
        assert "re-encrypted" in result.output and "shops.credentials" in result.output
        after = sealed_values(container.engine)
        assert after != before and len(after) == len(before) >= 4
        only_new = CredentialBox(new_key)
        assert [only_new.open(v) for v in after] == plain
        with pytest.raises(CredentialsError):
            CredentialBox(old_key).open(after[0])
        # the whole secrets, not their prefixes: "ck_" or "cs_" turns up in URL-safe base64 by chance
        secrets = {value for p in plain for value in (p.access_token, p.consumer_key, p.consumer_secret) if value}
        assert {s.split("_")[0] for s in secrets} >= {"shpat", "ck", "cs"}
        for value in after:
            assert all(secret not in value for secret in secrets)
    finally:
        container.engine.dispose()


def test_rotate_reports_values_no_configured_key_can_read(database_url: str) -> None:
    with start_stack(database_url=database_url, worker_threads=0) as stack:
        url = stack.container.settings.database_url
    result = CliRunner().invoke(main, ["keys", "rotate"], env={"DATABASE_URL": url,
                                                               "CONNECTOR_SECRET_KEY": generate_key()})
    assert result.exit_code == 1 and "no configured key decrypts" in result.output
