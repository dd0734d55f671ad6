"""Who carries a stock position's shortage, and who gets the units that arrive.

First come, first served: the earlier order goes first; ties on time are broken by platform ids
(numerically where they are numbers), so every evaluation ranks the same claims the same way.
Assigning by order time, not by the order in which webhooks happened to arrive, makes late, repeated
or out-of-order deliveries converge on the same answer.

Arriving units go down the ranking with the merchant's choices: an order carrying one of the
merchant's priority tags goes before every order without one, and with whole lines first (off by
default) units first go, down the ranking, to the lines they can fill completely, what is left then
to the first line still short. The shortage of the stock in hand is assigned by order time alone
(callers give claims without a priority tag and leave whole lines first off): it stays with the orders
placed last, so a later order never takes units an earlier customer was told were in stock.

A delivered case may be seen twice, by a purchase-order receipt and by the store's own count;
``arrived`` and ``counted_in`` keep one signed balance per stock position so it is allocated once,
whichever comes first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import NamedTuple


class Claim(NamedTuple):
    """One open order line drawing on a stock position (``quantity``: the units it still needs).
    A named tuple: allocation builds one per waiting line, a hundred thousand at a time."""

    order_id: str
    line_id: str
    ordered_at: datetime
    quantity: int
    priority_tag: str | None = None
    """The merchant's priority tag the order carries, None when it carries none."""

    @property
    def key(self) -> tuple[str, str]:
        return (self.order_id, self.line_id)


class Grant(NamedTuple):
    """Units given to one claim. The reasons, in the words shown to a merchant, are rendered from the
    compact facts kept here only when read (``reasons``): an allocation of thousands of lines keeps
    numbers, not text."""

    order_id: str
    line_id: str
    quantity: int
    needed: int
    rank: int
    """Its place in the ranking (1 = first served)."""
    ordered_at: datetime
    priority_tag: str | None = None
    whole_lines_first: bool = False
    """The merchant's whole-lines option was on for this allocation."""
    passed_over_with: int | None = None
    """Whole lines first passed this claim over while this many units were left (None: not passed over)."""

    @property
    def complete(self) -> bool:
        return self.quantity >= self.needed

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why the claim got these units, in the words shown to a merchant."""
        reasons = [f"ordered {self.ordered_at.isoformat()}, number {self.rank} in line"]
        if self.priority_tag is not None:
            reasons.insert(0, f"priority tag '{self.priority_tag}' goes before orders without one")
        if self.passed_over_with is not None:
            reasons.append(f"whole lines first: needed {self.needed} with {self.passed_over_with} left, "
                           "so complete lines after it went first")
        elif self.whole_lines_first and self.quantity >= self.needed:
            reasons.append("whole lines first: the line could be filled completely")
        reasons.append(f"{self.quantity} of {self.needed} units needed"
                       + ("" if self.quantity >= self.needed else ": the rest waits for the next arrival"))
        return tuple(reasons)


def _numeric(value: str) -> tuple[int, str]:
    return (int(value), "") if value.isdigit() else (0, value)


def rank_key(claim: Claim) -> tuple[bool, datetime, int, str, int, str]:
    """Sort key of the ranking: priority orders first, then the earliest order, then platform ids
    (numerically where they are numbers)."""
    order_id, line_id = claim.order_id, claim.line_id
    order_digits, line_digits = order_id.isdigit(), line_id.isdigit()
    return (claim.priority_tag is None, claim.ordered_at,
            int(order_id) if order_digits else 0, "" if order_digits else order_id,
            int(line_id) if line_digits else 0, "" if line_digits else line_id)


def ranked(claims: Iterable[Claim]) -> list[Claim]:
    return sorted(claims, key=rank_key)


def priority_tag_of(order_tags: str | None, priority_tags: Sequence[str]) -> str | None:
    """The first of the merchant's priority tags the order carries (case and spaces ignored).

    >>> priority_tag_of("wholesale, VIP ", ["vip"])
    'vip'
    >>> priority_tag_of(None, ["vip"]) is None
    True
    """
    if not order_tags or not priority_tags:
        return None
    carried = {tag.strip().casefold() for tag in order_tags.split(",") if tag.strip()}
    for tag in priority_tags:
        if tag.strip().casefold() in carried:
            return tag
    return None


def order_tags(value: object) -> str | None:
    """A store's order tags (Shopify REST: one comma-separated string; GraphQL: a list) as one
    comma-separated string, blanks dropped: "" when the order has none, None when the payload does not
    say (so a read without tags never clears the stored ones).

    >>> order_tags(["vip", " wholesale "])
    'vip, wholesale'
    >>> order_tags(""), order_tags(None)
    ('', None)
    """
    if isinstance(value, str):
        parts = value.split(",")
    elif isinstance(value, list | tuple):
        parts = [str(tag) for tag in value if isinstance(tag, str)]
    else:
        return None
    return ", ".join(tag.strip() for tag in parts if tag.strip())


def allocate_units(units: int, claims: Iterable[Claim], *, whole_lines_first: bool = False) -> list[Grant]:
    """Give ``units`` down the ranking; one Grant per claim that gets units, in ranking order.

    >>> from datetime import datetime, timezone
    >>> t = lambda h: datetime(2026, 1, 1, h, tzinfo=timezone.utc)
    >>> [(g.order_id, g.quantity) for g in allocate_units(3, [Claim("2", "b", t(2), 2), Claim("1", "a", t(1), 2)])]
    [('1', 2), ('2', 1)]
    """
    order = ranked(claim for claim in claims if claim.quantity > 0)
    remaining = max(0, units)
    if remaining <= 0 or not order:
        return []
    given = [0] * len(order)
    passed_over: dict[int, int] = {}
    if whole_lines_first:
        for index, claim in enumerate(order):
            if claim.quantity <= remaining:
                given[index] = claim.quantity
                remaining -= claim.quantity
            elif remaining > 0:
                passed_over[index] = remaining
    if remaining > 0:
        for index, claim in enumerate(order):
            if not given[index]:
                take = min(remaining, claim.quantity)
                given[index] = take
                remaining -= take
                if remaining <= 0:
                    break
    return [Grant(claim.order_id, claim.line_id, given[index], claim.quantity, index + 1, claim.ordered_at,
                  claim.priority_tag, whole_lines_first, passed_over.get(index))
            for index, claim in enumerate(order) if given[index] > 0]


def cover(units: int, claims: Iterable[Claim], *, whole_lines_first: bool = False) -> dict[tuple[str, str], int]:
    """Units covered per (order_id, line_id) when ``units`` go down the ranking; every claim gets an entry."""
    claims = list(claims)
    covered = {claim.key: 0 for claim in claims}
    for grant in allocate_units(units, claims, whole_lines_first=whole_lines_first):
        covered[(grant.order_id, grant.line_id)] = grant.quantity
    return covered


def assign_shortage(shortage: int, claims: Iterable[Claim], *,
                    whole_lines_first: bool = False) -> dict[tuple[str, str], int]:
    """Units short per (order_id, line_id), the end of the ranking first; every claim gets an entry.

    The units in hand (claimed units minus the shortage) cover the claims down the ranking
    (``cover``); what they leave uncovered is short.

    >>> from datetime import datetime, timezone
    >>> t = lambda h: datetime(2026, 1, 1, h, tzinfo=timezone.utc)
    >>> assign_shortage(3, [Claim("1", "a", t(1), 2), Claim("2", "b", t(2), 2)])
    {('2', 'b'): 2, ('1', 'a'): 1}
    """
    claims = list(claims)
    total = sum(max(0, claim.quantity) for claim in claims)
    covered = cover(total - max(0, shortage), claims, whole_lines_first=whole_lines_first)
    return {claim.key: max(0, claim.quantity) - covered[claim.key]
            for claim in sorted(claims, key=rank_key, reverse=True)}


def arrived(in_hand_before: int | None, in_hand_now: int, credit: int) -> tuple[int, int, list[str]]:
    """Units that arrived at a stock position between two evaluations, from absolute figures.

    ``in_hand`` is the units in hand for the position's open lines (claimed units minus the store's
    shortage): a new order or a cancellation moves claims and availability together and leaves it
    unchanged; a shipment takes units and claims together; only stock coming in raises it. ``credit``
    is the units already allocated from a purchase-order receipt the store did not count yet: an
    increase consumes it first. Returns (units arrived, credit left, reasons).

    >>> arrived(2, 6, 0)
    (4, 0, ['units in hand went from 2 to 6: 4 arrived'])
    >>> arrived(2, 6, 3)[:2]
    (1, 0)
    >>> arrived(None, 6, 0)[:2]
    (0, 0)
    """
    if in_hand_before is None:
        return 0, credit, [f"first evaluation of the position ({in_hand_now} in hand): nothing counted as arrived"]
    increase = in_hand_now - in_hand_before
    if increase <= 0:
        return 0, credit, [f"units in hand went from {in_hand_before} to {in_hand_now}: nothing arrived"]
    reasons = [f"units in hand went from {in_hand_before} to {in_hand_now}: {increase} arrived"]
    used = min(credit, increase)
    if used:
        reasons.append(f"{used} of them were already allocated from a purchase-order receipt")
    return increase - used, credit - used, reasons


def counted_in(balance: int, counted: int, on_order: int) -> tuple[int, list[str]]:
    """A stock position's purchase-order balance after the store counted in ``counted`` units that no
    purchase-order credit explained. Returns (balance, reasons).

    The balance is one signed figure per position (``stock_positions.credit``): positive, units a
    receipt allocated that the store's count does not show yet (the store's next increase consumes
    them); negative, units the store counted in while they were on order and that no receipt named
    yet (the next receipt of the SKU is matched against them first and allocates only the rest). Either
    way a delivered case is allocated once, whichever of the two sees it first. The negative side never
    exceeds ``on_order``, the SKU's units still to come on open purchase orders: stock counted in beyond
    what is on order is no purchase order's (a return, a correction), and units of an order cancelled
    or received meanwhile stop being expected.

    >>> counted_in(0, 6, 6)
    (-6, ['6 counted in while 6 were on order: a receipt of them allocates nothing again'])
    >>> counted_in(-6, 6, 8)[0], counted_in(-6, 0, 2)[0], counted_in(0, 3, 0)[0], counted_in(2, 3, 9)[0]
    (-8, -2, 0, 2)
    """
    if balance > 0:
        return balance, []  # the receipts are ahead: the store's increase consumed credit first
    ahead = min(-balance + max(0, counted), max(0, on_order))
    reasons = []
    if counted > 0 and ahead > -balance:
        reasons.append(f"{ahead + balance} counted in while {on_order} were on order: "
                       "a receipt of them allocates nothing again")
    return -ahead, reasons
