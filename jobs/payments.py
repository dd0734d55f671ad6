"""Payment jobs: a collection pass per shop (capture or charge what shipped or is ready to ship) and an
expiry watch per shop. Each takes ids and is safe to run twice (connector/payments/charges.py keys
every charge before the store is called and reads back before any retry)."""

from __future__ import annotations

import logging
from typing import Any

from connector.job_refs import RetryPolicy, job_ref, retry_policy
from connector.payments import work
from jobs import runtime

log = logging.getLogger(__name__)

INTERVAL_MINUTES = 15
"""How often every shop with payments on gets a collection pass (a backstop: shipments and allocations
processed from webhooks ask for one at once, see ``after_event``)."""

EXPIRY_INTERVAL_MINUTES = 60
"""How often authorisations are checked for lapsing (the lead time is hours: payments.expiry_lead_hours)."""

FOLLOW_UP_DELAY_SECONDS = 20.0
"""A pass asked for by an event waits this long, so a burst of events for one shop makes one pass."""


@retry_policy(RetryPolicy(retries=3, intervals=(60, 300, 900), timeout=1800))
def collect_payments(shop_id: int) -> str:
    """Capture or charge what is due on the shop's orders whose goods are ready or shipped."""
    c = runtime.container()
    route = work.route(c.uow(), shop_id)
    if not route.on:
        return "payments off"
    report = work.collect_shop(c.uow(), c.store_payments(shop_id), shop_id, plans=_plans(c, shop_id, route.route))
    if report.alerts:
        _deliver_alerts(shop_id)
    return report.describe()


@retry_policy(RetryPolicy(retries=3, intervals=(60, 300, 900), timeout=900))
def watch_expiry(shop_id: int) -> str:
    """Act on authorisations about to lapse with goods still waiting (payments.expiry_policy)."""
    c = runtime.container()
    if "authorization" not in work.route(c.uow(), shop_id).collects:
        return "payments off"
    report = work.expiry_shop(c.uow(), c.store_payments(shop_id), shop_id)
    if report.alerts:
        _deliver_alerts(shop_id)
    return report.describe()


def _plans(container: Any, shop_id: int, route: str) -> Any:
    """The shop's SellingPlans port when it sells under the connector's plan (orders bought under it are
    told apart by their lines), else None."""
    if route != "selling_plan" or work.platform_of(container.uow(), shop_id) != "shopify":
        return None
    return container.selling_plans(shop_id)


def after_event(container: Any, shop_id: int) -> int | None:
    """Ask for a collection pass after an event was processed (shipments recorded, stock allocated), when
    the shop's payments.route collects anything. Recorded (job_runs) and coalesced: one waiting pass per
    shop."""
    if not work.enabled(container.uow(), shop_id):
        return None
    return runtime.enqueue_run(container, collect_payments, shop_id, shop_id=shop_id, coalesce=True,
                               delay_seconds=FOLLOW_UP_DELAY_SECONDS)


def _shops_with_payments(container: Any) -> list[int]:
    """Active shops whose payments.route collects anything (the deprecated payments.enabled counts)."""
    with container.uow() as uow:
        shop_ids = [shop.id for shop in uow.shops.list(active_only=True)]
    return [s for s in shop_ids if work.enabled(container.uow(), s)]


def enqueue_payment_jobs(container: Any) -> int:
    """Queue a collection pass for every active shop with payments on, spread over half the interval."""
    from jobs.schedules import spread_seconds

    window = INTERVAL_MINUTES * 60 * 0.5
    shop_ids = _shops_with_payments(container)
    for shop_id in shop_ids:
        runtime.enqueue(container, collect_payments, shop_id, delay_seconds=spread_seconds(shop_id, window))
    return len(shop_ids)


def enqueue_expiry_jobs(container: Any) -> int:
    """Queue an expiry watch for every active shop with payments on, spread over half the interval."""
    from jobs.schedules import spread_seconds

    window = EXPIRY_INTERVAL_MINUTES * 60 * 0.5
    shop_ids = _shops_with_payments(container)
    for shop_id in shop_ids:
        runtime.enqueue(container, watch_expiry, shop_id, delay_seconds=spread_seconds(shop_id, window))
    return len(shop_ids)


def _deliver_alerts(shop_id: int) -> None:
    """Send the new alerts (declines, refusals, expiring authorisations) by e-mail and Slack."""
    from jobs.dropship import deliver_alerts

    deliver_alerts(shop_id)


COLLECT = job_ref(collect_payments)
EXPIRY = job_ref(watch_expiry)
