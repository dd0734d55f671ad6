"""A job processes its event with the other pending order events of the same shop (connector/events.py
``_order_batch``, connector/capture/batch.py), on SQLite and PostgreSQL: the same records as one by one,
one stock read and one write for the batch, each event's own outcome, attempts and retry."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from connector.capture.capture import capture_order
from connector.domain.errors import InvalidPayload
from connector.events import process_event
from tests.support.builders import OrderBuilder
from tests.support.webapp import make_webapp


@pytest.fixture
def web(database_url):
    app = make_webapp(database_url)
    yield app
    app.container.close()


def store_all(web, snapshots, *, topic="orders/create") -> list[int]:
    """Store one webhook per snapshot; the fake platform parses a payload back into its snapshot
    (an order id it does not know is an unreadable payload)."""
    by_id = {snapshot.order_id: snapshot for snapshot in snapshots}

    def parse(payload: dict[str, Any]):
        found = by_id.get(str(payload["id"]))
        if found is None:
            raise InvalidPayload("no such order in this payload")
        return found

    web.platform.parse_order = parse
    ids = []
    for n, snapshot in enumerate(snapshots):
        response = web.post_shopify({"id": int(snapshot.order_id)}, topic=topic, event_id=f"e-{n}-{topic}")
        assert response.status_code == 200
        ids.append(response.json["event_id"])
    return ids


def run(web, event_id, *, batch=50):
    return process_event(web.container.uow(), web.container.platform_for, event_id, max_attempts=3, batch=batch)


def events(web) -> dict[int, Any]:
    return {event.id: event for event in web.events()}


def backorders(web) -> dict[str, int]:
    with web.container.uow() as uow:
        return {bo.line.order.platform_order_id: bo.quantity_backordered
                for bo in uow.backorders.list(web.shop_id) if bo.status == "open"}


def test_one_job_captures_the_shops_pending_orders_with_one_stock_read_and_the_others_skip(web):
    web.platform.stock["V1"] = -2  # five orders of one unit: the last two placed are short
    ids = store_all(web, [OrderBuilder(str(n), placed=n).line("V1", 1).build() for n in range(1, 6)])
    outcome = run(web, ids[0])
    assert outcome.status == "done" and outcome.done_with == 4 and outcome.retries == ()
    assert [call for call in web.platform.calls if call[0] == "stock_levels"] == [("stock_levels", ["V1"])]
    assert backorders(web) == {"4": 1, "5": 1}
    assert web.platform.marks.keys() == {"4", "5"}
    assert {(e.status, e.attempts) for e in events(web).values()} == {("done", 1)}
    assert all(run(web, event_id).status == "skipped" for event_id in ids[1:])


def test_a_batch_records_what_capturing_the_orders_one_by_one_records(web):
    web.platform.stock.update({"V1": -3, "V2": -1})
    snapshots = [OrderBuilder("1", placed=1).line("V1", 2).line("V2", 1).build(),
                 OrderBuilder("2", placed=2).line("V1", 1).build(),
                 OrderBuilder("3", placed=3).line("V2", 2).build()]
    ids = store_all(web, snapshots)
    run(web, ids[1])  # any event of the batch: the order they are captured in is the events' order
    batched = backorders(web)
    with web.container.uow() as uow:  # the same orders captured one by one, as a second shop would
        uow.session.execute(text("DELETE FROM backorders"))
        uow.session.execute(text("DELETE FROM order_lines"))
        uow.session.execute(text("DELETE FROM orders"))
        uow.commit()
    for snapshot in snapshots:
        capture_order(web.container.uow(), web.platform, web.shop_id, snapshot)
    assert batched == backorders(web) == {"1": 2, "2": 1, "3": 1}


def test_an_unreadable_event_fails_alone_and_its_batch_mates_are_done(web):
    web.platform.stock["V1"] = -1
    ids = store_all(web, [OrderBuilder("1").line("V1", 1).build(), OrderBuilder("2").line("V1", 1).build()])
    web.post_shopify({"id": 99}, event_id="e-bad")  # parses to nothing: InvalidPayload
    outcome = run(web, ids[0])
    assert outcome.status == "done" and outcome.done_with == 1
    statuses = {e.status for e in events(web).values() if e.id in ids}
    bad = [e for e in events(web).values() if e.id not in ids]
    assert statuses == {"done"} and [(e.status, e.last_error[:15]) for e in bad] == [("failed", "invalid payload")]


def test_a_store_outage_sends_each_event_of_the_batch_to_its_own_retry(web):
    web.platform.stock["V1"] = -3
    web.platform.fail_marks = 1
    ids = store_all(web, [OrderBuilder(str(n), placed=n).line("V1", 1).build() for n in range(1, 4)])
    outcome = run(web, ids[0])
    assert outcome.status == "retry" and outcome.retry_in is not None
    assert [event_id for event_id, _ in outcome.retries] == ids[1:]
    assert {(e.status, e.attempts) for e in events(web).values()} == {("retry", 1)}
    # each is taken again by its own job (a retry is not claimed into another event's batch)
    assert run(web, ids[1]).status == "done"
    assert {e.id: e.status for e in events(web).values()} == {ids[0]: "retry", ids[1]: "done", ids[2]: "retry"}
    assert web.platform.marks.keys() == {"1", "2", "3"}  # the marks of the shop are written by the first that runs


def test_events_of_another_shop_or_another_topic_stay_for_their_own_job(web):
    web.platform.stock["V1"] = -1
    [first] = store_all(web, [OrderBuilder("1").line("V1", 1).build()])
    ignored = web.post_shopify({"id": 1}, topic="products/update", event_id="e-products").json["event_id"]
    outcome = run(web, first)
    assert outcome.status == "done" and outcome.done_with == 0
    assert events(web)[ignored].status == "pending"


def test_a_batch_of_one_is_processed_as_before(web):
    web.platform.stock["V1"] = -1
    ids = store_all(web, [OrderBuilder("1").line("V1", 1).build(), OrderBuilder("2").line("V1", 1).build()])
    assert run(web, ids[0], batch=1).done_with == 0
    assert events(web)[ids[1]].status == "pending"
