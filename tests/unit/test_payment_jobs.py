"""The payment jobs: declared with the other schedules, a pass and an expiry watch queued only for shops
with payments on, and a processed event asking for one coalesced pass of its shop."""

from __future__ import annotations

from sqlalchemy import select, update

from connector.db.models_jobs import JobRun
from connector.shop_settings import set_setting
from jobs.payments import (
    COLLECT,
    EXPIRY,
    EXPIRY_INTERVAL_MINUTES,
    FOLLOW_UP_DELAY_SECONDS,
    INTERVAL_MINUTES,
    after_event,
    enqueue_expiry_jobs,
    enqueue_payment_jobs,
)
from jobs.schedules import build_scheduler
from tests.support.webapp import make_webapp


def test_the_scheduler_declares_the_payment_pass_and_the_expiry_watch_on_their_intervals(tmp_path):
    web = make_webapp(f"sqlite:///{tmp_path}/s.db")
    try:
        scheduler = build_scheduler(web.container)
        collect, expiry = scheduler.get_job("payments"), scheduler.get_job("payments-expiry")
        assert collect is not None and collect.func is enqueue_payment_jobs
        assert collect.trigger.interval.total_seconds() == INTERVAL_MINUTES * 60
        assert expiry is not None and expiry.func is enqueue_expiry_jobs
        assert expiry.trigger.interval.total_seconds() == EXPIRY_INTERVAL_MINUTES * 60
    finally:
        web.container.close()


def test_only_shops_with_payments_on_get_a_pass_and_a_watch_spread_over_the_interval(tmp_path):
    web = make_webapp(f"sqlite:///{tmp_path}/s.db")
    try:
        assert enqueue_payment_jobs(web.container) == 0 and enqueue_expiry_jobs(web.container) == 0
        assert web.queue.jobs == []
        set_setting(web.container.uow(), web.store_id, "payments.route", "authorization")
        assert enqueue_payment_jobs(web.container) == 1 and enqueue_expiry_jobs(web.container) == 1
        assert [(job, args) for job, args, _ in web.queue.jobs] == [(COLLECT, (web.store_id,)),
                                                                    (EXPIRY, (web.store_id,))]
        collect_delay, expiry_delay = (delay for _, _, delay in web.queue.jobs)
        assert 0 <= collect_delay <= INTERVAL_MINUTES * 30 and 0 <= expiry_delay <= EXPIRY_INTERVAL_MINUTES * 30
    finally:
        web.container.close()


def test_a_processed_event_asks_for_one_recorded_pass_of_its_shop_when_payments_are_on(tmp_path):
    web = make_webapp(f"sqlite:///{tmp_path}/s.db")
    try:
        assert after_event(web.container, web.shop_id) is None and web.queue.jobs == []
        set_setting(web.container.uow(), web.shop_id, "payments.enabled", True)  # deprecated: read as authorization
        run_id = after_event(web.container, web.shop_id)
        assert run_id is not None
        assert after_event(web.container, web.shop_id) is None  # coalesced: one waiting pass per shop
        assert len(web.queue.jobs) == 1
        [(job, _args, delay)] = web.queue.jobs
        assert job == COLLECT and delay == FOLLOW_UP_DELAY_SECONDS
        with web.container.uow() as uow:
            runs = list(uow.session.scalars(select(JobRun).where(JobRun.job == COLLECT)))
            assert [(r.id, r.shop_id) for r in runs] == [(run_id, web.shop_id)]
    finally:
        web.container.close()


def test_each_payments_route_turns_the_passes_on_or_off_and_the_deprecated_switch_yields_to_the_route(tmp_path):
    web = make_webapp(f"sqlite:///{tmp_path}/s.db")
    try:
        uow = web.container.uow
        for route, queued in (("selling_plan", 1), ("authorization", 1), ("none", 0)):
            set_setting(uow(), web.store_id, "payments.route", route)
            web.queue.jobs.clear()
            assert enqueue_payment_jobs(web.container) == queued and len(web.queue.jobs) == queued, route
            with web.container.engine.begin() as connection:  # the worker ran it (else the next tick joins it)
                connection.execute(update(JobRun).values(status="done", dedupe_key=None))
        set_setting(uow(), web.store_id, "payments.enabled", True)  # with the route at none: authorization
        assert enqueue_payment_jobs(web.container) == 1
        set_setting(uow(), web.store_id, "payments.enabled", False)
        assert enqueue_payment_jobs(web.container) == 0
    finally:
        web.container.close()
