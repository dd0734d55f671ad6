"""Deferred purchase options on Shopify: the connector's one pre-order selling plan group per shop.

With ``payments.route`` = ``selling_plan`` the connector keeps a group (category PRE_ORDER, one plan
built from ``payments.deposit_percent``, ``payments.balance_trigger`` and ``payments.backstop_days``;
connector/domain/selling_plans.py) attached to exactly the variants sold on backorder: those with an
in-stock date on their page and inventory policy CONTINUE (the supply feature's ``store_skus`` and
``sku_eta``). ``sync_plans`` is idempotent:

- no group yet: the connector's own group is looked for by merchant code first (a create whose answer
  was lost, or a lost record), then created with the variants; its id is committed at once;
- a stored group the store no longer has (the merchant deleted it) is recreated;
- changed settings (digest) -> ``sellingPlanGroupUpdate`` of the plan; unchanged -> nothing;
- variants: the store's list is read back and only the difference is added or removed;
- route turned off: the group is deleted in the store (orders already placed keep their terms).

Shopify only: a WooCommerce shop has no selling plans (``payments.route`` = ``selling_plan`` is refused
by the Container's factory with a ConfigError).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field

from connector.db.uow import UnitOfWork
from connector.domain.clock import utcnow
from connector.domain.errors import PermanentError
from connector.domain.selling_plans import (
    MERCHANT_CODE,
    ROUTES,
    TRIGGERS,
    StoreGroup,
    attachment,
    plan_spec,
    sold_on_backorder,
)
from connector.payments.plan_repository import PlanRepository
from connector.ports import SellingPlans
from connector.shop_settings import ShopSettingSpec, all_settings, get_setting

log = logging.getLogger(__name__)


def _int_between(low: int, high: int):  # type: ignore[no-untyped-def]
    return lambda v: isinstance(v, int) and not isinstance(v, bool) and low <= v <= high


SHOP_SETTINGS: tuple[ShopSettingSpec, ...] = (
    ShopSettingSpec("payments.route", "none", "how backorder sales are paid: none (as today: the store's own "
                    "payment settings), selling_plan (Shopify: a pre-order purchase option, nothing or a deposit "
                    "at checkout and the balance when it ships; orders only authorised are captured on shipment "
                    "too), authorization (payment authorised at checkout, captured on shipment; WooCommerce: by "
                    "the gateway's status)", lambda v: v in ROUTES),
    ShopSettingSpec("payments.deposit_percent", 0, "selling_plan: percentage of the price charged at checkout "
                    "(0-100; 100 means paid in full, nothing deferred)", _int_between(0, 100)),
    ShopSettingSpec("payments.balance_trigger", "on_fulfillment", "selling_plan: when the balance is charged: "
                    "on_fulfillment (Shopify charges it when the order is fulfilled) or backstop (the connector "
                    "charges it on shipment; due at the latest payments.backstop_days after checkout)",
                    lambda v: v in TRIGGERS),
    ShopSettingSpec("payments.backstop_days", 30, "selling_plan with balance_trigger backstop: days after checkout "
                    "the balance is due at the latest (1-365)", _int_between(1, 365)),
)


@dataclass
class PlanReport:
    shop_id: int
    route: str
    group_id: str | None = None
    created: bool = False
    recreated: bool = False
    adopted: bool = False
    updated: bool = False
    deleted: bool = False
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    reasons: list[str] = field(default_factory=list)

    def describe(self) -> str:
        what = [name for name in ("created", "recreated", "adopted", "updated", "deleted") if getattr(self, name)]
        return (f"route {self.route}; group {self.group_id or '-'}"
                + (f" ({', '.join(what)})" if what else "")
                + f"; variants added {len(self.added)}, removed {len(self.removed)}")


def sync_plans(uow: UnitOfWork, plans: SellingPlans, shop_id: int) -> PlanReport:
    """Bring the shop's selling plan group in line with its settings and its backorder variants, under the
    shop's lock: two syncs at once (the job and the CLI, two workers) never both create a group."""
    with uow.shop_lock(shop_id):
        return _sync(uow, plans, shop_id)


def _sync(uow: UnitOfWork, plans: SellingPlans, shop_id: int) -> PlanReport:
    settings = all_settings(uow, shop_id)
    report = PlanReport(shop_id, str(settings["payments.route"]))
    with uow:
        row = uow.repo(PlanRepository).group(shop_id)
        stored_id = row.group_id if row is not None else None
        stored_digest = row.settings_digest if row is not None else None
    if report.route != "selling_plan":
        if stored_id is not None:
            if plans.get(stored_id) is not None:
                plans.delete(stored_id)
            report.deleted = True
            _save(uow, shop_id, None, None, None, {})
            log.info("selling plan group deleted: route is not selling_plan",
                     extra={"shop_id": shop_id, "group_id": stored_id})
        return report
    spec, report.reasons = plan_spec(settings)
    with uow:
        variants = uow.repo(PlanRepository).catalog_variants(shop_id)
    wanted: dict[str, str | None] = {v.variant_id: v.sku for v in variants if not sold_on_backorder(v)}
    try:
        remote = plans.get(stored_id) if stored_id is not None else None
        if stored_id is not None and remote is None:
            report.recreated = True
        if remote is None:
            remote = plans.find(MERCHANT_CODE)
            report.adopted = remote is not None
            report.recreated = report.recreated and not report.adopted
        if remote is None:
            remote = plans.create(spec, sorted(wanted, key=_numeric))
            report.created = not report.recreated
            report.added = tuple(sorted(wanted, key=_numeric))
            _save(uow, shop_id, remote, spec.digest(), json.dumps(spec.as_dict()), wanted)
        else:
            if remote.group_id != stored_id:  # adopted: remember it before anything else is written
                _save(uow, shop_id, remote, None, None, {v: wanted.get(v) for v in remote.variant_ids})
            if stored_digest != spec.digest() or remote.group_id != stored_id:
                remote = plans.update(remote, spec)
                report.updated = True
            change = attachment(wanted, remote.variant_ids)
            if change.add:
                plans.add_variants(remote.group_id, change.add)
            if change.remove:
                plans.remove_variants(remote.group_id, change.remove)
            report.added, report.removed = change.add, change.remove
            _save(uow, shop_id, remote, spec.digest(), json.dumps(spec.as_dict()), wanted)
    except PermanentError as exc:
        with uow:
            uow.repo(PlanRepository).record_error(shop_id, str(exc))
            uow.commit()
        raise
    report.group_id = remote.group_id
    if report.created or report.recreated or report.updated or report.added or report.removed:
        log.info("selling plan group synced", extra={"shop_id": shop_id, "group_id": remote.group_id,
                                                     "summary": report.describe()})
    return report


def _save(uow: UnitOfWork, shop_id: int, remote: StoreGroup | None, digest: str | None, settings: str | None,
          attached: dict[str, str | None]) -> None:
    now = utcnow()
    with uow:
        repo = uow.repo(PlanRepository)
        repo.save_group(shop_id, group_id=remote.group_id if remote else None,
                        plan_id=remote.plan_id if remote else None, digest=digest, settings=settings, synced_at=now)
        repo.set_attached(shop_id, attached, now)
        uow.commit()


def _numeric(variant_id: str) -> tuple[int, str]:
    return (int(variant_id), "") if variant_id.isdigit() else (0, variant_id)


@dataclass(frozen=True)
class PlanView:
    """What ``connector payments plans`` shows."""

    route: str
    group_id: str | None
    plan_id: str | None
    settings: dict[str, object] | None
    synced_at: str | None
    last_error: str | None
    variants: list[dict[str, str | None]]


def plan_view(uow: UnitOfWork, shop_id: int) -> PlanView:
    settings = all_settings(uow, shop_id)
    with uow:
        repo = uow.repo(PlanRepository)
        row = repo.group(shop_id)
        variants = [{"variant_id": v.variant_id, "sku": v.sku, "attached_at": v.attached_at.isoformat()}
                    for v in repo.attached(shop_id)]
        if row is None:
            return PlanView(str(settings["payments.route"]), None, None, None, None, None, variants)
        return PlanView(str(settings["payments.route"]), row.group_id, row.plan_id,
                        json.loads(row.settings) if row.settings else None,
                        row.synced_at.isoformat() if row.synced_at else None, row.last_error, variants)


def sold_under_plan(uow: UnitOfWork, shop_id: int, selling_plan_ids: set[str]) -> bool:  # ids from a webhook body
    """Whether an order whose lines name these selling plans was sold under the connector's own plan
    (for the payments feature: the balance of such an order is deferred by the connector's choice)."""
    with uow:
        return bool(uow.repo(PlanRepository).plan_ids(shop_id) & selling_plan_ids)


def shops_to_sync(uow: UnitOfWork) -> list[int]:
    """Active Shopify shops whose route is selling_plan, or that still have a group to delete (``_syncs``)."""
    with uow:
        shops = [(s.id, s.status, s.platform) for s in uow.shops.list(active_only=True)]
        with_group = uow.repo(PlanRepository).shops_with_group()
    return [shop_id for shop_id, status, platform in shops
            if _syncs(uow, shop_id, status, platform, has_group=shop_id in with_group)]


def shop_needs_sync(uow: UnitOfWork, shop_id: int) -> bool:
    """Whether ``shop_id`` is one of ``shops_to_sync``, reading that shop alone (asked after every change of
    its dates, so it must not read every shop's settings)."""
    with uow:
        shop = uow.shops.get(shop_id)
        if shop is None:
            return False
        status, platform = shop.status, shop.platform
        group = uow.repo(PlanRepository).group(shop_id)
        has_group = group is not None and group.group_id is not None
    return _syncs(uow, shop_id, status, platform, has_group=has_group)


def _syncs(uow: UnitOfWork, shop_id: int, status: str, platform: str, *, has_group: bool) -> bool:
    """The one rule of both: an active Shopify shop with a group in the store (turning the route off still
    deletes it) or whose route is selling_plan (its setting read only when the rest does not decide)."""
    if status != "active" or platform != "shopify":
        return False
    return has_group or get_setting(uow, shop_id, "payments.route") == "selling_plan"


def order_sold_under_plan(uow: UnitOfWork, plans: SellingPlans, shop_id: int, order_id: str) -> dict[str, str]:
    """The lines of a store order bought under the connector's own plan ({line id: selling plan id}):
    the payments feature defers (and charges on shipment) the balance of these lines. Lines bought under
    another app's plan, or none, are left out."""
    bought = plans.order_selling_plans(order_id)
    with uow:
        ours = uow.repo(PlanRepository).plan_ids(shop_id)
    return {line: plan for line, plan in bought.items() if plan in ours}


def plan_of_order(uow: UnitOfWork, plans: SellingPlans, shop_id: int, order_id: str) -> bool:
    """Whether a store order was bought under the connector's own plan (a line names it): the payments
    feature then collects its balance by the plan's trigger (connector/domain/payments.py ``route_of``)."""
    return bool(order_sold_under_plan(uow, plans, shop_id, order_id))
