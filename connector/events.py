"""Processing one stored webhook event: claim it, run its topic, record the outcome.

Safe to run twice: the claim is atomic, finished events are skipped, and capture itself is
idempotent. Transient failures are retried with bounded exponential backoff; permanent ones
are recorded and not retried (saleor's rule: never retry what cannot succeed).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import DataError

from connector.capture.batch import capture_orders
from connector.capture.capture import capture_order
from connector.capture.marks import MarkReport, write_marks
from connector.capture.repository import CaptureRepository
from connector.capture.stock import stock_changed
from connector.db.uow import UnitOfWork
from connector.domain.clock import utcnow
from connector.domain.errors import ConnectorError, InvalidPayload, TransientError
from connector.domain.model import OrderSnapshot
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


BATCH = 50
"""Order events of one shop processed together by one job, at most (the one it was given included)."""


LINGER = 0.3
"""Seconds a worker's job waits for more of its shop's orders when it found fewer than ``LINGER_BELOW``
(jobs/events.py): a batch costs about 12 ms of CPU however small, and about 1.5 ms more an order."""
LINGER_BELOW = 10


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
    marks_waiting: bool = False
    """A bulk write of the shop's marks still runs at the store: its result is to be read back later."""
    marks_finished: bool = False
    """A bulk write of the shop's marks finished (bulk_operations/finish): its result is to be read back now."""
    done_with: int = 0
    """Other events of the shop processed (done) in the same batch as this one."""
    retries: tuple[tuple[int, float], ...] = ()
    """Other events of the batch to queue again: (event id, in seconds); this one's is ``retry_in``."""


def backoff_seconds(attempt: int, base: float = 2.0, cap: float = 600.0) -> float:
    return min(cap, base * (2 ** max(0, attempt - 1)))


def process_event(uow: UnitOfWork, platform_for: Callable[[int], StorePlatform], event_id: int,
                  *, max_attempts: int = 8, lease: timedelta = LEASE, batch: int = BATCH,
                  linger: float = 0.0) -> EventOutcome:
    """Process one stored event; an order event takes up to ``batch`` - 1 other pending order events of
    its shop with it (``_order_batch``), after waiting up to ``linger`` seconds for more when it found
    few. Their jobs, when they run, find them finished and skip them."""
    with uow.single():
        # the claim returns what processing needs: one statement, columns not entities
        work = uow.events.claim_work(event_id, utcnow() - lease)
        if work is None:
            return EventOutcome("skipped", detail="already finished or being processed")
        shop_id, platform_name, shop_status, topic, body, attempts = work
        uow.commit()
        shop_active = shop_status == "active"

    context = {"event_id": event_id, "shop_id": shop_id, "topic": topic, "attempt": attempts, "platform": platform_name}
    if shop_active and topic in STOCK_TOPICS.get(platform_name, frozenset()):
        return _stock_event(uow, platform_for, event_id, body, context, max_attempts)
    if shop_active and topic in BULK_TOPICS.get(platform_name, frozenset()):
        operation = _operation_of(body)
        with uow.single():  # the shop's marks (connector/capture/marks.py) or its dates (publish_bulk)
            marks = operation is not None and operation in uow.repo(CaptureRepository).mark_operations(shop_id)
        finished = _finish(uow, event_id, "done", None, context)
        return EventOutcome(finished.status, shop_id=finished.shop_id, resume_publish=not marks,
                            marks_finished=marks)
    shipment = shipment_events.handles(platform_name, topic)
    if not shop_active or (topic not in ORDER_TOPICS.get(platform_name, frozenset()) and not shipment):
        return _finish(uow, event_id, "ignored", None, context)
    if batch > 1 and topic in _batch_topics(platform_name):
        return _order_batch(uow, platform_for, (event_id, topic, body, attempts), context, max_attempts, batch,
                            linger)
    return _order_event(uow, platform_for, event_id, body, context, max_attempts, shipment=shipment)


def _order_event(uow: UnitOfWork, platform_for: Callable[[int], StorePlatform], event_id: int, body: bytes | str,
                 context: dict[str, Any], max_attempts: int, *, shipment: bool) -> EventOutcome:
    """One claimed order (or shipment) event on its own: capture, marks, outcome."""
    shop_id, attempts, topic = int(context["shop_id"]), int(context["attempt"]), str(context["topic"])
    platform_name = str(context["platform"])
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
    return EventOutcome(outcome.status, detail=outcome.detail, shop_id=outcome.shop_id, alerts=marks.alerted,
                        marks_waiting=marks.waiting)


_Item = tuple[int, str, "bytes | str", int]
"""A claimed event: id, topic, body, attempts."""


def _batch_topics(platform_name: str) -> frozenset[str]:
    """Topics whose body is the order itself (orders, and the orders' shipment topics): events that can
    be captured together."""
    return ORDER_TOPICS.get(platform_name, frozenset()) | shipment_events.ORDER_SHIPMENT_TOPICS.get(
        platform_name, frozenset())


def _order_batch(uow: UnitOfWork, platform_for: Callable[[int], StorePlatform], first: _Item,
                 context: dict[str, Any], max_attempts: int, batch: int, linger: float) -> EventOutcome:
    """The claimed order event ``first`` and up to ``batch`` - 1 more pending order events of its shop,
    claimed now (exactly as one: an atomic claim with a lease; each keeps its own attempts): captured
    together (connector/capture/batch.py: one stock read, one write, one re-evaluation), the shop's marks
    written once, and one UPDATE for the outcome of those done. An event whose body does not parse fails
    alone; a transient failure sends every event of the batch to its own retry; any other error takes the
    events one by one (``_order_event``), so a bad event fails alone and its batch-mates go on. Fewer than
    ``LINGER_BELOW`` events found: wait ``linger`` seconds once and take those that came meanwhile."""
    shop_id, platform_name = int(context["shop_id"]), str(context["platform"])
    with uow.single():
        mates = list(uow.events.claim_pending(shop_id, _batch_topics(platform_name), batch - 1, first[0]))
        uow.commit()
    if linger > 0 and len(mates) + 1 < min(batch, LINGER_BELOW):
        # few events of the shop waiting: their neighbours are likely on the way; the claimed ones are
        # leased, so waiting a moment loses nothing and the batch's fixed cost is shared by more orders
        time.sleep(linger)
        with uow.single():
            mates += uow.events.claim_pending(shop_id, _batch_topics(platform_name), batch - 1 - len(mates),
                                              first[0])
            uow.commit()
    items = sorted([first, *mates])
    contexts = {item[0]: {**context, "event_id": item[0], "topic": item[1], "attempt": item[3]} for item in items}
    if not mates:
        return _order_event(uow, platform_for, first[0], first[2], context, max_attempts, shipment=False)
    outcomes: dict[int, EventOutcome] = {}
    parsed: list[tuple[_Item, OrderSnapshot]] = []
    try:
        platform = platform_for(shop_id)
    except Exception:  # noqa: BLE001 - whatever it is, each event records it on its own
        return _one_by_one(uow, platform_for, first[0], items, contexts, max_attempts, outcomes)
    for item in items:
        try:
            parsed.append((item, platform.parse_order(json.loads(item[2]))))
        except (InvalidPayload, ValueError) as exc:
            outcomes[item[0]] = _finish(uow, item[0], "failed", f"invalid payload: {exc}", contexts[item[0]])
        except RecursionError:
            outcomes[item[0]] = _finish(uow, item[0], "failed", "invalid payload: JSON nested too deep",
                                        contexts[item[0]])
    marks = MarkReport()
    try:
        with uow.shop_lock(shop_id):  # held once for both (re-entrant)
            results = capture_orders(uow, platform, shop_id, [snapshot for _, snapshot in parsed])
            marks = write_marks(uow, platform, shop_id)
    except TransientError as exc:
        for item, _ in parsed:
            outcomes[item[0]] = _transient(uow, item[0], item[3], exc, contexts[item[0]], max_attempts)
        return _batch_outcome(first[0], outcomes, shop_id, marks)
    except Exception as exc:  # noqa: BLE001 - one event may be the cause: take them one at a time
        log.warning("event batch failed, processing its events one by one",
                    extra={**context, "events": len(parsed), "error": f"{type(exc).__name__}: {exc}"})
        return _one_by_one(uow, platform_for, first[0], [item for item, _ in parsed], contexts, max_attempts,
                           outcomes)
    done = [item[0] for item, _ in parsed]
    with uow.single():
        uow.events.record_many(done, status="done", last_error=None, processed_at=utcnow(), next_attempt_at=None)
        uow.commit()
    for (item, _), result in zip(parsed, results, strict=True):
        log.info("event done", extra={**contexts[item[0]], "outcome": result.outcome, "batch": len(items)})
        outcomes[item[0]] = EventOutcome("done", shop_id=shop_id)
    return _batch_outcome(first[0], outcomes, shop_id, marks)


def _one_by_one(uow: UnitOfWork, platform_for: Callable[[int], StorePlatform], first: int, items: list[_Item],
                contexts: dict[int, dict[str, Any]], max_attempts: int,
                outcomes: dict[int, EventOutcome]) -> EventOutcome:
    """Each of ``items`` on its own (``_order_event``), after their batch failed as a whole."""
    for event_id, _, body, _ in items:
        outcomes[event_id] = _order_event(uow, platform_for, event_id, body, contexts[event_id], max_attempts,
                                          shipment=False)
    return _batch_outcome(first, outcomes, int(contexts[first]["shop_id"]), MarkReport())


def _batch_outcome(first: int, outcomes: dict[int, EventOutcome], shop_id: int, marks: MarkReport) -> EventOutcome:
    """The outcome of the given event, with what its batch-mates need done (their retries)."""
    own = outcomes[first]
    others = {event_id: outcome for event_id, outcome in outcomes.items() if event_id != first}
    retries = tuple((event_id, outcome.retry_in) for event_id, outcome in sorted(others.items())
                    if outcome.retry_in is not None)
    return EventOutcome(own.status, retry_in=own.retry_in, detail=own.detail, shop_id=shop_id,
                        alerts=marks.alerted + sum(outcome.alerts for outcome in outcomes.values()),
                        marks_waiting=marks.waiting or any(outcome.marks_waiting for outcome in outcomes.values()),
                        done_with=sum(1 for outcome in others.values() if outcome.status == "done"), retries=retries)


def _transient(uow: UnitOfWork, event_id: int, attempts: int, exc: TransientError, context: dict[str, Any],
               max_attempts: int) -> EventOutcome:
    if attempts >= max_attempts:
        return _finish(uow, event_id, "failed", f"gave up after {attempts} attempts: {exc}", context)
    return _retry(uow, event_id, attempts, str(exc), context, at_least=_retry_after(exc))


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
                        alerts=marks.alerted if marks else 0, allocated=len(report.allocated),
                        marks_waiting=bool(marks and marks.waiting))


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


def _operation_of(body: bytes | str) -> str | None:
    """The operation a bulk_operations/finish webhook is about (``admin_graphql_api_id``), or None."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        return None
    operation = payload.get("admin_graphql_api_id") if isinstance(payload, dict) else None
    return operation if isinstance(operation, str) else None


def _shop_of(context: dict[str, object]) -> int | None:
    shop_id = context.get("shop_id")
    return shop_id if isinstance(shop_id, int) else None
