"""A customer cancels the backordered items that are all that is left of a Shopify order: the whole
order is cancelled with ``orderCancel``, a background job on Shopify, and the outcome is recorded
only once the order confirms it (cancelled, refunded or voided), or checked again later.

Real SMTP, real HTTP for the customer's link, and the Shopify simulator on Shopify's real 2026-04
Admin schema over loopback; the later checks are durable runs (job_runs) run here by hand.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from adapters.shopify.client import ShopifyGraphQL
from adapters.shopify.orders_admin import ShopifyOrdersAdmin
from connector.app import create_app
from connector.db.models import Backorder
from connector.db.models_jobs import JobRun
from connector.notify.cancel_checks import confirm_cancellation
from connector.notify.delay_flow import CHECK_DELAYS
from connector.notify.models import DelayDecision, Message
from jobs.notify import CONFIRM_CANCELLATION, check_scheduler
from sandbox.serve import serve_in_thread
from sandbox.shopify_sim import ShopifySimulator
from sandbox.shopify_sim.ext_order_cancel import cancel_job_list, cancel_jobs, fail_cancels, run_cancel_jobs
from sandbox.shopify_sim.ext_payments import decline_refunds, money
from sandbox.shopify_sim.graphql_api import build_cached_schema
from tests.support.notify_support import BASE_URL, days

SHOP, TOKEN = "tea.myshopify.com", "shpat_whole"


@pytest.fixture
def sim(shopify_schema_sdl: str) -> Iterator[tuple[ShopifySimulator, str]]:
    simulator = ShopifySimulator({"api_secret": "s", "shops": [{
        "domain": SHOP, "access_token": TOKEN, "tax_rate": "0.10",
        "products": [{"title": "Tea", "variants": [
            {"sku": "TEA", "price": "8.00", "inventory_quantity": 0, "inventory_policy": "CONTINUE"}]}]}]},
        schema=build_cached_schema(shopify_schema_sdl), restore_rate=1000.0)
    handle = serve_in_thread(simulator.app)
    yield simulator, handle.url
    handle.stop()


@pytest.fixture
def store(h, sim):
    """The harness cancelling through the real Shopify adapter; later checks recorded in job_runs."""
    simulator, url = sim
    h.admin = ShopifyOrdersAdmin(ShopifyGraphQL(SHOP, TOKEN, api_base=url), poll_delays=(0.01, 0.02, 0.04))
    h.notifier.schedule_check = check_scheduler(h.container)
    h.set("notify.support_email", "owner@tea.example")
    return simulator


@pytest.fixture
def client(h):
    return create_app(container=h.container).test_client()


def backordered_order(h, simulator: ShopifySimulator, financial_status: str = "paid") -> tuple[dict[str, Any], int]:
    """Two tea (8.00, 10% tax: 17.60 in all), all of it backordered, in the store and the connector."""
    order = simulator.create_order(SHOP, [{"sku": "TEA", "quantity": 2}], deliver_webhook=False,
                                   financial_status=financial_status)
    backorder_id = h.backorder(expected=days(45), quantity=2, financial_status=financial_status)
    with h.container.uow() as uow:
        backorder = uow.session.get(Backorder, backorder_id)
        backorder.line.order.platform_order_id = str(order["id"])
        backorder.line.platform_line_id = str(order["line_items"][0]["id"])
        uow.commit()
    return order, backorder_id


def customer_cancels(h, sink, client) -> None:
    h.evaluate()
    [notice] = sink.messages
    cancel = re.search(re.escape(BASE_URL) + r"(/orders/[A-Za-z0-9._-]+/cancel)", notice.part("plain")).group(1)
    assert client.post(cancel).status_code == 200
    h.evaluate()


def checks(h) -> list[JobRun]:
    return h.rows(JobRun, job=CONFIRM_CANCELLATION)


def outcome(h) -> tuple[str, str | None]:
    [decision] = h.rows(DelayDecision)
    return decision.outcome, decision.outcome_error


def test_a_paid_order_cancelled_whole_is_recorded_refunded_once_shopify_confirms_it(h, sink, client, store):
    order, backorder = backordered_order(h, store)
    customer_cancels(h, sink, client)
    after = store.order(SHOP, order["id"])
    assert after["cancelled_at"] is not None and after["financial_status"] == "refunded"
    assert [(t["kind"], t["amount"], t["status"]) for t in money(store, SHOP, order["id"])["transactions"]] == [
        ("SALE", "17.60", "SUCCESS"), ("REFUND", "17.60", "SUCCESS")]
    assert outcome(h) == ("cancelled", None) and h.get(Backorder, backorder).status == "cancelled"
    confirmation = sink.messages[-1]
    assert confirmation.subject == "Order #1001: items cancelled and refunded"
    assert "refunded them in full" in confirmation.part("plain")
    assert checks(h) == []  # settled within the adapter's short wait: nothing to check later
    assert [j["staff_note"] for j in cancel_job_list(store, SHOP)] == [
        "Backordered items cancelled under the delay notice [delay-cancel-1]"]


def test_an_authorized_order_cancelled_whole_is_voided_and_the_customer_is_told_no_charge(h, sink, client, store):
    order, backorder = backordered_order(h, store, "authorized")
    customer_cancels(h, sink, client)
    assert [t["kind"] for t in money(store, SHOP, order["id"])["transactions"]] == ["AUTHORIZATION", "VOID"]
    assert store.order(SHOP, order["id"])["financial_status"] == "voided"
    assert outcome(h) == ("cancelled_not_charged", None) and h.get(Backorder, backorder).status == "cancelled"
    last = sink.messages[-1]
    assert last.subject == "Order #1001: items cancelled, you will not be charged"
    assert "refund" not in last.part("plain")


def test_a_cancel_job_still_running_is_pending_then_the_later_check_settles_it_once(h, sink, client, store):
    cancel_jobs(store, SHOP, delay=None)  # Shopify has not run the job by the end of the adapter's wait
    order, backorder = backordered_order(h, store)
    customer_cancels(h, sink, client)
    assert outcome(h) == ("cancel_pending", None) and h.get(Backorder, backorder).status == "open"
    assert len(sink.messages) == 1  # only the delay notice: nothing is claimed before Shopify confirms
    [first] = checks(h)
    [job] = cancel_job_list(store, SHOP)
    assert first.args == [h.shop_id, 1, job["id"], "17.60", 1] and first.status == "pending"
    assert (first.due_at - first.enqueued_at).total_seconds() == CHECK_DELAYS[0]
    h.evaluate()  # the evaluation leaves a cancellation under way alone: no second orderCancel
    assert len(cancel_job_list(store, SHOP)) == 1 and len(sink.messages) == 1

    assert confirm_cancellation(h.notifier, *first.args) == "cancel_pending"  # still running
    assert confirm_cancellation(h.notifier, *first.args) == "cancel_pending"  # a duplicate run joins
    [_, second] = checks(h)
    assert second.args == [h.shop_id, 1, job["id"], "17.60", 2]

    assert run_cancel_jobs(store, SHOP) == 1  # Shopify finishes: cancelled and refunded
    assert confirm_cancellation(h.notifier, *second.args) == "cancelled"
    assert confirm_cancellation(h.notifier, *second.args) == "cancelled"  # a rerun records nothing twice
    assert outcome(h) == ("cancelled", None) and h.get(Backorder, backorder).status == "cancelled"
    assert [m.subject for m in sink.messages[1:]] == ["Order #1001: items cancelled and refunded"]
    assert [(m.kind, m.status) for m in h.rows(Message)] == [("delay_notice", "sent"), ("cancelled", "sent")]
    assert len(checks(h)) == 2
    assert money(store, SHOP, order["id"])["refunds"][0]["amount"] == "17.60"


def test_a_cancel_job_that_never_finishes_is_a_failure_the_merchant_is_asked_about(h, sink, client, store):
    cancel_jobs(store, SHOP, delay=None)
    backordered_order(h, store)
    customer_cancels(h, sink, client)
    [first] = checks(h)
    last = [*first.args[:4], len(CHECK_DELAYS)]
    assert confirm_cancellation(h.notifier, *last) == "cancel_failed"
    state, error = outcome(h)
    assert state == "cancel_failed" and "had not finished the cancellation" in error
    assert len(sink.to("owner@tea.example")) == 1 and len(checks(h)) == 1
    assert not [m for m in sink.messages if "cancelled" in m.subject]


@pytest.mark.parametrize("failure", ["job", "request", "refund"])
def test_a_whole_cancel_shopify_did_not_carry_out_is_cancel_failed_and_the_merchant_is_asked(
        h, sink, client, store, failure):
    if failure == "refund":
        decline_refunds(store, SHOP)  # the order is cancelled but the gateway fails the refund
    else:
        fail_cancels(store, SHOP, at_request=failure == "request")
    order, backorder = backordered_order(h, store)
    customer_cancels(h, sink, client)
    state, error = outcome(h)
    assert state == "cancel_failed"
    assert {"job": "not cancelled", "request": "Order could not be canceled",
            "refund": "refund transaction FAILURE"}[failure] in error
    assert h.get(Backorder, backorder).status == "open"
    [ask] = sink.to("owner@tea.example")
    assert ask.subject.endswith("the store did not carry out a cancellation")
    text = " ".join(ask.part("plain").split())
    assert "did not carry out the cancellation of backordered items the customer asked for" in text
    assert f"What the store said: {error}" in text and "did not answer" not in text
    assert not [m for m in sink.to("ada@example.com") if "cancelled" in m.subject]
    assert (store.order(SHOP, order["id"])["cancelled_at"] is not None) == (failure == "refund")


def test_an_order_the_merchant_cancelled_without_a_refund_is_not_reported_refunded(h, sink, client, store):
    order, _ = backordered_order(h, store)
    h.evaluate()
    store.cancel_order(SHOP, order["id"], deliver_webhook=False)  # no refund: the money is still taken
    [notice] = sink.messages
    cancel = re.search(re.escape(BASE_URL) + r"(/orders/[A-Za-z0-9._-]+/cancel)", notice.part("plain")).group(1)
    client.post(cancel)
    h.evaluate()
    state, error = outcome(h)
    assert state == "cancel_failed" and "17.60 of the 17.60 paid was not refunded" in error
    assert len(sink.to("owner@tea.example")) == 1 and cancel_job_list(store, SHOP) == []
