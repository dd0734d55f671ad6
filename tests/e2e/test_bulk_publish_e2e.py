"""A bulk publish finished by Shopify's bulk_operations/finish webhook, end to end on SQLite and PostgreSQL:
the simulator signs and sends it to the running app, the webhook route verifies it and stores it in the inbox,
the event resumes the shop's publishing (a publish_dates run started by the webhook), which reads the operation
and puts its dates on the pages. Nothing polled: the run that started the operation did not wait."""

from __future__ import annotations

from datetime import date

from sqlalchemy import delete, select

from connector.db.models import WebhookEvent
from connector.db.models_jobs import JobRun
from connector.shop_settings import set_setting
from connector.supply.bulk_models import BulkPublish
from connector.supply.models import SkuEta, StoreSku
from connector.supply.publish import publish_dates
from jobs.supply import CHECK_BULK_PUBLISH, PUBLISH_DATES
from sandbox.runner import load_seed
from sandbox.shopify_sim.ext_bulk import bulk_of

NS = ("app--sim", "in_stock_date")


def test_the_bulk_operations_finish_webhook_completes_a_bulk_publish(seeded_stack) -> None:
    stack = seeded_stack(load_seed())
    sim, c = stack.sandbox.shopify, stack.container
    info = next(i for i in stack.shops.values() if i.platform == "shopify")
    stack.wait_for_capture()
    variants = list(sim.shop(info.domain).variants.values())
    with c.uow() as uow:
        uow.session.execute(delete(SkuEta).where(SkuEta.shop_id == info.id))
        uow.session.execute(delete(StoreSku).where(StoreSku.shop_id == info.id))
        for v in variants:
            uow.session.add(StoreSku(shop_id=info.id, sku=v.sku, product_id=str(v.product_id), variant_id=str(v.id),
                                     available=0))
            uow.session.add(SkuEta(shop_id=info.id, sku=v.sku, expected_date=date(2026, 12, 24),
                                   page_date=date(2026, 12, 24), source="supplier_restock"))
        uow.commit()
    set_setting(c.uow(), info.id, "publish.bulk_threshold", 1)
    bulk = bulk_of(sim.graphql)
    bulk.gate.clear()
    started = publish_dates(c.uow(), c.catalog_for(info.id), info.id)  # does not wait: no poll follows
    assert started.bulk_operations == 1 and started.bulk_waiting

    bulk.gate.set()  # Shopify finishes and sends bulk_operations/finish
    assert bulk.wait_finished()
    stack.wait_for_capture()

    [finish] = [d for d in sim.deliveries if d.topic == "bulk_operations/finish"]
    assert finish.status_code == 200
    assert {v.sku: v.metafields[NS]["value"] for v in variants} == {v.sku: "2026-12-24" for v in variants}
    with c.uow() as uow:
        event = uow.session.scalars(select(WebhookEvent).where(WebhookEvent.topic == "bulk_operations/finish")).one()
        assert event.status == "done"
        runs = uow.session.execute(select(JobRun.job, JobRun.trigger, JobRun.status)
                                   .where(JobRun.shop_id == info.id, JobRun.job.in_([PUBLISH_DATES,
                                                                                      CHECK_BULK_PUBLISH]))).all()
        assert (PUBLISH_DATES, "webhook", "done") in runs
        [row] = uow.session.scalars(select(BulkPublish)).all()
        assert (row.status, row.operation_status, row.written) == ("done", "COMPLETED", len(variants))
