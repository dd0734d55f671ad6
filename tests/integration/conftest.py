"""Fixtures shared by integration tests: a real SMTP server (aiosmtpd) and the notify harness on it
(a module that needs another set-up overrides ``h``, as the consolation and alert tests do), a
redis-server of the test's own, and the migrated database with a unit of work and one Shopify shop
(a module that needs another set-up defines its own ``engine``, ``uow`` or ``shop_id``)."""

from __future__ import annotations

import shutil

import pytest

from connector.crypto import CredentialBox, generate_key
from connector.db.engine import make_engine, upgrade
from connector.db.uow import UnitOfWork
from connector.domain.model import Platform, ShopCredentials
from connector.shops import add_shop
from sandbox.smtp_sink import SmtpSink
from tests.conftest import unavailable
from tests.support.notify_support import Harness
from tests.support.scale_support import SpareRedis, redis_or_unavailable


@pytest.fixture
def engine(database_url):  # type: ignore[no-untyped-def]
    """The test's database (SQLite and PostgreSQL, as ``database_url`` runs them) migrated to the head."""
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def pg_engine(postgres_url):  # type: ignore[no-untyped-def]
    """A PostgreSQL database at the newest migration (tests of what only PostgreSQL does)."""
    engine = make_engine(postgres_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def uow(engine) -> UnitOfWork:  # type: ignore[no-untyped-def]
    return UnitOfWork(engine)


@pytest.fixture
def box() -> CredentialBox:
    return CredentialBox(generate_key())


@pytest.fixture
def shop_id(uow: UnitOfWork, box: CredentialBox) -> int:
    """One Shopify shop, store.myshopify.com, its credentials sealed by ``box``."""
    return add_shop(uow, box, Platform.SHOPIFY, "store.myshopify.com", ShopCredentials(access_token="t")).id


@pytest.fixture
def sink():
    with SmtpSink() as running:
        yield running


@pytest.fixture
def h(database_url, sink):
    harness = Harness(database_url, sink)
    yield harness
    harness.close()


@pytest.fixture
def spare_redis(tmp_path):
    """The URL of a redis-server of this test's own on a spare port, without persistence: nothing a
    process of an earlier test left behind can reach it, and the shared server on 6379 is never touched."""
    if shutil.which("redis-server") is None:
        unavailable("redis-server not installed")
    spare = SpareRedis(tmp_path)
    spare.start()
    redis_or_unavailable(spare.url)
    yield spare.url
    spare.kill()


@pytest.fixture
def server(sim):  # type: ignore[no-untyped-def]
    """The module's WooCommerce (or other) simulator ``sim`` served on loopback."""
    from sandbox.serve import serve_in_thread

    handle = serve_in_thread(sim.app)
    yield handle
    handle.stop()


@pytest.fixture
def sleeps() -> list[float]:
    """Every wait a transport under test asked for (its injected ``sleep``)."""
    return []
