"""A Shopify customer cancels a wholly backordered order through the delay link, end to end: the
order is captured from the simulator's webhook, the whole order is cancelled with ``orderCancel``
(a background job on Shopify, held here past the adapter's short wait), the decision waits as
``cancel_pending`` with a durable later check in job_runs, and that check, run as the worker would
run it, records the refund once Shopify has made it. The simulator runs Shopify's real 2026-04 schema.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import requests
from sqlalchemy import select

from connector.db.models import Backorder
from connector.db.models_jobs import JobRun
from connector.notify.log import list_messages
from connector.notify.models import DelayDecision
from jobs.notify import CONFIRM_CANCELLATION, confirm_cancellation, evaluate_backorders
from sandbox.shopify_sim.ext_order_cancel import cancel_jobs, run_cancel_jobs
from sandbox.shopify_sim.ext_payments import money

SHOP = "whole-outdoors.myshopify.com"
SEED = {"shopify": {"api_secret": "whole-secret", "api_version": "2026-04", "shops": [{
    "domain": SHOP, "access_token": "shpat_whole",
    "products": [{"title": "Lamp", "variants": [{"sku": "LAMP", "price": "30.00", "inventory_quantity": 0,
                                                 "inventory_policy": "CONTINUE"}]}]}]}}


@pytest.fixture
def stack(seeded_stack):
    return seeded_stack(SEED)


def test_a_whole_order_cancel_still_running_is_settled_by_the_recorded_later_check(stack):
    sim = stack.sandbox.shopify
    shop_id = stack.shops[SHOP].id
    cancel_jobs(sim, SHOP, delay=None)
    order = sim.create_order(SHOP, [{"sku": "LAMP", "quantity": 1}], email="ed@example.com")
    stack.wait_for_capture()
    with stack.container.uow() as uow:
        for backorder in uow.session.scalars(select(Backorder).where(Backorder.shop_id == shop_id)):
            backorder.expected_date = datetime.now(UTC).date() + timedelta(days=50)
            backorder.dates_updated_at = datetime.now(UTC)
        uow.commit()
    evaluate_backorders(shop_id)
    [notice] = stack.sandbox.smtp.to("ed@example.com")
    cancel = re.search(r"(http://\S+/orders/\S+/cancel)", notice.part("plain")).group(1)
    assert requests.post(cancel, timeout=5).status_code == 200
    stack.container.queue.wait_idle(30)  # the answer queued the evaluation, which asked Shopify to cancel

    with stack.container.uow() as uow:
        [decision] = uow.session.scalars(select(DelayDecision))
        [check] = uow.session.scalars(select(JobRun).where(JobRun.job == CONFIRM_CANCELLATION))
        assert decision.outcome == "cancel_pending" and check.status == "pending"
        args = list(check.args)
    assert sim.order(SHOP, order["id"])["cancelled_at"] is None
    assert len(stack.sandbox.smtp.to("ed@example.com")) == 1

    run_cancel_jobs(sim, SHOP)
    assert confirm_cancellation(*args) == "cancelled"  # the recorded run, as a worker runs it when due
    assert confirm_cancellation(*args) == "cancelled"
    after = sim.order(SHOP, order["id"])
    assert after["cancelled_at"] is not None and after["financial_status"] == "refunded"
    assert [r["amount"] for r in money(sim, SHOP, order["id"])["refunds"]] == ["30.00"]
    inbox = stack.sandbox.smtp.to("ed@example.com")
    assert len(inbox) == 2 and inbox[-1].subject.endswith("items cancelled and refunded")
    kinds = [(m["kind"], m["status"]) for m in list_messages(stack.container.uow(), shop_id)]
    assert kinds == [("delay_notice", "sent"), ("cancelled", "sent")]
