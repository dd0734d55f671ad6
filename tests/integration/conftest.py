"""Fixtures shared by integration tests: a real SMTP server (aiosmtpd) and the notify harness on it
(a module that needs another set-up overrides ``h``, as the consolation and alert tests do), and a
redis-server of the test's own."""

from __future__ import annotations

import shutil

import pytest

from sandbox.smtp_sink import SmtpSink
from tests.conftest import unavailable
from tests.support.notify_support import Harness
from tests.support.scale_support import SpareRedis, redis_or_unavailable


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
