"""Capture of several orders of one shop at once: a batch of stored events (connector/events.py).

The records are those of capturing the orders one by one (connector/capture/capture.py), for less
work: the stock positions of every order are read from the store in one call, the shop's promise
settings once, the orders in one query, their writes in one flush, and each stock position they touch
is re-evaluated once, after all of them are written, instead of once per order. The levels are read
after every order of the batch was placed, so the one re-evaluation sees what the last of the
one-by-one captures would have seen.

All or nothing: the batch is one write transaction. Any error leaves nothing written and is raised;
the caller then takes the events one by one (so one bad event does not fail its batch-mates).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from functools import cache
from typing import cast

from connector.capture import promise
from connector.capture.capture import (
    CaptureResult,
    after_flush,
    cancel_backorders,
    early_outcome,
    reevaluate,
    upsert,
)
from connector.capture.repository import CaptureRepository
from connector.db.models import Order
from connector.db.uow import UnitOfWork
from connector.domain.errors import ConnectorError
from connector.domain.model import OrderSnapshot, StockLevel, StockRef
from connector.ports import DeliveryPromises, StorePlatform
from connector.reports.redemptions import record_redemptions

log = logging.getLogger(__name__)


def capture_orders(uow: UnitOfWork, platform: StorePlatform, shop_id: int,
                   snapshots: Sequence[OrderSnapshot]) -> list[CaptureResult]:
    """Store the snapshots (in the given order; one order may come twice) and bring the backorders of
    every stock position they touch up to date; one result per snapshot."""
    wanted = {snapshot.order_id for snapshot in snapshots}
    with uow.shop_lock(shop_id):
        with uow:
            known = uow.repo(CaptureRepository).orders(shop_id, wanted)
            refs: dict[str, StockRef] = {}
            for order in known.values():
                refs.update({line.stock_key: StockRef(line.product_id, line.variant_id)
                             for line in order.lines if line.stock_key})
            asked = {order_id for order_id, order in known.items() if order.store_promise_checked_at is not None}
        for snapshot in snapshots:
            refs.update({line.stock_key: StockRef(line.product_id, line.variant_id)
                         for line in snapshot.lines if line.stock_key})
        keys = sorted(refs)
        levels = platform.stock_levels(list(refs.values())) if refs else {}
        settings = cache(lambda: promise.load(uow, shop_id))
        asking = _ask_at_once(platform, shop_id, snapshots, levels, asked, settings)
        stated: list[promise.Gathered | None] = []
        for snapshot in snapshots:
            stated.append(promise.gather(uow, asking, shop_id, snapshot, levels,
                                         store_asked_before=snapshot.order_id in asked, settings_of=settings))
            asked.add(snapshot.order_id)  # a second event of the same order does not ask the store again
        with uow:
            # read again under the lock: they may have changed while the store was asked
            current: dict[str, Order | None] = dict(uow.repo(CaptureRepository).orders(shop_id, set(known)))
            results: list[CaptureResult] = []
            written: list[tuple[OrderSnapshot, Order, str]] = []
            for snapshot, gathered in zip(snapshots, stated, strict=True):
                existing = current.get(snapshot.order_id)
                early = early_outcome(shop_id, snapshot, existing)
                if early is not None:
                    results.append(early)
                    continue
                order, outcome = upsert(uow, shop_id, snapshot, existing, gathered, flush=False)
                current[snapshot.order_id] = order
                results.append(CaptureResult(snapshot.order_id, outcome))
                written.append((snapshot, order, outcome))
            if written:
                uow.orders.flush()
                for snapshot, order, _ in written:
                    after_flush(uow, shop_id, snapshot, order)
                    if snapshot.discount_codes:  # a consolation code used: the KPIs count it (issue 15)
                        record_redemptions(uow, shop_id, order, snapshot.discount_codes)
                orders = list({id(order): order for _, order, _ in written}.values())
                changed = reevaluate(uow, shop_id, keys, levels, None, in_hand=orders)
                for order in orders:
                    if order.status == "cancelled":
                        changed |= cancel_backorders(order)
                uow.commit()
                for result in results:
                    result.changed_orders = changed if result.outcome not in ("stale", "unchanged") else set()
    log.info("orders captured", extra={"shop_id": shop_id, "orders": len(wanted), "written": len(written),
                                       "positions": len(keys)})
    return results


def _ask_at_once(platform: StorePlatform, shop_id: int, snapshots: Sequence[OrderSnapshot],
                 levels: Mapping[str, StockLevel], asked: set[str],
                 settings: Callable[[], promise.PromiseSettings]) -> StorePlatform:
    """The platform, or, when it reads several delivery promises a call (``promise.BatchPromises``) and
    more than one order of the batch will ask, the platform with those answers read in one call."""
    if not isinstance(platform, promise.BatchPromises) or not isinstance(platform, DeliveryPromises):
        return platform
    wanted = list(dict.fromkeys(s.order_id for s in snapshots if s.order_id not in asked
                                and promise.may_be_short(s, levels)))
    if len(wanted) < 2 or not settings().store_promise:
        return platform
    try:
        answers: Mapping[str, datetime | None] | ConnectorError = platform.delivery_promises(wanted)
    except ConnectorError as exc:  # each order logs it and is asked again at its next capture, as alone
        answers = exc
    log.debug("delivery promises read at once", extra={"shop_id": shop_id, "orders": len(wanted)})
    return cast(StorePlatform, _Answered(platform, answers))


class _Answered:
    """A platform whose delivery promises were read already (or failed, for all of them at once)."""

    def __init__(self, platform: DeliveryPromises, answers: Mapping[str, datetime | None] | ConnectorError) -> None:
        self._platform = platform
        self._answers = answers

    def delivery_promise(self, order_id: str) -> datetime | None:
        if isinstance(self._answers, ConnectorError):
            raise self._answers
        if order_id in self._answers:
            return self._answers[order_id]
        return self._platform.delivery_promise(order_id)
