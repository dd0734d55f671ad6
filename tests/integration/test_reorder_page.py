"""The reorder page (/app/reorder) over HTTP (Flask's client, SQLite and PostgreSQL): seeded sales history,
store stock and a supplier's lead time shown as advice most urgent first, sortable by SKU and reorder-by date
(and reversed) with each row's status and reasons (too little history and slow movers say so); another shop sees
none of it; "read sales history now" records one run (a second request joins it) whose progress is followed to
done; the read and fold jobs and their schedules (first read queued once per shop, daily fold)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from connector.db.models import Order, OrderLine
from connector.db.models_jobs import JobRun
from connector.domain.clock import utcnow
from connector.domain.sales_history import SalesPage, SoldOrder
from connector.job_refs import job_ref
from connector.reorder.history import progress
from connector.reorder.models import SalesDaily, SalesHistory
from connector.reorder.runs import READ_JOB, RECOMPUTE_JOB
from connector.reorder.stored import recompute
from connector.supply.models import StoreSku, Supplier, SupplierStock
from jobs import reorder as reorder_jobs
from tests.support.merchant import API_KEY, app_path, bearer, session_token
from tests.support.statements import sent_statements
from tests.support.webapp import SHOP, SHOPIFY_SECRET, WebApp, make_webapp


def today() -> date:
    """The shop's today (its time zone is UTC by default), read when called: a module-level date goes stale when
    a run passes midnight UTC."""
    return utcnow().date()


@pytest.fixture
def web(database_url: str) -> Iterator[WebApp]:
    app = make_webapp(database_url, shopify_api_key=API_KEY, app_url="https://connector.example")
    yield app
    app.container.close()


def seed(web: WebApp, compute: bool = True) -> None:
    """MUG sells 3 a day (stock 50: reorder soon), CUP 3 a day (stock 400: ok), NEW is stocked with 9 days of
    sales, RARE sold 2 units in 56 days (slow mover); Acme states a 10-day lead time for each. ``compute``:
    the advice computed and stored, as the daily fold does."""
    with web.container.uow() as uow:
        s: Any = uow.session
        supplier = Supplier(shop_id=web.shop_id, name="Acme", kind="http_json", settings="{}", lead_time_days=10)
        s.add(supplier)
        s.flush()
        for sku, on_hand in (("MUG", 50), ("CUP", 400), ("NEW", 4), ("RARE", 7)):
            s.add(StoreSku(shop_id=web.shop_id, sku=sku, available=on_hand))
            s.add(SupplierStock(shop_id=web.shop_id, supplier_id=supplier.id, sku=sku))
        for sku in ("MUG", "CUP"):
            for back in range(1, 91):
                s.add(SalesDaily(shop_id=web.shop_id, sku=sku, day=today() - timedelta(days=back), units=3, orders=1))
        for back in range(1, 10):
            s.add(SalesDaily(shop_id=web.shop_id, sku="NEW", day=today() - timedelta(days=back), units=1, orders=1))
        for back in (80, 30, 12):
            s.add(SalesDaily(shop_id=web.shop_id, sku="RARE", day=today() - timedelta(days=back), units=1, orders=1))
        uow.commit()
    if compute:
        recompute(web.container.uow(), web.shop_id)


def get(web: WebApp, path: str, shop: str = SHOP, **params: str) -> tuple[int, str]:
    answer = web.client.get(app_path(path, shop, session_token(shop, SHOPIFY_SECRET), **params))
    return answer.status_code, answer.get_data(as_text=True)


def skus(html: str) -> list[str]:
    return re.findall(r'<tr data-sku="([^"]+)"', html)


def row(html: str, sku: str) -> str:
    return html.split(f'<tr data-sku="{sku}"', 1)[1].split("</tr>", 1)[0]


def test_the_reorder_job_references_are_the_jobs_own() -> None:
    assert job_ref(reorder_jobs.read_sales_history) == READ_JOB == reorder_jobs.READ


def test_the_page_shows_each_skus_advice_most_urgent_first_with_its_reasons(web: WebApp) -> None:
    seed(web)
    status, html = get(web, "/app/reorder")
    assert status == 200, html
    assert skus(html) == ["MUG", "CUP", "RARE", "NEW"]  # dated by urgency; then slow mover, too little history
    mug = row(html, "MUG")
    assert 'data-status="soon"' in mug and "reorder soon" in mug
    assert f'<time datetime="{(today() + timedelta(days=6)).isoformat()}">' in mug
    assert ">84</td>" in mug and ">30</td>" in mug  # order 84, reorder point 30 (as the report computes)
    assert "10 days as the supplier states it" in mug and "Acme" in mug
    assert "90 days of sales history" in mug and '<li class="decisive">order 84 by' in mug
    assert "slow mover: 2 units on 2 days in the last 56 days" in row(html, "RARE")
    assert "too little history: 9 days of sales (at least 28 needed)" in row(html, "NEW")
    assert re.search(r'aria-sort="descending"><a href="[^"]*" data-sort="urgency">', html)
    counts = html.split('data-testid="status-counts"', 1)[1].split("</ul>", 1)[0]
    assert re.findall(r">([a-z ]+)</span> (\d+)", counts) == [
        ("reorder soon", "1"), ("ok", "1"), ("slow mover", "1"), ("too little history", "1")]
    assert re.search(r'<a href="/app/reorder\?[^"]*" aria-current="page">Reorder</a>', html)
    assert "has not been read yet" in html and 'data-testid="history-status">none<' in html


def test_sort_links_order_by_sku_and_reorder_date_and_reverse(web: WebApp) -> None:
    seed(web)
    _, html = get(web, "/app/reorder")
    by_sku = re.search(r'<a href="([^"]+)" data-sort="sku">', html).group(1).replace("&amp;", "&")  # type: ignore[union-attr]
    assert "sort=sku" in by_sku and "id_token=" in by_sku  # the link keeps the session
    _, html = get(web, "/app/reorder", sort="sku")
    assert skus(html) == ["CUP", "MUG", "NEW", "RARE"]
    assert re.search(r'aria-sort="ascending"><a href="[^"]*dir=reverse[^"]*" data-sort="sku">', html)
    _, html = get(web, "/app/reorder", sort="sku", dir="reverse")
    assert skus(html) == ["RARE", "NEW", "MUG", "CUP"]
    _, html = get(web, "/app/reorder", sort="reorder_by")
    assert skus(html) == ["MUG", "CUP", "RARE", "NEW"]  # earliest date first, the undated last
    _, html = get(web, "/app/reorder", sort="urgency", dir="reverse")
    assert skus(html) == ["NEW", "RARE", "CUP", "MUG"]
    assert get(web, "/app/reorder", sort="nonsense")[1].count("<tr data-sku=") == 4  # unknown: urgency


def test_another_shop_sees_none_of_it(web: WebApp) -> None:
    seed(web)
    recompute(web.container.uow(), web.store_id)
    from tests.support.merchant import woo_link

    woo = web.app.test_client()
    entered = woo.get(woo_link(web.container, web.store_id).removeprefix(web.container.settings.app_url or ""))
    assert entered.status_code in (302, 303), entered.get_data(as_text=True)
    html = woo.get("/app/reorder").get_data(as_text=True)
    assert skus(html) == [] and "No SKU has sold or is stocked yet" in html


class TwoPages:
    """The store's order history as the SalesHistory port gives it: two pages of MUG orders."""

    def sales_page(self, cursor: str | None, until: datetime) -> SalesPage:
        day = datetime.combine(today() - timedelta(days=40), datetime.min.time(), UTC)
        if cursor is None:
            return SalesPage(tuple(SoldOrder(f"o{n}", day + timedelta(days=n), (("MUG", 2),)) for n in range(3)),
                             "page-2", total=5)
        return SalesPage(tuple(SoldOrder(f"o{n}", day + timedelta(days=n), (("MUG", 1),)) for n in range(3, 5)),
                         None, total=5)


def test_read_now_records_one_run_and_its_progress_is_followed_to_done(web: WebApp, monkeypatch) -> None:
    monkeypatch.setattr(web.container, "sales_history", lambda shop_id: TwoPages())  # the store's port, faked
    token = session_token(SHOP, SHOPIFY_SECRET)
    first = web.client.post("/app/reorder/history", headers=bearer(token))
    assert first.status_code == 303
    run_id = int(re.search(r"/app/reorder/history/(\d+)\?", first.headers["Location"]).group(1))  # type: ignore[union-attr]
    again = web.client.post("/app/reorder/history", headers=bearer(token))
    assert f"/app/reorder/history/{run_id}?" in again.headers["Location"]  # joins the waiting run
    assert [job for job, _, _ in web.queue.jobs].count(READ_JOB) == 1
    state = web.client.get(f"/app/reorder/history/{run_id}/progress", headers=bearer(token)).get_json()
    assert (state["state"], state["done"], state["run"]["status"]) == ("queued", False, "pending")
    status, html = get(web, f"/app/reorder/history/{run_id}")
    assert status == 200 and "progress.js" in html and "Reload to see the progress" in html
    _, page = get(web, "/app/reorder")
    assert "A read is waiting to start" in page

    # what the worker does with the run
    from connector.db import job_runs

    job_runs.execute(web.container.engine, run_id, lambda: reorder_jobs.read_sales_history(web.shop_id),
                     lease=timedelta(minutes=5), retry_in=lambda _n: None)
    state = web.client.get(f"/app/reorder/history/{run_id}/progress", headers=bearer(token)).get_json()
    assert (state["state"], state["done"], state["history"]["status"]) == ("done", True, "done")
    assert state["text"] == "The store's order history was read: 5 orders in 2 pages."
    assert (state["history"]["orders_read"], state["history"]["orders_total"]) == (5, 5)
    with web.container.uow() as uow:
        result = uow.session.get(JobRun, run_id).result  # type: ignore[union-attr]
    assert result == {"status": "done", "pages": 2, "orders_read": 5, "orders_total": 5, "folded": 0,
                      "advised": 1}  # MUG's advice computed and stored after the read
    _, page = get(web, "/app/reorder")
    assert "A read is" not in page and 'data-testid="history-orders">5 of 5<' in page
    assert "too little history: 39 days" not in page and 'data-sku="MUG"' in page
    other = web.app.test_client()
    from tests.support.merchant import woo_link

    other.get(woo_link(web.container, web.store_id).removeprefix(web.container.settings.app_url or ""))
    assert other.get(f"/app/reorder/history/{run_id}/progress").get_json()["state"] == "unknown"


# -- the jobs and their schedules ----------------------------------------------------------------

def read_runs(web: WebApp) -> list[tuple[int | None, str]]:
    with web.container.uow() as uow:
        rows = uow.session.execute(select(JobRun.shop_id, JobRun.status)  # type: ignore[union-attr]
                                   .where(JobRun.job == READ_JOB).order_by(JobRun.id)).all()
    return [(shop_id, status) for shop_id, status in rows]


def test_the_first_read_is_queued_once_per_shop_never_read_and_the_daily_fold_follows_captured_orders(
        web: WebApp, monkeypatch) -> None:
    monkeypatch.setattr(web.container, "sales_history", lambda shop_id: TwoPages())
    assert reorder_jobs.enqueue_first_reads(web.container) == 2  # both shops: never read
    assert reorder_jobs.enqueue_first_reads(web.container) == 2  # still not started: each joins its run
    assert read_runs(web) == [(web.shop_id, "pending"), (web.store_id, "pending")]
    assert [args for job, args, _ in web.queue.jobs if job == READ_JOB] == [(web.shop_id,), (web.store_id,)]
    assert reorder_jobs.fold_sales(web.shop_id) == 0  # not read yet: the daily fold joins the waiting read
    assert len(read_runs(web)) == 2

    from connector.db import job_runs

    with web.container.uow() as uow:
        run_id = uow.session.scalar(select(JobRun.id).where(  # type: ignore[union-attr]
            JobRun.job == READ_JOB, JobRun.shop_id == web.shop_id))
    job_runs.execute(web.container.engine, run_id, lambda: reorder_jobs.read_sales_history(web.shop_id),
                     lease=timedelta(minutes=5), retry_in=lambda _n: None)
    assert progress(web.container.uow(), web.shop_id).status == "done"
    assert reorder_jobs.enqueue_first_reads(web.container) == 1  # only the store not read yet

    now = datetime.now(UTC)
    with web.container.uow() as uow:  # capture stored a new order since the read
        order = Order(shop_id=web.shop_id, platform_order_id="new-1", name="#1", ordered_at=now,
                      platform_updated_at=now, status="open")
        order.lines.append(OrderLine(shop_id=web.shop_id, platform_line_id="l1", sku="MUG", quantity=4))
        uow.session.add(order)  # type: ignore[union-attr]
        uow.commit()
    assert reorder_jobs.fold_sales(web.shop_id) == 1
    with web.container.uow() as uow:
        units = uow.session.scalar(select(SalesDaily.units).where(  # type: ignore[union-attr]
            SalesDaily.shop_id == web.shop_id, SalesDaily.sku == "MUG", SalesDaily.day == now.date()))
        folded_at = uow.session.get(SalesHistory, web.shop_id).folded_at  # type: ignore[union-attr]
    assert units == 4 and folded_at is not None
    assert reorder_jobs.fold_sales(web.shop_id) == 1  # the overlap reads it again; it counts once
    with web.container.uow() as uow:
        assert uow.session.scalar(select(SalesDaily.units).where(  # type: ignore[union-attr]
            SalesDaily.shop_id == web.shop_id, SalesDaily.sku == "MUG", SalesDaily.day == now.date())) == 4

    web.queue.jobs.clear()
    assert reorder_jobs.enqueue_folds(web.container) == 2
    assert sorted(args for job, args, _ in web.queue.jobs) == [(web.shop_id,), (web.store_id,)]
    assert {job for job, _, _ in web.queue.jobs} == {reorder_jobs.FOLD}
    assert all(0 <= delay < reorder_jobs.FOLD_SPREAD_SECONDS for _, _, delay in web.queue.jobs)


def test_the_schedules_hold_the_daily_fold_and_the_first_reads(web: WebApp) -> None:
    from jobs.schedules import build_scheduler

    scheduler = build_scheduler(web.container)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert str(jobs["reorder-fold"].trigger).startswith("cron[") and "hour='2'" in str(jobs["reorder-fold"].trigger)
    assert jobs["reorder-first-reads"].trigger.interval == timedelta(minutes=reorder_jobs.FIRST_READ_MINUTES)


def test_the_merchant_may_run_the_read_from_the_jobs_page(web: WebApp) -> None:
    from jobs.merchant import find

    assert find("read-sales-history", "shopify").job is reorder_jobs.read_sales_history
    assert find("read-sales-history", "woocommerce").job is reorder_jobs.read_sales_history
    status, html = get(web, "/app/jobs")
    assert status == 200 and "Read sales history" in html




# -- stored advice: the page reads it, "recompute now" replaces it ---------------------------------

def statements_during(web: WebApp, action: Any) -> list[str]:
    """Every SQL statement the app's engine runs while ``action()`` runs."""
    with sent_statements(web.container.engine) as seen:
        action()
    return [sent.sql for sent in seen]


def test_the_page_reads_the_stored_rows_and_never_computes_the_advice(web: WebApp) -> None:
    seed(web)
    with web.container.uow() as uow:  # the stock changes after the advice was computed
        uow.session.query(StoreSku).filter_by(shop_id=web.shop_id, sku="MUG").update({"available": 1000})  # type: ignore[union-attr]
        uow.commit()
    answers: list[tuple[int, str]] = []
    seen = statements_during(web, lambda: answers.append(get(web, "/app/reorder", sort="sku", page="1")))
    status, html = answers[0]
    assert status == 200
    read = " ".join(seen).lower()
    for table in ("sales_daily", "store_skus", "purchase_order", "supplier_stock"):
        assert table not in read  # none of what the advice is computed from
    assert sum("from reorder_advice" in s.lower() for s in seen) == 2  # the counts, then one page of rows
    assert skus(html) == ["CUP", "MUG", "NEW", "RARE"]
    assert 'data-status="soon"' in row(html, "MUG") and ">50</td>" in row(html, "MUG")  # as stored, not 1000
    assert re.search(r'data-testid="advice-computed">Computed at \d{4}-\d\d-\d\d \d\d:\d\d UTC\.', html)

    recompute(web.container.uow(), web.shop_id)  # what "recompute now" runs
    _, html = get(web, "/app/reorder")
    assert 'data-status="ok"' in row(html, "MUG") and ">1000</td>" in row(html, "MUG")
    assert skus(html) == ["CUP", "MUG", "RARE", "NEW"]


def test_pages_of_stored_rows_in_each_order_match_the_computed_orders(web: WebApp) -> None:
    from connector.merchant.pages import reorder as page
    from connector.reorder.advice import reorder_advice

    with web.container.uow() as uow:
        for n in range(230):
            uow.session.add(StoreSku(shop_id=web.shop_id, sku=f"S{(n * 7919) % 230:03d}", available=n))  # type: ignore[union-attr]
            if n % 3 == 0:
                for back in range(1, 60):
                    uow.session.add(SalesDaily(shop_id=web.shop_id, sku=f"S{(n * 7919) % 230:03d}",  # type: ignore[union-attr]
                                               day=today() - timedelta(days=back), units=1 + n % 4, orders=1))
        uow.session.add(Supplier(shop_id=web.shop_id, name="Acme", kind="http_json", settings="{}",  # type: ignore[union-attr]
                                 lead_time_days=8))
        uow.commit()
        supplier_id = uow.session.scalar(select(Supplier.id))  # type: ignore[union-attr]
        for n in range(0, 230, 2):
            uow.session.add(SupplierStock(shop_id=web.shop_id, supplier_id=supplier_id, sku=f"S{n:03d}"))  # type: ignore[union-attr]
        uow.commit()
    recompute(web.container.uow(), web.shop_id)
    computed = reorder_advice(web.container.uow(), web.shop_id, today())
    for key in ("urgency", "sku", "reorder_by"):
        for reverse in (False, True):
            expected = [a.sku for a in page.sort_rows(computed, key, reverse)]
            shown: list[str] = []
            for number in (1, 2, 3):
                params = {"sort": key, "page": str(number), **({"dir": "reverse"} if reverse else {})}
                shown += skus(get(web, "/app/reorder", **params)[1])
            assert shown == expected, (key, reverse)
    _, last = get(web, "/app/reorder", page="99")  # past the last page: the last
    assert "Showing 201–230 of 230 SKUs" in last


def test_a_first_visit_queues_the_computation_once_and_recompute_now_is_followed_to_done(web: WebApp) -> None:
    from connector.db import job_runs

    seed(web, compute=False)
    status, html = get(web, "/app/reorder")
    assert status == 200 and skus(html) == []
    assert "The advice has not been computed yet." in html and "A computation is waiting to start" in html
    assert "No advice yet" in html
    get(web, "/app/reorder")  # a second visit joins the waiting computation
    assert [job for job, _, _ in web.queue.jobs].count(RECOMPUTE_JOB) == 1
    token = session_token(SHOP, SHOPIFY_SECRET)
    asked = web.client.post("/app/reorder/recompute", headers=bearer(token))
    assert asked.status_code == 303
    run_id = int(re.search(r"/app/reorder/advice/(\d+)\?", asked.headers["Location"]).group(1))  # type: ignore[union-attr]
    assert [job for job, _, _ in web.queue.jobs].count(RECOMPUTE_JOB) == 1  # "recompute now" joins it too
    state = web.client.get(f"/app/reorder/advice/{run_id}/progress", headers=bearer(token)).get_json()
    assert (state["state"], state["done"], state["fields"]["computed_at"]) == ("queued", False, "not yet")
    status, html = get(web, f"/app/reorder/advice/{run_id}")
    assert status == 200 and "progress.js" in html and "Reload to see the progress" in html

    job_runs.execute(web.container.engine, run_id, lambda: reorder_jobs.recompute_advice(web.shop_id),
                     lease=timedelta(minutes=5), retry_in=lambda _n: None)
    state = web.client.get(f"/app/reorder/advice/{run_id}/progress", headers=bearer(token)).get_json()
    assert (state["state"], state["done"]) == ("done", True)
    assert state["text"].startswith("The advice was computed: Computed at ")
    assert state["fields"]["computed_at"].startswith(today().isoformat()[:4])
    with web.container.uow() as uow:
        assert uow.session.get(JobRun, run_id).result == 4  # type: ignore[union-attr]
    _, html = get(web, "/app/reorder")
    assert skus(html) == ["MUG", "CUP", "RARE", "NEW"] and "A computation is" not in html
    assert [job for job, _, _ in web.queue.jobs].count(RECOMPUTE_JOB) == 1  # computed: no more asked for
    again = web.client.post("/app/reorder/recompute", headers=bearer(token))  # the button after it: a new run
    assert f"/app/reorder/advice/{run_id}?" not in again.headers["Location"]
    assert reorder_jobs.RECOMPUTE == RECOMPUTE_JOB


def test_the_daily_fold_stores_the_advice_for_the_shops_new_day(web: WebApp, monkeypatch) -> None:
    seed(web, compute=False)
    with web.container.uow() as uow:
        uow.session.add(SalesHistory(shop_id=web.shop_id, status="done", pages=1, orders_read=1))  # type: ignore[union-attr]
        uow.commit()
    assert progress(web.container.uow(), web.shop_id).advice_at is None
    reorder_jobs.fold_sales(web.shop_id)
    state = progress(web.container.uow(), web.shop_id)
    assert state.advice_at is not None and state.advice_for == today()
    _, html = get(web, "/app/reorder")
    assert skus(html) == ["MUG", "CUP", "RARE", "NEW"]
