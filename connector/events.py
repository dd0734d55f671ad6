"""Processing one stored webhook event: claim it, run its topic, record the outcome.

Safe to run twice: the claim is atomic, finished events are skipped, and capture itself is
idempotent. Transient failures are retried with bounded exponential backoff; permanent ones
are recorded and not retried (saleor's rule: never retry what cannot succeed).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import DataError

from connector.capture.capture import capture_order
from connector.capture.marks import write_marks
from connector.capture.stock import stock_changed
from connector.db.uow import UnitOfWork
from connector.domain.clock import utcnow
from connector.domain.errors import ConnectorError, InvalidPayload, TransientError
from connector.ports import StockEvents, StorePlatform
from connector.shipping import events as shipment_events

log = logging.getLogger(__name__)

ORDER_TOPICS: dict[str, frozenset[str]] = {
    "shopify": frozenset({"orders/create", "orders/updated", "orders/cancelled"}),
    "woocommerce": frozenset({"order.created", "order.updated"}),
}
"""Topics that carry an order to capture, per platform."""

STOCK_TOPICS: dict[str, frozenset[str]] = {
    "shopify": frozenset({"inventory_levels/update"}),
    "woocommerce": frozenset({"product.updated"}),
}
"""Topics that say stock moved, per platform: the positions are re-read and arrivals allocated."""

BULK_TOPICS: dict[str, frozenset[str]] = {"shopify": frozenset({"bulk_operations/finish"})}
"""Topics that say a bulk operation finished: the shop's date publishing resumes (it reads the operation itself)."""

LEASE = timedelta(minutes=5)
"""A 'processing' claim older than this is presumed dead (worker killed) and may be taken over."""


@dataclass(frozen=True)
class EventOutcome:
    status: str
    """done | ignored | retry | failed | skipped"""
    retry_in: float | None = None
    detail: str = ""
    shop_id: int | None = None
    """The event's shop (None when skipped), so callers need not read the event again."""
    alerts: int = 0
    """New merchant alerts recorded while processing (a store that refused to mark an order)."""
    allocated: int = 0
    """Backorders that got arriving stock (a stock webhook): their holds are released next (jobs/events.py)."""
    resume_publish: bool = False
    """A bulk operation finished (bulk_operations/finish): publishing the shop's dates goes on (jobs/events.py)."""


def backoff_seconds(attempt: int, base: float = 2.0, cap: float = 600.0) -> float:
    return min(cap, base * (2 ** max(0, attempt - 1)))


def process_event(uow: UnitOfWork, platform_for: Callable[[int], StorePlatform], event_id: int,
                  *, max_attempts: int = 8, lease: timedelta = LEASE) -> EventOutcome:
    with uow.single():
        # the claim returns what processing needs: one statement, columns not entities
        work = uow.events.claim_work(event_id, utcnow() - lease)
        if work is None:
            return EventOutcome("skipped", detail="already finished or being processed")
        shop_id, platform_name, shop_status, topic, body, attempts = work
        uow.commit()
        shop_active = shop_status == "active"

    context = {"event_id": event_id, "shop_id": shop_id, "topic": topic, "attempt": attempts}
    if shop_active and topic in STOCK_TOPICS.get(platform_name, frozenset()):
        return _stock_event(uow, platform_for, event_id, body, context, max_attempts)
    if shop_active and topic in BULK_TOPICS.get(platform_name, frozenset()):
        finished = _finish(uow, event_id, "done", None, context)
        return EventOutcome(finished.status, shop_id=finished.shop_id, resume_publish=True)
    shipment = shipment_events.handles(platform_name, topic)
    if not shop_active or (topic not in ORDER_TOPICS.get(platform_name, frozenset()) and not shipment):
        return _finish(uow, event_id, "ignored", None, context)
    try:
        payload = json.loads(body)
        platform = platform_for(shop_id)
        if shipment:  # shipped units (connector/shipping/events.py): the order, or the store's read of it
            found = shipment_events.snapshot_for(platform_name, topic, platform, payload)
            if found is None:
                return _finish(uow, event_id, "ignored", "the order no longer exists in the store", context)
            snapshot = found
        else:
            snapshot = platform.parse_order(payload)
        with uow.shop_lock(shop_id):  # held once for both (re-entrant): one lock and unlock an event
            result = capture_order(uow, platform, shop_id, snapshot)
            marks = write_marks(uow, platform, shop_id)
    except (InvalidPayload, ValueError) as exc:
        return _finish(uow, event_id, "failed", f"invalid payload: {exc}", context)
    except RecursionError:  # stored before the webhook bounded nesting: it will never parse
        return _finish(uow, event_id, "failed", "invalid payload: JSON nested too deep", context)
    except (DataError, OverflowError) as exc:  # a value the database cannot hold: no retry will help
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0][:300]
        return _finish(uow, event_id, "failed", f"invalid payload: a value the database cannot store: {reason}",
                       context)
    except TransientError as exc:
        if attempts >= max_attempts:
            return _finish(uow, event_id, "failed", f"gave up after {attempts} attempts: {exc}", context)
        return _retry(uow, event_id, attempts, str(exc), context, at_least=_retry_after(exc))
    except ConnectorError as exc:
        return _finish(uow, event_id, "failed", f"{type(exc).__name__}: {exc}", context)
    except Exception as exc:  # noqa: BLE001 - an unexpected bug must not lose the event
        log.exception("event processing crashed", extra=context)
        if attempts >= max_attempts:
            return _finish(uow, event_id, "failed", f"{type(exc).__name__}: {exc}", context)
        return _retry(uow, event_id, attempts, f"{type(exc).__name__}: {exc}", context)
    outcome = _finish(uow, event_id, "done", None, {**context, "outcome": result.outcome})
    return EventOutcome(outcome.status, detail=outcome.detail, shop_id=outcome.shop_id, alerts=marks.alerted)


def _stock_event(uow: UnitOfWork, platform_for: Callable[[int], StorePlatform], event_id: int, body: bytes | str,
                 context: dict[str, Any], max_attempts: int) -> EventOutcome:
    """A stock webhook: re-evaluate the positions it names as a stock event (connector/capture/stock.py),
    then write the marks of orders whose backorders changed. Errors map as for order topics."""
    shop_id, attempts = int(context["shop_id"]), int(context["attempt"])
    try:
        platform = platform_for(shop_id)
        if not isinstance(platform, StockEvents):
            return _finish(uow, event_id, "ignored", "this platform's stock webhooks are not read", context)
        change = platform.parse_stock_change(json.loads(body))
        with uow.shop_lock(shop_id):  # held once for both (re-entrant)
            report = stock_changed(uow, platform, shop_id, change)
            marks = write_marks(uow, platform, shop_id) if report.changed_orders else None
    except (InvalidPayload, ValueError, RecursionError) as exc:
        return _finish(uow, event_id, "failed", f"invalid payload: {exc}", context)
    except TransientError as exc:
        if attempts >= max_attempts:
            return _finish(uow, event_id, "failed", f"gave up after {attempts} attempts: {exc}", context)
        return _retry(uow, event_id, attempts, str(exc), context, at_least=_retry_after(exc))
    except ConnectorError as exc:
        return _finish(uow, event_id, "failed", f"{type(exc).__name__}: {exc}", context)
    except Exception as exc:  # noqa: BLE001 - an unexpected bug must not lose the event
        log.exception("stock event processing crashed", extra=context)
        if attempts >= max_attempts:
            return _finish(uow, event_id, "failed", f"{type(exc).__name__}: {exc}", context)
        return _retry(uow, event_id, attempts, f"{type(exc).__name__}: {exc}", context)
    outcome = _finish(uow, event_id, "done", None, {**context, "positions": report.positions,
                                                     "allocated": len(report.allocated)})
    return EventOutcome(outcome.status, detail=outcome.detail, shop_id=outcome.shop_id,
                        alerts=marks.alerted if marks else 0, allocated=len(report.allocated))


def _retry_after(exc: BaseException) -> float:
    """The wait a throttled platform or supplier asked for (PlatformThrottled/SupplierThrottled), else 0."""
    wait = getattr(exc, "retry_after", None)
    return float(wait) if isinstance(wait, int | float) and wait > 0 else 0.0


def _retry(uow: UnitOfWork, event_id: int, attempts: int, error: str, context: dict[str, object],
           *, at_least: float = 0.0) -> EventOutcome:
    """Retry later: after the backoff, or after the store's Retry-After when it asked for longer
    (the transport does not sleep past its cap in a worker; the event waits here instead)."""
    delay = max(backoff_seconds(attempts), at_least)
    _set(uow, event_id, status="retry", last_error=error[:2000], next_attempt_at=utcnow() + timedelta(seconds=delay))
    log.warning("event will be retried", extra={**context, "error": error, "retry_in": delay})
    return EventOutcome("retry", retry_in=delay, detail=error, shop_id=_shop_of(context))


def _finish(uow: UnitOfWork, event_id: int, status: str, error: str | None,
            context: dict[str, object]) -> EventOutcome:
    _set(uow, event_id, status=status, last_error=error[:2000] if error else None, processed_at=utcnow(),
         next_attempt_at=None)
    if status == "failed":
        log.error("event failed", extra={**context, "error": error})
    else:
        log.info("event %s", status, extra=context)
    return EventOutcome(status, detail=error or "", shop_id=_shop_of(context))


def _set(uow: UnitOfWork, event_id: int, **values: object) -> None:
    """Record an outcome with one UPDATE (reading the row first would fetch its body again)."""
    with uow.single():
        uow.events.record(event_id, **values)
        uow.commit()


def _shop_of(context: dict[str, object]) -> int | None:
    shop_id = context.get("shop_id")
    return shop_id if isinstance(shop_id, int) else None
