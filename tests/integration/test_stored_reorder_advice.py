"""Stored reorder advice (connector/reorder/stored.py) on SQLite and PostgreSQL: what is stored reads back
equal to what was computed (every field, reasons, weekday factors, lead time spreads), fresh only for the
shop's today and after the sales history last changed, a computation older than the stored one is not
written over it, another shop's rows are untouched, and the report uses the stored rows on the shop's date."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, update

from connector.cli import main
from connector.crypto import CredentialBox, generate_key
from connector.db.engine import make_engine, upgrade
from connector.db.uow import UnitOfWork
from connector.domain.clock import utcnow
from connector.domain.model import Platform, ShopCredentials
from connector.reorder.advice import reorder_advice
from connector.reorder.history import progress
from connector.reorder.models import SalesHistory, StoredAdvice
from connector.reorder.stored import current_advice, recompute, shop_today, store_advice, stored_advice
from connector.settings_registry import registry
from connector.shop_settings import set_setting, use
from connector.shops import add_shop
from connector.supply.models import StoreSku
from tests.support.reorder_data import seed_sales

NOW = datetime.now(UTC)
TODAY = NOW.date()


class Shops:
    def __init__(self, url: str) -> None:
        self.key = generate_key()
        self.engine = make_engine(url)
        upgrade(self.engine)
        use(registry())
        self.uow = UnitOfWork(self.engine)
        box = CredentialBox(self.key)
        self.shop_id = add_shop(self.uow, box, Platform.SHOPIFY, "stored.myshopify.com",
                                ShopCredentials(access_token="t")).id
        self.other_id = add_shop(self.uow, box, Platform.SHOPIFY, "other.myshopify.com",
                                 ShopCredentials(access_token="t")).id


@pytest.fixture
def shops(database_url: str) -> Iterator[Shops]:
    s = Shops(database_url)
    yield s
    s.engine.dispose()


def stored_rows(shops: Shops, shop_id: int) -> int:
    with shops.uow as uow:
        return int(uow.session.scalar(select(func.count()).select_from(StoredAdvice)  # type: ignore[union-attr]
                                      .where(StoredAdvice.shop_id == shop_id)) or 0)


def test_stored_advice_reads_back_equal_to_the_computed_advice(shops: Shops) -> None:
    seed_sales(shops.engine, shops.shop_id, 300, 150, TODAY)
    seed_sales(shops.engine, shops.other_id, 40, 60, TODAY, prefix="O-")
    computed = reorder_advice(shops.uow, shops.shop_id, TODAY)
    statuses = {a.status for a in computed}
    assert {"ok", "slow_mover", "too_little_history"} <= statuses and ({"soon", "overdue"} & statuses)
    assert any(a.weekday_factors for a in computed) and any(a.lead_time_spread for a in computed)
    assert any(a.trend is not None for a in computed) and any(a.on_order for a in computed)
    assert stored_advice(shops.uow, shops.shop_id, TODAY) is None  # nothing stored yet
    recompute(shops.uow, shops.other_id, NOW)
    assert recompute(shops.uow, shops.shop_id, NOW) == computed
    assert stored_advice(shops.uow, shops.shop_id, TODAY) == computed  # every field, in the same order
    assert [a.as_dict() for a in current_advice(shops.uow, shops.shop_id, NOW)] == [a.as_dict() for a in computed]
    assert stored_rows(shops, shops.shop_id) == 300 and stored_rows(shops, shops.other_id) == 40
    state = progress(shops.uow, shops.shop_id)
    assert state.advice_for == TODAY and state.advice_at == NOW

    recompute(shops.uow, shops.shop_id, NOW + timedelta(minutes=1))  # replaced, not added to
    assert stored_rows(shops, shops.shop_id) == 300 and stored_rows(shops, shops.other_id) == 40


def test_fresh_only_for_the_shops_today_and_after_the_history_last_changed(shops: Shops) -> None:
    seed_sales(shops.engine, shops.shop_id, 30, 60, TODAY)
    recompute(shops.uow, shops.shop_id, NOW)
    assert stored_advice(shops.uow, shops.shop_id, TODAY) is not None
    assert stored_advice(shops.uow, shops.shop_id, TODAY + timedelta(days=1)) is None  # another day
    with shops.uow as uow:
        uow.session.execute(update(SalesHistory).where(SalesHistory.shop_id == shops.shop_id)  # type: ignore[union-attr]
                            .values(folded_at=NOW + timedelta(seconds=5)))  # captured orders folded since
        uow.commit()
    assert stored_advice(shops.uow, shops.shop_id, TODAY) is None
    with shops.uow as uow:  # stock moved: the fresh check does not see it, a recompute does
        uow.session.execute(update(StoreSku).where(StoreSku.shop_id == shops.shop_id)  # type: ignore[union-attr]
                            .values(available=0))
        uow.commit()
    advice = current_advice(shops.uow, shops.shop_id, NOW + timedelta(seconds=10))  # not fresh: computed, stored
    assert all(a.on_hand == 0 for a in advice)
    assert stored_advice(shops.uow, shops.shop_id, TODAY) == advice


def test_an_older_computation_is_not_stored_over_a_newer_one(shops: Shops) -> None:
    seed_sales(shops.engine, shops.shop_id, 20, 60, TODAY)
    newer = recompute(shops.uow, shops.shop_id, NOW)
    assert not store_advice(shops.uow, shops.shop_id, newer[:3], TODAY, NOW - timedelta(seconds=1))
    assert stored_rows(shops, shops.shop_id) == 20
    assert store_advice(shops.uow, shops.shop_id, [], TODAY, NOW + timedelta(seconds=1))
    assert stored_rows(shops, shops.shop_id) == 0
    assert stored_advice(shops.uow, shops.shop_id, TODAY) == []  # computed, and empty: not "never computed"


def test_the_shops_today_is_its_own_date(shops: Shops) -> None:
    set_setting(shops.uow, shops.shop_id, "dates.timezone", "Pacific/Kiritimati")  # UTC+14
    late = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
    assert shop_today(shops.uow, shops.shop_id, late) == date(2026, 12, 3)
    assert shop_today(shops.uow, shops.other_id, late) == date(2026, 12, 2)


def test_the_report_lists_the_stored_advice_for_the_shops_today(shops: Shops) -> None:
    today = utcnow().date()  # the CLI reads the clock: not the module's NOW, stale after midnight UTC
    seed_sales(shops.engine, shops.shop_id, 25, 90, today)
    recompute(shops.uow, shops.shop_id)
    with shops.uow as uow:  # the stock changes; the stored advice (fresh) is what the report lists
        uow.session.execute(update(StoreSku).where(StoreSku.shop_id == shops.shop_id)  # type: ignore[union-attr]
                            .values(available=12345))
        uow.commit()
    env = {"DATABASE_URL": str(shops.engine.url.render_as_string(hide_password=False)),
           "CONNECTOR_SECRET_KEY": shops.key, "CONNECTOR_CONFIG": ""}
    result = CliRunner().invoke(main, ["report", "--shop", "stored.myshopify.com", "--reorder", "--json"], env=env)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert len(rows) == 25 and 12345 not in {r["on_hand"] for r in rows}
    assert rows == [a.as_dict() for a in stored_advice(shops.uow, shops.shop_id, today) or []]

    # in a zone whose date is not UTC's, the stored advice (computed for the UTC date) is not fresh there:
    # the report computes for the shop's own date, and stores that. UTC+14 is a day ahead from 10:00 UTC,
    # UTC-11 a day behind until 11:00 UTC: one of the two differs from UTC's date at any hour of the run
    now = datetime.now(UTC)
    zone = "Pacific/Kiritimati" if now.hour >= 10 else "Pacific/Pago_Pago"
    assert now.astimezone(ZoneInfo(zone)).date() != now.date()
    set_setting(shops.uow, shops.shop_id, "dates.timezone", zone)
    zone_today = shop_today(shops.uow, shops.shop_id)
    result = CliRunner().invoke(main, ["report", "--shop", "stored.myshopify.com", "--reorder", "--json"], env=env)
    rows = json.loads(result.output)
    assert {r["on_hand"] for r in rows} == {12345}
    assert progress(shops.uow, shops.shop_id).advice_for == zone_today
