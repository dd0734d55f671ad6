"""Stored reorder advice: computed once (``recompute``: after the daily fold, after a history read, on
"recompute now" in the app) and read by the app page, ``connector report --reorder`` and the weekly digest.

Computing the advice for 10,000 SKUs takes seconds (bench/reorder.py); reading a page of stored rows takes
milliseconds (bench/app_pages.py). ``recompute`` computes outside any write (the reads of
``reorder_advice``), then replaces the shop's rows in one short transaction: one DELETE and multi-row
INSERTs, under a per-shop lock, skipped when a newer computation was stored meanwhile. Each row keeps
its place in the page's orders (``urgency_rank``, ``date_rank``), so a page is one indexed range read.

Fresh (``stored_advice``, ``current_advice``): computed for the shop's today and after the sales history
last changed (the read finished, captured orders folded). A change of the reorder settings or of stock
shows at the next recompute; the page says when the advice was computed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from connector.db.uow import UnitOfWork
from connector.domain.clock import utcnow
from connector.domain.reorder import Advice, sort_advice
from connector.domain.routing import Reason
from connector.reorder.history import HistoryProgress, progress, shop_zone
from connector.reorder.repository import ReorderRepository


@dataclass(frozen=True)
class AdvicePage:
    """One page of the stored advice, with what the page says around it."""

    rows: list[Advice]
    total: int
    counts: dict[str, int]
    offset: int


def shop_today(uow: UnitOfWork, shop_id: int, now: datetime | None = None) -> date:
    """The shop's date at ``now`` (its time zone: the sales days are the shop's days)."""
    return (now or utcnow()).astimezone(shop_zone(uow, shop_id)).date()


def date_order(advice: list[Advice]) -> list[Advice]:
    """Earliest reorder-by date first, the undated after them; ``advice`` arrives most urgent first and
    keeps that order within a date."""
    dated = sorted((a for a in advice if a.reorder_by is not None), key=lambda a: a.reorder_by or date.max)
    return dated + [a for a in advice if a.reorder_by is None]


def _row(shop_id: int, advice: Advice, urgency_rank: int, date_rank: int, as_of: date,
         computed_at: datetime) -> dict[str, Any]:
    return {
        "shop_id": shop_id, "sku": advice.sku, "status": advice.status, "urgency_rank": urgency_rank,
        "date_rank": date_rank, "urgency": advice.urgency, "reorder_by": advice.reorder_by,
        "quantity": advice.quantity, "reorder_point": advice.reorder_point, "safety_stock": advice.safety_stock,
        "on_hand": advice.on_hand, "on_order": advice.on_order, "history_days": advice.history_days,
        "daily_rate": advice.daily_rate, "trend": advice.trend,
        "weekday_factors": json.dumps(list(advice.weekday_factors)) if advice.weekday_factors else None,
        "lead_time_days": advice.lead_time_days, "lead_time_spread": advice.lead_time_spread,
        "lead_time_source": advice.lead_time_source, "supplier": advice.supplier,
        "reasons": json.dumps([[r.code, r.text, r.passed] for r in advice.reasons]),
        "as_of": as_of, "computed_at": computed_at,
    }


def _advice(row: Any) -> Advice:
    """An Advice from a row of ``ReorderRepository.advice_rows`` (``ADVICE_COLUMNS``)."""
    (sku, status, urgency, reorder_by, quantity, reorder_point, safety_stock, on_hand, on_order, history_days,
     daily_rate, trend, factors, lead_days, lead_spread, lead_source, supplier, reasons) = row
    return Advice(
        sku=sku, status=status, reasons=tuple(Reason(code, text, bool(passed)) for code, text, passed
                                               in json.loads(reasons)),
        history_days=history_days, daily_rate=daily_rate, trend=trend,
        weekday_factors=tuple(float(f) for f in json.loads(factors)) if factors else None,
        lead_time_days=lead_days, lead_time_spread=lead_spread, lead_time_source=lead_source, on_hand=on_hand,
        on_order=on_order, safety_stock=safety_stock, reorder_point=reorder_point, quantity=quantity,
        reorder_by=reorder_by, urgency=urgency, supplier=supplier)


def store_advice(uow: UnitOfWork, shop_id: int, advice: list[Advice], as_of: date, computed_at: datetime) -> bool:
    """Replace the shop's stored advice with ``advice`` computed at ``computed_at`` for the shop's date
    ``as_of``, in one transaction. False (nothing written) when advice computed later is stored already."""
    urgent = sort_advice(advice)
    date_rank = {a.sku: n for n, a in enumerate(date_order(urgent))}
    rows = [_row(shop_id, a, n, date_rank[a.sku], as_of, computed_at) for n, a in enumerate(urgent)]
    with uow:
        repo = uow.repo(ReorderRepository)
        repo.lock_advice(shop_id)
        history = repo.history(shop_id)
        if history.advice_at is not None and history.advice_at > computed_at:
            uow.rollback()
            return False
        repo.replace_advice(shop_id, rows)
        history.advice_at, history.advice_for = computed_at, as_of
        uow.commit()
    return True


def recompute(uow: UnitOfWork, shop_id: int, now: datetime | None = None) -> list[Advice]:
    """Compute the shop's advice for its today and store it (``store_advice``); returns it most urgent first."""
    from connector.reorder.advice import reorder_advice

    started = now or utcnow()
    today = shop_today(uow, shop_id, started)
    advice = reorder_advice(uow, shop_id, today)
    store_advice(uow, shop_id, advice, today, started)
    return advice


def is_fresh(state: HistoryProgress, today: date) -> bool:
    """Whether the stored advice was computed for ``today`` and after the sales history last changed."""
    if state.advice_at is None or state.advice_for != today:
        return False
    changed = [t for t in (state.finished_at, state.folded_at) if t is not None]
    return not changed or state.advice_at >= max(changed)


def stored_advice(uow: UnitOfWork, shop_id: int, today: date) -> list[Advice] | None:
    """Every SKU's stored advice, most urgent first, when it is fresh for ``today``; None otherwise."""
    if not is_fresh(progress(uow, shop_id), today):
        return None
    with uow:
        return [_advice(row) for row in uow.repo(ReorderRepository).advice_rows(shop_id)]


def current_advice(uow: UnitOfWork, shop_id: int, now: datetime | None = None) -> list[Advice]:
    """The stored advice where fresh for the shop's today, else computed now (and stored): what the
    report and the weekly digest list."""
    stored = stored_advice(uow, shop_id, shop_today(uow, shop_id, now))
    return stored if stored is not None else recompute(uow, shop_id, now)


def advice_page(uow: UnitOfWork, shop_id: int, order: str, reverse: bool, page: int, size: int) -> AdvicePage:
    """Page ``page`` (from 1; past the last: the last) of the stored advice in ``order`` (urgency, reorder_by,
    sku; ``reverse`` turns it around): two indexed reads, the counts per status and the page's rows."""
    with uow:
        repo = uow.repo(ReorderRepository)
        counts = repo.advice_counts(shop_id)
        total = sum(counts.values())
        pages = max(1, -(-total // size))
        offset = (min(max(page, 1), pages) - 1) * size
        rows = [_advice(r) for r in repo.advice_rows(shop_id, order, reverse, offset, size)] if total else []
    return AdvicePage(rows, total, counts, offset)
