"""Reading the Backorders page's view from a query string, and writing it back."""

from __future__ import annotations

from datetime import date

from connector.merchant.backorder_filters import STATUSES, WAITING, BackorderView


def test_an_empty_query_string_is_the_waiting_backorders_oldest_first_on_page_one():
    view = BackorderView.from_args({})
    assert (view.statuses, view.sort, view.direction, view.page, view.problems) == (WAITING, "age", "desc", 1, ())
    assert view.query_args() == {}


def test_every_filter_is_read_and_written_back_the_same():
    args = {"status": "fulfilled", "sku": "TEE-*", "supplier": "3", "order": "#1001", "min_age": "7",
            "max_age": "30", "expected_from": "2026-12-01", "expected_to": "2026-12-31", "sort": "expected",
            "dir": "desc", "page": "4"}
    view = BackorderView.from_args(args)
    assert view == BackorderView(status="fulfilled", sku="TEE-*", supplier_id=3, order="#1001", min_age_days=7,
                                 max_age_days=30, expected_from=date(2026, 12, 1), expected_to=date(2026, 12, 31),
                                 sort="expected", direction="desc", page=4)
    assert view.problems == ()
    assert view.query_args() == args
    assert "page" not in view.query_args(page=False)


def test_unreadable_values_are_named_and_left_out_while_the_rest_of_the_view_stays():
    view = BackorderView.from_args({"status": "lost", "supplier": "x", "min_age": "-1", "expected_from": "31/12/2026",
                                    "sort": "price", "dir": "up", "page": "0", "sku": "A-1"})
    assert (view.status, view.supplier_id, view.min_age_days, view.expected_from, view.sort, view.page) == (
        "waiting", None, None, None, "age", 1)
    assert view.sku == "A-1"
    text = " | ".join(view.problems)
    for named in ("status 'lost'", "supplier 'x'", "minimum age '-1'", "expected from '31/12/2026'",
                  "sort 'price'", "direction 'up'", "page '0'"):
        assert named in text


def test_the_status_choices_cover_waiting_one_status_and_all():
    assert BackorderView(status="all").statuses == STATUSES
    assert BackorderView(status="withdrawn").statuses == ("withdrawn",)
    assert BackorderView(status="waiting").statuses == ("open", "allocated")


def test_sorting_by_the_same_column_turns_it_around_and_goes_back_to_page_one():
    view = BackorderView(page=3)
    assert (view.sorted_by("age").direction, view.sorted_by("age").page) == ("asc", 1)
    assert view.sorted_by("sku").direction == "asc"
    assert view.sorted_by("sku").sorted_by("sku").direction == "desc"


def test_long_search_text_is_cut():
    assert len(BackorderView.from_args({"order": "9" * 500}).order) == 100
