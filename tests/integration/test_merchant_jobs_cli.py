"""`connector jobs run NAME --shop S` runs the merchant's jobs as the app's Jobs page does: recorded in the
job-run ledger (so the page lists the run) and run in this process."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import text

from connector.cli import JOB_NAMES, MERCHANT_JOB_NAMES, main
from connector.crypto import CredentialBox, generate_key
from connector.db.engine import make_engine, upgrade
from connector.db.uow import UnitOfWork
from connector.domain.model import Platform, ShopCredentials
from connector.shops import add_shop
from jobs.merchant import NAMES

SHOP = "https://cli-jobs.example.com"


def test_the_command_line_offers_every_merchant_job():
    assert set(NAMES) == set(MERCHANT_JOB_NAMES) | ({"reconcile", "sync-marks"} & set(JOB_NAMES))


def test_a_merchant_job_run_from_the_command_line_is_recorded_with_its_result(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url, key = f"sqlite:///{tmp_path}/c.db", generate_key()
    engine = make_engine(url)
    upgrade(engine)
    shop = add_shop(UnitOfWork(engine), CredentialBox(key), Platform.WOOCOMMERCE, SHOP,
                    ShopCredentials(consumer_key="ck", consumer_secret="cs"))
    env = {"DATABASE_URL": url, "CONNECTOR_SECRET_KEY": key, "CONNECTOR_CONFIG": ""}
    runner = CliRunner()
    done = runner.invoke(main, ["jobs", "run", "refresh-dates", "--shop", SHOP], env=env)
    assert done.exit_code == 0, done.output
    assert "refresh-dates run 1: done 0" in done.output
    with engine.connect() as connection:
        row = connection.execute(text("SELECT job, shop_id, status, result FROM job_runs")).one()
    assert tuple(row[:3]) == ("jobs.supply.refresh_dates", shop.id, "done") and str(row[3]) == "0"
    none = runner.invoke(main, ["jobs", "run", "poll-suppliers", "--shop", SHOP], env=env)
    assert none.exit_code != 0 and "no active supplier" in none.output
    engine.dispose()
