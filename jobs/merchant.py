"""The jobs a merchant may run from the app's Jobs page or `connector jobs run NAME --shop S`: a
whitelist with labels (a merchant never names a job reference). Running one records a durable run in
the job-run ledger per piece of work (one per supplier for polling) and queues it, like any one-off job
(runtime.enqueue_run): the page follows the run rows' status.

Every run of a listed job is recorded, whoever starts it (``LISTED``: jobs/runtime.enqueue records the
clock's runs of them too), so the page shows scheduled runs beside those asked for; when the clock runs
each next for a shop is worked out in jobs/merchant_schedules.py.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from connector.db.job_runs_triggers import CLI, RUN_NOW
from connector.domain.errors import NothingToRun, UnknownJob
from connector.job_refs import job_ref
from connector.merchant.job_runs import JobKind, Planned
from jobs import (
    dropship,
    install,
    notify,
    payments,
    purchasing,
    reorder,
    reports,
    restock,
    runtime,
    selling_plans,
    shops,
    supply,
)

if TYPE_CHECKING:
    from connector.bootstrap import Container

BOTH = ("shopify", "woocommerce")


@dataclass(frozen=True)
class MerchantJob:
    name: str
    label: str
    help: str
    job: Callable[..., Any]
    per_supplier: bool = False
    """The job takes a supplier id: run once per active supplier of the shop."""
    platforms: tuple[str, ...] = BOTH
    also: tuple[Callable[..., Any], ...] = ()
    """Other jobs the clock runs for the same work, whose runs the page lists under this one."""

    def refs(self) -> tuple[str, ...]:
        return (job_ref(self.job), *(job_ref(job) for job in self.also))

    def kind(self) -> JobKind:
        return JobKind(self.name, self.label, self.help, self.refs())


MERCHANT_JOBS: tuple[MerchantJob, ...] = (
    MerchantJob("poll-suppliers", "Poll suppliers",
                "Read every active supplier's stock and restock dates now.", supply.poll_supplier, per_supplier=True),
    MerchantJob("refresh-dates", "Recompute expected dates",
                "Work out each SKU's and each backorder's expected in-stock date from what suppliers said.",
                supply.refresh_dates),
    MerchantJob("publish-dates", "Publish dates on product pages",
                "Write changed in-stock dates on the product pages.", supply.publish_dates),
    MerchantJob("sync-catalog", "Read the store's catalogue",
                "Read the store's SKUs, stock and backorder settings.", supply.sync_catalog),
    MerchantJob("reconcile", "Find missed orders",
                "Read the orders the store changed recently and capture any backorder a webhook missed.",
                shops.reconcile),
    MerchantJob("sync-marks", "Mark orders in the store",
                "Write the backorder marks (tags, notes) the store has not been told about yet.", shops.sync_marks),
    MerchantJob("evaluate-messages", "Send due customer messages",
                "Decide which waiting customers are due a message (dates, delays) and send them.",
                notify.evaluate_backorders),
    MerchantJob("check-pileups", "Check pile-up alerts",
                "Compare each SKU's waiting backorders with the alert thresholds.", notify.check_pileups),
    MerchantJob("route-dropship", "Route drop-ship orders",
                "Decide which backorders the supplier ships and place those orders.", dropship.route_dropship),
    MerchantJob("poll-shipments", "Bring back drop-ship tracking",
                "Ask suppliers for parcels of drop-ship orders and push the tracking to the store.",
                dropship.poll_shipments),
    MerchantJob("purchase-orders", "Propose purchase orders",
                "Batch waiting backorders into purchase orders that meet each supplier's minimum.",
                purchasing.run_purchasing),
    MerchantJob("read-stock", "Read store stock",
                "Read the store's stock of the SKUs customers wait for and allocate what arrived.",
                restock.read_store_stock),
    MerchantJob("collect-payments", "Collect payments",
                "Capture or charge what has shipped (when payments are switched on).", payments.collect_payments),
    MerchantJob("sync-selling-plans", "Sync selling plans",
                "Update the pre-order purchase option on the variants sold on backorder.",
                selling_plans.sync_selling_plans, platforms=("shopify",)),
    MerchantJob("health-check", "Check webhooks",
                "Check the store's webhook subscriptions and repair missing ones.", install.check_shop),
    MerchantJob("read-sales-history", "Read sales history",
                "Read the store's order history (from where the last read stopped) and fold in captured orders, "
                "for reorder advice; every night the day's captured orders are folded in.", reorder.read_sales_history,
                also=(reorder.fold_sales,)),
    MerchantJob("weekly-digest", "Send the weekly digest",
                "E-mail this week's figures (when the weekly digest is on; at most once a week).",
                reports.weekly_digest),
)
"""The merchant's jobs, in the page's order."""

NAMES = tuple(job.name for job in MERCHANT_JOBS)

LISTED = frozenset(ref for job in MERCHANT_JOBS for ref in job.refs())
"""The job references the page lists: each of their runs is recorded, whoever asks (jobs/runtime.py)."""
PER_SUPPLIER = frozenset(job_ref(job.job) for job in MERCHANT_JOBS if job.per_supplier)


def shop_of(c: Container, ref: str, args: tuple[Any, ...]) -> int | None:
    """The shop a listed job's run belongs to: its first argument, or the supplier's shop for a poll."""
    first = args[0] if args else None
    if not isinstance(first, int) or isinstance(first, bool):
        return None
    if ref not in PER_SUPPLIER:
        return first
    from connector.supply.repository import SupplyRepository

    with c.uow() as uow:
        supplier = uow.repo(SupplyRepository).supplier(first)
        return supplier.shop_id if supplier is not None else None


def find(name: str, platform: str) -> MerchantJob:
    """The merchant job ``name`` for a shop of ``platform``; UnknownJob otherwise."""
    for job in MERCHANT_JOBS:
        if job.name == name and platform in job.platforms:
            return job
    raise UnknownJob(f"no job {name!r} a merchant of a {platform} store may run; known: {', '.join(NAMES)}")


def _arguments(c: Container, shop_id: int, job: MerchantJob) -> list[tuple[Any, ...]]:
    if not job.per_supplier:
        return [(shop_id,)]
    from connector.supply.repository import SupplyRepository

    with c.uow() as uow:
        suppliers = uow.repo(SupplyRepository).suppliers(shop_id)
        ids = [s.id for s in suppliers if s.status == "active"]
    if not ids:
        raise NothingToRun("this shop has no active supplier to poll")
    return [(supplier_id,) for supplier_id in ids]


def run_now(c: Container, shop_id: int, name: str, *, platform: str | None = None,
            trigger: str = RUN_NOW) -> list[int]:
    """Record and queue the merchant job ``name`` for the shop; returns its run ids (one per supplier
    when it polls suppliers). A request for work already waiting to start joins it (its id is returned)."""
    with c.uow() as uow:
        shop = uow.shops.get(shop_id)
        if shop is None:
            raise UnknownJob(f"no shop {shop_id}")
        platform = platform or shop.platform
    job = find(name, platform)
    run_ids = []
    for args in _arguments(c, shop_id, job):
        run_id = runtime.enqueue_run(c, job.job, *args, shop_id=shop_id, trigger=trigger)
        if run_id is not None:
            run_ids.append(run_id)
    return run_ids


class Launcher:
    """The app's MerchantJobs (connector/merchant/job_runs.py), over the container."""

    def __init__(self, container: Container) -> None:
        self._container = container

    def kinds(self, platform: str) -> Sequence[JobKind]:
        return [job.kind() for job in MERCHANT_JOBS if platform in job.platforms]

    def run_now(self, shop_id: int, name: str) -> list[int]:
        return run_now(self._container, shop_id, name)

    def planned(self, shop_id: int, platform: str) -> dict[str, list[Planned]]:
        from jobs.merchant_schedules import planned

        return planned(self._container, shop_id, platform)


@dataclass(frozen=True)
class RunOutcome:
    run_id: int
    status: str
    result: Any
    error: str | None


def _no_retry(_starts: int) -> float | None:
    return None


def run_here(c: Container, shop_id: int, name: str, *, wait_seconds: float = 3600.0) -> list[RunOutcome]:
    """`connector jobs run NAME --shop S`: record the runs as the app's "run now" does, then run them in
    this process inside their ledger claim (a failure is final: no retry is queued). A run a worker
    claimed first (the queue delivered it meanwhile) is waited for. Returns each run's outcome."""
    import functools
    import time
    from datetime import timedelta

    from connector.db import job_runs
    from connector.job_refs import resolve_job
    from connector.merchant.job_runs import JobRunRepository

    run_ids = run_now(c, shop_id, name, trigger=CLI)
    lease = timedelta(seconds=c.settings.event_lease_seconds)
    for run_id in run_ids:
        with c.uow() as uow:
            (line,) = uow.repo(JobRunRepository).runs(shop_id, [run_id])
        call = functools.partial(resolve_job(line.job), *line.args)
        try:
            job_runs.execute(c.engine, run_id, call, lease=lease, retry_in=_no_retry)
        except Exception:  # noqa: BLE001 - recorded on the run (failed, with its error): reported below
            pass
    deadline = time.monotonic() + wait_seconds
    while True:
        with c.uow() as uow:
            lines = uow.repo(JobRunRepository).runs(shop_id, run_ids)
        if all(line.finished for line in lines) or time.monotonic() > deadline:
            return [RunOutcome(line.id, line.status, line.result, line.last_error) for line in lines]
        time.sleep(0.5)  # a worker holds it: wait for its finish
