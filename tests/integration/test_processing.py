"""Processing stored events: outcomes, retries with backoff, permanent failures, the sweeper, the API."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from connector.domain.errors import PlatformRejected
from connector.events import backoff_seconds, process_event
from jobs import runtime
from jobs.sweep import sweep
from tests.support.builders import OrderBuilder
from tests.support.webapp import API_TOKEN, SHOP, make_webapp


@pytest.fixture
def web(database_url):
    app = make_webapp(database_url)
    yield app
    app.container.close()


def store(web, snapshot, topic="orders/create", event_id="e-1"):
    """Store a webhook whose payload the fake platform turns back into ``snapshot``."""
    web.platform.parse_order = lambda payload: snapshot  # the fake's parser: payload -> this snapshot
    response = web.post_shopify({"id": int(snapshot.order_id)}, topic=topic, event_id=event_id)
    assert response.status_code == 200
    return response.json["event_id"]


def run(web, event_id):
    return process_event(web.container.uow(), web.container.platform_for, event_id, max_attempts=3)


def status_of(web, event_id):
    [event] = [e for e in web.events() if e.id == event_id]
    return event


def test_an_order_event_is_processed_once_and_a_rerun_is_skipped(web):
    web.platform.stock["V1"] = -1
    event_id = store(web, OrderBuilder("1").line("V1", 1).build())
    assert run(web, event_id).status == "done"
    assert run(web, event_id).status == "skipped"
    assert web.platform.marks.keys() == {"1"}
    assert status_of(web, event_id).attempts == 1


def test_a_topic_the_connector_does_not_handle_is_ignored(web):
    event_id = store(web, OrderBuilder("1").build(), topic="products/update")
    assert run(web, event_id).status == "ignored"


def test_a_store_outage_is_retried_with_backoff_then_given_up(web):
    web.platform.stock["V1"] = -1
    web.platform.fail_marks = 10
    event_id = store(web, OrderBuilder("1").line("V1", 1).build())
    first = run(web, event_id)
    assert first.status == "retry" and first.retry_in == backoff_seconds(1)
    event = status_of(web, event_id)
    assert event.status == "retry" and "store down" in event.last_error and event.next_attempt_at > datetime.now(UTC)
    assert run(web, event_id).status == "retry"
    assert run(web, event_id).status == "failed"  # max_attempts=3
    assert "gave up after 3 attempts" in status_of(web, event_id).last_error


def test_a_permanent_store_error_fails_at_once_and_is_recorded(web):
    def refuse(refs):
        raise PlatformRejected("shopify: GraphQL errors: Field 'x' doesn't exist")

    web.platform.stock_levels = refuse
    event_id = store(web, OrderBuilder("1").line("V1", 1).build())
    outcome = run(web, event_id)
    assert outcome.status == "failed" and "doesn't exist" in status_of(web, event_id).last_error


def test_a_payload_the_platform_cannot_parse_fails_without_retrying(web):
    from connector.domain.errors import InvalidPayload

    def bad(payload):
        raise InvalidPayload("order without an id")

    web.platform.parse_order = bad
    response = web.post_shopify({"nothing": True})
    outcome = run(web, response.json["event_id"])
    assert outcome.status == "failed" and outcome.retry_in is None


def test_the_sweeper_requeues_what_was_stored_but_never_finished(web):
    web.platform.stock["V1"] = -1
    event_id = store(web, OrderBuilder("1").line("V1", 1).build())
    web.queue.jobs.clear()  # the queue lost it (a crash, Redis flushed)
    runtime.bind(web.container)
    assert sweep(grace_seconds=0) == 1
    assert web.queue.jobs == [("jobs.events.process_event", (event_id,), 0.0)]
    run(web, event_id)
    web.queue.jobs.clear()
    assert sweep(grace_seconds=0) == 0


def test_the_api_needs_the_bearer_token(web):
    assert web.client.get(f"/api/shops/{SHOP}/backorders").status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    assert web.client.get(f"/api/shops/{SHOP}/backorders", headers=wrong).status_code == 401


def test_the_api_lists_backorders_by_shop_and_status(web):
    web.platform.stock["V1"] = -1
    run(web, store(web, OrderBuilder("1").line("V1", 2).build()))
    auth = {"Authorization": f"Bearer {API_TOKEN}"}
    rows = web.client.get(f"/api/shops/{SHOP}/backorders", headers=auth).json
    got = [(r["order_id"], r["quantity"], r["quantity_backordered"], r["status"]) for r in rows]
    assert got == [("1", 2, 1, "open")]
    assert web.client.get(f"/api/shops/{SHOP}/backorders?status=cancelled", headers=auth).json == []
    assert web.client.get(f"/api/shops/{SHOP}/backorders?status=bogus", headers=auth).status_code == 400
    assert web.client.get("/api/shops/nobody.myshopify.com/backorders", headers=auth).status_code == 404


def test_health_and_readiness(web):
    assert web.client.get("/healthz").json == {"status": "ok"}
    ready = web.client.get("/readyz")
    assert ready.status_code == 200 and ready.json["database"] == "ok"
    from connector.db.engine import make_engine

    web.container.engine = make_engine("postgresql://nobody@127.0.0.1:1/none")
    assert web.client.get("/readyz").status_code == 503


def test_events_keep_their_raw_body(web):
    event_id = store(web, OrderBuilder("1").build())
    assert json.loads(status_of(web, event_id).body) == {"id": 1}
    assert status_of(web, event_id).received_at > datetime.now(UTC) - timedelta(minutes=1)
