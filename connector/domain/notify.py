"""Which customer message is due for one backorder: pure rules over dates (standard library only).

Vocabulary (all dates are calendar dates in UTC):

- ``expected``: the backorder's current expected in-stock date (``backorders.expected_date``,
  written by the know-when side); ``None`` means unknown.
- ``promised``: ``backorders.promised_date``, the in-stock date first given to the customer. When it
  is already set before the first evaluation it is kept; otherwise the first evaluation that knows a
  date sets it to that date, whether the capture notice was sent (the date was told) or withheld
  inside the grace period (the customer was told nothing and so expects the ordinary timing, which
  that date meets). It never moves after.
- ``shipping_promise``: the date the FTC Mail Order Rule holds the merchant to: the delivery date
  stated at checkout when one was (``orders.promised_delivery_on``, read at capture by
  connector/capture/promise.py), else the order date plus ``shipping_promise_days`` (30). Set at
  the first evaluation; until the first decision (a notice sent or a silence recorded) it follows a
  corrected checkout date, then it is pinned. A settings change never moves it.
- ``last_told``: the latest in-stock date the customer was told (capture notice, apology or delay
  notice); starts at ``promised``.

Kinds of message: capture_notice, capture_silence (recorded, never sent), apology, delay_notice,
cancelled (confirmation after a cancellation), wait_confirmed (confirmation after the customer chose to
keep waiting), merchant_decision (the merchant is asked).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, timedelta

_Date = date  # Decision has a field named ``date``

FTC_CONSENT_DAYS = 30
"""A delay beyond this many days past the original promise needs the customer's express consent."""


class Kind(enum.StrEnum):
    CAPTURE_NOTICE = "capture_notice"
    CAPTURE_SILENCE = "capture_silence"
    APOLOGY = "apology"
    DELAY_NOTICE = "delay_notice"
    CANCELLED = "cancelled"
    WAIT_CONFIRMED = "wait_confirmed"
    MERCHANT_DECISION = "merchant_decision"


class DelayPolicy(enum.StrEnum):
    CANCEL_AND_REFUND = "cancel_and_refund"
    ASK_MERCHANT = "ask_merchant"


UNKNOWN = "unknown"
"""The date key of a message about an unknown date."""


class CancelMoney(enum.StrEnum):
    """What happened to the customer's money for cancelled items."""

    REFUNDED = "refunded"
    """Money the customer paid for them went back (or is on its way back) through the store."""
    NOT_CHARGED = "not_charged"
    """Nothing had been charged for them (the payment was only authorized): nothing to refund, and
    they are no longer on the order, so they are not charged when the rest is captured."""
    OWED = "owed"
    """Removed from the order, but the store left the refund to the merchant."""
    PENDING = "pending"
    """The store accepted the cancellation and is still carrying it out (Shopify's ``orderCancel``
    runs as a background job): nothing is confirmed yet; the outcome is read later."""


@dataclass(frozen=True)
class CancelResult:
    """What the store did when backordered items were cancelled."""

    reference: str
    refunded: bool
    """True: no money is owed to the customer for them any more (refunded, or never charged).
    False: removed from the order, refund left to the merchant (a legacy Shopify order edit)."""
    charged: bool = True
    """False: nothing had been charged for them, so nothing was refunded (only with ``refunded``)."""
    amount: str | None = None
    """The amount refunded, in the order's currency, when the store says; with ``pending``, the
    amount the store is to refund (None: nothing to refund)."""
    pending: bool = False
    """The store has not finished: ``reference`` names what to check later (connector/notify/cancel_checks.py)."""

    @property
    def money(self) -> CancelMoney:
        if self.pending:
            return CancelMoney.PENDING
        if not self.refunded:
            return CancelMoney.OWED
        return CancelMoney.REFUNDED if self.charged else CancelMoney.NOT_CHARGED


def date_key(value: date | None) -> str:
    return value.isoformat() if value is not None else UNKNOWN


@dataclass(frozen=True)
class Policy:
    grace_days: int = 7
    shipping_promise_days: int = 30
    consolation_min_slip_days: int | None = None
    """None: no consolation codes."""
    delay_reply_days: int = 7
    """How long a customer has to answer a delay notice that needs express consent (at least)."""

    def __post_init__(self) -> None:
        for name in ("grace_days", "shipping_promise_days", "delay_reply_days"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative, got {getattr(self, name)}")


@dataclass(frozen=True)
class DelayNotice:
    """A delay notice already sent, and what came of it."""

    notified_date: date | None
    consent_required: bool
    deadline: date
    answer: str | None = None
    """None | "wait" | "cancel" """
    settled: bool = False
    """An outcome was recorded (kept, cancelled, escalated): nothing more to do for this notice."""


@dataclass(frozen=True)
class Facts:
    """What the rules need to know about one open backorder."""

    ordered_on: date
    expected: date | None
    promised: date | None
    shipping_promise: date
    last_told: date | None
    initial_decided: bool
    """The capture notice was sent or deliberately withheld already."""
    delay_notices: tuple[DelayNotice, ...] = field(default_factory=tuple)
    has_consolation: bool = False


@dataclass(frozen=True)
class Decision:
    """One thing to do now. ``kind`` is a message kind, or "expire_delay" for a lapsed notice."""

    kind: str
    date: _Date | None = None
    consent_required: bool = False
    deadline: _Date | None = None
    with_consolation: bool = False
    reason: str = ""

    @property
    def key(self) -> str:
        return date_key(self.date)


def shipping_promise(ordered_on: date, checkout_promise: date | None, policy: Policy) -> date:
    return checkout_promise or ordered_on + timedelta(days=policy.shipping_promise_days)


def decide(facts: Facts, today: date, policy: Policy) -> list[Decision]:
    """What is due for this backorder today, in the order to act on it (usually zero or one item)."""
    decisions: list[Decision] = []
    pending = _lapsed_delay_notice(facts, today)
    if pending is not None:
        decisions.append(pending)
        return decisions
    delay = _delay_notice(facts, today, policy)
    if delay is not None:
        decisions.append(delay)
        return decisions
    if not facts.initial_decided:
        initial = _initial(facts, today, policy)
        if initial is not None:
            decisions.append(initial)
        return decisions
    apology = _apology(facts, policy)
    if apology is not None:
        decisions.append(apology)
    return decisions


def _initial(facts: Facts, today: date, policy: Policy) -> Decision | None:
    if facts.expected is None:
        return None  # nothing specific to say yet; decided when a date is known
    if facts.expected > today + timedelta(days=policy.grace_days):
        return Decision(Kind.CAPTURE_NOTICE, facts.expected,
                        reason=f"expected {facts.expected} is more than {policy.grace_days} days away")
    return Decision(Kind.CAPTURE_SILENCE, facts.expected,
                    reason=f"expected {facts.expected} is within the {policy.grace_days}-day grace period")


def _apology(facts: Facts, policy: Policy) -> Decision | None:
    told = facts.last_told or facts.promised
    if facts.expected is None or told is None:
        return None
    if facts.expected <= told + timedelta(days=policy.grace_days):
        return None
    return Decision(Kind.APOLOGY, facts.expected, with_consolation=_consolation_due(facts, policy),
                    reason=f"expected {facts.expected} is past {told} plus {policy.grace_days} grace days")


def _consolation_due(facts: Facts, policy: Policy) -> bool:
    if policy.consolation_min_slip_days is None or facts.has_consolation or facts.expected is None:
        return False
    base = facts.promised or facts.shipping_promise
    return (facts.expected - base).days >= policy.consolation_min_slip_days


def _delay_notice(facts: Facts, today: date, policy: Policy) -> Decision | None:
    """FTC Mail Order Rule: a date beyond the shipping promise (or beyond the last delay notice's
    date) means a delay notice now, with the option to cancel."""
    notices = facts.delay_notices
    if notices:
        last = notices[-1]
        if last.notified_date is None:
            return None  # the customer already knows the date is unknown; a known date is not a delay
        if facts.expected is not None and facts.expected <= last.notified_date:
            return None
        consent_required = True  # a renewed delay always needs express consent
        deadline = max(last.notified_date, today + timedelta(days=policy.delay_reply_days))
    else:
        if facts.expected is not None and facts.expected <= facts.shipping_promise:
            return None
        if facts.expected is None and today < facts.shipping_promise - timedelta(days=policy.grace_days):
            return None  # no date yet, but the promise is not close: nothing to say
        limit = facts.shipping_promise + timedelta(days=FTC_CONSENT_DAYS)
        consent_required = facts.expected is None or facts.expected > limit
        deadline = max(facts.shipping_promise, today + timedelta(days=policy.delay_reply_days))
    return Decision(Kind.DELAY_NOTICE, facts.expected, consent_required=consent_required,
                    deadline=deadline if consent_required else None,
                    with_consolation=_consolation_due(facts, policy),
                    reason=("renewed delay" if notices else "beyond the shipping promise "
                            f"{facts.shipping_promise}"))


def _lapsed_delay_notice(facts: Facts, today: date) -> Decision | None:
    """A notice that needed express consent, got none, and whose deadline has passed."""
    if not facts.delay_notices:
        return None
    last = facts.delay_notices[-1]
    if last.consent_required and last.answer is None and not last.settled and today > last.deadline:
        return Decision("expire_delay", last.notified_date, reason=f"no answer by {last.deadline}")
    return None


def lapsed_action(policy: DelayPolicy) -> str:
    """What happens to a lapsed notice: "cancel" the backordered items or "ask" the merchant."""
    return "cancel" if policy == DelayPolicy.CANCEL_AND_REFUND else "ask"
