"""The selling plan schedule: declared with the others, it queues a sync only for active Shopify shops
whose route is selling_plan, or that still have a group in the store to delete."""

from __future__ import annotations

import pytest

from connector.domain.errors import ConfigError
from connector.payments.plan_repository import PlanRepository
from connector.shop_settings import set_setting
from jobs.schedules import build_scheduler
from jobs.selling_plans import INTERVAL_MINUTES, SYNC, enqueue_selling_plan_syncs
from tests.support.webapp import make_webapp


def test_the_scheduler_declares_the_selling_plan_sync_on_its_interval(tmp_path):
    web = make_webapp(f"sqlite:///{tmp_path}/s.db")
    try:
        job = build_scheduler(web.container).get_job("selling-plans")
        assert job is not None and job.func is enqueue_selling_plan_syncs
        assert job.trigger.interval.total_seconds() == INTERVAL_MINUTES * 60
    finally:
        web.container.close()


def test_only_shopify_shops_on_the_selling_plan_route_or_with_a_group_get_a_sync(tmp_path):
    web = make_webapp(f"sqlite:///{tmp_path}/s.db")
    try:
        uow = web.container.uow()
        assert enqueue_selling_plan_syncs(web.container) == 0 and web.queue.jobs == []
        set_setting(uow, web.store_id, "payments.route", "selling_plan")  # WooCommerce: no selling plans
        assert enqueue_selling_plan_syncs(web.container) == 0
        set_setting(uow, web.shop_id, "payments.route", "selling_plan")
        assert enqueue_selling_plan_syncs(web.container) == 1
        assert [(job, args) for job, args, _ in web.queue.jobs] == [(SYNC, (web.shop_id,))]
        assert all(0 <= delay <= INTERVAL_MINUTES * 30 for _, _, delay in web.queue.jobs)
        set_setting(uow, web.shop_id, "payments.route", "none")
        web.queue.jobs.clear()
        assert enqueue_selling_plan_syncs(web.container) == 0
        with uow:  # a group still in the store: synced so that it gets deleted
            uow.repo(PlanRepository).save_group(web.shop_id, group_id="gid://shopify/SellingPlanGroup/1",
                                                plan_id=None, digest=None, settings=None)
            uow.commit()
        assert enqueue_selling_plan_syncs(web.container) == 1
    finally:
        web.container.close()


def test_a_woocommerce_store_has_no_selling_plans_and_says_so(tmp_path):
    web = make_webapp(f"sqlite:///{tmp_path}/s.db")
    try:
        with pytest.raises(ConfigError, match="selling plans exist on Shopify only"):
            web.container.selling_plans(web.store_id)
    finally:
        web.container.close()


def test_changed_page_dates_queue_a_sync_for_a_shop_on_the_selling_plan_route(tmp_path):
    from datetime import date

    from sqlalchemy import select

    from connector.db.models_jobs import JobRun
    from connector.supply.models import StoreSku, Supplier, SupplierStock
    from jobs import supply

    web = make_webapp(f"sqlite:///{tmp_path}/s.db")
    try:
        uow = web.container.uow()
        with uow:
            supplier = Supplier(shop_id=web.shop_id, name="feed", kind="feed")
            uow.session.add(supplier)
            uow.session.flush()
            uow.session.add_all([
                SupplierStock(shop_id=web.shop_id, supplier_id=supplier.id, sku="MUG", quantity=0,
                              restock_date=date(2026, 12, 20)),
                StoreSku(shop_id=web.shop_id, sku="MUG", product_id="1", variant_id="11", available=0,
                         backorders_allowed=True)])
            uow.commit()

        def queued() -> list:
            with uow:
                return [(r.job, r.args) for r in uow.session.scalars(select(JobRun).where(JobRun.job == SYNC))]

        assert supply.refresh_dates(web.shop_id) == 1 and queued() == []  # route none: nothing to sync
        set_setting(uow, web.shop_id, "payments.route", "selling_plan")
        with uow:
            uow.session.execute(SupplierStock.__table__.update().values(restock_date=date(2026, 12, 24)))
            uow.commit()
        assert supply.refresh_dates(web.shop_id) == 1
        assert queued() == [(SYNC, [web.shop_id])]
    finally:
        web.container.close()
