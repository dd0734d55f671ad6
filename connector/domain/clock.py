"""The one clock: timezone-aware UTC now. Every module asks here, so tests and reviews find one place."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Now, in UTC, timezone-aware."""
    return datetime.now(UTC)
