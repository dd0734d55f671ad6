"""The bodies of the payment jobs (jobs/payments.py is a thin shell): one collection pass over a shop's
orders whose goods are ready or shipped, one expiry watch, and the manual capture of one order. Each
reads the shop's ``payments.*`` settings; each is safe to run twice (charges.py never charges twice)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from connector.db.uow import UnitOfWork
from connector.domain.errors import OutcomeUncertain, PermanentError, PlatformRejected
from connector.domain.payments import ShopRoute, shop_route
from connector.payments.charges import collect
from connector.payments.expiry import watch_expiry
from connector.payments.repository import PaymentsRepository
from connector.payments.rows import Outcome
from connector.payments.selling_plans import plan_of_order
from connector.ports import SellingPlans, StorePayments
from connector.shop_settings import all_settings, get_setting

log = logging.getLogger(__name__)

ALERTING = ("declined", "failed")
"""Outcome states that recorded a merchant alert."""


@dataclass
class PassReport:
    """What one pass over a shop did."""

    shop_id: int
    outcomes: list[Outcome] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)
    """Order id -> why it was not settled this time (the next pass tries again)."""
    alerts: int = 0
    route: ShopRoute | None = None
    """The shop's payment route the pass followed."""

    def describe(self) -> str:
        if self.route is not None and not self.route.on:
            return "payments.route none: nothing collected"
        moved = [o for o in self.outcomes if o.action in ("captured", "balance charged")
                 or o.state in ALERTING or o.action == "merchant alerted"]
        return (f"{len(self.outcomes)} order(s) looked at, {len(moved)} with money moved or the merchant told, "
                f"{len(self.failed)} left for the next pass")


def route(uow: UnitOfWork, shop_id: int) -> ShopRoute:
    """The shop's payment route (``payments.route``; the deprecated ``payments.enabled`` read as
    ``authorization`` while the route is none): connector/domain/payments.py ``shop_route``."""
    return shop_route(all_settings(uow, shop_id))


def enabled(uow: UnitOfWork, shop_id: int) -> bool:
    """Whether the shop's payment route collects anything (passes and the expiry watch run)."""
    return route(uow, shop_id).on


def _plan_lookup(uow: UnitOfWork, plans: SellingPlans | None, shop_id: int,
                 chosen: ShopRoute) -> Callable[[str], bool] | None:
    if plans is None or chosen.route != "selling_plan":
        return None
    return lambda order_id: plan_of_order(uow, plans, shop_id, order_id)


def platform_of(uow: UnitOfWork, shop_id: int) -> str:
    with uow:
        shop = uow.shops.get(shop_id)
        if shop is None:
            raise PlatformRejected(f"shop {shop_id} not found")
        return shop.platform


def collect_shop(uow: UnitOfWork, store: StorePayments, shop_id: int, *,
                 plans: SellingPlans | None = None) -> PassReport:
    """Capture or charge what is due on every order of the shop whose goods are ready or shipped, as the
    shop's ``payments.route`` says (``route``): none collects nothing; authorization captures authorised
    orders; selling_plan also charges (or watches Shopify charge) the balances of orders bought under the
    connector's plan, told apart with ``plans`` (the shop's SellingPlans port; None: by their mandate).

    One order's failure never stops the others: a refusal or an uncertain outcome is kept on the order
    (its charge row says so) and the next pass settles it first. A store that is down (a transient
    error other than an uncertain write) ends the pass and is raised, so the job is retried later."""
    report = PassReport(shop_id)
    chosen = route(uow, shop_id)
    report.route = chosen
    if not chosen.on:
        log.info("payment pass skipped: payments.route none", extra={"shop_id": shop_id})
        return report
    platform = platform_of(uow, shop_id)
    hold = bool(get_setting(uow, shop_id, "payments.hold_until_paid"))
    lookup = _plan_lookup(uow, plans, shop_id, chosen) if platform == "shopify" else None
    with uow:
        order_ids = uow.repo(PaymentsRepository).orders_to_collect(shop_id)
    for order_id in order_ids:
        try:
            outcome = collect(uow, store, order_id, platform=platform, hold_until_paid=hold,
                              routes=chosen.collects, under_plan=lookup)
        except (OutcomeUncertain, PermanentError) as exc:
            report.failed[order_id] = f"{type(exc).__name__}: {exc}"
            log.warning("payment not settled", extra={"shop_id": shop_id, "order_id": order_id, "error": str(exc)})
            continue
        report.outcomes.append(outcome)
        report.alerts += int(outcome.state in ALERTING)
    log.info("payment pass", extra={"shop_id": shop_id, "orders": len(order_ids), "failed": len(report.failed)})
    return report


def expiry_shop(uow: UnitOfWork, store: StorePayments, shop_id: int) -> PassReport:
    """Act on authorisations about to lapse with goods still waiting (``payments.expiry_policy``)."""
    report = PassReport(shop_id)
    report.route = route(uow, shop_id)
    if "authorization" not in report.route.collects:
        return report
    report.outcomes = watch_expiry(uow, store, shop_id, platform=platform_of(uow, shop_id),
                                   policy=str(get_setting(uow, shop_id, "payments.expiry_policy")),
                                   lead_hours=float(get_setting(uow, shop_id, "payments.expiry_lead_hours")))
    report.alerts = sum(1 for o in report.outcomes if o.action == "merchant alerted" or o.state in ALERTING)
    return report


def list_payments(uow: UnitOfWork, shop_id: int) -> list[dict[str, object]]:
    """Every order payment of the shop, newest first, as the merchant reads it (CLI, JSON)."""
    with uow:
        rows = uow.repo(PaymentsRepository).payments(shop_id)
        return [{"order": name, "order_id": p.order_id, "route": p.route, "state": p.state, "trigger": p.trigger,
                 "authorized": str(p.amount_authorized), "captured": str(p.amount_captured), "due": str(p.amount_due),
                 "currency": p.currency, "expires": p.authorization_expires_at.isoformat(timespec="minutes")
                 if p.authorization_expires_at else None, "held": bool(p.holds), "last_error": p.last_error}
                for p, name in rows]


def find_order(uow: UnitOfWork, shop_id: int, reference: str) -> int:
    """The connector's id of the order the merchant names (store name or id); PlatformRejected if none."""
    with uow:
        found = uow.repo(PaymentsRepository).order_by_reference(shop_id, reference)
    if found is None:
        raise PlatformRejected(f"no order {reference!r} in this shop (give its name, e.g. #1001, or its store id)")
    return found


def capture_now(uow: UnitOfWork, store: StorePayments, shop_id: int, order_id: int) -> Outcome:
    """The merchant's manual trigger: take what is left on one order now, by the same exactly-once path."""
    with uow:
        order = uow.orders.by_id(order_id)
        if order is None or order.shop_id != shop_id:
            raise PlatformRejected(f"order {order_id} is not an order of shop {shop_id}")
    return collect(uow, store, order_id, platform=platform_of(uow, shop_id), manual=True,
                   hold_until_paid=bool(get_setting(uow, shop_id, "payments.hold_until_paid")))

