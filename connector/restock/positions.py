"""One stock position's evaluation: did stock arrive, who gets it, and who stays short.

Capture's re-evaluation (connector/capture/capture.py ``reevaluate``) hands every position it reads
here, whether an order, an inventory webhook or the periodic stock read asked for it:

- units in hand for the position's open lines = their claimed units minus the store's shortage; on
  a stock event (inventory webhook, WooCommerce product update, the periodic stock read) an increase
  since the last evaluation (``stock_positions.in_hand``), less the purchase-order credit, is stock
  that arrived: it is allocated first come, first served to the backorders still short (source
  'store_stock', the shop's priority tags and whole-lines option applied). Units the store counted in
  while units of the SKU were on order make the position's purchase-order balance negative (up to the
  units on order): the receipt that names them later is matched against them and allocates only the
  rest (connector/domain/allocation.py ``counted_in``). An order event only records the figure as
  the new baseline: the store may have counted that order long before the connector captured it. A
  line that stops being short on an order event (an order edit took units off, another order was
  cancelled) is withdrawn ("not short after all"), not allocated. Limitation: when an order event of
  the same position is processed between an arrival and its stock event, the arrival becomes part of
  that baseline and the lines it frees are withdrawn (their holds are released all the same);
- units set aside (allocated, not yet shipped) stay with their backorder: the rest of the units in
  hand cover the other lines by order time, and the orders placed last carry the shortage (priority
  tags and whole lines first never move a shortage onto an earlier order: they decide only who gets
  arriving units).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from connector.db.models import OrderLine
from connector.db.uow import UnitOfWork
from connector.domain.allocation import Claim, allocate_units, arrived, assign_shortage, counted_in, priority_tag_of
from connector.domain.clock import utcnow
from connector.domain.model import BackorderStatus, StockLevel
from connector.restock.allocation import grant_entity
from connector.restock.models import StockPosition
from connector.restock.repository import RestockRepository
from connector.restock.settings import AllocationPolicy, policy

log = logging.getLogger(__name__)

WAITING = (BackorderStatus.OPEN, BackorderStatus.ALLOCATED)


class LineView(Protocol):
    """An open line as re-evaluation reads it (capture's ``_OpenLine``)."""

    @property
    def id(self) -> int: ...
    @property
    def order_id(self) -> str: ...
    @property
    def line_id(self) -> str: ...
    @property
    def ordered_at(self) -> datetime: ...
    @property
    def quantity(self) -> int: ...
    @property
    def claim(self) -> int: ...
    @property
    def backordered_meta(self) -> int | None: ...
    @property
    def backorder_status(self) -> str | None: ...
    @property
    def backorder_quantity(self) -> int | None: ...
    @property
    def shipped(self) -> int | None: ...
    @property
    def allocated(self) -> int | None: ...
    @property
    def tags(self) -> str | None: ...


@dataclass
class Settlement:
    """What one position's evaluation decided."""

    wanted: dict[int, int] = field(default_factory=dict)
    """Line id -> units its backorder should count (short + shipped + set aside)."""
    grants: dict[int, int] = field(default_factory=dict)
    """Line id -> units of arrived stock to set aside for its backorder now."""
    reference: str | None = None
    """The arrival's reference (source 'store_stock') when units arrived."""
    reasons: list[str] = field(default_factory=list)


def _waiting(line: LineView) -> bool:
    return line.backorder_status in WAITING


def _pinned(line: LineView, extra: int = 0) -> int:
    """Units set aside for the line's backorder and not shipped yet."""
    if not _waiting(line):
        return 0
    return max(0, (line.allocated or 0) + extra - (line.shipped or 0))


def _shipped(line: LineView) -> int:
    return (line.shipped or 0) if _waiting(line) else 0


def settle(key: str, level: StockLevel, lines: Sequence[LineView], position: StockPosition | None,
           rules: Callable[[], AllocationPolicy], now: datetime, *, count_arrivals: bool = True,
           on_order: Callable[[], int] = lambda: 0) -> tuple[Settlement, int | None, int]:
    """Evaluate one position the store reported; returns the settlement, the units in hand to record
    (None when the store does not count the position) and the position's purchase-order balance
    (``stock_positions.credit``, connector/domain/allocation.py ``counted_in``).

    ``count_arrivals`` is False when an order event asked: the store's figure may already count an
    order the connector captures only now, so an increase of the units in hand then is no arrival;
    the figure is recorded as the new baseline. ``rules`` gives the shop's policy, asked only when
    arriving units are to be shared; ``on_order`` the SKU's units still to come on open purchase
    orders, asked only when the store counted units in that no receipt named."""
    result = Settlement()
    balance = position.credit if position is not None and position.credit else 0
    credit = max(0, balance)
    counted = level.tracked and level.available is not None
    in_hand = sum(line.claim for line in lines) - level.shortage if counted else None
    if in_hand is not None and count_arrivals:
        before = position.in_hand if position is not None else None
        units, credit, reasons = arrived(before, in_hand, credit)
        result.reasons += reasons
        if before is not None and position is not None:
            if credit > 0:
                balance = credit  # the receipts are still ahead of the store's count
            else:
                # every unit the store holds for the position (its open lines' and the free ones) more
                # than before, beyond the credit just consumed: while units are on order, they may be
                # the ones a receipt names later
                stocked = (in_hand + max(0, level.available or 0)) - (before + max(0, position.available or 0))
                extra, balance = stocked - max(0, balance), min(0, balance)
                if extra > 0 or balance < 0:  # (a stock read also lets go of units no order expects now)
                    balance, more = counted_in(balance, extra, on_order())
                    result.reasons += more
        short = [line for line in lines if line.backorder_status == BackorderStatus.OPEN
                 and (line.backorder_quantity or 0) - (line.allocated or 0) > 0]
        if units > 0 and short:
            result.reference = f"{key}:{before}->{in_hand}@{now.isoformat()}"[:255]
            claims = {(line.order_id, line.line_id): line for line in short}
            policy_now = rules()
            grants = allocate_units(units, [
                Claim(line.order_id, line.line_id, line.ordered_at,
                      (line.backorder_quantity or 0) - (line.allocated or 0),
                      priority_tag_of(line.tags, policy_now.priority_tags)) for line in short],
                whole_lines_first=policy_now.whole_lines_first)
            for grant in grants:
                result.grants[claims[(grant.order_id, grant.line_id)].id] = grant.quantity
    meta = [line for line in lines if line.backordered_meta is not None]
    pooled = [line for line in lines if line.backordered_meta is None]
    meta_in_hand = 0
    for line in meta:
        wanted = min(line.backordered_meta or 0, line.quantity)
        result.wanted[line.id] = wanted
        still_short = max(0, wanted - _shipped(line) - _pinned(line, result.grants.get(line.id, 0)))
        meta_in_hand += max(0, line.claim - still_short)
    free = ((in_hand if in_hand is not None else sum(line.claim for line in lines)) + credit - meta_in_hand
            - sum(_pinned(line, result.grants.get(line.id, 0)) for line in pooled))
    needs = {line.id: max(0, line.claim - _pinned(line, result.grants.get(line.id, 0))) for line in pooled}
    shortage = max(0, sum(needs.values()) - max(0, free))
    # The shortage stays with the orders placed last, by order time alone: units in hand are never
    # taken from an earlier order, whatever a later one's tags (priority tags and whole lines first
    # decide only who gets arriving units, above).
    assigned = assign_shortage(shortage, [
        Claim(line.order_id, line.line_id, line.ordered_at, needs[line.id]) for line in pooled])
    for line in pooled:
        result.wanted[line.id] = (assigned[(line.order_id, line.line_id)] + _shipped(line)
                                  + _pinned(line, result.grants.get(line.id, 0)))
    return result, in_hand, balance


class PositionEvaluation:
    """Restock's part of one re-evaluation of a shop's stock positions (inside ``with uow:``, under
    the shop lock): ``settle`` each position the store reported, then ``grant`` each loaded line."""

    def __init__(self, uow: UnitOfWork, shop_id: int, keys: Sequence[str], *, count_arrivals: bool = False) -> None:
        self.uow = uow
        self.count_arrivals = count_arrivals
        self.shop_id = shop_id
        self.now = utcnow()
        self._keys = list(keys)
        self._positions: dict[str, StockPosition] | None = None
        self._rules: AllocationPolicy | None = None
        self.grants: dict[int, tuple[int, str]] = {}
        """Line id -> (units to set aside for its backorder, the arrival's reference)."""
        self.granted_backorders: list[int] = []

    def settle(self, key: str, level: StockLevel, lines: Sequence[LineView]) -> dict[int, int]:
        """Units each line's backorder should count; records the arrival and the position's new figures."""
        repo = self.uow.repo(RestockRepository)
        if self._positions is None:
            self._positions = repo.positions(self.shop_id, self._keys)
        position = self._positions.get(key)
        sku = level.sku or (position.sku if position is not None else None)

        def on_order() -> int:
            """The SKU's units still to come on open purchase orders (the lines' SKU if the store names none)."""
            nonlocal sku
            sku = sku or repo.sku_of_key(self.shop_id, key)
            return repo.units_on_order(self.shop_id, [sku]).get(sku, 0) if sku else 0

        result, in_hand, credit = settle(key, level, lines, position, self._policy, self.now,
                                           count_arrivals=self.count_arrivals, on_order=on_order)
        if result.reference is not None:
            units = sum(result.grants.values())
            self.grants.update({line_id: (quantity, result.reference) for line_id, quantity in result.grants.items()})
            repo.add_arrivals([{"shop_id": self.shop_id, "source": "store_stock", "reference": result.reference,
                                "sku": level.sku, "stock_key": key, "units": units, "units_allocated": units,
                                "received_at": self.now}])
            log.info("store stock arrived", extra={"shop_id": self.shop_id, "stock_key": key, "allocated": units,
                                                   "reasons": result.reasons})
        if position is None:
            if in_hand is not None:
                self._positions[key] = repo.add_position(StockPosition(
                    shop_id=self.shop_id, stock_key=key, sku=sku, available=level.available, in_hand=in_hand,
                    credit=credit, evaluated_at=self.now, inventory_item_id=level.inventory_item_id))
        else:
            if (position.in_hand, position.credit, position.available) != (in_hand, credit, level.available):
                position.in_hand, position.credit, position.available = in_hand, credit, level.available
                position.evaluated_at = self.now
                if sku and not position.sku:
                    position.sku = sku
            if level.inventory_item_id and position.inventory_item_id != level.inventory_item_id:
                position.inventory_item_id = level.inventory_item_id  # inventory_levels/update names the item
        return result.wanted

    def _policy(self) -> AllocationPolicy:
        if self._rules is None:
            self._rules = policy(self.uow, self.shop_id)
        return self._rules

    def grant(self, line: OrderLine) -> bool:
        """Set aside the units granted to this loaded line's backorder; True when it got any."""
        found = self.grants.get(line.id)
        if found is None or line.backorder is None:
            return False
        quantity, reference = found
        grant_entity(self.uow, self.shop_id, line.backorder, quantity, source="store_stock", reference=reference)
        self.granted_backorders.append(line.backorder.id)
        return True
