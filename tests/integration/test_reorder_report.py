"""`connector report --shop S --reorder [--json|--csv]` on real storage (SQLite and PostgreSQL): sales
history, store stock and a supplier's stated lead time become advice, most urgent first, in a stable JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from click.testing import CliRunner

from connector.cli import main
from connector.crypto import CredentialBox, generate_key
from connector.db.engine import make_engine, upgrade
from connector.db.uow import UnitOfWork
from connector.domain.model import Platform, ShopCredentials
from connector.reorder.models import SalesDaily
from connector.shops import add_shop
from connector.supply.models import StoreSku, Supplier, SupplierStock

SHOP = "reorder.myshopify.com"


def test_the_reorder_report_in_json_csv_and_as_a_table(database_url) -> None:
    key = generate_key()
    engine = make_engine(database_url)
    upgrade(engine)
    uow = UnitOfWork(engine)
    shop_id = add_shop(uow, CredentialBox(key), Platform.SHOPIFY, SHOP, ShopCredentials(access_token="t")).id
    today = datetime.now(UTC).date()
    with uow:
        supplier = Supplier(shop_id=shop_id, name="Acme", kind="http_json", settings="{}", lead_time_days=10)
        uow.session.add(supplier)
        uow.session.flush()
        for sku, on_hand in (("MUG", 50), ("CUP", 400)):
            uow.session.add(StoreSku(shop_id=shop_id, sku=sku, available=on_hand))
            uow.session.add(SupplierStock(shop_id=shop_id, supplier_id=supplier.id, sku=sku))
            for back in range(1, 91):
                uow.session.add(SalesDaily(shop_id=shop_id, sku=sku, day=today - timedelta(days=back), units=3,
                                           orders=1))
        uow.session.add(StoreSku(shop_id=shop_id, sku="NEW", available=4))
        uow.commit()
    engine.dispose()
    env = {"DATABASE_URL": database_url, "CONNECTOR_SECRET_KEY": key, "CONNECTOR_CONFIG": ""}
    runner = CliRunner()
    result = runner.invoke(main, ["report", "--shop", SHOP, "--reorder", "--json"], env=env)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [r["sku"] for r in rows] == ["MUG", "CUP", "NEW"]
    mug = rows[0]
    assert list(mug) == ["sku", "status", "history_days", "daily_rate", "trend", "weekday_factors", "lead_time_days",
                         "lead_time_spread", "lead_time_source", "on_hand", "on_order", "safety_stock",
                         "reorder_point", "quantity", "reorder_by", "urgency", "supplier", "reasons"]
    assert (mug["status"], mug["reorder_point"], mug["quantity"], mug["supplier"]) == ("soon", 30, 84, "Acme")
    assert mug["reorder_by"] == (today + timedelta(days=6)).isoformat()
    assert rows[1]["status"] == "ok" and rows[2]["status"] == "too_little_history"
    as_csv = runner.invoke(main, ["report", "--shop", SHOP, "--reorder", "--csv"], env=env)
    assert as_csv.output.splitlines()[0].startswith("sku,status,reorder_by,quantity")
    assert as_csv.output.splitlines()[3].startswith("NEW,too_little_history")
    table = runner.invoke(main, ["report", "--shop", SHOP, "--reorder"], env=env)
    assert table.exit_code == 0 and "MUG" in table.output and "too little history" in table.output
