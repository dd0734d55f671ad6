"""A supplier's settings and terms, on SQLite and PostgreSQL: `connector suppliers add --file` run again
for an existing supplier keeps the purchasing and drop-ship blocks set by their own commands unless the
spec names them (null removes one), and the terms and host-key services take the shop and refuse another
shop's supplier, through the CLI too."""

from __future__ import annotations

import json
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
from connector.domain.errors import InvalidPayload
from connector.domain.model import Platform, ShopCredentials
from connector.dropship.terms import set_terms as set_dropship_terms
from connector.purchasing.terms import set_terms as set_purchasing_terms
from connector.shops import add_shop
from connector.supply import suppliers
from connector.supply.host_keys import trust_host_key
from connector.supply.models import Supplier, SupplierStock

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
SHOP, OTHER = "store.myshopify.com", "other.myshopify.com"
KEY = "SHA256:" + "A" * 43


@pytest.fixture
def world(database_url, tmp_path):  # type: ignore[no-untyped-def]
    engine = make_engine(database_url)
    upgrade(engine)
    key = generate_key()
    uow, box = UnitOfWork(engine), CredentialBox(key)
    shop = add_shop(uow, box, Platform.SHOPIFY, SHOP, ShopCredentials(access_token="t")).id
    other = add_shop(uow, box, Platform.SHOPIFY, OTHER, ShopCredentials(access_token="t")).id
    feed = tmp_path / "feed.csv"
    feed.write_text("sku,quantity\nA,1\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONNECTOR_", "DATABASE", "REDIS"))}
    env.update({"DATABASE_URL": database_url, "CONNECTOR_SECRET_KEY": key, "CONNECTOR_ALLOW_LOCAL_FILES": "true"})
    yield {"uow": uow, "box": box, "shop": shop, "other": other, "feed": feed, "env": env, "tmp": tmp_path}
    engine.dispose()


def connector(world, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "connector"), *args], env=world["env"], capture_output=True, text=True,
                          timeout=120, cwd=world["tmp"])


def settings_of(world, supplier_id: int) -> dict:
    with world["uow"] as uow:
        row = uow.session.get(Supplier, supplier_id)
        return json.loads(row.settings)


def spec_file(world, **settings) -> str:
    path = world["tmp"] / "spec.json"
    path.write_text(json.dumps({"name": "mill", "kind": "feed", "lead_time_days": 9,
                                "settings": {"source": str(world["feed"]), **settings}}))
    return str(path)


def test_a_spec_file_run_again_keeps_the_blocks_set_by_their_commands_unless_it_names_them(world) -> None:
    desk = {"mode": "email", "email": "orders@mill.example"}
    added = connector(world, "suppliers", "add", "--shop", SHOP, "--file", spec_file(world, dropship=desk))
    assert added.returncode == 0, added.stdout + added.stderr
    [supplier_id] = [s["id"] for s in suppliers.list_suppliers(world["uow"], world["shop"])]
    terms = connector(world, "suppliers", "purchasing-terms", str(supplier_id), "--shop", SHOP, "--moq", "12",
                      "--case-pack", "6", "--channel", "email", "--email", "po@mill.example")
    assert terms.returncode == 0, terms.stdout + terms.stderr

    again = connector(world, "suppliers", "add", "--shop", SHOP, "--file",
                      spec_file(world, timeout_seconds=7))  # a changed timeout; no purchasing or drop-ship block
    assert again.returncode == 0, again.stdout + again.stderr
    kept = settings_of(world, supplier_id)
    assert kept["timeout_seconds"] == 7 and kept["dropship"] == desk
    assert (kept["purchasing"]["min_order_quantity"], kept["purchasing"]["case_pack"]) == (12, 6)

    suppliers.add_supplier(world["uow"], world["box"], world["shop"], json.loads(Path(spec_file(
        world, purchasing={"channel": "email", "email": "new@mill.example"}, dropship=None)).read_text()),
        clients=supplier_client)  # named: the spec's purchasing block replaces the stored one, null removes
    replaced = settings_of(world, supplier_id)
    assert replaced["purchasing"] == {"channel": "email", "email": "new@mill.example"} and "dropship" not in replaced
    assert "timeout_seconds" not in replaced  # the rest of the settings is the spec's, whole


def test_terms_and_host_key_trust_refuse_another_shop_s_supplier_and_change_nothing(world) -> None:
    uow = world["uow"]
    supplier_id = suppliers.add_supplier(uow, world["box"], world["shop"], json.loads(Path(spec_file(
        world)).read_text()), clients=supplier_client)
    with pytest.raises(InvalidPayload, match=f"no supplier with id {supplier_id} in this shop"):
        set_dropship_terms(uow, supplier_id, "A", shop_id=world["other"], dropship=True, unit_cost=Decimal("2"))
    with pytest.raises(InvalidPayload, match=f"no supplier with id {supplier_id} in this shop"):
        set_purchasing_terms(uow, supplier_id, {"min_order_quantity": 5}, shop_id=world["other"])
    with pytest.raises(InvalidPayload, match=f"no supplier with id {supplier_id} in this shop"):
        trust_host_key(uow, supplier_id, KEY, shop_id=world["other"])
    with uow:
        row = uow.session.get(Supplier, supplier_id)
        assert row.host_key_fingerprint is None and "purchasing" not in json.loads(row.settings)
        assert list(uow.session.scalars(select(SupplierStock).where(SupplierStock.supplier_id == supplier_id))) == []
    refused = connector(world, "dropship", "terms", "--shop", OTHER, "--supplier", str(supplier_id), "--sku", "A")
    assert refused.returncode != 0 and "in this shop" in refused.stdout + refused.stderr
    refused = connector(world, "suppliers", "purchasing-terms", str(supplier_id), "--shop", OTHER, "--moq", "5")
    assert refused.returncode != 0 and "in this shop" in refused.stdout + refused.stderr

    set_dropship_terms(uow, supplier_id, "A", shop_id=world["shop"], dropship=True, unit_cost=Decimal("2"))
    assert set_purchasing_terms(uow, supplier_id, {"min_order_quantity": 5}, shop_id=world["shop"]) is not None
    assert trust_host_key(uow, supplier_id, KEY, shop_id=world["shop"]).now == KEY
    done = connector(world, "dropship", "terms", "--shop", SHOP, "--supplier", str(supplier_id), "--sku", "B")
    assert done.returncode == 0, done.stdout + done.stderr
