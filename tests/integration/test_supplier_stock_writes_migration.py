"""Migration 0039 (stock rows without a key check per row) on SQLite and PostgreSQL: the supplier's
foreign key goes and the rows stay (0042 puts it back on SQLite, where a row trigger cost more); an
insert of a row whose supplier is not there is still refused; deleting a supplier, its shop (the
suppliers' cascade) or erasing the shop (privacy) still removes its stock rows; on PostgreSQL the SKU
column compares in "C" and still joins other tables' SKUs; downgrade restores the key."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from connector.db.engine import alembic_config, make_engine, upgrade
from connector.db.uow import UnitOfWork
from connector.privacy.repository import PrivacyRepository

MADE = datetime(2026, 12, 3, 10, tzinfo=UTC)
TRIGGERS = {"tr_supplier_stock_supplier", "tr_suppliers_delete_stock"}


def supplier_keys(engine) -> set[str]:  # type: ignore[no-untyped-def]
    return {key["referred_table"] for key in inspect(engine).get_foreign_keys("supplier_stock")}


def add_shop_and_suppliers(conn, shop_id: int, supplier_ids: tuple[int, ...]) -> None:  # type: ignore[no-untyped-def]
    conn.execute(text("INSERT INTO shops (id, platform, domain, credentials, status, created_at) "
                      "VALUES (:id, 'shopify', :d, 'x', 'active', :t)"),
                 {"id": shop_id, "d": f"s{shop_id}.myshopify.com", "t": MADE})
    for supplier_id in supplier_ids:
        conn.execute(text("INSERT INTO suppliers (id, shop_id, name, kind, settings, handling_days, transit_days, "
                          "status, consecutive_failures, created_at) VALUES (:id, :shop, :n, 'feed', '{}', 0, 0, "
                          "'active', 0, :t)"), {"id": supplier_id, "shop": shop_id, "n": f"f{supplier_id}", "t": MADE})


def stock(conn, shop_id: int, supplier_id: int, *skus: str) -> None:  # type: ignore[no-untyped-def]
    conn.execute(text("INSERT INTO supplier_stock (shop_id, supplier_id, sku, quantity, dropship, updated_at) "
                      "VALUES (:shop, :supplier, :sku, 1, false, :t)"),
                 [{"shop": shop_id, "supplier": supplier_id, "sku": sku, "t": MADE} for sku in skus])


def stored(conn) -> list[tuple[int, str]]:  # type: ignore[no-untyped-def]
    query = text("SELECT supplier_id, sku FROM supplier_stock ORDER BY supplier_id, sku")
    return [tuple(r) for r in conn.execute(query)]


def test_0039_drops_the_supplier_key_and_triggers_keep_its_checks_and_cascade(database_url):
    engine = make_engine(database_url)
    try:
        upgrade(engine, "0038")
        assert supplier_keys(engine) == {"suppliers"}
        with engine.begin() as conn:
            add_shop_and_suppliers(conn, 1, (1, 2))
            add_shop_and_suppliers(conn, 2, (3,))
            stock(conn, 1, 1, "A-1", "A-2")
        upgrade(engine, "0039")
        assert supplier_keys(engine) == set()
        with engine.begin() as conn:
            assert stored(conn) == [(1, "A-1"), (1, "A-2")]
            stock(conn, 1, 2, "B-1", "B-2")
            stock(conn, 2, 3, "C-1")
        with pytest.raises(IntegrityError), engine.begin() as conn:
            stock(conn, 1, 99, "X-1")  # no such supplier
        with pytest.raises(IntegrityError), engine.begin() as conn:
            stock(conn, 1, 1, "A-1")  # the same SKU of the same supplier again
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM suppliers WHERE id = 1"))
            assert stored(conn) == [(2, "B-1"), (2, "B-2"), (3, "C-1")]
            conn.execute(text("DELETE FROM shops WHERE id = 1"))  # its suppliers go by their key's cascade
            assert stored(conn) == [(3, "C-1")]
        command.downgrade(alembic_config(engine), "0038")
        assert supplier_keys(engine) == {"suppliers"}
        with engine.begin() as conn:
            assert stored(conn) == [(3, "C-1")]
        with pytest.raises(IntegrityError), engine.begin() as conn:
            stock(conn, 2, 99, "X-1")
        upgrade(engine, "0039")
        with engine.begin() as conn:
            assert stored(conn) == [(3, "C-1")]
    finally:
        engine.dispose()


def test_0042_gives_sqlite_the_supplier_key_back_in_place_of_the_row_trigger(database_url):
    """SQLite has no statement triggers: 0039's row trigger cost more than the key's own check, so 0042
    puts the key back there (PostgreSQL keeps its statement trigger). The checks and cascades stay."""
    engine = make_engine(database_url)
    sqlite = engine.dialect.name == "sqlite"

    def triggers() -> set[str]:
        query = ("SELECT name FROM sqlite_master WHERE type = 'trigger'" if sqlite else
                 "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        with engine.connect() as conn:
            return set(conn.execute(text(query)).scalars()) & TRIGGERS

    try:
        upgrade(engine, "0041")
        with engine.begin() as conn:
            add_shop_and_suppliers(conn, 1, (1, 2))
            stock(conn, 1, 1, "A-1", "A-2")
            stock(conn, 1, 2, "B-1")
        upgrade(engine)
        assert supplier_keys(engine) == ({"suppliers"} if sqlite else set())
        assert "ix_supplier_stock_shop_sku" in {i["name"] for i in inspect(engine).get_indexes("supplier_stock")}
        assert triggers() == (set() if sqlite else TRIGGERS)
        with engine.begin() as conn:
            assert stored(conn) == [(1, "A-1"), (1, "A-2"), (2, "B-1")]
        with pytest.raises(IntegrityError), engine.begin() as conn:
            stock(conn, 1, 99, "X-1")  # no such supplier
        with pytest.raises(IntegrityError), engine.begin() as conn:
            stock(conn, 1, 1, "A-1")  # the unique key came through the rebuild
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM suppliers WHERE id = 1"))
            assert stored(conn) == [(2, "B-1")]
            stock(conn, 1, 2, "B-2")
        command.downgrade(alembic_config(engine), "0041")
        assert supplier_keys(engine) == set()
        assert triggers() == TRIGGERS
        with pytest.raises(IntegrityError), engine.begin() as conn:
            stock(conn, 1, 99, "X-1")
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM shops WHERE id = 1"))  # suppliers by their key, stock by the trigger
            assert stored(conn) == []
    finally:
        engine.dispose()


def test_erasing_a_shop_removes_its_suppliers_stock_rows_and_no_other_shops(engine):
    with engine.begin() as conn:
        add_shop_and_suppliers(conn, 1, (1, 2))
        add_shop_and_suppliers(conn, 2, (3,))
        stock(conn, 1, 1, "A-1")
        stock(conn, 1, 2, "B-1")
        stock(conn, 2, 3, "C-1")
    uow = UnitOfWork(engine)
    with uow:
        uow.repo(PrivacyRepository).erase_shop(1)
        uow.commit()
    with engine.begin() as conn:
        assert stored(conn) == [(3, "C-1")]


def test_postgresql_compares_stock_skus_in_c_and_joins_them_with_other_tables_skus(pg_engine):
    engine = pg_engine
    with engine.begin() as conn:
        assert conn.execute(text("SELECT collation_name FROM information_schema.columns WHERE "
                                 "table_name = 'supplier_stock' AND column_name = 'sku'")).scalar_one() == "C"
        add_shop_and_suppliers(conn, 1, (1,))
        stock(conn, 1, 1, "a-1", "B-1", "b-1")
        conn.execute(text("INSERT INTO store_skus (shop_id, sku, backorders_allowed, updated_at) "
                          "VALUES (1, 'b-1', false, :t), (1, 'a-1', false, :t)"), {"t": MADE})
        joined = conn.execute(text("SELECT s.sku FROM supplier_stock s JOIN store_skus k ON k.shop_id = s.shop_id "
                                   "AND k.sku = s.sku ORDER BY s.sku")).scalars().all()
        assert joined == ["a-1", "b-1"]
        # byte order, the order of C.UTF-8 too: capitals first
        assert conn.execute(text("SELECT sku FROM supplier_stock ORDER BY sku")).scalars().all() == \
            ["B-1", "a-1", "b-1"]
