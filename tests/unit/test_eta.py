"""Expected in-stock date rules, on frozen dates (2026-11-27 is a Friday)."""

from __future__ import annotations

from datetime import date

import pytest

from connector.domain.eta import DateRules, EtaSource, PurchaseOrderOffer, SupplierOffer, expected_in_stock

FRIDAY = date(2026, 11, 27)


def offer(quantity=None, restock=None, lead=None, handling=1, transit=2, supplier_id=1) -> SupplierOffer:
    return SupplierOffer(supplier_id, quantity, restock, lead, handling, transit)


def test_store_stock_means_today_whatever_the_suppliers_say() -> None:
    eta = expected_in_stock(FRIDAY, store_available=3, offers=[offer(quantity=100)])
    assert (eta.expected_date, eta.source) == (FRIDAY, EtaSource.STORE_STOCK)


def test_supplier_stock_adds_handling_and_transit_days() -> None:
    eta = expected_in_stock(FRIDAY, store_available=0, offers=[offer(quantity=5)])
    assert (eta.expected_date, eta.source) == (date(2026, 11, 30), EtaSource.SUPPLIER_STOCK)


def test_restock_date_plus_handling_and_transit_when_supplier_has_none() -> None:
    eta = expected_in_stock(FRIDAY, store_available=-2, needed=2,
                            offers=[offer(quantity=0, restock=date(2026, 12, 10))])
    assert (eta.expected_date, eta.source) == (date(2026, 12, 13), EtaSource.SUPPLIER_RESTOCK)


def test_negative_supplier_quantity_counts_as_none() -> None:
    eta = expected_in_stock(FRIDAY, store_available=0, offers=[offer(quantity=-1, lead=10)])
    assert eta.source == EtaSource.LEAD_TIME
    assert eta.expected_date == date(2026, 12, 10)


def test_lead_time_is_used_when_there_is_no_stock_and_no_restock_date() -> None:
    eta = expected_in_stock(FRIDAY, store_available=0, offers=[offer(lead=7, handling=0, transit=0)])
    assert (eta.expected_date, eta.source) == (date(2026, 12, 4), EtaSource.LEAD_TIME)


def test_a_restock_date_in_the_past_counts_from_today() -> None:
    eta = expected_in_stock(FRIDAY, store_available=0, offers=[offer(restock=date(2026, 11, 1))])
    assert eta.expected_date == date(2026, 11, 30)


def test_an_open_purchase_order_that_arrives_earlier_wins() -> None:
    eta = expected_in_stock(FRIDAY, store_available=0, needed=4,
                            offers=[offer(restock=date(2026, 12, 20))],
                            purchase_orders=[PurchaseOrderOffer(1, date(2026, 12, 5), 10)])
    assert (eta.expected_date, eta.source) == (date(2026, 12, 5), EtaSource.PURCHASE_ORDER)


def test_a_source_too_small_to_fill_the_backorders_loses_to_a_later_one_that_can() -> None:
    eta = expected_in_stock(FRIDAY, store_available=0, needed=10,
                            offers=[offer(quantity=3, supplier_id=1),
                                    offer(restock=date(2026, 12, 8), supplier_id=2)],
                            purchase_orders=[PurchaseOrderOffer(1, date(2026, 12, 1), 5)])
    assert (eta.expected_date, eta.source, eta.supplier_id) == (date(2026, 12, 11), EtaSource.SUPPLIER_RESTOCK, 2)


def test_when_nothing_can_fill_everything_the_earliest_partial_source_is_used() -> None:
    eta = expected_in_stock(FRIDAY, store_available=0, needed=10, offers=[offer(quantity=3)])
    assert eta.source == EtaSource.SUPPLIER_STOCK


def test_the_earliest_of_two_suppliers_wins() -> None:
    eta = expected_in_stock(FRIDAY, store_available=0, offers=[
        offer(restock=date(2026, 12, 20), supplier_id=1), offer(lead=3, handling=0, transit=0, supplier_id=2)])
    assert (eta.expected_date, eta.supplier_id) == (date(2026, 11, 30), 2)


def test_no_source_means_no_date() -> None:
    eta = expected_in_stock(FRIDAY, store_available=0, offers=[offer()])
    assert (eta.expected_date, eta.source) == (None, EtaSource.NONE)


def test_business_days_skip_weekends_and_holidays() -> None:
    rules = DateRules(business_days=True, holidays=frozenset({date(2026, 12, 1)}))
    eta = expected_in_stock(FRIDAY, store_available=0, offers=[offer(quantity=5)], rules=rules)
    # Fri + 3 working days: Mon 30, (Tue 1 is a holiday), Wed 2, Thu 3
    assert eta.expected_date == date(2026, 12, 3)


def test_a_restock_date_on_a_weekend_rolls_to_monday_with_business_days() -> None:
    rules = DateRules(business_days=True)
    eta = expected_in_stock(FRIDAY, store_available=0, offers=[offer(restock=date(2026, 12, 5), handling=0,
                                                                      transit=0)], rules=rules)
    assert eta.expected_date == date(2026, 12, 7)


def test_the_merchant_buffer_is_added_to_supplier_dates_but_not_to_store_stock() -> None:
    rules = DateRules(buffer_days=2)
    assert expected_in_stock(FRIDAY, store_available=0, offers=[offer(quantity=1)], rules=rules
                             ).expected_date == date(2026, 12, 2)
    assert expected_in_stock(FRIDAY, store_available=1, rules=rules).expected_date == FRIDAY


def test_a_negative_buffer_is_refused() -> None:
    with pytest.raises(ValueError, match="buffer_days"):
        DateRules(buffer_days=-1)
