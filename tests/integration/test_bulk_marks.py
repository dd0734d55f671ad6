"""Backorder tags of many orders as one Shopify bulk mutation (connector/capture/marks.py ``BulkMarks``,
adapters/shopify/bulk.py ``tag_orders``) over the simulator's staged uploads and bulk operations, on SQLite
and PostgreSQL: handed over in one operation, read back when it finished (tagged, refused, never reached),
orders of a running operation left alone, a store at its bulk limit marked by calls as before, and the
operation's ``bulk_operations/finish`` webhook routed to the marks, not to the date publisher."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from sqlalchemy import select

from adapters import outbound
from adapters.shopify.bulk import MARKS_BULK_MIN
from adapters.shopify.client import ShopifyGraphQL
from adapters.shopify.platform import ShopifyPlatform
from connector.capture.batch import capture_orders
from connector.capture.marks import MarkReport, write_marks
from connector.crypto import CredentialBox, generate_key
from connector.db.engine import make_engine, upgrade
from connector.db.models import Order, WebhookEvent
from connector.db.uow import UnitOfWork
from connector.domain.model import Platform, ShopCredentials
from connector.dropship.alerts import list_alerts
from connector.events import process_event
from connector.shops import add_shop
from sandbox.runner import start_sandbox
from sandbox.shopify_sim.ext_bulk import bulk_of

SHOP, TOKEN = "tags.myshopify.com", "shpat_tags"
TAG = "backorder"
N = 30


def seed() -> dict[str, Any]:
    return {"shopify": {"api_secret": "s", "api_version": "2026-04", "shops": [{
        "domain": SHOP, "access_token": TOKEN, "products": [
            {"title": "Mug", "variants": [{"sku": "OUT", "inventory_quantity": 0, "inventory_policy": "CONTINUE"}]}]}]}}


@pytest.fixture
def world(database_url):  # type: ignore[no-untyped-def]
    outbound.configure(outbound.OutboundPolicy(allow_private_targets=True))
    sandbox = start_sandbox(seed())
    engine = make_engine(database_url)
    upgrade(engine)
    uow = UnitOfWork(engine)
    shop = add_shop(uow, CredentialBox(generate_key()), Platform.SHOPIFY, SHOP, ShopCredentials(access_token=TOKEN)).id
    client = ShopifyGraphQL(SHOP, TOKEN, api_base=sandbox.shopify_url)
    yield {"sandbox": sandbox, "sim": sandbox.shopify, "uow": uow, "shop": shop, "client": client,
           "platform": ShopifyPlatform(client, backorder_tag=TAG), "bulk": bulk_of(sandbox.shopify.graphql)}
    sandbox.stop()
    engine.dispose()


def place(world, count: int = N) -> list[str]:  # type: ignore[no-untyped-def]
    """``count`` orders of the out-of-stock variant, placed in the store and captured (each backordered)."""
    bodies = [world["sim"].create_order(SHOP, [{"sku": "OUT", "quantity": 1}], deliver_webhook=False)
              for _ in range(count)]
    platform = world["platform"]
    capture_orders(world["uow"], platform, world["shop"], [platform.parse_order(body) for body in bodies])
    return [str(body["id"]) for body in bodies]


def tagged(world) -> set[str]:  # type: ignore[no-untyped-def]
    return {str(order.id) for order in world["sim"].shop(SHOP).orders.values() if TAG in order.tags}


def columns(world) -> dict[str, tuple[Any, ...]]:  # type: ignore[no-untyped-def]
    with world["uow"] as uow:
        return {o.platform_order_id: (o.needs_mark, o.mark_operation, o.mark_line, o.mark_error, o.marked)
                for o in uow.session.scalars(select(Order).where(Order.shop_id == world["shop"]))}


def settle(world, timeout: float = 10.0) -> MarkReport:  # type: ignore[no-untyped-def]
    """Run the shop's marks until no bulk write of them is left running; the reports summed."""
    total = MarkReport()
    deadline = time.monotonic() + timeout
    while True:
        report = write_marks(world["uow"], world["platform"], world["shop"])
        total.written += report.written
        total.refused += report.refused
        total.alerted += report.alerted
        if not report.waiting:
            return total
        assert time.monotonic() < deadline, "the bulk operation did not finish"
        time.sleep(0.05)


def test_many_orders_are_tagged_by_one_bulk_operation_for_a_few_points_and_read_back(world) -> None:
    ids = place(world)
    before = world["client"].throttle_status.currently_available

    report = write_marks(world["uow"], world["platform"], world["shop"])

    assert (report.in_bulk, report.written, report.waiting) == (N, 0, True)
    [operation] = world["bulk"].operations.values()
    assert '"tags":["backorder"]' in world["bulk"].uploads[operation.path].decode()
    assert operation.mutation.lstrip().startswith("mutation ConnectorTagsAdd(")
    spent = before - world["client"].throttle_status.currently_available
    assert spent < 30, f"handing {N} tags to the bulk operation cost {spent} points (tagsAdd calls: {N * 10})"
    recorded = columns(world)
    assert {recorded[order_id][1:3] for order_id in ids} == {(f"gid://shopify/BulkOperation/{operation.number}", n)
                                                             for n, order_id in enumerate(ids)}
    assert not any(needs for needs, *_ in recorded.values())

    assert world["bulk"].wait_finished()
    read = settle(world)

    assert read.written == N and read.refused == []
    assert tagged(world) == set(ids)
    after = columns(world)
    assert all(v[:4] == (False, None, None, None) and json.loads(v[4])[0]["sku"] == "OUT" for v in after.values())
    assert write_marks(world["uow"], world["platform"], world["shop"]).written == 0  # nothing left to do


def test_a_refused_line_is_recorded_and_alerted_and_a_line_never_reached_is_marked_again(world) -> None:
    ids = place(world)
    world["bulk"].gate.clear()  # the operation waits before its first line
    world["bulk"].fail_after = N - 5  # and stops (FAILED) before its last five
    write_marks(world["uow"], world["platform"], world["shop"])
    del world["sim"].shop(SHOP).orders[int(ids[0])]  # deleted in the store meanwhile: its line is refused
    assert write_marks(world["uow"], world["platform"], world["shop"]).waiting  # still running: left alone
    world["bulk"].gate.set()
    assert world["bulk"].wait_finished()

    read = settle(world)

    assert read.refused == [ids[0]] and read.alerted == 1
    assert [a for a in list_alerts(world["uow"], world["shop"]) if a["kind"] == "store_refused_mark"]
    recorded = columns(world)
    assert recorded[ids[0]][:2] == (False, None) and "tagsAdd" in recorded[ids[0]][3]
    assert tagged(world) == set(ids[1:])  # the five never reached were tagged by the next run, by calls
    assert all(recorded[order_id][:4] == (False, None, None, None) for order_id in ids[1:])


def test_an_order_whose_bulk_write_runs_is_left_alone_until_it_is_read_back(world) -> None:
    ids = place(world)
    world["bulk"].gate.clear()
    write_marks(world["uow"], world["platform"], world["shop"])
    with world["uow"] as uow:  # its line shipped meanwhile (connector/shipping/closing.py): its tag must come off
        order = uow.orders.get(world["shop"], ids[0])
        order.lines[0].backorder.status = "fulfilled"
        order.needs_mark = True
        uow.commit()

    waiting = write_marks(world["uow"], world["platform"], world["shop"])

    assert waiting.waiting and waiting.written == 0  # no untag racing the operation's tag
    assert columns(world)[ids[0]][0] is True
    world["bulk"].gate.set()
    assert world["bulk"].wait_finished()
    settle(world)
    assert tagged(world) == set(ids[1:])  # read back, then the shipped order untagged
    assert columns(world)[ids[0]][:3] == (False, None, None)


def test_below_the_minimum_or_at_the_stores_bulk_limit_the_tags_go_by_calls(world) -> None:
    few = place(world, MARKS_BULK_MIN - 1)
    assert write_marks(world["uow"], world["platform"], world["shop"]).written == len(few)
    assert not world["bulk"].operations

    world["bulk"].limit = 0  # the app's bulk mutations on the shop are at Shopify's limit
    many = place(world)
    report = write_marks(world["uow"], world["platform"], world["shop"])

    assert (report.in_bulk, report.written, report.waiting) == (0, N, False)
    assert not world["bulk"].operations and tagged(world) == set(few) | set(many)


def test_the_finish_webhook_of_a_marks_operation_goes_to_the_marks_not_to_the_date_publisher(world) -> None:
    place(world)
    write_marks(world["uow"], world["platform"], world["shop"])
    [operation] = world["bulk"].operations.values()
    ours, other = f"gid://shopify/BulkOperation/{operation.number}", "gid://shopify/BulkOperation/999"
    with world["uow"] as uow:
        events = [WebhookEvent(shop_id=world["shop"], topic="bulk_operations/finish", dedupe_key=f"finish-{n}",
                               headers="{}", body=json.dumps({"admin_graphql_api_id": gid,
                                                              "status": "completed"}).encode())
                  for n, gid in enumerate((ours, other))]
        uow.session.add_all(events)
        uow.commit()
        event_ids = [event.id for event in events]

    mine, theirs = (process_event(world["uow"], lambda _: world["platform"], event_id) for event_id in event_ids)

    assert (mine.status, mine.marks_finished, mine.resume_publish) == ("done", True, False)
    assert (theirs.status, theirs.marks_finished, theirs.resume_publish) == ("done", False, True)


def test_an_operation_whose_result_cannot_be_read_has_its_orders_marked_again(world) -> None:
    ids = place(world)
    write_marks(world["uow"], world["platform"], world["shop"])
    assert world["bulk"].wait_finished()
    world["bulk"].results.clear()  # the result file is gone (Shopify keeps it a week): answered 404
    for order in world["sim"].shop(SHOP).orders.values():
        order.tags.clear()  # so only what follows can tag them

    read = settle(world)

    assert read.refused == [] and read.written == N
    assert tagged(world) == set(ids)
    assert all(v[:4] == (False, None, None, None) for v in columns(world).values())


@pytest.fixture
def web(database_url):  # type: ignore[no-untyped-def]
    from tests.support.webapp import make_webapp

    made = make_webapp(database_url)
    yield made
    made.container.close()


def waiting_runs(web) -> list[tuple[str, float]]:  # type: ignore[no-untyped-def]
    """(job, seconds until it may start) of the recorded runs not started yet."""
    from connector.db.models_jobs import JobRun

    with web.container.uow() as uow:
        return [(run.job, (run.due_at - run.enqueued_at).total_seconds())
                for run in uow.session.scalars(select(JobRun).where(JobRun.started_at.is_(None)).order_by(JobRun.id))]


@pytest.mark.parametrize("finished", [False, True], ids=["still-running", "finish-webhook"])
def test_a_round_that_left_a_bulk_write_running_or_its_finish_webhook_queues_the_read_back(
        web, monkeypatch, finished) -> None:
    from connector import events
    from jobs import events as event_jobs

    monkeypatch.setattr(events, "process_event", lambda *a, **k: events.EventOutcome(
        "done", shop_id=web.shop_id, marks_waiting=not finished, marks_finished=finished))
    event_jobs._process_event(1)
    runs = [(job, round(delay)) for job, delay in waiting_runs(web)]
    if finished:  # read now; the event was only that: no date refresh, no payment look
        assert runs == [("jobs.shops.sync_marks", 0)]
    else:  # looked at again in 3 s (the round's dates are refreshed as usual)
        assert ("jobs.shops.sync_marks", 3) in runs and ("jobs.supply.refresh_dates", 0) in runs


def test_sync_marks_looks_again_while_a_bulk_write_runs(web, monkeypatch) -> None:
    from jobs import shops

    monkeypatch.setattr(shops.marks, "write_marks", lambda *a: MarkReport(waiting=True))
    shops.sync_marks(web.shop_id)
    assert [(job, round(delay)) for job, delay in waiting_runs(web)] == [("jobs.shops.sync_marks", 3)]
    monkeypatch.setattr(shops.marks, "write_marks", lambda *a: MarkReport())
    shops.sync_marks(web.shop_id)
    assert len(waiting_runs(web)) == 1  # finished: nothing more queued
