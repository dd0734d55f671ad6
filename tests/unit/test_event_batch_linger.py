"""How long an order event's job waits for more of its shop's orders (workers.event_batch_linger_seconds)."""

from __future__ import annotations

import pytest

from connector import events
from connector.config import Settings
from connector.domain.errors import ConfigError
from jobs.events import linger_seconds


def test_rq_workers_wait_for_more_of_the_shop_s_orders_by_default() -> None:
    assert linger_seconds(Settings(redis_url="redis://127.0.0.1:6379/0")) == events.LINGER > 0


def test_in_process_workers_capture_at_once_by_default() -> None:
    assert linger_seconds(Settings()) == 0.0


def test_the_setting_overrides_either_default() -> None:
    assert linger_seconds(Settings(redis_url="redis://127.0.0.1:6379/0", event_batch_linger_seconds=0)) == 0.0
    assert linger_seconds(Settings(event_batch_linger_seconds=1.5)) == 1.5


@pytest.mark.parametrize("value", [-0.1, 6])
def test_a_wait_outside_0_to_5_seconds_is_refused_naming_the_key(value: float) -> None:
    with pytest.raises(ConfigError, match="event_batch_linger_seconds"):
        Settings(event_batch_linger_seconds=value)
