"""Fixtures shared by the notify tests: a real SMTP server (aiosmtpd) and the notify harness on it.
A module that needs another set-up overrides ``h`` (as the consolation and alert tests do)."""

from __future__ import annotations

import pytest

from connector.sandbox.smtp_sink import SmtpSink
from tests.notify_support import Harness


@pytest.fixture
def sink():
    with SmtpSink() as running:
        yield running


@pytest.fixture
def h(database_url, sink):
    harness = Harness(database_url, sink)
    yield harness
    harness.close()
