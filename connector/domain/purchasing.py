"""Purchase orders batched to the supplier's minimum: pure rules (standard library only).

Input, per supplier: each SKU's units waiting (open backorders' units not yet covered by a purchase
order, drop-ship or an allocation), its unit cost, when its oldest waiting backorder was created,
the supplier's purchasing terms and the merchant's maximum batching wait.

Rules (every check is a reason, so a proposal can be shown as it was made):

- **Minimum order quantity is per SKU line** (a supplier-wide value, overridable per SKU), and so is
  the **case pack**. A line *meets its minimum* when its units waiting reach both the MOQ and one
  full case. Units ordered = the units waiting raised to the MOQ, rounded up to whole cases.
- **Minimum order value is per order**: the lines that meet their minimum (or, with no per-SKU
  minimum, every line waiting) are worth units ordered x unit cost; it is reached when that sum is
  at least the minimum. A line without a unit cost makes the value unknown: not reached.
- Propose when a threshold the supplier has is reached: the order value where the supplier has a
  minimum value, else at least one line meeting its MOQ or case pack. A supplier with no minimum at
  all has nothing to batch for: its lines wait for the batching wait alone.
- **Maximum batching wait**: a SKU whose oldest waiting backorder has waited ``max_wait_days`` is
  ordered anyway (raised to the MOQ and case pack, which the supplier still requires), with every
  line that met its minimum. If the order is then below the supplier's minimum value it is flagged
  (``below_min_value``): the service asks the merchant to approve it even in automatic mode.
- Lines that are neither at their minimum nor overdue keep waiting.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from connector.domain.routing import Reason

CHANNELS = ("api", "email")
SHEET_FORMATS = ("csv", "pdf")
"""Purchase sheet formats sent by e-mail (PDF is not built yet: docs/purchasing.md)."""
CENT = Decimal("0.01")


def _whole(name: str, value: object, minimum: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{name} must be a whole number of at least {minimum}, got {value!r}")
    return value


@dataclass(frozen=True)
class SkuTerms:
    """A supplier's terms for one SKU (overriding its supplier-wide MOQ and case pack)."""

    min_order_quantity: int = 1
    case_pack: int = 1
    supplier_sku: str | None = None

    def __post_init__(self) -> None:
        _whole("min_order_quantity", self.min_order_quantity, 1)
        _whole("case_pack", self.case_pack, 1)

    @property
    def has_minimum(self) -> bool:
        return self.min_order_quantity > 1 or self.case_pack > 1

    @property
    def line_minimum(self) -> int:
        """Units waiting at which the line meets its minimum: the MOQ and one full case."""
        return max(self.min_order_quantity, self.case_pack)

    def order_quantity(self, needed: int) -> int:
        """Units to order for ``needed`` units: raised to the MOQ, rounded up to whole cases."""
        units = max(needed, self.min_order_quantity)
        return -(-units // self.case_pack) * self.case_pack


@dataclass(frozen=True)
class PurchasingTerms:
    """One supplier's purchasing terms (stored in its settings JSON under ``purchasing``)."""

    min_order_quantity: int = 1
    case_pack: int = 1
    min_order_value: Decimal | None = None
    currency: str | None = None
    lead_time_days: int | None = None
    channel: str = "api"
    url: str | None = None
    email: str | None = None
    sheet_format: str = "csv"
    skus: Mapping[str, SkuTerms] = field(default_factory=dict)
    receipt_feed: Mapping[str, object] | None = None
    """Where the supplier's dispatch rows naming our purchase orders are read (see ``receipt_feed``)."""

    def __post_init__(self) -> None:
        _whole("min_order_quantity", self.min_order_quantity, 1)
        _whole("case_pack", self.case_pack, 1)
        if self.min_order_value is not None and self.min_order_value < 0:
            raise ValueError(f"min_order_value must not be negative, got {self.min_order_value}")
        if self.lead_time_days is not None:
            _whole("lead_time_days", self.lead_time_days, 0)
        if self.channel not in CHANNELS:
            raise ValueError(f"channel must be one of {CHANNELS}, got {self.channel!r}")
        if self.sheet_format not in SHEET_FORMATS:
            raise ValueError(f"sheet_format must be one of {SHEET_FORMATS}, got {self.sheet_format!r}")
        if self.currency is not None and (len(self.currency) != 3 or not self.currency.isalpha()):
            raise ValueError(f"currency must be a three-letter code, got {self.currency!r}")
        if self.channel == "email" and (not self.email or "@" not in self.email):
            raise ValueError(f"channel email needs an e-mail address, got {self.email!r}")
        if self.channel == "api" and self.url is not None and not self.url.startswith(("http://", "https://")):
            raise ValueError(f"url must be an http(s) URL, got {self.url!r}")
        if self.receipt_feed is not None:
            object.__setattr__(self, "receipt_feed", receipt_feed(self.receipt_feed))

    def for_sku(self, sku: str) -> SkuTerms:
        return self.skus.get(sku) or SkuTerms(self.min_order_quantity, self.case_pack)

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> PurchasingTerms:
        """Terms from stored JSON; ValueError naming the bad value."""
        value = data.get("min_order_value")
        skus: dict[str, SkuTerms] = {}
        raw_skus = data.get("skus") or {}
        if not isinstance(raw_skus, Mapping):
            raise ValueError(f"skus must be a mapping of SKU to terms, got {raw_skus!r}")
        for sku, item in raw_skus.items():
            if not isinstance(item, Mapping):
                raise ValueError(f"terms of SKU {sku!r} must be a mapping, got {item!r}")
            skus[str(sku)] = SkuTerms(item.get("min_order_quantity", data.get("min_order_quantity", 1)),  # type: ignore[arg-type]
                                      item.get("case_pack", data.get("case_pack", 1)),  # type: ignore[arg-type]
                                      _text(item.get("supplier_sku")))
        try:
            min_value = None if value in (None, "") else Decimal(str(value))
        except ArithmeticError:
            raise ValueError(f"min_order_value must be a number, got {value!r}") from None
        return cls(min_order_quantity=data.get("min_order_quantity", 1),  # type: ignore[arg-type]
                   case_pack=data.get("case_pack", 1),  # type: ignore[arg-type]
                   min_order_value=min_value, currency=_text(data.get("currency")),
                   lead_time_days=data.get("lead_time_days"),  # type: ignore[arg-type]
                   channel=str(data.get("channel") or "api"), url=_text(data.get("url")),
                   email=_text(data.get("email")), sheet_format=str(data.get("sheet_format") or "csv"), skus=skus,
                   receipt_feed=data.get("receipt_feed") or None)  # type: ignore[arg-type]

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {"min_order_quantity": self.min_order_quantity, "case_pack": self.case_pack,
                                   "channel": self.channel, "sheet_format": self.sheet_format}
        for name in ("currency", "lead_time_days", "url", "email"):
            if getattr(self, name) is not None:
                data[name] = getattr(self, name)
        if self.min_order_value is not None:
            data["min_order_value"] = str(self.min_order_value)
        if self.receipt_feed:
            data["receipt_feed"] = dict(self.receipt_feed)
        if self.skus:
            data["skus"] = {sku: {"min_order_quantity": t.min_order_quantity, "case_pack": t.case_pack,
                                  **({"supplier_sku": t.supplier_sku} if t.supplier_sku else {})}
                            for sku, t in sorted(self.skus.items())}
        return data


RECEIPT_FEED_KEYS = ("source", "mapping", "delimiter", "encoding")
RECEIPT_FIELDS = ("sku", "po_reference", "received_quantity")


def receipt_feed(value: object) -> dict[str, object]:
    """A supplier's receipt feed settings, checked: ``mapping`` names the columns of ``po_reference`` and
    ``received_quantity`` (and ``sku``, default ``sku``); ``source`` (default: the supplier's own feed
    source), ``delimiter`` and ``encoding`` as for a stock feed. ValueError naming the bad value."""
    if not isinstance(value, Mapping):
        raise ValueError(f"receipt_feed must be a mapping, got {value!r}")
    unknown = sorted(set(value) - set(RECEIPT_FEED_KEYS))
    if unknown:
        raise ValueError(f"receipt_feed has unknown key(s) {unknown}; known: {list(RECEIPT_FEED_KEYS)}")
    mapping = value.get("mapping")
    if not isinstance(mapping, Mapping) or set(mapping) - set(RECEIPT_FIELDS):
        raise ValueError(f"receipt_feed.mapping must map some of {list(RECEIPT_FIELDS)} to columns, got {mapping!r}")
    for name in ("po_reference", "received_quantity"):
        if not isinstance(mapping.get(name), str) or not str(mapping[name]).strip():
            raise ValueError(f"receipt_feed.mapping must name the {name} column")
    source = value.get("source")
    if source is not None and (not isinstance(source, str) or not source.strip()):
        raise ValueError(f"receipt_feed.source must be a path or URL, got {source!r}")
    return {k: (dict(v) if isinstance(v, Mapping) else v) for k, v in value.items() if v is not None}


@dataclass(frozen=True)
class FeedReceipt:
    """A supplier feed row naming one of our purchase orders: units of a SKU shipped for it so far."""

    po_reference: str
    """Our reference (``PO-<id>``) or the supplier's order number."""
    sku: str
    """Our SKU or the supplier's code for it."""
    quantity: int
    """Units shipped so far for this order line (cumulative, like the supplier's API answer)."""
    line: int = 0


def _text(value: object) -> str | None:
    return None if value in (None, "") else str(value)


@dataclass(frozen=True)
class SkuDemand:
    """Units of one SKU waiting for this supplier."""

    sku: str
    units: int
    unit_cost: Decimal | None
    oldest_since: datetime
    """When the oldest backorder still waiting for these units was created."""


@dataclass(frozen=True)
class ProposedLine:
    sku: str
    supplier_sku: str
    quantity_needed: int
    quantity: int
    """Units ordered (after the MOQ and case-pack rounding)."""
    unit_cost: Decimal | None

    @property
    def value(self) -> Decimal | None:
        return None if self.unit_cost is None else (self.unit_cost * self.quantity).quantize(CENT)


@dataclass(frozen=True)
class Proposal:
    """The verdict for one supplier: a purchase order to propose (``lines``), or none, with reasons."""

    trigger: str | None
    """min_order_quantity | case_pack | min_order_value | max_wait; None: nothing to order yet."""
    lines: tuple[ProposedLine, ...]
    reasons: tuple[Reason, ...]
    below_min_value: bool = False

    @property
    def propose(self) -> bool:
        return self.trigger is not None and bool(self.lines)

    @property
    def total_units(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def total_value(self) -> Decimal | None:
        return _value(self.lines)


def _value(lines: Iterable[ProposedLine]) -> Decimal | None:
    values = [line.value for line in lines]
    if any(v is None for v in values):
        return None
    return sum((v for v in values if v is not None), Decimal("0.00"))


def propose(demands: Sequence[SkuDemand], terms: PurchasingTerms, *, now: datetime,
            max_wait_days: int) -> Proposal:
    """Whether to propose a purchase order to this supplier now, for which lines, and why."""
    _whole("max_wait_days", max_wait_days, 0)
    reasons: list[Reason] = []
    at_minimum: list[ProposedLine] = []
    overdue: list[ProposedLine] = []
    binding: set[str] = set()
    any_sku_minimum = any_late = False
    for demand in sorted((d for d in demands if d.units > 0), key=lambda d: d.sku):
        sku_terms = terms.for_sku(demand.sku)
        line = ProposedLine(demand.sku, sku_terms.supplier_sku or demand.sku, demand.units,
                            sku_terms.order_quantity(demand.units), demand.unit_cost)
        if sku_terms.min_order_quantity > 1:
            reasons.append(Reason("min_order_quantity", f"{demand.sku}: {demand.units} waiting, supplier "
                                  f"minimum {sku_terms.min_order_quantity}",
                                  demand.units >= sku_terms.min_order_quantity))
        if sku_terms.case_pack > 1:
            reasons.append(Reason("case_pack", f"{demand.sku}: {demand.units} waiting, case pack "
                                  f"{sku_terms.case_pack}, {line.quantity} would be ordered",
                                  demand.units >= sku_terms.case_pack))
        any_sku_minimum = any_sku_minimum or sku_terms.has_minimum
        waited = now - demand.oldest_since
        late = waited >= timedelta(days=max_wait_days)
        reasons.append(Reason("max_wait", f"{demand.sku}: oldest backorder waiting {waited.days} day(s), "
                              f"batching wait {max_wait_days} day(s)", late))
        if sku_terms.has_minimum and demand.units >= sku_terms.line_minimum:
            at_minimum.append(line)
            binding.add("min_order_quantity" if sku_terms.min_order_quantity >= sku_terms.case_pack
                        else "case_pack")
            any_late = any_late or late
        elif not sku_terms.has_minimum and terms.min_order_value is not None:
            at_minimum.append(line)  # no per-line minimum: every line counts toward the order value
            any_late = any_late or late
        elif late:
            overdue.append(line)
    trigger: str | None = None
    if terms.min_order_value is not None:
        value = _value(at_minimum)
        reached = bool(at_minimum) and value is not None and value >= terms.min_order_value
        shown = "unknown (a unit cost is missing)" if value is None else f"{value}"
        reasons.append(Reason("min_order_value", f"lines at their minimum worth {shown} "
                              f"{terms.currency or ''}".rstrip() + f", supplier minimum {terms.min_order_value}",
                              reached))
        if reached:
            trigger = "min_order_value"
    elif at_minimum:
        trigger = "min_order_quantity" if "min_order_quantity" in binding else "case_pack"
    if trigger is None and (overdue or any_late):
        trigger = "max_wait"
    if trigger is None:
        if not any_sku_minimum and terms.min_order_value is None and demands:
            reasons.append(Reason("no_minimum", "the supplier has no minimum: lines wait for the batching "
                                  "wait alone", True))
        return Proposal(None, (), tuple(reasons))
    lines = tuple(sorted([*at_minimum, *overdue], key=lambda line: line.sku))
    total = _value(lines)
    below = terms.min_order_value is not None and (total is None or total < terms.min_order_value)
    if below:
        reasons.append(Reason("below_min_value", f"ordered for the batching wait although worth "
                              f"{'an unknown amount' if total is None else total}, under the supplier's "
                              f"minimum {terms.min_order_value}: needs the merchant's approval", False))
    return Proposal(trigger, lines, tuple(reasons), below)


@dataclass(frozen=True)
class PurchaseOrderLineRequest:
    sku: str
    supplier_sku: str
    quantity: int
    unit_cost: Decimal | None
    title: str = ""
    """The product's name as the store's orders give it (for the purchase sheet a person reads)."""

    @property
    def total(self) -> Decimal | None:
        return None if self.unit_cost is None else self.unit_cost * self.quantity


@dataclass(frozen=True)
class PurchaseOrderRequest:
    """What is sent to the supplier: our reference (``PO-<id>``), the lines, the currency."""

    reference: str
    lines: tuple[PurchaseOrderLineRequest, ...]
    currency: str | None = None
    buyer: str = ""
    """The shop, as the supplier knows its customer."""
    ordered_on: date | None = None
    """The day it is sent."""
    expected_date: date | None = None
    """The delivery day the shop expects (the day sent + the supplier's lead time), None when unknown."""

    @property
    def total_units(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def total_value(self) -> Decimal | None:
        """Sum of the line totals; None when a line's unit cost is unknown."""
        totals = [line.total for line in self.lines]
        return None if any(t is None for t in totals) else sum((t for t in totals if t is not None), Decimal(0))


@dataclass(frozen=True)
class PurchaseOrderAnswer:
    """The supplier's word on one purchase order."""

    reference: str
    """The supplier's reference (for e-mail: the Message-ID sent)."""
    status: str
    """accepted | sent | shipped | partially_delivered | delivered | rejected | cancelled"""
    expected_date: date | None = None
    delivered: Mapping[str, int] = field(default_factory=dict)
    """Units delivered so far per SKU (ours), cumulative."""
    reason: str | None = None


def purchase_message_id(idempotency_key: str) -> str:
    """The Message-ID of the e-mail that carries a purchase order: derived from its key, so every
    attempt (and a resend the merchant asks for) is recognisably the same order."""
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
    return f"<po-{digest}@backorder-connector>"
