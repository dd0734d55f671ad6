"""Drop-ship terms per SKU (supplier_stock.dropship and unit_cost), on SQLite and PostgreSQL: read
from a CSV feed or a JSON API through the supplier's mapping, kept when the feed does not carry
them, and set by hand with `connector dropship terms`."""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from connector.bootstrap import supplier_client
from connector.crypto import CredentialBox, generate_key
from connector.db.engine import make_engine, upgrade
from connector.db.uow import UnitOfWork
from connector.domain.model import Platform, ShopCredentials
from connector.shops import add_shop
from connector.supply import suppliers
from connector.supply.models import SupplierStock
from sandbox.serve import serve_in_thread
from sandbox.supplier_sim import SupplierSimulator

BIN = Path(sys.executable).parent


@pytest.fixture
def uow(database_url):  # type: ignore[no-untyped-def]
    engine = make_engine(database_url)
    upgrade(engine)
    yield UnitOfWork(engine)
    engine.dispose()


@pytest.fixture
def box() -> CredentialBox:
    return CredentialBox(generate_key())


@pytest.fixture
def shop_id(uow, box) -> int:  # type: ignore[no-untyped-def]
    return add_shop(uow, box, Platform.SHOPIFY, "store.myshopify.com", ShopCredentials(access_token="t")).id


def terms(uow, supplier_id: int) -> dict[str, tuple[int | None, bool, Decimal | None]]:  # type: ignore[no-untyped-def]
    with uow:
        return {r.sku: (r.quantity, bool(r.dropship), None if r.unit_cost is None else Decimal(str(r.unit_cost)))
                for r in uow.session.scalars(select(SupplierStock).where(SupplierStock.supplier_id == supplier_id))}


def test_a_feed_with_mapped_drop_ship_columns_fills_the_terms_and_a_later_feed_without_them_keeps_them(
        uow, box, shop_id, tmp_path) -> None:
    feed = tmp_path / "f.csv"
    feed.write_text("sku,qty,ds,cost\nA,1,yes,4.50\nB,2,no,\nC,3,,7\n")
    supplier_id = suppliers.add_supplier(uow, box, shop_id, {"name": "feed", "kind": "feed", "settings": {
        "source": str(feed), "mapping": {"quantity": "qty", "dropship": "ds", "unit_cost": "cost"}}},
        clients=supplier_client)
    assert suppliers.poll_supplier(uow, box, supplier_id, clients=supplier_client).status == "ok"
    assert terms(uow, supplier_id) == {"A": (1, True, Decimal("4.50")), "B": (2, False, None),
                                       "C": (3, False, Decimal("7.00"))}
    feed.write_text("sku,qty,ds,cost\nA,5,no,4.75\nB,2,1,\nC,3,,\n")
    suppliers.poll_supplier(uow, box, supplier_id, clients=supplier_client)
    assert terms(uow, supplier_id) == {"A": (5, False, Decimal("4.75")), "B": (2, True, None),
                                       "C": (3, False, Decimal("7.00"))}


def test_a_bad_cost_in_the_feed_is_a_bad_row_not_a_silent_zero(uow, box, shop_id, tmp_path) -> None:
    feed = tmp_path / "f.csv"
    feed.write_text("sku,quantity,cost\nA,1,cheap\nB,2,3\n")
    supplier_id = suppliers.add_supplier(uow, box, shop_id, {"name": "feed", "kind": "feed", "settings": {
        "source": str(feed), "mapping": {"unit_cost": "cost"}}},
        clients=supplier_client)
    report = suppliers.poll_supplier(uow, box, supplier_id, clients=supplier_client)
    assert report.rows_bad == 1 and terms(uow, supplier_id) == {"B": (2, False, Decimal("3.00"))}


def test_a_json_api_fills_the_terms_through_its_mapping(uow, box, shop_id) -> None:
    sim = SupplierSimulator({"auth": {"type": "bearer", "token": "tok"}, "items": [
        {"sku": "MUG", "quantity": 4, "dropship": True, "unit_cost": "3.20"},
        {"sku": "POT", "quantity": 0, "dropship": False}]})
    server = serve_in_thread(sim.app)
    try:
        supplier_id = suppliers.add_supplier(uow, box, shop_id, {
            "name": "api", "kind": "http_json", "secret": {"token": "tok"},
            "settings": {"url": server.url + "/api/all", "auth": {"type": "bearer"},
                         "mapping": {"dropship": "dropship", "unit_cost": "unit_cost"}}}, clients=supplier_client)
        assert suppliers.poll_supplier(uow, box, supplier_id, clients=supplier_client).status == "ok"
    finally:
        server.stop()
    assert terms(uow, supplier_id) == {"MUG": (4, True, Decimal("3.20")), "POT": (0, False, None)}


def test_terms_set_by_hand_with_the_cli_survive_the_next_poll(uow, box, shop_id, tmp_path, database_url) -> None:
    feed = tmp_path / "f.csv"
    feed.write_text("sku,quantity\nA,1\n")
    supplier_id = suppliers.add_supplier(uow, box, shop_id, {"name": "feed", "kind": "feed",
                                                             "settings": {"source": str(feed)}},
                                         clients=supplier_client)
    suppliers.poll_supplier(uow, box, supplier_id, clients=supplier_client)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONNECTOR_", "DATABASE", "REDIS"))}
    env.update({"DATABASE_URL": database_url, "CONNECTOR_SECRET_KEY": generate_key()})
    for sku, cost in (("A", "2.10"), ("NEW", "9")):
        done = subprocess.run([str(BIN / "connector"), "dropship", "terms", "--shop", "store.myshopify.com",
                               "--supplier", str(supplier_id),
                               "--sku", sku, "--cost", cost], env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr
    refused = subprocess.run([str(BIN / "connector"), "dropship", "terms", "--shop", "store.myshopify.com",
                              "--supplier", str(supplier_id),
                              "--sku", "A", "--cost", "lots"], env=env, capture_output=True, text=True, timeout=60)
    assert refused.returncode != 0 and "--cost must be a number" in refused.stdout + refused.stderr
    feed.write_text("sku,quantity\nA,6\n")
    suppliers.poll_supplier(uow, box, supplier_id, clients=supplier_client)
    assert terms(uow, supplier_id) == {"A": (6, True, Decimal("2.10")), "NEW": (None, True, Decimal("9.00"))}
