"""What purchasing needs from a supplier beyond the PurchaseOrderSupplier port (connector/ports.py)."""

from __future__ import annotations

from typing import Protocol

from connector.domain.purchasing import FeedReceipt


class PurchaseOrderReceiptFeed(Protocol):
    """A supplier's feed rows naming our purchase orders with the units shipped for each so far
    (adapters/suppliers/receipt_feed.py; built by ``Container.purchase_order_receipt_feed``).

    Error contract: SupplierUnavailable (transient: the feed could not be read now; the next poll
    tries again), SupplierRejected (refused: auth, missing file), SupplierFeedInvalid (the file is not
    a readable feed or lacks a mapped column). Bad rows are skipped, not raised."""

    def receipts(self) -> list[FeedReceipt]:
        """Every row with a purchase-order reference, in feed order."""
        ...
