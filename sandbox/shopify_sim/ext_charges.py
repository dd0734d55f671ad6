"""Simulated payment on shipment: authorisations with expiry, ``orderCapture`` (partial, multi-capture
allowed or refused per shop, ``finalCapture``), vaulted cards charged by ``orderCreateMandatePayment``
(an asynchronous job; success or decline per card), ``orderInvoiceSend``, and Shopify charging a
balance due on fulfillment itself (``charge_on_fulfillment``). The ledger is ext_payments.py's.

Set-up helpers (tests and the demo): ``authorize`` gives an order an AUTHORIZATION that lapses after
``days`` (Shopify Payments: 7) and is multi-capturable when the shop allows it (Plus);
``vault`` gives an order a deposit SALE, a vaulted card (PaymentMandate) and payment terms for the
balance (FULFILLMENT: due on fulfillment; FIXED: a backstop due date); ``decline_card`` makes the
order's card decline the next charges.

Rules the mutations keep (Shopify's, as its reference states them): a capture is no more than what is
left on its authorisation; a non-multi-capturable authorisation is captured once (the rest is
released); ``finalCapture`` releases the rest; an expired authorisation cannot be captured. A mandate
payment with an idempotency key already used returns the first payment's answer and charges nothing.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sandbox.shopify_sim.ext_payments import (
    GUARD,
    STATES,
    Ledger,
    MoneyState,
    Txn,
    bag,
    cents,
    ledger,
    money_state,
    next_ids,
    order_total,
    txn_view,
)
from sandbox.shopify_sim.store import Order, Shop, gid, graphql_time

ZERO = Decimal("0")
_ids = itertools.count(9_100_001)


@dataclass
class Vault:
    mandate: str
    terms: str
    due_at: datetime | None
    schedule: str
    terms_id: str
    declines: int = 0


@dataclass
class ChargeState:
    multi_capture: bool = False
    vaults: dict[int, Vault] = field(default_factory=dict)
    keys: dict[str, dict[str, Any]] = field(default_factory=dict)
    invoices: list[int] = field(default_factory=list)
    captures: list[dict[str, Any]] = field(default_factory=list)
    """Every capture and mandate charge the gateway received (tests count these)."""
    released: set[int] = field(default_factory=set)
    """Authorisations whose uncaptured rest was released (final or single capture)."""
    stall_seconds: float = 0.0
    """The gateway applies a capture, then holds its answer this long (a worker killed meanwhile)."""


def charge_state(state: MoneyState) -> ChargeState:
    found = state.__dict__.get("_charges")
    if found is None:
        found = state.__dict__["_charges"] = ChargeState()
    return found


def _number(value: Any, resource: str) -> int | None:
    prefix = f"gid://shopify/{resource}/"
    text = str(value or "")
    return int(text[len(prefix):]) if text.startswith(prefix) and text[len(prefix):].isdigit() else None


def received(book: Ledger) -> Decimal:
    return sum((t.amount for t in book.txns if t.kind in ("SALE", "CAPTURE") and t.status == "SUCCESS"), ZERO)


def outstanding(state: MoneyState, order: Order) -> Decimal:
    return max(ZERO, order_total(state.shop, order) - received(ledger(state, order)))


def _settle_status(state: MoneyState, order: Order) -> None:
    book = ledger(state, order)
    if outstanding(state, order) <= 0:
        order.financial_status = "paid"
    elif received(book) > 0:
        order.financial_status = "partially_paid"
    order.updated_at = max(datetime.now(UTC).replace(microsecond=0), order.updated_at)


def order_fields(api: Any, order: Order) -> dict[str, Any]:
    with GUARD:
        state = next((s for s in STATES.get(api, {}).values() if order.id in s.shop.orders), None)
    if state is None:
        return {}
    book = ledger(state, order)
    charges = charge_state(state)
    vault = charges.vaults.get(order.id)
    total = order_total(state.shop, order)
    terms = None
    if vault is not None:
        done = outstanding(state, order) <= 0
        schedule = {"id": vault.schedule, "dueAt": graphql_time(vault.due_at), "issuedAt": None,
                    "completedAt": graphql_time(datetime.now(UTC)) if done else None, "due": not done,
                    "balanceDue": {"amount": str(outstanding(state, order)), "currencyCode": "USD"}}
        terms = {"id": vault.terms_id, "paymentTermsType": vault.terms, "due": not done, "overdue": False,
                 "paymentTermsName": "Due on fulfillment" if vault.terms == "FULFILLMENT" else "Fixed",
                 "paymentSchedules": lambda info, **a: {"nodes": [schedule],
                                                        "pageInfo": {"hasNextPage": False,
                                                                     "hasPreviousPage": False}}}
    return {
        "paymentGatewayNames": sorted({t.gateway for t in book.txns}) or ["shopify_payments"],
        "totalPriceSet": bag(total), "totalOutstandingSet": bag(outstanding(state, order)),
        "paymentCollectionDetails": {
            "additionalPaymentCollectionUrl": f"https://{state.shop.domain}/checkouts/pay/{order.id}",
            "vaultedPaymentMethods": [{"id": vault.mandate}] if vault is not None else []},
        "paymentTerms": terms,
        "transactions": lambda info, **args: [txn_view(book, t) for t in book.txns][:args.get("first") or None],
    }


def _capture(state: MoneyState, data: dict[str, Any]) -> dict[str, Any]:
    def rejected(message: str, *where: str) -> dict[str, Any]:
        return {"transaction": None, "userErrors": [{"field": ["input", *where], "message": message}]}

    order = state.shop.orders.get(_number(data.get("id"), "Order") or -1)
    if order is None:
        return rejected("Order does not exist.", "id")
    book = ledger(state, order)
    charges = charge_state(state)
    parent = next((t for t in book.txns if t.kind == "AUTHORIZATION" and t.status == "SUCCESS"
                   and t.id == _number(data.get("parentTransactionId"), "OrderTransaction")), None)
    if parent is None:
        return rejected("Parent transaction is not a successful authorization of this order.", "parentTransactionId")
    try:
        amount = cents(data.get("amount"))
    except InvalidOperation:
        return rejected("Amount is invalid.", "amount")
    if parent.expires is not None and parent.expires <= datetime.now(UTC):
        return rejected("The authorization has expired and can no longer be captured.", "parentTransactionId")
    if parent.id in charges.released:
        return rejected("The authorization has already been captured in full or released.", "parentTransactionId")
    done = sum((t.amount for t in book.txns if t.kind == "CAPTURE" and t.parent == parent.id
                and t.status == "SUCCESS"), ZERO)
    if amount <= 0 or amount > parent.amount - done:
        return rejected(f"The capture amount can't be greater than {parent.amount - done} left on the "
                        "authorization.", "amount")
    txn = Txn(next(next_ids), "CAPTURE", amount, parent=parent.id, gateway=parent.gateway)
    book.txns.append(txn)
    charges.captures.append({"order": order.id, "kind": "capture", "amount": str(amount), "txn": txn.id})
    if not parent.multi or data.get("finalCapture"):
        charges.released.add(parent.id)
    _settle_status(state, order)
    return {"transaction": txn_view(book, txn), "userErrors": []}


def _mandate_payment(state: MoneyState, order_gid: str, mandate: str, key: str, amount: dict[str, Any] | None,
                     schedule: str | None) -> dict[str, Any]:
    def rejected(message: str, *where: str) -> dict[str, Any]:
        return {"job": None, "paymentReferenceId": None, "userErrors": [
            {"field": list(where), "message": message, "code": "ORDER_MANDATE_PAYMENT_ERROR_CODE"}]}

    charges = charge_state(state)
    if key in charges.keys:
        return charges.keys[key]
    order = state.shop.orders.get(_number(order_gid, "Order") or -1)
    if order is None:
        return rejected("Order does not exist.", "id")
    vault = charges.vaults.get(order.id)
    if vault is None or vault.mandate != mandate:
        return rejected("The mandate does not belong to this order.", "mandateId")
    due = outstanding(state, order)
    try:
        wanted = cents((amount or {}).get("amount", due))
    except InvalidOperation:
        return rejected("Amount is invalid.", "amount")
    if wanted <= 0 or wanted > due:
        return rejected(f"The amount must be more than 0 and no more than the {due} outstanding.", "amount")
    reference = f"mandate-{next(_ids)}"
    txn = Txn(next(next_ids), "SALE", wanted, payment_id=reference)
    if vault.declines > 0:
        vault.declines -= 1
        txn.status, txn.error_code = "FAILURE", "CARD_DECLINED"
    book = ledger(state, order)
    book.txns.append(txn)
    charges.captures.append({"order": order.id, "kind": "mandate", "amount": str(wanted), "txn": txn.id,
                             "status": txn.status})
    _settle_status(state, order)
    answer = {"job": {"id": gid("Job", next(_ids)), "done": True}, "paymentReferenceId": reference, "userErrors": []}
    charges.keys[key] = answer
    return answer


def extension(api: Any, shop: Shop) -> dict[str, Any]:
    state = money_state(api, shop)

    def order_capture(info: Any, input: dict[str, Any]) -> dict[str, Any]:  # noqa: A002
        with GUARD:
            answer = _capture(state, input)
            stall = charge_state(state).stall_seconds
        deadline = time.monotonic() + stall
        while time.monotonic() < deadline and charge_state(state).stall_seconds:  # ends early when unset
            time.sleep(0.05)
        return answer

    def mandate_payment(info: Any, id: str, mandateId: str, idempotencyKey: str,  # noqa: A002, N803
                        amount: dict[str, Any] | None = None, autoCapture: bool = True,  # noqa: N803
                        paymentScheduleId: str | None = None) -> dict[str, Any]:  # noqa: N803
        with GUARD:
            return _mandate_payment(state, id, mandateId, idempotencyKey, amount, paymentScheduleId)

    def invoice_send(info: Any, id: str, email: dict[str, Any] | None = None) -> dict[str, Any]:  # noqa: A002
        with GUARD:
            order = shop.orders.get(_number(id, "Order") or -1)
            if order is None:
                return {"order": None, "userErrors": [{"field": ["id"], "message": "Order does not exist.",
                                                       "code": "ORDER_INVOICE_SEND_UNSUCCESSFUL"}]}
            charge_state(state).invoices.append(order.id)
            return {"order": api._order(order), "userErrors": []}

    return {"orderCapture": order_capture, "orderCreateMandatePayment": mandate_payment,
            "orderInvoiceSend": invoice_send}


# -- test and demo helpers ------------------------------------------------------------------------

def _find(sim: Any, domain: str, order_id: int | str) -> tuple[MoneyState, Order]:
    shop = sim.shop(domain)
    return money_state(sim.graphql, shop), shop.order(order_id)


def allow_multi_capture(sim: Any, domain: str, allowed: bool = True) -> None:
    """Whether new authorisations of this shop can be captured in parts (Shopify Plus)."""
    with GUARD:
        charge_state(money_state(sim.graphql, sim.shop(domain))).multi_capture = allowed


def authorize(sim: Any, domain: str, order_id: int | str, *, days: float = 7) -> dict[str, Any]:
    """The order's payment is an AUTHORIZATION of its total, lapsing after ``days``."""
    with GUARD:
        state, order = _find(sim, domain, order_id)
        order.financial_status = "authorized"
        book = state.ledgers[order.id] = Ledger()
        txn = Txn(next(next_ids), "AUTHORIZATION", order_total(state.shop, order),
                  expires=datetime.now(UTC).replace(microsecond=0) + timedelta(days=days),
                  multi=charge_state(state).multi_capture)
        book.txns.append(txn)
        return {"id": gid("OrderTransaction", txn.id), "amount": str(txn.amount)}


def vault(sim: Any, domain: str, order_id: int | str, *, deposit: Any = "0", terms: str = "FULFILLMENT",
          due_in_days: float | None = 30) -> dict[str, Any]:
    """The order paid ``deposit`` at checkout; the balance is on a vaulted card, due as ``terms`` say."""
    with GUARD:
        state, order = _find(sim, domain, order_id)
        book = state.ledgers[order.id] = Ledger()
        if cents(deposit) > 0:
            book.txns.append(Txn(next(next_ids), "SALE", cents(deposit)))
        order.financial_status = "partially_paid" if cents(deposit) > 0 else "pending"
        due = datetime.now(UTC).replace(microsecond=0) + timedelta(days=due_in_days) if due_in_days else None
        found = Vault(gid("PaymentMandate", next(_ids)), terms, due, gid("PaymentSchedule", next(_ids)),
                      gid("PaymentTerms", next(_ids)))
        charge_state(state).vaults[order.id] = found
        return {"mandate": found.mandate, "outstanding": str(outstanding(state, order))}


def decline_card(sim: Any, domain: str, order_id: int | str, count: int = 1) -> None:
    """The order's vaulted card declines its next ``count`` charges."""
    with GUARD:
        state, order = _find(sim, domain, order_id)
        charge_state(state).vaults[order.id].declines += count


def charge_on_fulfillment(sim: Any, domain: str, order_id: int | str) -> str:
    """What Shopify does for a balance due on fulfillment when the order is fulfilled: it charges the
    vaulted card itself. Returns the transaction status (SUCCESS or FAILURE)."""
    with GUARD:
        state, order = _find(sim, domain, order_id)
        found = charge_state(state).vaults[order.id]
        answer = _mandate_payment(state, gid("Order", order.id), found.mandate, f"shopify-fulfillment-{order.id}",
                                  None, found.schedule)
        return "SUCCESS" if order.financial_status == "paid" else ("FAILURE" if answer["userErrors"] == [] else "")


def expire(sim: Any, domain: str, order_id: int | str, *, in_hours: float) -> None:
    """Move the order's authorisation expiry to ``in_hours`` from now."""
    with GUARD:
        state, order = _find(sim, domain, order_id)
        for txn in ledger(state, order).txns:
            if txn.kind == "AUTHORIZATION":
                txn.expires = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=in_hours)


def stall_captures(sim: Any, domain: str, seconds: float) -> None:
    """Captures of this shop are applied, then answered only after ``seconds`` (or as soon as this is set
    back to 0)."""
    with GUARD:
        charge_state(money_state(sim.graphql, sim.shop(domain))).stall_seconds = seconds


def charges(sim: Any, domain: str) -> dict[str, Any]:
    """Every capture and mandate charge the gateway received, and the invoices sent, as plain data."""
    with GUARD:
        found = charge_state(money_state(sim.graphql, sim.shop(domain)))
        return {"captures": list(found.captures), "invoices": list(found.invoices)}
