"""The backorder KPIs on real storage (SQLite and PostgreSQL): a hand-computed shop history
(tests/support/kpi_data.py) read back by the service, and `connector report` in JSON, CSV and as text."""

from __future__ import annotations

import csv
import io
import json

from click.testing import CliRunner

from connector.cli import main
from connector.crypto import CredentialBox, generate_key
from connector.db.engine import make_engine, upgrade
from connector.db.uow import UnitOfWork
from connector.domain.kpis import Period
from connector.domain.model import Platform, ShopCredentials
from connector.reports.kpis import shop_kpis
from connector.shop_settings import set_settings
from connector.shops import add_shop
from tests.support.kpi_data import EXPECTED, FROM, NOW, TO, add_history

SHOP = "kpis.myshopify.com"


def test_every_kpi_of_a_hand_computed_history_comes_back_from_the_database(database_url) -> None:
    key = generate_key()
    engine = make_engine(database_url)
    upgrade(engine)
    uow = UnitOfWork(engine)
    try:
        shop_id = add_shop(uow, CredentialBox(key), Platform.SHOPIFY, SHOP, ShopCredentials(access_token="t")).id
        add_history(uow, shop_id)
        set_settings(uow, shop_id, {"reports.review_wait_days": 7})
        got = shop_kpis(uow, shop_id, SHOP, Period(FROM, TO), now=NOW).as_dict()
        assert got == {**EXPECTED, "shop": SHOP}
        assert list(got) == list(EXPECTED)  # the documented key order
    finally:
        engine.dispose()


def test_the_report_command_prints_the_kpis_as_json_csv_and_text_and_keeps_the_status_counts(database_url) -> None:
    key = generate_key()
    engine = make_engine(database_url)
    upgrade(engine)
    uow = UnitOfWork(engine)
    env = {"DATABASE_URL": database_url, "CONNECTOR_SECRET_KEY": key, "CONNECTOR_CONFIG": ""}
    runner = CliRunner()
    try:
        shop_id = add_shop(uow, CredentialBox(key), Platform.SHOPIFY, SHOP, ShopCredentials(access_token="t")).id
        add_history(uow, shop_id)
        period = ["--from", FROM.isoformat(), "--to", TO.isoformat()]
        as_json = runner.invoke(main, ["report", "--shop", SHOP, "--json", *period], env=env)
        assert as_json.exit_code == 0, as_json.output
        report = json.loads(as_json.output)
        assert list(report) == list(EXPECTED)
        assert report["period"] == EXPECTED["period"] and report["weekly"] == EXPECTED["weekly"]
        assert report["time_to_fill"]["weekly"] == EXPECTED["time_to_fill"]["weekly"]
        assert report["dropship"] == EXPECTED["dropship"]

        as_csv = runner.invoke(main, ["report", "--shop", SHOP, "--csv", *period], env=env)
        assert as_csv.exit_code == 0, as_csv.output
        rows = dict(csv.reader(io.StringIO(as_csv.output)))
        assert rows["metric"] == "value"
        assert rows["time_to_fill.median_days"] == "3.0" and rows["weekly.1.closed"] == "2"
        assert rows["open_now.value.EUR"] == "30.00" and rows["messages.consolation_codes_redeemed"] == "1"

        text = runner.invoke(main, ["report", "--shop", SHOP, *period], env=env)
        assert text.exit_code == 0, text.output
        assert "fulfilled" in text.output and "cancelled" in text.output  # the status counts stay
        assert "time to fill: median 3.0 days, 90th percentile 10.0 days, 67% within 7 days" in text.output
        assert "review ordering: MUG" in text.output

        backwards = runner.invoke(main, ["report", "--shop", SHOP, "--from", "2026-11-10", "--to", "2026-11-01"],
                                  env=env)
        assert backwards.exit_code != 0 and "before it starts" in backwards.output
    finally:
        engine.dispose()
