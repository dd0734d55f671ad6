"""Store marks, one order at a time, on a fake store and a real (SQLite) database: a refusal for one
order is recorded on it and alerted once; it never blocks the others; transient errors still retry."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import pytest

from connector.capture.capture import capture_order
from connector.capture.marks import sync_marks, write_marks
from connector.capture.reconcile import reconcile_shop
from connector.domain.errors import PlatformAuthError, PlatformNotFound, PlatformRejected, PlatformUnavailable
from connector.domain.model import BackorderMark
from connector.dropship.alerts import list_alerts
from tests.support.builders import OrderBuilder
from tests.support.fakes import FakePlatform


class RefusingStore(FakePlatform):
    """Refuses to mark the orders in ``refuse`` with the error given for each."""

    def __init__(self, stock: dict[str, int], refuse: dict[str, Exception]) -> None:
        super().__init__(stock)
        self.refuse = refuse

    def mark_backordered(self, order_id: str, marks: Sequence[BackorderMark]) -> None:
        self.calls.append(("try", order_id))
        if order_id in self.refuse:
            raise self.refuse[order_id]
        super().mark_backordered(order_id, marks)



def order_row(uow, shop_id, order_id):  # type: ignore[no-untyped-def]
    with uow:
        row = uow.orders.get(shop_id, order_id)
        return row.mark_error, row.mark_error_at, row.needs_mark


def refusal_alerts(uow, shop_id):  # type: ignore[no-untyped-def]
    return [a for a in list_alerts(uow, shop_id) if a["kind"] == "store_refused_mark"]


def capture(uow, store, shop_id, *orders):  # type: ignore[no-untyped-def]
    for order_id, placed in orders:
        capture_order(uow, store, shop_id, OrderBuilder(order_id, placed=placed).line("V1", 1).build())


@pytest.mark.parametrize("refusal", [PlatformNotFound("woocommerce: GET orders/1 answered 404"),
                                     PlatformAuthError("shopify: 403 access denied for tagsAdd"),
                                     PlatformRejected("shopify: tagsAdd userErrors: id: Order does not exist")],
                         ids=["deleted", "permission", "user-error"])
def test_a_refused_order_is_recorded_alerted_once_and_the_others_are_still_marked(uow, shop_id, refusal):
    store = RefusingStore({"V1": -3}, {"1": refusal})
    capture(uow, store, shop_id, ("1", 0), ("2", 1), ("3", 2))

    report = write_marks(uow, store, shop_id)

    assert (report.written, report.refused, report.alerted) == (2, ["1"], 1)
    assert set(store.marks) == {"2", "3"}
    error, when, flagged = order_row(uow, shop_id, "1")
    assert error == f"{type(refusal).__name__}: {refusal}" and when is not None and not flagged
    [alert] = refusal_alerts(uow, shop_id)
    assert "order #1 (id 1)" in alert["message"] and str(refusal) in alert["message"]
    assert write_marks(uow, store, shop_id).refused == []  # not retried until the order changes


def test_a_refused_order_that_changes_is_tried_again_and_alerted_no_second_time(uow, shop_id):
    store = RefusingStore({"V1": -2}, {"1": PlatformNotFound("gone")})
    capture(uow, store, shop_id, ("1", 0))
    write_marks(uow, store, shop_id)
    capture_order(uow, store, shop_id, OrderBuilder("1", placed=0, updated=5).line("V1", 2).build())
    assert order_row(uow, shop_id, "1")[2]  # the change flagged it again

    again = write_marks(uow, store, shop_id)

    assert again.refused == ["1"] and again.alerted == 0
    assert len(refusal_alerts(uow, shop_id)) == 1
    assert [c for c in store.calls if c == ("try", "1")] == [("try", "1"), ("try", "1")]


def test_a_later_success_clears_the_recorded_refusal(uow, shop_id):
    store = RefusingStore({"V1": -2}, {"1": PlatformAuthError("403")})
    capture(uow, store, shop_id, ("1", 0))
    write_marks(uow, store, shop_id)
    store.refuse.clear()  # the merchant granted the permission
    capture_order(uow, store, shop_id, OrderBuilder("1", placed=0, updated=5).line("V1", 2).build())

    assert sync_marks(uow, store, shop_id) == 1
    assert order_row(uow, shop_id, "1") == (None, None, False)


def test_a_transient_error_still_leaves_the_order_flagged_and_raises(uow, shop_id):
    store = RefusingStore({"V1": -1}, {"1": PlatformUnavailable("store down")})
    capture(uow, store, shop_id, ("1", 0))
    with pytest.raises(PlatformUnavailable):
        write_marks(uow, store, shop_id)
    assert order_row(uow, shop_id, "1") == (None, None, True)
    assert refusal_alerts(uow, shop_id) == []


def test_reconciliation_advances_its_watermark_past_a_refused_order(uow, shop_id):
    store = RefusingStore({"V1": -2}, {"1": PlatformNotFound("gone")})
    store.orders = [OrderBuilder(order_id, placed=n).line("V1", 1).build() for n, order_id in enumerate("12")]

    report = reconcile_shop(uow, store, shop_id, overlap=timedelta(minutes=5),
                            initial_lookback=timedelta(days=36500))  # the builders' orders are dated 2026

    assert (report.seen, report.marked, report.refused, report.alerted) == (2, 1, ["1"], 1)
    with uow:
        assert uow.shops.get(shop_id).reconciled_until is not None
