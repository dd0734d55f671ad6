"""The Backorders page's query on SQLite and on real PostgreSQL: every filter, every sort both ways,
pagination that shows each backorder once, counts per status, and the CSV rows; another shop's
backorders never appear. Expected results are worked out in Python from what was seeded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from connector.crypto import CredentialBox, generate_key
from connector.db.engine import make_engine, upgrade
from connector.db.uow import UnitOfWork
from connector.domain.model import Platform, ShopCredentials
from connector.merchant.backorder_filters import PAGE_SIZE, STATUS_CHOICES, STATUSES, BackorderView
from connector.merchant.backorders_query import EXPORT_HEADER, backorders_page, export_rows
from connector.shops import add_shop
from tests.support.merchant_backorders import Seeded, SeededShop, seed_backorders

NOW = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)
TODAY = NOW.date()


@pytest.fixture(params=["sqlite", "postgresql"], scope="module")
def seeded(request, tmp_path_factory):  # type: ignore[no-untyped-def]
    """One seed per database for the whole module (the tests only read it)."""
    from tests.conftest import _drop_postgres, _postgres_reachable_or_unavailable

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('bq')}/connector.db"
    else:
        url = _postgres_reachable_or_unavailable()
    engine = make_engine(url)
    upgrade(engine)
    uow = UnitOfWork(engine)
    box = CredentialBox(generate_key())
    shop = add_shop(uow, box, Platform.SHOPIFY, "page.myshopify.com", ShopCredentials(access_token="t")).id
    other = add_shop(uow, box, Platform.SHOPIFY, "other.myshopify.com", ShopCredentials(access_token="t")).id
    data = seed_backorders(engine, shop, waiting=230, closed=40, skus=23, now=NOW)
    seed_backorders(engine, other, waiting=30, closed=5, skus=23, now=NOW, first_id=10_000, order_number=1001)
    yield uow, data
    engine.dispose()
    if request.param == "postgresql":
        _drop_postgres(url)


def every_row(uow: UnitOfWork, data: SeededShop, view: BackorderView) -> list[int]:
    """The view's backorder ids, page after page."""
    ids: list[int] = []
    page = backorders_page(uow, data.shop_id, view, NOW)
    for number in range(1, page.pages + 1):
        shown = backorders_page(uow, data.shop_id, view.with_page(number), NOW)
        assert shown.view.page == number
        assert len(shown.rows) == (PAGE_SIZE if number < shown.pages else shown.total - PAGE_SIZE * (number - 1))
        ids += [row.backorder_id for row in shown.rows]
    return ids


def age(row: Seeded) -> int:
    return (NOW - row.created_at).days


def test_the_default_view_shows_waiting_backorders_oldest_first_with_counts_per_status(seeded):
    uow, data = seeded
    page = backorders_page(uow, data.shop_id, BackorderView(), NOW)
    waiting = [r for r in data.rows if r.status in ("open", "allocated")]
    assert page.total == len(waiting) == 230
    assert page.counts == {s: sum(1 for r in data.rows if r.status == s) for s in STATUSES}
    expected = [r.backorder_id for r in sorted(waiting, key=lambda r: (r.created_at, r.backorder_id))]
    assert every_row(uow, data, BackorderView()) == expected
    first = page.rows[0]
    seeded_first = next(r for r in data.rows if r.backorder_id == first.backorder_id)
    assert (first.order_name, first.platform_order_id, first.sku, first.supplier, first.expected_date) == (
        seeded_first.order_name, seeded_first.platform_order_id, seeded_first.sku, seeded_first.supplier,
        seeded_first.expected_date)


@pytest.mark.parametrize("status", STATUS_CHOICES)
def test_the_status_filter_shows_only_those_statuses(seeded, status):
    uow, data = seeded
    view = BackorderView(status=status)
    ids = set(every_row(uow, data, view))
    assert ids == {r.backorder_id for r in data.rows if r.status in view.statuses}
    assert ids


def test_a_sku_filter_matches_exactly_or_as_a_prefix_with_a_star(seeded):
    uow, data = seeded
    assert set(every_row(uow, data, BackorderView(sku="SKU-00007", status="all"))) == {
        r.backorder_id for r in data.rows if r.sku == "SKU-00007"}
    assert set(every_row(uow, data, BackorderView(sku="SKU-0001*", status="all"))) == {
        r.backorder_id for r in data.rows if r.sku.startswith("SKU-0001")}
    assert every_row(uow, data, BackorderView(sku="SKU-0001", status="all")) == []
    assert every_row(uow, data, BackorderView(sku="SKU-%*", status="all")) == []  # % is no wildcard


def test_a_supplier_filter_keeps_skus_it_lists_or_dates(seeded):
    uow, data = seeded
    for name, supplier_id in data.suppliers.items():
        ids = set(every_row(uow, data, BackorderView(supplier_id=supplier_id)))
        assert ids == {r.backorder_id for r in data.rows
                       if r.status in ("open", "allocated") and supplier_id in r.listed_by}, name
        assert ids


def test_an_order_search_finds_by_part_of_the_name_or_the_store_id(seeded):
    uow, data = seeded
    target = data.rows[17]
    assert every_row(uow, data, BackorderView(order=target.order_name, status="all")) == [target.backorder_id]
    assert every_row(uow, data, BackorderView(order=target.platform_order_id, status="all")) == [target.backorder_id]
    fragment = target.order_name[1:4]  # "#1018" -> "101"
    assert set(every_row(uow, data, BackorderView(order=fragment, status="all"))) == {
        r.backorder_id for r in data.rows if fragment in r.order_name}
    assert every_row(uow, data, BackorderView(order="%", status="all")) == []


def test_age_and_expected_date_ranges_filter_inclusively(seeded):
    uow, data = seeded
    view = BackorderView(min_age_days=10, max_age_days=20)
    assert set(every_row(uow, data, view)) == {
        r.backorder_id for r in data.rows if r.status in ("open", "allocated") and 10 <= age(r) <= 20}
    start, end = TODAY, TODAY + timedelta(days=14)
    view = BackorderView(expected_from=start, expected_to=end, status="all")
    assert set(every_row(uow, data, view)) == {
        r.backorder_id for r in data.rows if r.expected_date is not None and start <= r.expected_date <= end}


SORT_KEYS = {
    "age": lambda r: NOW - r.created_at,
    "sku": lambda r: r.sku,
    "supplier": lambda r: r.supplier,
    "status": lambda r: STATUSES.index(r.status),
    "expected": lambda r: r.expected_date,
}


@pytest.mark.parametrize("sort", sorted(SORT_KEYS))
@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_every_sort_orders_both_ways_with_empty_values_last_and_a_stable_tie_break(seeded, sort, direction):
    uow, data = seeded
    key, descending = SORT_KEYS[sort], direction == "desc"
    present = sorted((r for r in data.rows if key(r) is not None), key=lambda r: (key(r), r.backorder_id),
                     reverse=descending)
    missing = sorted((r for r in data.rows if key(r) is None), key=lambda r: r.backorder_id, reverse=descending)
    expected = [r.backorder_id for r in present + missing]
    assert every_row(uow, data, BackorderView(status="all", sort=sort, direction=direction)) == expected


def test_a_page_past_the_end_shows_the_last_page(seeded):
    uow, data = seeded
    page = backorders_page(uow, data.shop_id, BackorderView(page=999), NOW)
    assert page.view.page == page.pages == 5
    assert (page.first_shown, page.last_shown) == (201, 230)


def test_the_export_has_every_row_of_the_view_in_its_order_without_paging(seeded):
    uow, data = seeded
    view = BackorderView(status="all", sort="sku", direction="asc", page=3)
    rows = list(export_rows(uow, data.shop_id, view, NOW))
    assert rows[0] == list(EXPORT_HEADER)
    by_name = {r.order_name: r for r in data.rows}
    assert [by_name[cells[0]].backorder_id for cells in rows[1:]] == every_row(uow, data, view.with_page(1))
    some = rows[1]
    seeded_row = by_name[some[0]]
    assert some[1] == seeded_row.platform_order_id and some[3] == seeded_row.sku
    assert some[10] == age(seeded_row)


def test_another_shops_backorders_never_show(seeded):
    uow, data = seeded
    ids = set(every_row(uow, data, BackorderView(status="all")))
    assert ids == {r.backorder_id for r in data.rows}
    assert all(i < 10_000 for i in ids)
