"""Who carries a stock position's shortage.

When a variant is oversold by N units, the N units short belong to the orders placed last:
the earlier customers bought stock that existed. Assigning by order time, not by the order in
which webhooks happened to arrive, makes late, repeated or out-of-order deliveries converge on
the same answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Claim:
    """One open order line drawing on a stock position."""

    order_id: str
    line_id: str
    ordered_at: datetime
    quantity: int


def _order_key(claim: Claim) -> tuple[datetime, int, str, int, str]:
    # Ties on time are broken by platform ids, numerically where they are numbers,
    # so every evaluation orders the same claims the same way.
    def numeric(value: str) -> tuple[int, str]:
        return (int(value), "") if value.isdigit() else (0, value)

    order_num, order_text = numeric(claim.order_id)
    line_num, line_text = numeric(claim.line_id)
    return (claim.ordered_at, order_num, order_text, line_num, line_text)


def assign_shortage(shortage: int, claims: Iterable[Claim]) -> dict[tuple[str, str], int]:
    """Units short per (order_id, line_id), latest orders first; every claim gets an entry.

    >>> from datetime import datetime, timezone
    >>> t = lambda h: datetime(2026, 1, 1, h, tzinfo=timezone.utc)
    >>> assign_shortage(3, [Claim("1", "a", t(1), 2), Claim("2", "b", t(2), 2)])
    {('2', 'b'): 2, ('1', 'a'): 1}
    """
    remaining = max(0, shortage)
    result: dict[tuple[str, str], int] = {}
    for claim in sorted(claims, key=_order_key, reverse=True):
        take = min(remaining, max(0, claim.quantity))
        result[(claim.order_id, claim.line_id)] = take
        remaining -= take
    return result
