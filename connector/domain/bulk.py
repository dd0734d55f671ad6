"""A store's asynchronous bulk write (Shopify ``bulkOperationRunMutation``), as the connector sees it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from connector.domain.errors import PlatformError, TransientError

FINISHED = frozenset({"COMPLETED", "FAILED", "CANCELED", "EXPIRED"})
"""Statuses after which a bulk operation changes no more (Shopify's BulkOperationStatus)."""


@dataclass(frozen=True)
class BulkOperation:
    """One bulk operation as the store last reported it."""

    id: str
    status: str
    """CREATED | RUNNING | CANCELING | COMPLETED | FAILED | CANCELED | EXPIRED"""
    created_at: datetime | None = None
    error_code: str | None = None
    object_count: int = 0
    url: str | None = None
    """The result file (JSONL), once COMPLETED."""
    partial_url: str | None = None
    """What a FAILED operation did before it stopped (JSONL), when the store kept any."""

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("a bulk operation needs an id")
        if not self.status:
            raise ValueError(f"bulk operation {self.id}: no status")

    @property
    def finished(self) -> bool:
        return self.status in FINISHED


@dataclass(frozen=True)
class BulkLineResult:
    """What the store said about one line of the uploaded file (0-based ``line``)."""

    line: int
    errors: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors


class BulkBusy(PlatformError, TransientError):
    """The store runs another bulk mutation of this app and shop; nothing was started (try after it ends)."""
