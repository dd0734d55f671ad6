"""Simulated ``orderCancel`` and ``job(id:)``: the cancellation runs as a background job, as on Shopify.

``orderCancel`` checks the order (it exists, is not cancelled, has no cancellation running) and
answers ``job { id done: false }``. The job runs when it is due (``cancel_jobs``: right away by
default, after a delay, or held until ``run_cancel_jobs``); due jobs run at the start of the next
Admin API request of the shop (so the caller's first ``job(id:)`` poll already sees a prompt job
done) or when a test runs them. Running it:

- sets ``cancelledAt``; with ``restock`` the units still on the order go back to stock;
- with ``refundMethod.originalPaymentMethodsRefund`` refunds what is left on each SALE / CAPTURE
  (REFUND transactions in one Refund with the cancelled line items; ``decline_refunds`` makes the
  gateway fail them, as for refundCreate);
- voids what is left of an authorization in any case ("Authorized payments will be voided
  regardless of this setting");
- financial status: REFUNDED / PARTIALLY_REFUNDED by what was refunded (a refund that failed leaves
  it as it was), VOIDED for an order only authorized.

``fail_cancels`` makes the next cancellations fail: at the request (an ``orderCancelUserErrors``
entry, no job) or, by default, in the job (done, the order untouched: 2026-04 reports no reason).
Shopify's job ids are opaque; the simulator's are ``gid://shopify/Job/<n>``. Unknown job -> null.
"""

from __future__ import annotations

import itertools
import threading
import time
import weakref
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sandbox.shopify_sim.ext_payments import (
    GUARD,
    Refund,
    Txn,
    ledger,
    left_on,
    money_state,
    next_ids,
    paid_txns,
    refundable,
)
from sandbox.shopify_sim.store import Order, Shop, gid

HELD = float("inf")
_job_ids = itertools.count(41_000_001)


@dataclass
class CancelJob:
    id: int
    order_id: int
    restock: bool
    refund: bool
    staff_note: str | None
    due: float
    """time.monotonic() when it runs; HELD until run_cancel_jobs."""
    failure: str | None = None
    done: bool = False


@dataclass
class _Jobs:
    jobs: dict[int, CancelJob] = field(default_factory=dict)
    delay: float | None = 0.0
    failures: list[tuple[str, bool]] = field(default_factory=list)
    """(message, at the request) for the next cancellations."""


_STATES: weakref.WeakKeyDictionary[Any, dict[str, _Jobs]] = weakref.WeakKeyDictionary()
_STATE_GUARD = threading.Lock()


def _jobs(api: Any, domain: str) -> _Jobs:
    with _STATE_GUARD:
        return _STATES.setdefault(api, {}).setdefault(domain, _Jobs())


# -- test and demo controls (they take the ShopifySimulator) ---------------------------------------

def cancel_jobs(sim: Any, domain: str, *, delay: float | None = 0.0) -> None:
    """Cancel jobs of this shop run ``delay`` seconds after orderCancel; None holds them until
    ``run_cancel_jobs``."""
    with GUARD:
        _jobs(sim.graphql, domain).delay = delay


def fail_cancels(sim: Any, domain: str, count: int = 1, *, message: str = "Order could not be canceled",
                 at_request: bool = False) -> None:
    """The next ``count`` cancellations fail: in the job (the default) or at the request."""
    with GUARD:
        _jobs(sim.graphql, domain).failures.extend([(message, at_request)] * count)


def run_cancel_jobs(sim: Any, domain: str) -> int:
    """Run every cancel job of this shop that is not done (held or not yet due); how many ran."""
    with GUARD:
        return _run(sim.graphql, sim.shop(domain), due_by=HELD)


def cancel_job_list(sim: Any, domain: str) -> list[dict[str, Any]]:
    """Every cancel job of this shop as plain data (``failure``: why a failing job left the order)."""
    with GUARD:
        return [{"id": gid("Job", j.id), "order_id": j.order_id, "done": j.done, "failure": j.failure,
                 "staff_note": j.staff_note} for j in _jobs(sim.graphql, domain).jobs.values()]


# -- the job --------------------------------------------------------------------------------------

def _run(api: Any, shop: Shop, due_by: float) -> int:
    state = _jobs(api, shop.domain)
    ran = 0
    for job in list(state.jobs.values()):
        if not job.done and job.due <= due_by:
            job.done = True
            ran += 1
            order = shop.orders.get(job.order_id)
            if job.failure is None and order is not None and order.cancelled_at is None:
                _cancel(api, shop, order, job)
    return ran


def _cancel(api: Any, shop: Shop, order: Order, job: CancelJob) -> None:
    money = money_state(api, shop)
    book = ledger(money, order)
    refunds: list[Txn] = []
    if job.refund:
        for parent in paid_txns(book):
            left = left_on(book, parent)
            if left > 0:
                txn = Txn(next(next_ids), "REFUND", left, parent=parent.id, gateway=parent.gateway)
                if money.declines > 0:
                    money.declines -= 1
                    txn.status = "FAILURE"
                refunds.append(txn)
    for auth in [t for t in book.txns if t.kind == "AUTHORIZATION" and t.status == "SUCCESS"]:
        captured = sum((t.amount for t in book.txns if t.kind == "CAPTURE" and t.parent == auth.id
                        and t.status == "SUCCESS"), Decimal("0"))
        voided = any(t.kind == "VOID" and t.parent == auth.id for t in book.txns)
        if auth.amount > captured and not voided:
            book.txns.append(Txn(next(next_ids), "VOID", auth.amount - captured, parent=auth.id))
    lines = [(line, line.quantity - line.removed, "CANCEL" if job.restock else "NO_RESTOCK")
             for line in order.lines if line.quantity > line.removed]
    book.txns.extend(refunds)
    if refunds or lines:
        book.refunds.append(Refund(next(next_ids), None, lines, refunds))
    if paid_txns(book):
        if refundable(book) <= 0:
            order.financial_status = "refunded"
        elif any(t.status == "SUCCESS" for t in refunds):
            order.financial_status = "partially_refunded"
    elif order.financial_status == "authorized":
        order.financial_status = "voided"
    if job.restock:
        for line, quantity, _ in lines:
            if line.variant.tracked:
                line.variant.inventory_quantity += quantity
    order.cancelled_at = datetime.now(UTC).replace(microsecond=0)
    order.updated_at = max(order.cancelled_at, order.updated_at)
    api._on_order_changed(shop, order)


def _error(message: str, code: str) -> dict[str, Any]:
    return {"field": ["orderId"], "message": message, "code": code}


def extension(api: Any, shop: Shop) -> dict[str, Any]:
    with GUARD:
        _run(api, shop, due_by=time.monotonic())  # background work that came due since the last request
    state = _jobs(api, shop.domain)

    def order_cancel(info: Any, orderId: str, restock: bool, reason: str, refundMethod: Any = None,  # noqa: N803
                     notifyCustomer: bool = False, staffNote: str | None = None) -> dict[str, Any]:  # noqa: N803
        number = orderId.rsplit("/", 1)[-1] if orderId.startswith("gid://shopify/Order/") else ""
        order = shop.orders.get(int(number)) if number.isdigit() else None
        if order is None:
            return {"job": None, "orderCancelUserErrors": [_error("Order not found", "NOT_FOUND")]}
        if order.cancelled_at is not None:
            return {"job": None, "orderCancelUserErrors": [
                _error("Cannot cancel an order that has already been canceled", "INVALID")]}
        with GUARD:
            if any(j.order_id == order.id and not j.done for j in state.jobs.values()):
                return {"job": None, "orderCancelUserErrors": [
                    _error("The order is already being canceled", "INVALID")]}
            failure = state.failures.pop(0) if state.failures else None
            if failure is not None and failure[1]:
                return {"job": None, "orderCancelUserErrors": [_error(failure[0], "INVALID")]}
            delay = state.delay
            job = CancelJob(next(_job_ids), order.id, bool(restock),
                            bool((refundMethod or {}).get("originalPaymentMethodsRefund")), staffNote,
                            due=HELD if delay is None else time.monotonic() + delay,
                            failure=failure[0] if failure else None)
            state.jobs[job.id] = job
        return {"job": {"id": gid("Job", job.id), "done": False}, "orderCancelUserErrors": []}

    def job(info: Any, id: str) -> dict[str, Any] | None:  # noqa: A002
        number = id.rsplit("/", 1)[-1] if id.startswith("gid://shopify/Job/") else ""
        with GUARD:
            found = state.jobs.get(int(number)) if number.isdigit() else None
            return {"id": id, "done": found.done} if found is not None else None

    return {"orderCancel": order_cancel, "job": job}
