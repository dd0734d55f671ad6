"""The outbound guard in place (adapters/outbound.py): a real loopback listener must receive nothing
from the WooCommerce connect flow, supplier URLs, drop-ship URLs or a Slack webhook URL while the
guard is on; development mode still reaches it."""
# ruff: noqa: F811 - the fixtures from tests/support/outbound_support.py are imported by name

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest

from adapters import outbound
from adapters.http import HttpRetry, HttpTransport
from adapters.notify.slack import SlackWebhook
from adapters.outbound import check_url
from adapters.suppliers.dropship import HttpDropshipClient
from adapters.suppliers.factory import build_supplier_client
from adapters.suppliers.feed import FeedClient
from adapters.suppliers.http_json import HttpJsonClient
from connector.bootstrap import supplier_client
from connector.crypto import CredentialBox, generate_key
from connector.db.engine import make_engine, upgrade
from connector.db.models import Shop
from connector.db.uow import UnitOfWork
from connector.domain.clock import utcnow
from connector.domain.errors import (
    ConfigError,
    DeliveryRejected,
    PlatformRejected,
    SupplierRejected,
)
from connector.domain.model import Platform, ShopCredentials
from connector.install.install import digest
from connector.install.models import PendingConnect
from connector.shops import add_shop
from connector.supply import suppliers
from tests.support.outbound_support import Listener, guard_on, listener, public_resolver  # noqa: F401 - fixtures
from tests.support.webapp import make_webapp

FAST = {"retry_base_delay": 0.01, "max_attempts": 2, "timeout_seconds": 2}


def transport() -> HttpTransport:
    return HttpTransport(timeout=2, retry=HttpRetry(max_attempts=2, base_delay=0.01), name="test")


@pytest.mark.parametrize(("scheme", "host"), [("https", "127.0.0.1"), ("https", "localhost"),
                                              ("http", "127.0.0.1"), ("https", "[::ffff:127.0.0.1]")])
def test_a_guarded_call_to_a_loopback_listener_never_reaches_it(guard_on, listener, scheme, host):
    with pytest.raises(PlatformRejected, match="OutboundRefused"):
        transport().request("GET", listener.url(scheme, host, "/wp-json/wc/v3/orders"))
    assert not listener.reached


def test_development_mode_reaches_the_loopback_listener(listener):
    assert transport().request("GET", listener.url("http", path="/ping")).status_code == 200
    assert listener.requests == ["GET /ping"]


def test_a_name_that_rebinds_to_loopback_after_the_check_is_refused_when_connecting(guard_on, listener):
    url = listener.url("https", "localhost", "/wp-json/wc/v3/orders")
    check_url(url, resolver=public_resolver)  # check time: the name answered a public address
    with pytest.raises(PlatformRejected, match="OutboundRefused"):  # connect time: it answers 127.0.0.1
        transport().request("GET", url)
    assert not listener.reached


# -- suppliers, drop-ship, Slack ---------------------------------------------------------------------

def test_a_supplier_feed_url_on_loopback_is_refused(guard_on, listener):
    client = FeedClient({"source": listener.url("https", "localhost", "/feed.csv"), **FAST}, name="sim")
    with pytest.raises(SupplierRejected, match="OutboundRefused"), client.fetch():
        pass
    assert not listener.reached


def test_an_sftp_feed_host_on_loopback_is_refused_before_connecting(guard_on, listener):
    client = FeedClient({"source": f"sftp://feeds@localhost:{listener.port}/stock.csv", **FAST}, {"password": "p"},
                        name="sim")
    with pytest.raises(SupplierRejected, match="address refused.*loopback"), client.fetch():
        pass
    assert not listener.reached


def test_a_supplier_api_url_on_loopback_is_refused(guard_on, listener):
    client = HttpJsonClient({"url": listener.url("https", path="/api/items"), **FAST}, name="sim")
    with pytest.raises(SupplierRejected), client.fetch() as fetched:
        list(fetched.rows)
    assert not listener.reached


def test_plain_http_supplier_urls_are_refused_when_configured_outside_development(guard_on, listener):
    for settings in ({"url": listener.url("http", path="/api")}, {"source": listener.url("http", path="/f.csv")},
                     {"source": "https://feeds.example/f.csv", "dropship": {"url": listener.url("http")}}):
        with pytest.raises(ConfigError, match="https"):
            build_supplier_client("feed" if "source" in settings else "http_json", settings, {}, name="s")
    assert not listener.reached


def test_a_drop_ship_api_url_on_loopback_is_refused(guard_on, listener):
    client = HttpDropshipClient({"dropship": {"url": listener.url("https", path="/dropship")}, **FAST}, name="sim")
    with pytest.raises(SupplierRejected):
        client.find("key-1")
    assert not listener.reached


def test_a_slack_webhook_url_on_loopback_is_refused_without_naming_it(guard_on, listener):
    url = listener.url("https", path="/services/T000/B000/SECRETPART")
    with pytest.raises(DeliveryRejected) as refused:
        SlackWebhook(url, timeout=2, sleep=lambda _: None).post("a pile-up")
    assert "SECRETPART" not in str(refused.value)
    assert not listener.reached


# -- the WooCommerce connect flow ----------------------------------------------------------------------

@pytest.fixture
def production_web(tmp_path, guard_on):  # type: ignore[no-untyped-def]
    app = make_webapp(f"sqlite:///{tmp_path}/web.db", app_url="https://connector.example",
                      allow_private_targets=False)
    yield app
    app.container.close()


@pytest.mark.parametrize(("store_url", "says"), [
    ("http://127.0.0.1:{port}", "https"),
    ("http://tea.example", "https"),
    ("https://127.0.0.1:{port}", "loopback"),
    ("https://localhost:{port}", "loopback"),
    ("https://169.254.169.254", "cloud metadata"),
    ("https://[::ffff:10.0.0.1]", "private"),
])
def test_connecting_a_store_at_a_non_public_or_http_address_is_a_clear_400(production_web, listener,
                                                                              store_url, says):
    answer = production_web.client.get("/woocommerce/connect",
                                       query_string={"store_url": store_url.format(port=listener.port)})
    assert answer.status_code == 400 and says in answer.get_json()["error"]
    assert not listener.reached


def test_made_up_keys_for_a_store_that_now_points_at_loopback_leave_nothing_and_reach_nothing(production_web,
                                                                                              listener):
    store = listener.url("https", "localhost")  # passed when the connect began; points at loopback now
    now = utcnow()
    with production_web.container.uow() as uow:
        uow.session.add(PendingConnect(store_url=store, user_id_hash=digest("u-1"), created_at=now,  # type: ignore[union-attr]
                                       expires_at=now + timedelta(minutes=10)))
        uow.commit()
    answer = production_web.client.post("/woocommerce/callback", json={
        "user_id": "u-1", "consumer_key": "ck_made_up", "consumer_secret": "cs_made_up",
        "key_permissions": "read_write"})
    assert answer.status_code == 400 and "loopback" in answer.get_json()["error"]
    with production_web.container.uow() as uow:
        assert uow.shops.by_domain("woocommerce", store) is None
        assert uow.session.query(Shop).filter(Shop.status == "active",  # type: ignore[union-attr]
                                              Shop.domain == store).count() == 0
    assert not listener.reached


def test_keys_that_do_not_verify_leave_nothing_active_and_send_no_webhook_secret(tmp_path):
    # development mode: the "store" is a loopback listener that answers 200 to anything, but no order list
    store_listener = Listener(body=b'{"ok": true}')
    web = make_webapp(f"sqlite:///{tmp_path}/web.db", app_url="http://connector.test")
    try:
        store = store_listener.url("http")
        started = web.client.get("/woocommerce/connect", query_string={"store_url": store})
        assert started.status_code == 302
        now = utcnow()
        with web.container.uow() as uow:
            uow.session.add(PendingConnect(store_url=store, user_id_hash=digest("u-2"),  # type: ignore[union-attr]
                                           created_at=now, expires_at=now + timedelta(minutes=10)))
            uow.commit()
        store_listener.requests.clear()
        web_answer = web.client.post("/woocommerce/callback", json={
            "user_id": "u-2", "consumer_key": "ck_made_up", "consumer_secret": "cs_made_up"})
        assert web_answer.status_code == 400
        with web.container.uow() as uow:
            assert uow.shops.by_domain("woocommerce", store) is None
        assert store_listener.requests == ["GET /wp-json/wc/v3/orders?per_page=1"]  # the check; no webhook, no secret
    finally:
        web.container.close()
        store_listener.stop()


# -- /webhooks/woocommerce: one answer for an unknown store and a bad signature ---------------------------

def test_an_unknown_store_and_a_bad_signature_get_the_same_status_and_body(tmp_path):
    web = make_webapp(f"sqlite:///{tmp_path}/web.db")
    try:
        order = {"id": 727, "date_modified_gmt": "2026-11-27T10:00:00"}
        unknown = web.post_woo(order, source="https://not-installed.example/")
        forged = web.post_woo(order, secret="wrong")
        missing = web.post_woo(order, drop=("X-WC-Webhook-Signature",))
        assert (unknown.status_code, unknown.get_data()) == (forged.status_code, forged.get_data()) \
            == (missing.status_code, missing.get_data())
        assert unknown.status_code == 401
    finally:
        web.container.close()


# -- item 5: local files ---------------------------------------------------------------------------------

def test_a_local_feed_file_is_refused_unless_the_operator_allows_local_files(guard_on, tmp_path: Path):
    feed = tmp_path / "feed.csv"
    feed.write_text("sku,quantity\nA,1\n")
    with pytest.raises(ConfigError, match="suppliers.allow_local_files"):
        build_supplier_client("feed", {"source": str(feed)}, {}, name="local")
    client = FeedClient({"source": f"file://{feed}"}, name="local")
    with pytest.raises(SupplierRejected, match="local file"), client.fetch():
        pass
    outbound.configure(outbound.OutboundPolicy(allow_local_files=True))
    with client.fetch() as fetched:
        assert [row.sku for row in fetched.rows] == ["A"]


@pytest.mark.parametrize("which", ["copy", "/etc/passwd"])
def test_a_local_file_that_is_not_a_feed_never_has_its_contents_in_last_error_or_logs(database_url, tmp_path,
                                                                                         caplog, which):
    passwd = tmp_path / "passwd"
    passwd.write_text("root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n")
    path = passwd if which == "copy" or not Path(which).is_file() else Path(which)
    first_line = path.read_text().splitlines()[0]
    engine = make_engine(database_url)
    upgrade(engine)
    uow, box = UnitOfWork(engine), CredentialBox(generate_key())
    try:
        shop_id = add_shop(uow, box, Platform.SHOPIFY, "store.myshopify.com", ShopCredentials(access_token="t")).id
        supplier_id = suppliers.add_supplier(uow, box, shop_id, {  # development mode: local files allowed
            "name": "local", "kind": "feed", "settings": {"source": f"file://{path}"}}, clients=supplier_client)
        caplog.set_level(logging.DEBUG)
        report = suppliers.poll_supplier(uow, box, supplier_id, clients=supplier_client)
        [row] = suppliers.list_suppliers(uow, shop_id)
    finally:
        engine.dispose()
    assert report.status == "failed" and "no sku column" in (row["last_error"] or "")
    for secret in (first_line, first_line.split(":")[0] + ":x", "/bin/bash"):
        assert secret not in (row["last_error"] or "") and secret not in (report.error or "")
        assert secret not in caplog.text
