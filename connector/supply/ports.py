"""The supply feature's own port beyond connector/ports.py: a store that writes many dates at once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

from connector.domain.bulk import BulkLineResult, BulkOperation
from connector.domain.supply import PageDate


@runtime_checkable
class BulkDateWriter(Protocol):
    """Sets many product-page dates as one asynchronous bulk operation (adapters/shopify/bulk.py).

    Errors: PlatformRejected (permanent) for a refused upload or run, BulkBusy when the store runs
    another bulk mutation of the app (nothing started), PlatformUnavailable/PlatformThrottled (transient)
    otherwise. ``bulk_stage`` and the reads are safe to repeat; ``bulk_run`` is not."""

    bulk_line_size: int
    """Dates per line of the file: line n of the results is ``dates[n * size:(n + 1) * size]``."""
    bulk_max_dates: int
    """Dates one operation may carry (the store's file size limit)."""

    def bulk_stage(self, dates: Sequence[PageDate]) -> str:
        """Upload the dates (each with a day and a variant); return the staged path to run."""
        ...

    def bulk_run(self, staged_path: str, client_identifier: str) -> BulkOperation:
        """Start the bulk mutation over a staged file."""
        ...

    def bulk_operation(self, operation_id: str) -> BulkOperation:
        """The operation's status now."""
        ...

    def bulk_operations_since(self, since: datetime) -> list[BulkOperation]:
        """The app's bulk mutations created at or after ``since``, newest first."""
        ...

    def bulk_results(self, url: str) -> list[BulkLineResult]:
        """The per-line outcome in a finished operation's result file."""
        ...
