"""Time to fill of a fulfilled backorder (closed_at - created_at), as `connector backorders` shows it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from connector.domain.shipping import human_duration, time_to_fill_seconds

CREATED = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def test_time_to_fill_is_closed_at_less_created_at_in_whole_seconds() -> None:
    assert time_to_fill_seconds(CREATED, CREATED + timedelta(days=2, hours=3, seconds=7.9)) == 183607


def test_a_shipment_stamped_before_the_capture_counts_as_zero_not_negative() -> None:
    assert time_to_fill_seconds(CREATED, CREATED - timedelta(minutes=5)) == 0


def test_an_open_backorder_has_no_time_to_fill() -> None:
    assert time_to_fill_seconds(CREATED, None) is None
    assert human_duration(None) == ""


def test_durations_read_in_their_two_largest_units() -> None:
    assert [human_duration(s) for s in (0, 59, 60, 61, 3600, 4500, 86400, 93784, 30 * 86400 + 7200)] == [
        "0s", "59s", "1m", "1m 1s", "1h", "1h 15m", "1d", "1d 2h", "30d 2h"]
