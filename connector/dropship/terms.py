"""A supplier's drop-ship terms per SKU (``supplier_stock.dropship`` and ``unit_cost``), set by hand
(``connector dropship terms``) when the supplier's feed does not carry them. Polling updates only
quantities and dates of an existing row, so terms set here stay until changed here or by a feed
that maps them (adapters/suppliers/mapping.py; a poll stores those with FeedRepository.apply_terms,
connector/supply/feed_repository.py)."""

from __future__ import annotations

import logging
from decimal import Decimal

from connector.db.uow import UnitOfWork
from connector.domain.clock import utcnow
from connector.domain.errors import InvalidPayload
from connector.dropship.repository import DropshipRepository
from connector.supply.models import SupplierStock
from connector.supply.repository import SupplyRepository

log = logging.getLogger(__name__)


def set_terms(uow: UnitOfWork, supplier_id: int, sku: str, *, shop_id: int, dropship: bool,
              unit_cost: Decimal | None) -> int:
    """Set drop-ship yes/no and (when given) the unit cost for one SKU of one of ``shop_id``'s suppliers
    (another shop's supplier is refused as unknown); returns the stock row id."""
    sku = sku.strip()
    if not sku:
        raise InvalidPayload("a SKU is required")
    if unit_cost is not None and unit_cost < 0:
        raise InvalidPayload(f"unit cost must not be negative, got {unit_cost}")
    with uow:
        repo = uow.repo(DropshipRepository)
        supplier = uow.repo(SupplyRepository).shop_supplier(shop_id, supplier_id)
        if supplier is None:
            raise InvalidPayload(f"no supplier with id {supplier_id} in this shop")
        row = repo.supplier_stock(supplier_id, sku)
        if row is None:  # the feed has not listed it yet: quantity unknown until it does
            row = SupplierStock(shop_id=supplier.shop_id, supplier_id=supplier_id, sku=sku, quantity=None,
                                dropship=dropship, unit_cost=unit_cost, updated_at=utcnow())
            repo.add(row)
        else:
            row.dropship = dropship
            if unit_cost is not None:
                row.unit_cost = unit_cost  # type: ignore[assignment]
        repo.flush()
        row_id = row.id
        uow.commit()
    log.info("drop-ship terms set", extra={"supplier_id": supplier_id, "sku": sku, "dropship": dropship,
                                           "unit_cost": None if unit_cost is None else str(unit_cost)})
    return row_id

