"""Route a shop's open backorders: decide per line (drop-ship / split / wait), store the decision with
its reasons, create the drop-ship order (idempotency key stored now, before any supplier call) and
hold lines that wait (Shopify). Settings are per shop (``connector shops set S dropship.* V``)."""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from connector.db.models import Backorder, Order, OrderLine
from connector.db.uow import UnitOfWork
from connector.domain.clock import utcnow
from connector.domain.errors import ConnectorError
from connector.domain.line_promise import TOGETHER
from connector.domain.routing import (
    Action,
    Decision,
    LineFacts,
    RoutingRules,
    StoreOrderFacts,
    SupplierOffer,
    decide,
    normalise_country,
    served,
)
from connector.dropship.models import DropshipOrder, FulfillmentHoldRecord, RoutingDecision
from connector.dropship.repository import DropshipRepository
from connector.ports import StoreFulfillment
from connector.shop_settings import ShopSettingSpec, all_settings

log = logging.getLogger(__name__)

ACTIVE_ORDER_STATUSES = ("pending", "sending", "retry", "placed")


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _countries(value: Any) -> bool:
    try:
        served(value)
    except (TypeError, ValueError):
        return False
    return isinstance(value, list)


SHOP_SETTINGS: tuple[ShopSettingSpec, ...] = (
    ShopSettingSpec("dropship.enabled", False, "drop-ship backordered lines when the rules allow (true/false)",
                    lambda v: isinstance(v, bool)),
    ShopSettingSpec("dropship.min_margin_percent", 15,
                    "lowest margin left after supplier cost and drop-ship fee, in %",
                    lambda v: _number(v) and -100 <= v <= 100),
    ShopSettingSpec("dropship.max_wait_days", 7,
                    "drop-ship only when the expected restock is more days away than this",
                    lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0),
    ShopSettingSpec("dropship.served_countries", [],
                    "ISO country codes drop-shipped to, e.g. [\"US\", \"CA\"]; [] = all", _countries),
    ShopSettingSpec("dropship.fee", 0, "the supplier's drop-ship fee per order, in the shop's currency",
                    lambda v: _number(v) and v >= 0),
    ShopSettingSpec("dropship.allow_split", True,
                    "drop-ship what the supplier has and let the rest wait (true/false)",
                    lambda v: isinstance(v, bool)),
    ShopSettingSpec("dropship.notify_customer", True, "the store emails the customer the tracking when a line ships",
                    lambda v: isinstance(v, bool)),
    ShopSettingSpec("dropship.hold_waiting_lines", True,
                    "Shopify: put waiting lines on hold (INVENTORY_OUT_OF_STOCK)", lambda v: isinstance(v, bool)),
    ShopSettingSpec("dropship.shopify_location_id", None,
                    "Shopify: location gid drop-shipped lines are moved to first",
                    lambda v: v is None or (isinstance(v, str) and v.startswith("gid://shopify/Location/"))),
    ShopSettingSpec("dropship.no_dropship_tag", "no-dropship", "Shopify: orders with this tag are never drop-shipped",
                    lambda v: isinstance(v, str)),
    ShopSettingSpec("dropship.fulfillment_service", False, "Shopify: run as a fulfillment service (true/false)",
                    lambda v: isinstance(v, bool)),
)


def rules_for(uow: UnitOfWork, shop_id: int) -> tuple[RoutingRules, dict[str, Any]]:
    values = all_settings(uow, shop_id)
    rules = RoutingRules(
        enabled=bool(values["dropship.enabled"]),
        min_margin_percent=Decimal(str(values["dropship.min_margin_percent"])),
        max_wait_days=int(values["dropship.max_wait_days"]),
        served_countries=served(values["dropship.served_countries"]),
        fee=Decimal(str(values["dropship.fee"])),
        allow_split=bool(values["dropship.allow_split"]))
    return rules, values


@dataclass
class RoutingReport:
    routed: list[int] = field(default_factory=list)
    """Drop-ship order ids created (each to be placed by jobs.dropship.place_dropship_order)."""
    waiting: int = 0
    held: int = 0
    errors: list[str] = field(default_factory=list)


def _candidates(uow: UnitOfWork, shop_id: int) -> list[int]:
    """Open backorders with units still to route (not fully covered by live drop-ship orders)."""
    rows = uow.repo(DropshipRepository).open_backorders(shop_id)
    wanted = []
    for row in rows:
        covered = sum(o.quantity for o in _orders_of(uow, row.id) if o.status in (*ACTIVE_ORDER_STATUSES, "shipped"))
        if covered < row.quantity_backordered:
            wanted.append(row.id)
    return wanted


def _orders_of(uow: UnitOfWork, backorder_id: int) -> list[DropshipOrder]:
    return uow.repo(DropshipRepository).orders_of(backorder_id)


def _offers(uow: UnitOfWork, shop_id: int, sku: str | None) -> tuple[SupplierOffer, ...]:
    if not sku:
        return ()
    rows = uow.repo(DropshipRepository).stock_offers(shop_id, sku)
    offers = []
    for stock, supplier in rows:
        mode = (json.loads(supplier.settings or "{}").get("dropship") or {}).get("mode")
        offers.append(SupplierOffer(supplier.id, supplier.name, bool(stock.dropship) and mode is not None,
                                    None if stock.quantity is None else max(0, stock.quantity),
                                    None if stock.unit_cost is None else Decimal(str(stock.unit_cost))))
    return tuple(offers)


def _wait_days(backorder: Backorder, today: date) -> int | None:
    if backorder.expected_date is None:
        return None
    return max(0, (backorder.expected_date - today).days)


def route_shop(uow: UnitOfWork, store: StoreFulfillment, shop_id: int, *, today: date | None = None) -> RoutingReport:
    """Decide every open backorder of one shop; returns the drop-ship orders to place."""
    rules, values = rules_for(uow, shop_id)
    today = today or utcnow().date()
    report = RoutingReport()
    with uow:
        ids = _candidates(uow, shop_id)
    facts_cache: dict[str, StoreOrderFacts] = {}
    for backorder_id in ids:
        try:
            _route_one(uow, store, shop_id, backorder_id, rules, values, today, facts_cache, report)
        except ConnectorError as exc:  # one order's store failure must not block the others
            report.errors.append(f"backorder {backorder_id}: {exc}")
            log.warning("routing failed for a line", extra={"shop_id": shop_id, "backorder_id": backorder_id,
                                                             "error": str(exc)})
    return report


def _route_one(uow: UnitOfWork, store: StoreFulfillment, shop_id: int, backorder_id: int, rules: RoutingRules,
               values: dict[str, Any], today: date, cache: dict[str, StoreOrderFacts],
               report: RoutingReport) -> None:
    with uow:
        backorder = uow.backorders.get(backorder_id)
        assert backorder is not None
        line: OrderLine = backorder.line
        order: Order = line.order
        platform_order_id, line_id, order_id = order.platform_order_id, line.platform_line_id, order.id
        ship_choice = order.ship_choice
    if platform_order_id not in cache:
        cache[platform_order_id] = store.order_facts(platform_order_id)
    store_facts = cache[platform_order_id]
    store_line = store_facts.line(line_id)
    with uow:
        backorder = uow.backorders.get(backorder_id)
        assert backorder is not None
        covered = sum(o.quantity for o in _orders_of(uow, backorder_id)
                      if o.status in (*ACTIVE_ORDER_STATUSES, "shipped"))
        short = backorder.quantity_backordered - covered
        if store_line is not None:
            short = min(short, store_line.unfulfilled)
        facts = LineFacts(
            sku=backorder.sku, quantity_backordered=short,
            unit_price=store_line.unit_price if store_line else None,
            payment=store_facts.payment, cancelled=store_facts.cancelled or backorder.line.order.status == "cancelled",
            flagged=store_facts.flagged, fulfilled=store_line is not None and store_line.unfulfilled <= 0,
            country=normalise_country(store_facts.ship_to.country_code) if store_facts.ship_to else None,
            expected_wait_days=_wait_days(backorder, today), offers=_offers(uow, shop_id, backorder.sku))
        decision = decide(facts, rules)
        record = _record(uow, shop_id, backorder_id, decision)
        if decision.action in (Action.DROPSHIP, Action.SPLIT):
            assert decision.supplier_id is not None and store_facts.ship_to is not None
            row = DropshipOrder(
                shop_id=shop_id, backorder_id=backorder_id, supplier_id=decision.supplier_id,
                decision_id=record.id, idempotency_key=f"ds-{uuid.uuid4().hex}",
                reference=f"{backorder.line.order.name}-{line_id}-{len(_orders_of(uow, backorder_id)) + 1}",
                sku=backorder.sku or "", quantity=decision.quantity_dropship, unit_cost=decision.unit_cost,
                ship_to=json.dumps(store_facts.ship_to.as_dict()), status="pending")
            uow.repo(DropshipRepository).add(row, flush=True)
            report.routed.append(row.id)
        else:
            report.waiting += 1
        needs_hold = decision.action != Action.DROPSHIP and values["dropship.hold_waiting_lines"] and \
            not _held(uow, backorder_id) and not facts.cancelled and not facts.fulfilled
        together = order_id if needs_hold and ship_choice == TOGETHER and \
            not uow.repo(DropshipRepository).is_order_held(order_id) else None
        uow.commit()
    if needs_hold and facts.quantity_backordered > 0:
        wait_units = decision.quantity_wait or facts.quantity_backordered
        placed = store.hold(platform_order_id, line_id, wait_units, f"backorder-{backorder_id}")
        if placed is not None:
            with uow:
                uow.repo(DropshipRepository).add(FulfillmentHoldRecord(
                    shop_id=shop_id, backorder_id=backorder_id, fulfillment_order_id=placed[0], hold_id=placed[1]))
                uow.commit()
            report.held += 1
        if together is not None:
            _hold_together(uow, store, shop_id, backorder_id, together, platform_order_id, line_id, store_facts)


def _hold_together(uow: UnitOfWork, store: StoreFulfillment, shop_id: int, backorder_id: int, order_id: int,
                   platform_order_id: str, line_id: str, store_facts: StoreOrderFacts) -> None:
    """The customer chose "ship together": hold the order's other unfulfilled lines too (each its own
    hold, recorded with the order: connector/dropship/holds.py releases them once no line waits)."""
    for other in store_facts.lines:
        if other.line_id == line_id or other.unfulfilled <= 0:
            continue
        placed = store.hold(platform_order_id, other.line_id, other.unfulfilled,
                            f"together-{order_id}-{other.line_id}")
        if placed is None:
            continue
        with uow:
            uow.repo(DropshipRepository).add(FulfillmentHoldRecord(
                shop_id=shop_id, backorder_id=backorder_id, order_id=order_id,
                fulfillment_order_id=placed[0], hold_id=placed[1]))
            uow.commit()
        log.info("order held to ship together", extra={"shop_id": shop_id, "order": platform_order_id,
                                                       "line": other.line_id})


def _held(uow: UnitOfWork, backorder_id: int) -> bool:
    return uow.repo(DropshipRepository).is_held(backorder_id)


def _record(uow: UnitOfWork, shop_id: int, backorder_id: int, decision: Decision) -> RoutingDecision:
    """Store the decision; a decision equal to the last one is not stored again."""
    repo = uow.repo(DropshipRepository)
    reasons = json.dumps([{"code": r.code, "text": r.text, "passed": r.passed} for r in decision.reasons])
    last = repo.last_decision(backorder_id)
    if last is not None and last.action == decision.action.value and last.reasons == reasons \
            and decision.action == Action.WAIT:
        return last
    row = RoutingDecision(shop_id=shop_id, backorder_id=backorder_id, action=decision.action.value,
                          supplier_id=decision.supplier_id, quantity_dropship=decision.quantity_dropship,
                          quantity_wait=decision.quantity_wait, margin_percent=decision.margin_percent,
                          reasons=reasons, summary=decision.summary)
    repo.add(row, flush=True)
    log.info("line routed", extra={"shop_id": shop_id, "backorder_id": backorder_id,
                                   "action": decision.action.value, "summary": decision.summary})
    return row


def latest_decisions(uow: UnitOfWork, shop_id: int) -> list[dict[str, Any]]:
    """The last decision of every routed line, for the CLI and the demo."""
    with uow:
        repo = uow.repo(DropshipRepository)
        rows = repo.decisions(shop_id)
        last: dict[int, RoutingDecision] = {}
        for row in rows:
            last[row.backorder_id] = row
        out = []
        for backorder_id, row in sorted(last.items()):
            backorder = uow.backorders.get(backorder_id)
            assert backorder is not None
            out.append({"backorder_id": backorder_id, "order": backorder.line.order.name, "sku": backorder.sku,
                        "action": row.action, "quantity_dropship": row.quantity_dropship,
                        "quantity_wait": row.quantity_wait, "summary": row.summary,
                        "decided_at": row.decided_at.isoformat(timespec="seconds")})
        return out
