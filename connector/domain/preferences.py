"""How a customer wants to be told about a backordered order (the customer's page, issue 14).

Pure rules, standard library only. Each customer message kind belongs to one class:

- ``required``: what the law (the FTC Mail Order Rule) or the customer's own action calls for: the
  delay notice with its choice to cancel, and the confirmation of the customer's answer (cancelled or kept
  waiting). Always sent.
- ``shipping``: a message about the items leaving the warehouse. The connector sends none today (the
  store's own shipping confirmation does that); a kind added later joins here.
- ``change``: news about dates: the backorder notice with its expected date, the apology with a new date.

A kind not listed is a ``change``; merchant messages (a recipient other than the customer) are never
filtered here.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Frequency(enum.StrEnum):
    EVERY_CHANGE = "every_change"
    """Every message (the default when the customer chose nothing)."""
    WHEN_SHIPS = "when_ships"
    """Only when the items ship, and what the law requires."""
    REQUIRED_ONLY = "required_only"
    """No e-mails except what the law requires."""


REQUIRED_KINDS = frozenset({"delay_notice", "cancelled", "wait_confirmed"})
SHIPPING_KINDS: frozenset[str] = frozenset()
"""Customer message kinds about shipping (none today: the store's shipping confirmation tells)."""

ALLOWED_CLASSES = {
    Frequency.EVERY_CHANGE: frozenset({"required", "shipping", "change"}),
    Frequency.WHEN_SHIPS: frozenset({"required", "shipping"}),
    Frequency.REQUIRED_ONLY: frozenset({"required"}),
}
WORDS = {
    Frequency.EVERY_CHANGE: "every change",
    Frequency.WHEN_SHIPS: "only when it ships",
    Frequency.REQUIRED_ONLY: "no e-mails except what the law requires",
}


def kind_class(kind: str) -> str:
    """``required``, ``shipping`` or ``change``."""
    if kind in REQUIRED_KINDS:
        return "required"
    return "shipping" if kind in SHIPPING_KINDS else "change"


def parse_frequency(value: str) -> Frequency:
    """The Frequency named ``value``; ValueError naming it when there is none."""
    try:
        return Frequency(value)
    except ValueError:
        raise ValueError(f"unknown notification choice {value[:40]!r}; choose one of "
                         f"{', '.join(f.value for f in Frequency)}") from None


@dataclass(frozen=True)
class Verdict:
    send: bool
    reason: str


def may_send(frequency: Frequency | None, kind: str) -> Verdict:
    """Whether a customer message of ``kind`` may go to a customer who chose ``frequency``, and why."""
    if frequency is None:
        return Verdict(True, "the customer chose nothing: every change is told")
    cls = kind_class(kind)
    if cls in ALLOWED_CLASSES[frequency]:
        return Verdict(True, f"the customer chose {WORDS[frequency]}; a {kind} is {cls}")
    return Verdict(False, f"withheld: the customer chose {WORDS[frequency]} on the order page "
                          f"(a {kind} is {cls} news)")
