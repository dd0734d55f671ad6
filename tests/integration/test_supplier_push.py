"""Freshness (issue 17 item 3), SQLite and PostgreSQL: an unchanged poll costs one 304 and no writes
but the supplier row's; a supplier's signed push asks for a poll now or carries its rows, under the same
inbox rules as store webhooks; polls of one supplier never overlap; schedules down to 10 seconds."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from connector.db.job_runs import JobRun
from connector.domain.errors import ConfigError
from connector.supply import poll_lease, suppliers
from connector.supply.history import supplier_history
from connector.supply.models import StoreSku, SupplierChange, SupplierPush, SupplierSnapshot, SupplierStock
from connector.supply.push import make_push_secret, signature
from jobs import supply
from jobs.supplier_push import PROCESS_SUPPLIER_PUSH, process_supplier_push
from sandbox.serve import serve_in_thread
from sandbox.supplier_sim import SupplierSimulator
from tests.support.statements import Sent, sent_statements
from tests.support.webapp import make_webapp

FAST = {"retry_base_delay": 0.01, "max_attempts": 2, "timeout_seconds": 2}


@pytest.fixture
def sim():
    sim = SupplierSimulator({"auth": {"type": "bearer", "token": "tok"}, "items": [
        {"sku": "SKU-A", "quantity": 0, "restock_date": "2026-12-10"},
        {"sku": "SKU-B", "quantity": 5}]})
    server = serve_in_thread(sim.app)
    sim.url = server.url  # type: ignore[attr-defined]
    yield sim
    server.stop()


@pytest.fixture
def web(database_url):
    made = make_webapp(database_url, webhook_max_body_bytes=20_000)
    with made.container.uow() as uow:
        for sku in ("SKU-A", "SKU-B"):
            uow.session.add(StoreSku(shop_id=made.shop_id, sku=sku, product_id="1", variant_id=sku, available=0))
        uow.commit()
    yield made
    made.container.close()


def add_api_supplier(web, sim, **settings: Any) -> int:
    c = web.container
    return suppliers.add_supplier(c.uow(), c.box, web.shop_id, {
        "name": "acme", "kind": "http_json",
        "settings": {"url": sim.url + "/api/all", "auth": {"type": "bearer"}, **FAST, **settings},
        "secret": {"token": "tok"}}, clients=c.supplier_client)


def writes(seen: list[Sent]) -> list[str]:
    """The INSERT, UPDATE, DELETE and COPY statements among those sent, each on one line."""
    flat = [sent.flat for sent in seen]
    return [sql for sql in flat if sql.split(" ")[0].upper() in ("INSERT", "UPDATE", "DELETE", "COPY")]


def count(web, model) -> int:
    with web.container.uow() as uow:
        return uow.session.scalar(select(func.count()).select_from(model))


# -- conditional polls ----------------------------------------------------------------------------

def test_an_unchanged_api_poll_costs_one_304_and_writes_only_the_supplier_row(web, sim) -> None:
    c = web.container
    supplier_id = add_api_supplier(web, sim)
    assert suppliers.poll_supplier(c.uow(), c.box, supplier_id, clients=c.supplier_client).status == "ok"
    snapshots = count(web, SupplierSnapshot)
    sim.requests.clear()
    with sent_statements(c.engine) as seen:
        report = suppliers.poll_supplier(c.uow(), c.box, supplier_id, clients=c.supplier_client)
    assert (report.status, report.snapshot_id, report.rows_total) == ("unchanged", None, 0)
    assert dict(sim.requests) == {"304": 1}
    written = writes(seen)
    assert written and all(s.upper().startswith("UPDATE SUPPLIERS SET") for s in written), written
    assert len(written) == 2  # the lease with last_polled_at, then its release with last_success_at
    assert count(web, SupplierSnapshot) == snapshots
    assert not [s for s in seen if "supplier_stock" in s.sql or "supplier_snapshots" in s.sql]


def test_an_unchanged_feed_is_not_opened_and_its_fingerprints_are_not_loaded(web, tmp_path) -> None:
    c = web.container
    feed = tmp_path / "feed.csv"
    feed.write_text("sku,quantity,restock_date\nSKU-A,0,2030-01-10\nSKU-B,3,\n")
    supplier_id = suppliers.add_supplier(c.uow(), c.box, web.shop_id, {
        "name": "f", "kind": "feed", "settings": {"source": str(feed)}}, clients=c.supplier_client)
    assert suppliers.poll_supplier(c.uow(), c.box, supplier_id, clients=c.supplier_client).rows_changed == 2
    with sent_statements(c.engine) as seen:
        assert suppliers.poll_supplier(c.uow(), c.box, supplier_id, clients=c.supplier_client).status == "unchanged"
    assert not [s for s in seen if "supplier_feed_state" in s.sql or "supplier_stock" in s.sql]
    assert all(s.upper().startswith("UPDATE SUPPLIERS SET") for s in writes(seen))


def test_a_change_after_an_unchanged_poll_is_read_and_recorded_once(web, sim) -> None:
    c = web.container
    supplier_id = add_api_supplier(web, sim)
    suppliers.poll_supplier(c.uow(), c.box, supplier_id, clients=c.supplier_client)
    suppliers.poll_supplier(c.uow(), c.box, supplier_id, clients=c.supplier_client)
    sim.set_stock({"sku": "SKU-A", "restock_date": "2026-12-24"})
    report = suppliers.poll_supplier(c.uow(), c.box, supplier_id, clients=c.supplier_client)
    assert (report.status, report.rows_changed) == ("ok", 1) and report.snapshot_id is not None
    assert count(web, SupplierChange) == 1  # the change (the first load's rows are its snapshot)
    with c.uow() as uow:
        assert len(supplier_history(uow.session, supplier_id)) == 3  # two first rows, one change


def test_a_poll_while_another_poll_of_the_supplier_runs_is_busy_and_waits_when_asked(web, sim) -> None:
    c = web.container
    supplier_id = add_api_supplier(web, sim)
    assert poll_lease.claim(c.uow(), supplier_id) == web.shop_id  # another worker's poll holds it
    report = suppliers.poll_supplier(c.uow(), c.box, supplier_id, clients=c.supplier_client, wait_seconds=0.3)
    assert (report.status, report.snapshot_id) == ("busy", None) and count(web, SupplierSnapshot) == 0
    poll_lease.release(c.uow(), supplier_id)
    assert suppliers.poll_supplier(c.uow(), c.box, supplier_id, clients=c.supplier_client).status == "ok"
    assert poll_lease.claim(c.uow(), supplier_id, lease_seconds=-1) == web.shop_id  # a dead worker's lease ran out
    assert suppliers.poll_supplier(c.uow(), c.box, supplier_id, clients=c.supplier_client).status == "unchanged"


def test_a_failed_poll_releases_its_lease(web, sim) -> None:
    c = web.container
    supplier_id = add_api_supplier(web, sim)
    sim.inject(status=503, count=5)
    assert suppliers.poll_supplier(c.uow(), c.box, supplier_id, clients=c.supplier_client).status == "failed"
    sim.faults.clear()
    assert suppliers.poll_supplier(c.uow(), c.box, supplier_id, clients=c.supplier_client).status == "ok"


# -- schedules ------------------------------------------------------------------------------------

@pytest.mark.parametrize("schedule, seconds", [({"interval_seconds": 10}, 10), ({"interval_minutes": 0.25}, 15),
                                               ({"interval_minutes": 2}, 120)])
def test_a_schedule_may_poll_every_few_seconds(web, sim, schedule, seconds) -> None:
    supplier_id = add_api_supplier(web, sim, schedule=schedule)
    [(found, _, stored)] = suppliers.supplier_schedules(web.container.uow())
    assert found == supplier_id and suppliers.interval_seconds(stored) == seconds
    assert supply.trigger_for(stored).interval.total_seconds() == seconds


@pytest.mark.parametrize("schedule, message", [
    ({"interval_seconds": 5}, "at most every 10 seconds"), ({"interval_minutes": 0.1}, "at most every 10 seconds"),
    ({"interval_seconds": "10"}, "must be positive"), ({"interval_seconds": 10, "cron": "* * * * *"}, "name one of"),
    ({"every": 10}, "must be {interval_seconds")])
def test_a_schedule_faster_than_the_floor_or_malformed_is_refused_by_name(web, sim, schedule, message) -> None:
    with pytest.raises(ConfigError, match="settings.schedule") as raised:
        add_api_supplier(web, sim, schedule=schedule)
    assert message in str(raised.value)


# -- the push endpoint ----------------------------------------------------------------------------

def push_body(event_id: str = "evt-1", sent_at: datetime | None = None, **fields: Any) -> bytes:
    return json.dumps({"id": event_id, "sent_at": (sent_at or datetime.now(UTC)).isoformat(),
                       **(fields or {"event": "changed"})}).encode()


def post_push(web, path: str, body: bytes, secret: str, *, event_id: str | None = "evt-1",
              sig: str | None = None) -> Any:
    headers = {"Content-Type": "application/json"}
    if sig != "":
        headers["X-Supplier-Hmac-Sha256"] = sig if sig is not None else signature(body, secret)
    if event_id is not None:
        headers["X-Supplier-Event-Id"] = event_id
    return web.client.post(path, data=body, headers=headers)


@pytest.fixture
def pushing(web, sim):
    supplier_id = add_api_supplier(web, sim)
    made = make_push_secret(web.container.uow(), web.container.box, web.shop_id, supplier_id)
    return supplier_id, made


def push_jobs(web) -> list[tuple[Any, ...]]:
    return [args for job, args, _ in web.queue.jobs if job == PROCESS_SUPPLIER_PUSH]


def test_the_push_key_is_sealed_at_rest_and_replaced_when_made_again(web, pushing) -> None:
    supplier_id, made = pushing
    with web.container.uow() as uow:
        row = uow.session.get(suppliers.Supplier, supplier_id)
        assert made.secret not in (row.push_secret or "") and row.push_token == made.token
    again = make_push_secret(web.container.uow(), web.container.box, web.shop_id, supplier_id)
    assert post_push(web, made.path(), push_body(), made.secret).status_code == 401  # the old URL is gone
    assert post_push(web, again.path(), push_body(), made.secret).status_code == 401  # and the old key
    assert post_push(web, again.path(), push_body(), again.secret).status_code == 202


def test_a_signed_changed_push_is_stored_answered_202_and_polls_the_supplier_in_the_worker(web, sim, pushing) -> None:
    supplier_id, made = pushing
    c = web.container
    suppliers.poll_supplier(c.uow(), c.box, supplier_id, clients=c.supplier_client)
    sim.set_stock({"sku": "SKU-A", "restock_date": "2027-01-05"})
    answer = post_push(web, made.path(), push_body(), made.secret)
    assert answer.status_code == 202 and answer.get_json()["status"] == "accepted"
    [(push_id,)] = push_jobs(web)
    with c.uow() as uow:
        run = uow.session.scalar(select(JobRun).where(JobRun.job == PROCESS_SUPPLIER_PUSH))
        assert run is not None and run.trigger == "webhook"  # recorded with the push: a lost queue loses nothing
    assert process_supplier_push(push_id) == "ok"
    assert process_supplier_push(push_id) == "skipped"  # the job delivered twice does nothing
    with c.uow() as uow:
        row = uow.session.scalar(select(SupplierStock).where(SupplierStock.sku == "SKU-A"))
        assert row.restock_date.isoformat() == "2027-01-05"
        assert uow.session.get(SupplierPush, push_id).status == "done"
    assert any(job == supply.REFRESH_DATES for job, _, _ in web.queue.jobs)


def test_unsigned_forged_and_unknown_pushes_get_the_same_401_and_store_nothing(web, pushing) -> None:
    supplier_id, made = pushing
    body = push_body()
    answers = [post_push(web, made.path(), body, made.secret, sig=""),
               post_push(web, made.path(), body, "not-the-key"),
               post_push(web, made.path(), body, made.secret, sig="c2lnbmF0dXJl"),
               post_push(web, "/webhooks/suppliers/no-such-token/push", body, made.secret),
               post_push(web, made.path(), body.replace(b"changed", b"chang3d"), made.secret,
                         sig=signature(body, made.secret))]
    assert [a.status_code for a in answers] == [401] * 5
    assert {json.dumps(a.get_json()) for a in answers} == {json.dumps({"error": "signature does not verify"})}
    assert count(web, SupplierPush) == 0 and push_jobs(web) == []


def test_a_replayed_push_is_a_no_op_and_a_resent_body_under_a_new_id_or_late_is_refused(web, pushing) -> None:
    _, made = pushing
    body = push_body("evt-7")
    assert post_push(web, made.path(), body, made.secret, event_id="evt-7").get_json()["status"] == "accepted"
    again = post_push(web, made.path(), body, made.secret, event_id="evt-7")
    assert again.status_code == 202 and again.get_json()["status"] == "duplicate"
    assert count(web, SupplierPush) == 1 and len(push_jobs(web)) == 1
    other_id = post_push(web, made.path(), body, made.secret, event_id="evt-8")  # the id is signed in the body
    assert other_id.status_code == 400 and "id" in other_id.get_json()["error"]
    stale = push_body("evt-9", datetime.now(UTC) - timedelta(minutes=10))
    late = post_push(web, made.path(), stale, made.secret, event_id="evt-9")
    assert late.status_code == 400 and "off our clock" in late.get_json()["error"]
    assert count(web, SupplierPush) == 1


@pytest.mark.parametrize("body, status, words", [
    (b"{not json", 400, "malformed JSON"),
    (b"[" * 100 + b"]" * 100, 400, "nested deeper"),
    (b"x" * 30_000, 413, "limit"),
    (None, 400, 'either "event"'),
    (json.dumps({"event": "changed", "url": "http://169.254.169.254/"}).encode(), 400, "no address"),
])
def test_bad_bodies_are_refused_with_a_clear_error(web, pushing, body, status, words) -> None:
    _, made = pushing
    if body is None:
        body = json.dumps({"id": "evt-1", "sent_at": datetime.now(UTC).isoformat()}).encode()
    elif body.startswith(b"{\"event\""):
        payload = json.loads(body)
        body = json.dumps({"id": "evt-1", "sent_at": datetime.now(UTC).isoformat(), **payload}).encode()
    answer = post_push(web, made.path(), body, made.secret)
    assert answer.status_code == status and words in answer.get_json()["error"]
    assert count(web, SupplierPush) == 0


def test_a_rows_push_is_stored_like_a_poll_with_history_and_dates_and_bad_rows_counted(web, sim, pushing) -> None:
    supplier_id, made = pushing
    c = web.container
    suppliers.poll_supplier(c.uow(), c.box, supplier_id, clients=c.supplier_client)
    web.queue.jobs.clear()
    rows = [{"sku": "SKU-A", "quantity": 0, "restock_date": "2027-02-01"}, {"sku": "SKU-B", "quantity": 2},
            {"sku": "", "quantity": 1}, {"sku": "SKU-C", "restock_date": "01/02/2027"}]
    answer = post_push(web, made.path(), push_body(rows=rows), made.secret)
    assert answer.status_code == 202
    [(push_id,)] = push_jobs(web)
    assert process_supplier_push(push_id) == "ok"
    with c.uow() as uow:
        stock = {s.sku: (s.quantity, s.restock_date and s.restock_date.isoformat())
                 for s in uow.session.scalars(select(SupplierStock))}
        assert stock == {"SKU-A": (0, "2027-02-01"), "SKU-B": (2, None)}
        change = uow.session.scalars(select(SupplierChange).order_by(SupplierChange.id.desc())).first()
        snapshot = uow.session.get(SupplierSnapshot, change.snapshot_id)
        assert (snapshot.status, snapshot.rows_bad) == ("ok", 2)
        assert "restock_date must be a date" in snapshot.bad_rows and "sku must be" in snapshot.bad_rows
    assert any(job == supply.REFRESH_DATES for job, _, _ in web.queue.jobs)
    sim.requests.clear()
    assert suppliers.poll_supplier(c.uow(), c.box, supplier_id, clients=c.supplier_client).status == "unchanged"
    with c.uow() as uow:  # the supplier's API did not change: the pushed rows stand
        assert uow.session.scalar(select(SupplierStock.quantity).where(SupplierStock.sku == "SKU-B")) == 2


def test_a_rows_push_of_mostly_bad_rows_is_refused_whole(web, pushing) -> None:
    supplier_id, made = pushing
    rows = [{"sku": f"S{n}", "quantity": -1} for n in range(12)] + [{"sku": "SKU-A", "quantity": 1}]
    assert post_push(web, made.path(), push_body(rows=rows), made.secret).status_code == 202
    [(push_id,)] = push_jobs(web)
    assert process_supplier_push(push_id) == "failed"
    with web.container.uow() as uow:
        push = uow.session.get(SupplierPush, push_id)
        assert push.status == "failed" and "12 of 13 rows are bad" in push.error
    assert count(web, SupplierStock) == 0
