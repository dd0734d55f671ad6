"""Reorder advice for every SKU of a shop: its sales history, stock, open purchase orders and supplier
read in a few queries, each SKU advised by connector/domain/reorder.py, most urgent first.

``reorder_advice(uow, shop_id, today)`` is what the report, the app page and the weekly digest call.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from connector.db.uow import UnitOfWork
from connector.domain.errors import InvalidPayload
from connector.domain.purchasing import PurchasingTerms, SkuTerms
from connector.domain.reorder import WINDOW, Advice, LeadTime, ReorderInputs, advise, lead_time, sort_advice
from connector.purchasing.terms import terms_of
from connector.reorder.repository import ReorderRepository

SECONDS_PER_DAY = 86400.0


def reorder_advice(uow: UnitOfWork, shop_id: int, today: date) -> list[Advice]:
    """One Advice per SKU that sold or that the store stocks, most urgent first (``Advice.sort_key``)."""
    from connector.shop_settings import get_setting

    service_level = float(get_setting(uow, shop_id, "reorder.service_level"))
    cover_days = int(get_setting(uow, shop_id, "reorder.cover_days"))
    with uow:
        repo = uow.repo(ReorderRepository)
        first_days = repo.first_sale_days(shop_id)
        recent = repo.sales_since(shop_id, today - timedelta(days=2 * WINDOW + 1))
        stock = repo.store_stock(shop_id)
        on_order = repo.on_order(shop_id)
        rows = repo.suppliers(shop_id)
        suppliers = {s.id: (s.name, s.lead_time_days) for s in rows}
        supplier_skus = repo.supplier_skus(shop_id)
        last_ordered = repo.last_ordered_from(shop_id)
        received = repo.received_orders(shop_id)
        terms: dict[int, PurchasingTerms | None] = {}
        for row in rows:
            try:
                terms[row.id] = terms_of(row)
            except InvalidPayload:
                terms[row.id] = None
    sales: dict[str, dict[date, int]] = defaultdict(dict)
    for sku, day, units in recent:
        sales[sku][day] = units
    durations: dict[int, list[float]] = defaultdict(list)
    for supplier_id, placed, got in received:
        durations[supplier_id].append(max(0.0, (got - placed).total_seconds() / SECONDS_PER_DAY))
    stated: dict[tuple[str, int], int | None] = {}
    reported: dict[str, int] = {}
    for sku, reporter, days in supplier_skus:
        stated[(sku, reporter)] = days
        reported.setdefault(sku, reporter)
    advice = []
    for sku in sorted(set(first_days) | set(stock)):
        source = last_ordered.get(sku) or reported.get(sku)
        supplier = suppliers.get(source) if source else None
        lead: LeadTime | None = None
        sku_terms = SkuTerms()
        if source is not None and supplier is not None:
            supplier_terms = terms.get(source)
            said = stated.get((sku, source))
            if said is None:
                said = supplier[1]
            lead = lead_time(durations.get(source, []), said)
            if supplier_terms is not None:
                sku_terms = supplier_terms.for_sku(sku)
        advice.append(advise(ReorderInputs(
            sku=sku, today=today, sales=sales.get(sku, {}), on_hand=stock.get(sku), on_order=on_order.get(sku, 0),
            lead=lead, terms=sku_terms, service_level=service_level, cover_days=cover_days,
            supplier=supplier[0] if supplier is not None else None, first_sale=first_days.get(sku))))
    return sort_advice(advice)
