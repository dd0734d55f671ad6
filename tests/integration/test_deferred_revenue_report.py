"""`connector report --shop S --deferred-revenue` on real storage (SQLite and PostgreSQL), in JSON, CSV and as a
table: a waiting order, a partial shipment of an order whose authorisation is captured on shipment (one capture
of part of it succeeded, a declined one does not count), a fulfilled order paid at checkout (left out), and
the allocated backorder that stays a backorder (waiting) until it ships."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from decimal import Decimal

from click.testing import CliRunner

from connector.cli import main
from connector.crypto import CredentialBox, generate_key
from connector.db.engine import make_engine, upgrade
from connector.db.models import Backorder, Order, OrderLine
from connector.db.uow import UnitOfWork
from connector.domain.model import Platform, ShopCredentials
from connector.payments.models import OrderPayment, PaymentCharge
from connector.shops import add_shop

SHOP = "books.myshopify.com"
DAY_ONE = datetime(2026, 12, 1, 10, tzinfo=UTC)
DAY_TWO = datetime(2026, 12, 2, 15, tzinfo=UTC)


def add_order(uow: UnitOfWork, shop_id: int, number: int, at: datetime, *, price: str, quantity: int,
              backordered: int, shipped: int = 0, status: str = "open", route: str | None = None,
              charges: tuple[tuple[str, str], ...] = ()) -> None:
    with uow:
        order = Order(shop_id=shop_id, platform_order_id=str(number), name=f"#{number}", ordered_at=at,
                      platform_updated_at=at, currency="EUR")
        order.lines.append(OrderLine(shop_id=shop_id, platform_line_id=f"{number}1", sku="MUG", title="Mug",
                                     quantity=quantity, unit_price=Decimal(price), quantity_fulfilled=shipped))
        uow.session.add(order)
        uow.session.flush()
        backorder = Backorder(shop_id=shop_id, order_line_id=order.lines[0].id, sku="MUG",
                              quantity_backordered=backordered, status=status, quantity_shipped=shipped)
        uow.session.add(backorder)
        uow.session.flush()
        if route is not None:
            uow.session.add(OrderPayment(shop_id=shop_id, order_id=order.id, route=route, state="authorized",
                                         currency="EUR"))
        for n, (amount, state) in enumerate(charges):
            uow.session.add(PaymentCharge(shop_id=shop_id, order_id=order.id, backorder_id=backorder.id,
                                          kind="capture", amount=Decimal(amount), currency="EUR", state=state,
                                          idempotency_key=f"k-{number}-{n}"))
        uow.commit()


def test_the_deferred_revenue_report_in_json_csv_and_as_a_table(database_url) -> None:
    key = generate_key()
    engine = make_engine(database_url)
    upgrade(engine)
    uow = UnitOfWork(engine)
    shop_id = add_shop(uow, CredentialBox(key), Platform.SHOPIFY, SHOP, ShopCredentials(access_token="t")).id
    env = {"DATABASE_URL": database_url, "CONNECTOR_SECRET_KEY": key, "CONNECTOR_CONFIG": ""}
    runner = CliRunner()
    try:
        empty = runner.invoke(main, ["report", "--shop", SHOP, "--deferred-revenue", "--json"], env=env)
        assert empty.exit_code == 0, empty.output
        assert json.loads(empty.output) == []
        add_order(uow, shop_id, 1001, DAY_ONE, price="12.50", quantity=3, backordered=3)
        add_order(uow, shop_id, 1002, DAY_ONE, price="8.00", quantity=6, backordered=5, shipped=2,
                  status="allocated", route="authorization", charges=(("6.00", "succeeded"), ("10.00", "declined")))
        add_order(uow, shop_id, 1003, DAY_TWO, price="20.00", quantity=1, backordered=1, shipped=1,
                  status="fulfilled", route="paid_at_checkout")
        add_order(uow, shop_id, 1004, DAY_TWO, price="4.00", quantity=2, backordered=2)

        result = runner.invoke(main, ["report", "--shop", SHOP, "--deferred-revenue", "--json"], env=env)
        assert result.exit_code == 0, result.output
        # day one: 3 x 12.50 waiting + 3 x 8.00 waiting; 2 x 8.00 shipped less the 6.00 captured = 10.00
        assert json.loads(result.output) == [
            {"day": "2026-12-01", "currency": "EUR", "orders_waiting": 2, "units_waiting": 6,
             "value_waiting": "61.50", "units_unpriced": 0, "orders_uncharged": 1, "value_shipped_uncharged": "10.00"},
            {"day": "2026-12-02", "currency": "EUR", "orders_waiting": 1, "units_waiting": 2,
             "value_waiting": "8.00", "units_unpriced": 0, "orders_uncharged": 0, "value_shipped_uncharged": "0.00"},
            {"day": "total", "currency": "EUR", "orders_waiting": 3, "units_waiting": 8,
             "value_waiting": "69.50", "units_unpriced": 0, "orders_uncharged": 1, "value_shipped_uncharged": "10.00"}]

        as_csv = runner.invoke(main, ["report", "--shop", SHOP, "--deferred-revenue", "--csv"], env=env)
        assert as_csv.exit_code == 0, as_csv.output
        table = list(csv.DictReader(io.StringIO(as_csv.output)))
        assert [(r["day"], r["value_waiting"], r["value_shipped_uncharged"]) for r in table] == [
            ("2026-12-01", "61.50", "10.00"), ("2026-12-02", "8.00", "0.00"), ("total", "69.50", "10.00")]

        shown = runner.invoke(main, ["report", "--shop", SHOP, "--deferred-revenue"], env=env)
        assert shown.exit_code == 0 and "value_shipped_uncharged" in shown.output and "69.50" in shown.output
        counts = runner.invoke(main, ["report", "--shop", SHOP], env=env)  # the plain report is unchanged
        assert counts.exit_code == 0 and "open" in counts.output and "fulfilled" in counts.output
    finally:
        engine.dispose()
