"""SFTP host keys trusted on first use, against a real paramiko SFTP server on loopback, with the
supplier rows on SQLite and PostgreSQL: the first connection stores the server's key, the same key
passes, a server restarted with a new key is refused before any password is sent (nothing read,
the poll failed, the merchant alerted once), and a ``host_key`` setting still wins."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paramiko
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from adapters.suppliers.feed import FeedClient
from connector.bootstrap import supplier_client
from connector.cli import main
from connector.crypto import CredentialBox
from connector.db.uow import UnitOfWork
from connector.domain.errors import HostKeyChanged
from connector.domain.host_key import HostKey, HostKeyTrust
from connector.dropship.alerts import list_alerts
from connector.shop_settings import set_setting
from connector.supply import suppliers
from connector.supply.host_keys import trust_host_key
from connector.supply.models import Supplier, SupplierSnapshot, SupplierStock
from jobs import supply
from sandbox.stack import start_stack
from tests.support.sftp import SftpServer

FAST = {"retry_base_delay": 0.01, "max_attempts": 2, "timeout_seconds": 5}
MERCHANT = "merchant@sandbox.example"


class Feed:
    """A feed directory served by a real SFTP server that can be restarted, same port, new key."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "out").mkdir()
        self.write("A,3")
        self.server = SftpServer(root)

    def write(self, *lines: str) -> None:
        (self.root / "out" / "stock.csv").write_text("sku,quantity\n" + "\n".join(lines) + "\n")

    @property
    def url(self) -> str:
        return self.server.url("/out/stock.csv")

    @property
    def key(self) -> HostKey:
        return HostKey(self.server.host_key.fingerprint, self.server.host_key.get_name())

    def restart_with_a_new_key(self) -> HostKey:
        self.server.stop()
        self.server = SftpServer(self.root, port=self.server.port)
        return self.key

    def stop(self) -> None:
        self.server.stop()


@pytest.fixture
def feed(tmp_path: Path) -> Iterator[Feed]:
    running = Feed(tmp_path)
    yield running
    running.stop()


def read(client: FeedClient) -> list[Any]:
    with client.fetch(None) as fetched:
        return list(fetched.rows)


# -- the adapter --------------------------------------------------------------------------------------

def test_a_first_connection_accepts_the_servers_key_and_reports_it_for_storing(feed: Feed) -> None:
    client = FeedClient({"source": feed.url, **FAST}, {"password": "s3cret"})
    assert [row.sku for row in read(client)] == ["A"]
    assert client.host_key_trust.seen == feed.key
    assert feed.key.fingerprint.startswith("SHA256:") and feed.key.kind == "ssh-rsa"


def test_a_connection_presenting_the_trusted_key_passes(feed: Feed) -> None:
    client = FeedClient({"source": feed.url, **FAST}, {"password": "s3cret"})
    client.host_key_trust = HostKeyTrust(pinned=HostKey(feed.key.fingerprint))  # pinned by fingerprint alone
    assert [row.sku for row in read(client)] == ["A"]
    assert client.host_key_trust.seen == feed.key


def test_a_server_with_another_key_than_the_trusted_one_is_refused_before_any_password_is_sent(feed: Feed) -> None:
    old = feed.key
    new = feed.restart_with_a_new_key()
    client = FeedClient({"source": feed.url, **FAST}, {"password": "s3cret"})
    client.host_key_trust = HostKeyTrust(pinned=old)

    with pytest.raises(HostKeyChanged) as refused:
        read(client)

    assert str(refused.value).startswith(f"sftp 127.0.0.1:{feed.server.port}: host key changed: "
                                         f"expected {old}, got {new}; ")
    assert f"trust-host-key feed --shop SHOP --fingerprint {new.fingerprint}" in str(refused.value)
    assert feed.server.auth_attempts == [] and client.host_key_trust.seen is None
    assert len(feed.server._transports) == 1  # refused once, not retried


def test_an_explicit_host_key_that_does_not_match_is_refused_before_any_password_is_sent(feed: Feed) -> None:
    other = paramiko.RSAKey.generate(2048)
    client = FeedClient({"source": feed.url, "host_key": f"ssh-rsa {other.get_base64()}", **FAST},
                        {"password": "s3cret"})
    with pytest.raises(HostKeyChanged) as refused:
        read(client)
    assert f"expected ssh-rsa {other.fingerprint}, got {feed.key}; " in str(refused.value)
    assert "supplier's host_key setting" in str(refused.value)
    assert feed.server.auth_attempts == []


def test_an_explicit_host_key_wins_over_the_key_trusted_on_first_use(feed: Feed) -> None:
    stale = HostKey(paramiko.RSAKey.generate(2048).fingerprint, "ssh-rsa")
    for pin in (feed.server.host_key_line, feed.key.fingerprint):
        client = FeedClient({"source": feed.url, "host_key": pin, **FAST}, {"password": "s3cret"})
        client.host_key_trust = HostKeyTrust(pinned=stale)
        assert [row.sku for row in read(client)] == ["A"]
        assert client.host_key_trust.seen == feed.key


# -- polls, stored on the supplier row (SQLite and PostgreSQL) -----------------------------------------

# uow, box and shop_id: tests/integration/conftest.py

def add_sftp_supplier(uow: UnitOfWork, box: CredentialBox, shop_id: int, feed: Feed, **settings: Any) -> int:
    return suppliers.add_supplier(uow, box, shop_id, {
        "name": "sftp-feed", "kind": "feed", "settings": {"source": feed.url, **FAST, **settings},
        "secret": {"password": "s3cret"}}, clients=supplier_client)


def stored(uow: UnitOfWork, supplier_id: int) -> tuple[str | None, str | None, bool]:
    with uow:
        row = uow.session.get(Supplier, supplier_id)
        return row.host_key_fingerprint, row.host_key_type, row.host_key_trusted_at is not None


def stock(uow: UnitOfWork, supplier_id: int) -> dict[str, int | None]:
    with uow:
        return {r.sku: r.quantity for r in uow.session.scalars(
            select(SupplierStock).where(SupplierStock.supplier_id == supplier_id))}


def test_the_first_poll_stores_the_servers_key_and_later_polls_with_that_key_pass(uow, box, shop_id, feed) -> None:
    supplier_id = add_sftp_supplier(uow, box, shop_id, feed)
    assert stored(uow, supplier_id) == (None, None, False)

    assert suppliers.poll_supplier(uow, box, supplier_id, clients=supplier_client).status == "ok"
    assert stored(uow, supplier_id) == (feed.key.fingerprint, "ssh-rsa", True)
    assert suppliers.list_suppliers(uow, shop_id)[0]["host_key"] == f"ssh-rsa {feed.key.fingerprint}"

    feed.write("A,17")  # another size: SFTP gives whole-second mtimes
    assert suppliers.poll_supplier(uow, box, supplier_id, clients=supplier_client).status == "ok"
    assert stock(uow, supplier_id) == {"A": 17} and stored(uow, supplier_id)[0] == feed.key.fingerprint


def test_a_server_restarted_with_a_new_key_fails_the_poll_and_nothing_is_read_until_a_person_trusts_it(
        uow, box, shop_id, feed) -> None:
    supplier_id = add_sftp_supplier(uow, box, shop_id, feed)
    assert suppliers.poll_supplier(uow, box, supplier_id, clients=supplier_client).status == "ok"
    old = feed.key
    new = feed.restart_with_a_new_key()
    feed.write("A,0", "B,9")

    report = suppliers.poll_supplier(uow, box, supplier_id, clients=supplier_client)

    assert report.status == "failed" and report.error_type == "HostKeyChanged"
    assert f"host key changed: expected {old}, got {new}" in (report.error or "")
    assert stock(uow, supplier_id) == {"A": 3} and feed.server.auth_attempts == []
    assert stored(uow, supplier_id)[:2] == (old.fingerprint, "ssh-rsa")  # the old key stays trusted
    with uow:
        snapshot = uow.session.get(SupplierSnapshot, report.snapshot_id)
        row = uow.session.get(Supplier, supplier_id)
        assert snapshot.status == "failed" and "HostKeyChanged" in snapshot.error
        assert row.consecutive_failures == 1 and "host key changed" in row.last_error

    change = trust_host_key(uow, supplier_id, new.fingerprint, shop_id=shop_id)  # checked with the supplier
    assert change.previous == str(old) and change.now == new.fingerprint
    assert suppliers.poll_supplier(uow, box, supplier_id, clients=supplier_client).status == "ok"
    assert stock(uow, supplier_id) == {"A": 0, "B": 9}
    assert stored(uow, supplier_id) == (new.fingerprint, "ssh-rsa", True)  # its type filled in on connecting

    newest = feed.restart_with_a_new_key()
    assert trust_host_key(uow, supplier_id, shop_id=shop_id).now is None  # cleared: the next connection is a first use
    assert stored(uow, supplier_id) == (None, None, False)
    assert suppliers.poll_supplier(uow, box, supplier_id, clients=supplier_client).status in ("ok", "unchanged")
    assert stored(uow, supplier_id)[:2] == (newest.fingerprint, "ssh-rsa")


def test_a_supplier_moved_to_another_sftp_server_starts_over_with_first_use(uow, box, shop_id, feed) -> None:
    supplier_id = add_sftp_supplier(uow, box, shop_id, feed)
    assert suppliers.poll_supplier(uow, box, supplier_id, clients=supplier_client).status == "ok"
    add_sftp_supplier(uow, box, shop_id, feed, timeout_seconds=6)  # same server, other settings: key kept
    assert stored(uow, supplier_id)[0] == feed.key.fingerprint
    old_port = feed.server.port
    feed.server.stop()
    feed.server = SftpServer(feed.root)
    assert feed.server.port != old_port
    add_sftp_supplier(uow, box, shop_id, feed)
    assert stored(uow, supplier_id) == (None, None, False)
    assert suppliers.poll_supplier(uow, box, supplier_id, clients=supplier_client).status in ("ok", "unchanged")
    assert stored(uow, supplier_id)[0] == feed.key.fingerprint


# -- the merchant is told once, and the operator trusts the new key from the command line -----------------

@pytest.fixture
def stack(database_url: str) -> Iterator[Any]:
    with start_stack(database_url=database_url, http_max_attempts=1, worker_threads=0) as running:
        yield running


def test_a_changed_host_key_alerts_the_merchant_once_and_the_cli_trusts_the_new_key(stack, feed) -> None:
    c = stack.container
    info = next(iter(stack.shops.values()))
    set_setting(c.uow(), info.id, "alerts.email", MERCHANT)
    supplier_id = add_sftp_supplier(c.uow(), c.box, info.id, feed)
    assert supply.poll_supplier(supplier_id) == "ok"
    old = feed.key
    new = feed.restart_with_a_new_key()

    assert supply.poll_supplier(supplier_id) == "failed"
    assert supply.poll_supplier(supplier_id) == "failed"  # the same change: no second alert

    [mail] = stack.sandbox.smtp.to(MERCHANT)
    assert "SFTP server key changed" in mail.subject
    body = mail.part("plain")
    assert "sftp-feed" in body and old.fingerprint in body and new.fingerprint in body and "trust-host-key" in body
    [alert] = list_alerts(c.uow(), info.id)
    assert alert["kind"] == "supplier_host_key_changed" and alert["sent"]

    settings = c.settings
    env = {"DATABASE_URL": settings.database_url, "CONNECTOR_SECRET_KEY": settings.secret_key or "",
           "CONNECTOR_CONFIG": ""}
    bad = CliRunner().invoke(main, ["suppliers", "trust-host-key", "sftp-feed", "--shop", info.domain,
                                    "--fingerprint", "SHA256:nope"], env=env)
    assert bad.exit_code == 1 and "--fingerprint must be" in bad.output
    done = CliRunner().invoke(main, ["suppliers", "trust-host-key", "sftp-feed", "--shop", info.domain,
                                     "--fingerprint", new.fingerprint], env=env)
    assert done.exit_code == 0, done.output
    assert f"sftp-feed: host key {old} -> {new.fingerprint}" in done.output
    feed.write("A,30")
    assert supply.poll_supplier(supplier_id) == "ok"
    assert len(stack.sandbox.smtp.to(MERCHANT)) == 1
