"""The Backorders page, its CSV export and the order timeline over HTTP (Flask test client, real
database): filters from the GET form, sort and page links that keep the session, the export of the
filtered view with formula-safe cells, and another shop's order refused."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import update

from connector.db.models import Order, OrderLine
from tests.support.merchant import API_KEY, app_path, session_token
from tests.support.merchant_backorders import seed_backorders
from tests.support.webapp import SHOP, SHOPIFY_SECRET, make_webapp


@pytest.fixture
def web(database_url):
    web = make_webapp(database_url, shopify_api_key=API_KEY)
    now = datetime.now(UTC)
    web.seeded = seed_backorders(web.container.engine, web.shop_id, waiting=120, closed=9, skus=13, now=now)
    seed_backorders(web.container.engine, web.store_id, waiting=5, skus=13, now=now, first_id=5000)
    yield web
    web.container.close()


def get(web, path, **params):
    token = session_token(SHOP, SHOPIFY_SECRET)
    return web.client.get(app_path(path, SHOP, token, **params))


def rows_of(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'<tr data-backorder="(\d+)"', html)]


def links(html: str, attribute: str) -> dict[str, str]:
    return {m.group(2): unescape(m.group(1)) for m in re.finditer(rf'<a href="([^"]+)" {attribute}="([^"]+)"', html)}


def test_the_page_lists_the_first_fifty_waiting_backorders_oldest_first_with_counts(web):
    answer = get(web, "/app/backorders")
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    waiting = sorted((r for r in web.seeded.rows if r.status in ("open", "allocated")),
                     key=lambda r: (r.created_at, -r.backorder_id))
    assert rows_of(html) == [r.backorder_id for r in waiting[:50]]
    assert "Showing 1–50 of 120" in html
    assert re.search(r'data-status="fulfilled">Fulfilled <span class="badge">3</span>', html)
    assert re.search(r'data-status="all">All <span class="badge">129</span>', html)
    first = waiting[0]
    assert f'>{first.order_name}</a>' in html


def test_links_keep_the_session_and_the_view(web):
    html = get(web, "/app/backorders", sku="SKU-0000*", status="all").get_data(as_text=True)
    sort = links(html, "data-sort")["expected"]
    query = parse_qs(urlsplit(sort).query)
    assert query["sort"] == ["expected"] and query["dir"] == ["asc"] and query["sku"] == ["SKU-0000*"]
    assert query["status"] == ["all"] and query["shop"] == [SHOP] and "id_token" in query
    answer = web.client.get(sort)
    assert answer.status_code == 200
    shown = rows_of(answer.get_data(as_text=True))
    expected = sorted((r for r in web.seeded.rows if r.sku.startswith("SKU-0000") and r.expected_date),
                      key=lambda r: (r.expected_date, r.backorder_id))
    assert shown[:len(expected)] == [r.backorder_id for r in expected][:50]


def test_the_filter_form_carries_the_session_fields_and_pages_follow(web):
    html = get(web, "/app/backorders").get_data(as_text=True)
    form = html[html.index('<form method="get" action="/app/backorders"'):html.index("</form>")]
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
    assert hidden["shop"] == SHOP and hidden["id_token"] and hidden["status"] == "waiting"
    next_page = unescape(re.search(r'<a class="button" href="([^"]+)" rel="next">', html).group(1))
    page_two = web.client.get(next_page).get_data(as_text=True)
    assert "Showing 51–100 of 120" in page_two
    assert not set(rows_of(page_two)) & set(rows_of(html))


def test_an_unreadable_filter_is_named_on_the_page_and_left_off(web):
    answer = get(web, "/app/backorders", expected_from="tomorrow", min_age="-3")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "expected from &#39;tomorrow&#39; is not a date" in html
    assert "Showing 1–50 of 120" in html


def test_the_csv_export_has_every_row_of_the_filtered_view_and_cells_are_formula_safe(web):
    with web.container.uow() as uow:
        target = web.seeded.rows[3]
        uow.session.execute(update(OrderLine).where(OrderLine.id == target.backorder_id)
                            .values(title='=HYPERLINK("http://evil.example","click")'))
        uow.session.execute(update(Order).where(Order.id == target.backorder_id).values(name="@SUM(1)"))
        uow.commit()
    answer = get(web, "/app/backorders.csv", sku=target.sku, status="all", page="2")
    assert answer.status_code == 200
    assert answer.mimetype == "text/csv"
    assert "attachment;" in answer.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(answer.get_data().decode("utf-8-sig"))))
    assert rows[0][:4] == ["Order", "Order id", "Ordered at", "SKU"]
    body = rows[1:]
    assert sorted(int(r[1]) - 7_000_000 for r in body) == sorted(
        r.backorder_id for r in web.seeded.rows if r.sku == target.sku)
    bad = next(r for r in body if r[1] == target.platform_order_id)
    assert bad[0] == "'@SUM(1)" and bad[4].startswith("'=HYPERLINK")


def test_the_csv_export_of_the_default_view_has_all_waiting_rows_not_one_page(web):
    answer = get(web, "/app/backorders.csv")
    rows = list(csv.reader(io.StringIO(answer.get_data().decode("utf-8-sig"))))
    assert len(rows) == 1 + 120


def test_a_row_opens_the_orders_timeline(web):
    html = get(web, "/app/backorders").get_data(as_text=True)
    first_id = rows_of(html)[0]
    first = next(r for r in web.seeded.rows if r.backorder_id == first_id)
    href = unescape(re.search(r'<td><a href="(/app/orders/[^"]+)">', html).group(1))
    assert urlsplit(href).path == f"/app/orders/{first.platform_order_id}"
    answer = web.client.get(href)
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert f"<h1>Order {first.order_name}</h1>" in page
    assert "Captured as a backorder: 1 line" in page and first.sku in page


def test_another_shops_order_is_not_found(web):
    other_shops_order = str(7_000_000 + 5000)  # seeded for the WooCommerce store
    assert get(web, f"/app/orders/{other_shops_order}").status_code == 404
    assert get(web, "/app/orders/7000001").status_code == 200


def test_the_page_refuses_a_request_without_a_session(web):
    assert web.client.get("/app/backorders").status_code == 401
    assert web.client.get("/app/backorders.csv").status_code == 401
