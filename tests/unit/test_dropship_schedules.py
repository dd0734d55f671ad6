"""The drop-ship schedule: declared with the others, and it queues routing and shipment polling only
for active shops that switched drop-shipping on, spread over the interval."""

from __future__ import annotations

from jobs.dropship import INTERVAL_MINUTES, POLL, ROUTE, enqueue_dropship_jobs
from jobs.schedules import build_scheduler
from tests.support.webapp import make_webapp


def test_the_scheduler_declares_the_drop_ship_jobs_on_their_interval(tmp_path):
    web = make_webapp(f"sqlite:///{tmp_path}/s.db")
    try:
        job = build_scheduler(web.container).get_job("dropship")
        assert job is not None and job.func is enqueue_dropship_jobs
        assert job.trigger.interval.total_seconds() == INTERVAL_MINUTES * 60
    finally:
        web.container.close()


def test_only_shops_with_drop_shipping_on_get_routing_and_polling_queued(tmp_path):
    from connector.shop_settings import set_setting

    web = make_webapp(f"sqlite:///{tmp_path}/s.db")
    try:
        assert enqueue_dropship_jobs(web.container) == 0 and web.queue.jobs == []
        set_setting(web.container.uow(), web.store_id, "dropship.enabled", True)
        assert enqueue_dropship_jobs(web.container) == 1
        assert {(job, args) for job, args, _ in web.queue.jobs} == {(ROUTE, (web.store_id,)), (POLL, (web.store_id,))}
        assert all(0 <= delay <= INTERVAL_MINUTES * 30 for _, _, delay in web.queue.jobs)
    finally:
        web.container.close()
