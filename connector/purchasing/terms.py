"""A supplier's purchasing terms, kept in its settings JSON under ``purchasing`` (beside its polling
and ``dropship`` settings; no secrets) and validated by connector/domain/purchasing.py. The lead time
is the supplier row's own ``lead_time_days`` (also used by the date rules), set here too.

Set with ``connector suppliers purchasing-terms SUPPLIER_ID ...``; a supplier without the block is
never ordered from.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from connector.db.uow import UnitOfWork
from connector.domain.errors import InvalidPayload
from connector.domain.purchasing import PurchasingTerms, SkuTerms
from connector.purchasing.repository import PurchasingRepository
from connector.supply.models import Supplier

log = logging.getLogger(__name__)

KEY = "purchasing"


def terms_of(supplier: Supplier) -> PurchasingTerms | None:
    """The supplier's purchasing terms (its lead time from the row), None when it has none.
    InvalidPayload when the stored block is bad (set by hand in the database)."""
    settings = json.loads(supplier.settings or "{}")
    block = settings.get(KEY)
    if not isinstance(block, Mapping):
        return None
    try:
        return PurchasingTerms.from_json({**block, "lead_time_days": supplier.lead_time_days})
    except ValueError as exc:
        raise InvalidPayload(f"supplier {supplier.name}: purchasing terms: {exc}") from None


def set_terms(uow: UnitOfWork, supplier_id: int, changes: Mapping[str, Any], *, shop_id: int,
              sku: str | None = None, clear: bool = False) -> PurchasingTerms | None:
    """Change some purchasing terms of a supplier (``changes``: the JSON keys of PurchasingTerms;
    with ``sku``, only ``min_order_quantity``, ``case_pack`` and ``supplier_sku`` of that SKU).
    ``clear`` removes them (the supplier is no longer ordered from). Returns the terms now in force.
    Only one of ``shop_id``'s suppliers: another shop's is refused as unknown."""
    with uow:
        repo = uow.repo(PurchasingRepository)
        supplier = repo.shop_supplier(shop_id, supplier_id)
        if supplier is None:
            raise InvalidPayload(f"no supplier with id {supplier_id} in this shop")
        settings = json.loads(supplier.settings or "{}")
        if clear:
            settings.pop(KEY, None)
            supplier.settings = json.dumps(settings)
            uow.commit()
            log.info("purchasing terms removed", extra={"supplier_id": supplier_id})
            return None
        block = dict(settings.get(KEY) or {})
        lead_time = changes.get("lead_time_days", supplier.lead_time_days)
        if sku is not None:
            sku = sku.strip()
            if not sku:
                raise InvalidPayload("a SKU is required")
            unknown = set(changes) - {"min_order_quantity", "case_pack", "supplier_sku"}
            if unknown:
                raise InvalidPayload(f"per-SKU terms are min_order_quantity, case_pack and supplier_sku; "
                                     f"not {', '.join(sorted(unknown))}")
            skus = dict(block.get("skus") or {})
            skus[sku] = {**skus.get(sku, {}), **{k: v for k, v in changes.items() if v is not None}}
            block["skus"] = skus
        else:
            block.update({k: v for k, v in changes.items() if k != "lead_time_days"})
            block = {k: v for k, v in block.items() if v is not None}
        try:
            terms = PurchasingTerms.from_json({**block, "lead_time_days": lead_time})
            if sku is not None:
                SkuTerms(**{k: v for k, v in block["skus"][sku].items()})
        except (TypeError, ValueError) as exc:
            raise InvalidPayload(f"purchasing terms: {exc}") from None
        stored = terms.to_json()
        stored.pop("lead_time_days", None)
        settings[KEY] = stored
        supplier.settings = json.dumps(settings)
        supplier.lead_time_days = terms.lead_time_days
        uow.commit()
    log.info("purchasing terms set", extra={"supplier_id": supplier_id, "sku": sku})
    return terms
