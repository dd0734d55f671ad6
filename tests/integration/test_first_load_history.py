"""The history of a first load as one row per snapshot (issue 17 item 5, migration 0037), on SQLite and
PostgreSQL: a shop whose supplier's first poll is a first load (no change row per SKU, its stock rows
name the snapshot) reads the same history as a shop whose polls all take the general path (a change
row per new SKU), through a SKU listed twice, later changes, new SKUs and the deletion of the rows of
SKUs no longer sold; and migration 0037 writes the first loads' rows back when it goes down."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import delete, func, inspect, select

from connector.bootstrap import supplier_client
from connector.crypto import CredentialBox, generate_key
from connector.db.engine import alembic_config, make_engine, upgrade
from connector.db.uow import UnitOfWork
from connector.domain.model import Platform, ShopCredentials
from connector.shops import add_shop
from connector.supply import suppliers
from connector.supply.feed_repository import FeedRepository
from connector.supply.history import supplier_history
from connector.supply.models import StoreSku, SupplierChange, SupplierSnapshot, SupplierStock
from connector.supply.repository import SupplyRepository

HEADER = "sku,quantity,restock_date,lead_time_days\n"
SKUS = [f"H-{n:05d}" for n in range(1500)]
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def feed(version: int) -> str:
    """Version 0: every SKU, one listed twice; 1: some quantities, dates and lead times changed and two
    SKUs added; 2: as 1 with other changes (after the catalogue shrank)."""
    lines = []
    for n, sku in enumerate(SKUS + ["H-NEW-1", "H-NEW-2"] * (version > 0)):
        quantity, restock, lead = n % 9 - 3, "" if n % 4 else f"2027-02-{1 + n % 27:02d}", n % 6
        if version and n % 7 == 0:
            quantity += version
        if version and n % 11 == 0:
            restock = f"2027-04-{1 + (n + version) % 27:02d}"
        if version == 2 and n % 13 == 0:
            lead += 1
        lines.append(f"{sku},{quantity},{restock},{lead}\n")
    lines.append(f"{SKUS[3]},77,2027-05-05,2\n")  # listed twice: the later line wins
    return HEADER + "".join(lines)


def shop_with_supplier(uow: UnitOfWork, box: CredentialBox, domain: str, source: Path,
                       old_row: bool) -> tuple[int, int]:
    shop_id = add_shop(uow, box, Platform.SHOPIFY, domain, ShopCredentials(access_token="t")).id
    with uow:
        uow.session.add_all([StoreSku(shop_id=shop_id, sku=sku, product_id="p", variant_id="v")
                             for sku in [*SKUS, "H-NEW-1", "H-NEW-2", "OLD"]])
        uow.commit()
    supplier_id = suppliers.add_supplier(uow, box, shop_id, {"name": "acme", "kind": "feed",
                                                             "settings": {"source": str(source)}},
                                         clients=supplier_client)
    if old_row:  # one row stored already: every poll takes the general path (a change row per new SKU)
        with uow:
            uow.session.add(SupplierStock(shop_id=shop_id, supplier_id=supplier_id, sku="OLD", quantity=1))
            uow.commit()
    return shop_id, supplier_id


def timeline(uow: UnitOfWork, shop_id: int, supplier_id: int) -> list[tuple[Any, ...]]:
    """What the order timeline reads for every SKU (changes_of_skus), each row with its poll's number, oldest
    poll first (the rows of one poll by SKU: they all carry the poll's time)."""
    with uow:
        polls = list(uow.session.scalars(select(SupplierSnapshot.id).where(SupplierSnapshot.supplier_id == supplier_id)
                                         .order_by(SupplierSnapshot.id)))
        found = []
        repo = uow.repo(SupplyRepository)
        skus = [*SKUS, "H-NEW-1", "H-NEW-2"]
        for at in range(0, len(skus), 900):
            read = [(polls.index(c.snapshot_id), c.sku, c.quantity, c.restock_date, c.previous_quantity,
                     c.previous_restock_date, name) for c, name in repo.changes_of_skus(shop_id, skus[at:at + 900],
                                                                                        EPOCH)]
            assert [row[0] for row in read] == sorted(row[0] for row in read)  # oldest first
            found += read
    return sorted(found, key=repr)


def poll_both(uow: UnitOfWork, box: CredentialBox, sources: list[Path], ids: list[int], version: int) -> None:
    for source, supplier_id in zip(sources, ids, strict=True):
        source.write_text(feed(version))
        report = suppliers.poll_supplier(uow, box, supplier_id, clients=supplier_client)
        assert report.status == "ok", report.error


@pytest.mark.parametrize("chunk", [None, 100], ids=["chunks-as-set", "chunks-of-100"])
def test_a_first_load_reads_as_the_same_history_as_per_sku_rows_through_changes_and_deletions(
        database_url, tmp_path, monkeypatch, chunk) -> None:
    """Also with chunks far smaller than the feed (``chunk``): the SKU listed twice is then met again in a
    later chunk, and the history is the same as when both lines fall in one."""
    if chunk is not None:
        monkeypatch.setattr(FeedRepository, "CHUNK_ROWS", {"postgresql": chunk, "sqlite": chunk})
        monkeypatch.setattr(FeedRepository, "FIRST_LOAD_CHUNK_ROWS", chunk)
    engine = make_engine(database_url)
    upgrade(engine)
    uow, box = UnitOfWork(engine), CredentialBox(generate_key())
    try:
        sources = [tmp_path / "compact.csv", tmp_path / "rows.csv"]
        (compact_shop, compact), (rows_shop, rows) = (
            shop_with_supplier(uow, box, "compact.myshopify.com", sources[0], old_row=False),
            shop_with_supplier(uow, box, "rows.myshopify.com", sources[1], old_row=True))
        poll_both(uow, box, sources, [compact, rows], 0)
        with uow:
            raw = uow.session.scalar(select(func.count()).select_from(SupplierChange)
                                     .where(SupplierChange.supplier_id == compact))
            started = uow.session.scalar(select(SupplierSnapshot.started_at)
                                         .where(SupplierSnapshot.supplier_id == compact))
            loaded = set(uow.session.scalars(select(SupplierStock.updated_at)
                                             .where(SupplierStock.supplier_id == compact)))
        assert raw == 0  # the first load wrote no change row (its SKU listed twice: the later line, in one chunk)
        assert loaded == {started}  # the rows of a first load carry its snapshot's start, the time its history reads
        first = timeline(uow, compact_shop, compact)
        assert len(first) == len(SKUS) and first == timeline(uow, rows_shop, rows)
        assert [row[1:6] for row in first if row[1] == SKUS[3]] == [(SKUS[3], 77, date(2027, 5, 5), None, None)]

        poll_both(uow, box, sources, [compact, rows], 1)  # changes and new SKUs
        with uow:  # the shop stops selling most SKUs: the next poll deletes their rows (prune_unsold)
            for shop in (compact_shop, rows_shop):
                uow.session.execute(delete(StoreSku).where(StoreSku.shop_id == shop, StoreSku.sku.not_in(
                    [*SKUS[:100], "H-NEW-1", "OLD"])))
            uow.commit()
        poll_both(uow, box, sources, [compact, rows], 2)
        with uow:
            kept = uow.session.scalar(select(func.count()).select_from(SupplierStock)
                                      .where(SupplierStock.supplier_id == compact))
        assert kept == 101  # the rows of unsold SKUs went, their history stayed
        ours, theirs = timeline(uow, compact_shop, compact), timeline(uow, rows_shop, rows)
        assert ours == theirs
        assert {poll for poll, *_ in ours} == {0, 1, 2} and len(ours) > len(SKUS) + 300
        # the SKU listed twice went elsewhere and back within each later poll: no change of its own
        assert [row[0] for row in ours if row[1] == SKUS[3]] == [0]
        with uow:
            whole = [(c.sku, c.quantity, c.restock_date, c.previous_quantity, c.previous_restock_date)
                     for c in supplier_history(uow.session, compact) if c.sku != "OLD"]
            theirs_whole = [(c.sku, c.quantity, c.restock_date, c.previous_quantity, c.previous_restock_date)
                            for c in supplier_history(uow.session, rows) if c.sku != "OLD"]
        assert sorted(whole, key=repr) == sorted(theirs_whole, key=repr)
    finally:
        engine.dispose()


def test_migration_0037_writes_the_first_loads_rows_back_when_it_goes_down_and_comes_back(database_url,
                                                                                          tmp_path) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    uow, box = UnitOfWork(engine), CredentialBox(generate_key())
    try:
        source = tmp_path / "feed.csv"
        shop_id, supplier_id = shop_with_supplier(uow, box, "down.myshopify.com", source, old_row=False)
        for version in (0, 1):
            source.write_text(feed(version))
            assert suppliers.poll_supplier(uow, box, supplier_id, clients=supplier_client).status == "ok"
        with uow:
            read = sorted((c.snapshot_id, c.sku, c.quantity, c.restock_date, c.previous_quantity,
                           c.previous_restock_date, c.changed_at) for c in supplier_history(uow.session, supplier_id))
        assert len(read) > len(SKUS)

        def columns() -> set[str]:
            return {c["name"] for c in inspect(engine).get_columns("supplier_stock")}

        command.downgrade(alembic_config(engine), "0036")
        assert "first_load_snapshot_id" not in columns()
        with engine.connect() as connection:
            written = sorted(connection.execute(select(
                SupplierChange.snapshot_id, SupplierChange.sku, SupplierChange.quantity, SupplierChange.restock_date,
                SupplierChange.previous_quantity, SupplierChange.previous_restock_date, SupplierChange.changed_at)
                .where(SupplierChange.supplier_id == supplier_id)).all())
        assert [tuple(row) for row in written] == read
        upgrade(engine)
        assert "first_load_snapshot_id" in columns()
    finally:
        engine.dispose()
