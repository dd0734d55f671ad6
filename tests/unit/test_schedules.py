"""The schedules: every shop's reconciliation is queued, spread over the interval."""

from __future__ import annotations

from jobs.schedules import build_scheduler, enqueue_shop_jobs, spread_seconds
from tests.support.webapp import make_webapp


def test_every_active_shop_gets_reconciliation_and_mark_sync_queued(tmp_path):
    web = make_webapp(f"sqlite:///{tmp_path}/s.db", reconcile_interval_minutes=10)
    try:
        assert enqueue_shop_jobs(web.container) == 2
        jobs = {(job, args[0]) for job, args, _ in web.queue.jobs}
        per_shop = ("jobs.shops.reconcile", "jobs.shops.sync_marks",
                    "jobs.notify.evaluate_backorders", "jobs.notify.check_pileups")  # notify: deadlines, ages
        assert jobs == {(job, shop) for job in per_shop for shop in (web.shop_id, web.store_id)}
        assert all(0 <= delay <= 300 for _, _, delay in web.queue.jobs)
    finally:
        web.container.close()


def test_a_thousand_shops_do_not_start_on_the_same_second():
    offsets = {round(spread_seconds(shop_id, 300)) for shop_id in range(1, 1001)}
    assert len(offsets) > 250
    assert spread_seconds(42, 300) == spread_seconds(42, 300)


def test_the_scheduler_declares_the_sweeper_and_the_shop_jobs(tmp_path):
    web = make_webapp(f"sqlite:///{tmp_path}/s.db")
    try:
        scheduler = build_scheduler(web.container)
        assert {"sweep", "shop-jobs"} <= {job.id for job in scheduler.get_jobs()}
    finally:
        web.container.close()

