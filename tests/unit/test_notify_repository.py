"""NotifyRepository on a real (SQLite) database: a pile-up crossing recorded twice is refused as a
whole, an alert is claimed once, and the pile-up value reads the store's prices."""

from __future__ import annotations

import pytest

from connector.notify.models import PileupAlert
from connector.notify.repository import NotifyRepository


def crossing(shop_id: int, sku: str = "TEA-1", threshold: str = "count") -> PileupAlert:
    return PileupAlert(shop_id=shop_id, sku=sku, threshold=threshold, limit_value=3, observed=4,
                       status="pending", channels="")


def test_a_second_uncleared_crossing_of_the_same_threshold_is_refused_with_everything_else(uow, shop_id):
    with uow:
        assert uow.repo(NotifyRepository).record_crossings([crossing(shop_id)])
        uow.commit()
    with uow:
        notes = uow.repo(NotifyRepository)
        assert notes.record_crossings([crossing(shop_id, sku="TEA-2"), crossing(shop_id)]) is False
    with uow:
        assert [(a.sku, a.threshold) for a in uow.repo(NotifyRepository).open_alerts(shop_id)] == [("TEA-1", "count")]


def test_an_alert_is_claimed_once(uow, shop_id):
    with uow:
        uow.repo(NotifyRepository).record_crossings([crossing(shop_id)])
        uow.commit()
    with uow:
        alert_id = uow.repo(NotifyRepository).pending_alerts(shop_id)[0].id
    claims = []
    for _ in range(2):
        with uow:
            claims.append(uow.repo(NotifyRepository).claim_alert(alert_id))
            uow.commit()
    assert claims == [True, False]
    with uow:
        assert uow.repo(NotifyRepository).pending_alerts(shop_id) == []


def test_repository_is_refused_outside_a_unit_of_work(uow):
    with pytest.raises(RuntimeError):
        uow.repo(NotifyRepository)
