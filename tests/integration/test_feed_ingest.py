"""Feed polls that skip unchanged lines by fingerprint (SQLite and PostgreSQL): only changed lines are
written, a SKU listed twice still ends with its later line, bad lines are reported on every poll,
only the SKUs the shop sells are stored once its catalogue is known, and migration 0010 upgrades
and downgrades."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, select

from adapters.suppliers import feed_scan
from connector.bootstrap import supplier_client
from connector.crypto import CredentialBox, generate_key
from connector.db.engine import alembic_config, make_engine, upgrade
from connector.db.models import Backorder, Order, OrderLine
from connector.db.uow import UnitOfWork
from connector.domain.model import Platform, ShopCredentials
from connector.shops import add_shop
from connector.supply import suppliers
from connector.supply.history import supplier_history
from connector.supply.models import StoreSku, SupplierFeedState, SupplierStock
from connector.supply.repository import SupplyRepository

HEADER = "sku,quantity,restock_date,lead_time_days\n"


@pytest.fixture
def env(database_url, tmp_path):
    engine = make_engine(database_url)
    upgrade(engine)
    uow, box = UnitOfWork(engine), CredentialBox(generate_key())
    shop_id = add_shop(uow, box, Platform.SHOPIFY, "feed.myshopify.com", ShopCredentials(access_token="t")).id
    feed = tmp_path / "feed.csv"
    feed.write_text(HEADER)
    supplier_id = suppliers.add_supplier(uow, box, shop_id, {"name": "f", "kind": "feed",
                                                             "settings": {"source": str(feed)}},
                                         clients=supplier_client)
    yield uow, box, supplier_id, feed
    engine.dispose()


def poll(env, text: str) -> suppliers.PollReport:
    uow, box, supplier_id, feed = env
    feed.write_text(text)
    with uow:  # the file may keep its size and mtime second: make sure it is read
        uow.repo(SupplyRepository).supplier(supplier_id).etag = None
        uow.commit()
    report = suppliers.poll_supplier(uow, box, supplier_id, clients=supplier_client)
    assert report.status == "ok", report.error
    return report


def stock(env) -> dict[str, tuple]:
    uow, _, supplier_id, _ = env
    with uow:
        return {r.sku: (r.quantity, r.restock_date, r.lead_time_days) for r in uow.session.scalars(
            select(SupplierStock).where(SupplierStock.supplier_id == supplier_id))}


def changes(env) -> int:
    """Rows of history, a first load's included (one row per SKU it stored: connector/supply/history.py)."""
    with env[0] as uow:
        return len(supplier_history(uow.session, env[2]))


def test_a_steady_poll_writes_only_the_changed_lines_and_counts_every_line(env) -> None:
    lines = [f"S{n},{n},,{n % 9}\n" for n in range(50)]
    first = poll(env, HEADER + "".join(lines))
    assert (first.rows_total, first.rows_changed) == (50, 50)
    seed = feed_scan.seeds(HEADER.strip(), feed_scan.FieldMapping(), ",")
    with env[0] as uow:  # the first base is in feed order (the next poll's lookups run in that order)
        base = uow.session.get(SupplierFeedState, env[2]).line_hashes
        assert list(memoryview(base).cast("q")) == [feed_scan.fingerprint(line.strip(), seed) for line in lines]
    lines[7] = "S7,70,2026-12-24,7\n"
    second = poll(env, HEADER + "".join(lines) + "NEW,1,,\n")
    assert (second.rows_total, second.rows_changed) == (51, 2)
    assert stock(env)["S7"] == (70, date(2026, 12, 24), 7) and stock(env)["NEW"] == (1, None, None)
    assert changes(env) == 52
    assert poll(env, HEADER + "".join(lines) + "NEW,1,,\n").rows_changed == 0
    with env[0] as uow:
        state = uow.session.get(SupplierFeedState, env[2])
        assert state is not None and state.lines == 51
        assert (len(state.line_hashes), len(state.added or b""), len(state.removed or b"")) == (50 * 8, 2 * 8, 8)


def test_a_value_that_changes_back_is_written_back_through_the_stored_delta(env) -> None:
    base = "".join(f"S{n},1,,\n" for n in range(20))
    poll(env, HEADER + base + "X,5,,\n")
    for quantity in (6, 5, 6, 5):
        assert poll(env, HEADER + base + f"X,{quantity},,\n").rows_changed == 1
        assert stock(env)["X"] == (quantity, None, None)
    assert poll(env, HEADER + base + "X,5,,\n").rows_changed == 0
    # file validators: not read
    assert suppliers.poll_supplier(env[0], env[1], env[2], clients=supplier_client).status == "unchanged"


def test_a_sku_listed_twice_ends_with_its_later_line_even_when_that_line_is_unchanged(env) -> None:
    poll(env, HEADER + "X,5,,\nY,1,,\n")
    poll(env, HEADER + "X,6,,\nY,1,,\nX,5,,\n")  # the old line of X comes last: X stays 5
    assert stock(env)["X"] == (5, None, None)
    poll(env, HEADER + "X,5,,\nX,6,,\n")
    assert stock(env)["X"] == (6, None, None)
    poll(env, HEADER + "X,5,,\n")  # the winner left the feed: the remaining line counts
    assert stock(env)["X"] == (5, None, None)


def test_the_later_line_wins_across_flushes(env, monkeypatch) -> None:
    monkeypatch.setattr(feed_scan, "BLOCK_CHARS", 16)
    monkeypatch.setattr(feed_scan, "WINDOW_MAX", 2)
    filler = "".join(f"F{n},1,,\n" for n in range(20))
    poll(env, HEADER + "X,5,,\n" + filler)
    poll(env, HEADER + "X,6,,\n" + filler + "X,5,,\n")
    assert stock(env)["X"] == (5, None, None)
    poll(env, HEADER + "X,5,,\n" + filler + "X,7,,\n")
    assert stock(env)["X"] == (7, None, None)


def test_bad_lines_are_reported_on_every_poll_and_good_ones_skipped(env) -> None:
    text = HEADER + "A,1,,\nB,many,,\nC,3,,\n"
    first = poll(env, text)
    second = poll(env, text)
    assert (first.rows_bad, second.rows_bad, second.rows_total, second.rows_changed) == (1, 1, 3, 0)
    assert suppliers.last_snapshots(env[0], env[2])[0]["bad_rows"] == [
        {"line": 3, "reason": "quantity: not a number: 'many'"}]


def test_quoted_lines_and_a_new_header_are_read_again_without_writing_equal_values(env) -> None:
    text = HEADER + '"Q,1",4,2026-12-01,\n"multi\nline",2,,\nP,3,,\n'
    assert poll(env, text).rows_changed == 3
    assert stock(env)["multi\nline"] == (2, None, None)
    assert (poll(env, text).rows_changed, stock(env)["Q,1"]) == (0, (4, date(2026, 12, 1), None))
    reordered = "quantity,sku,restock_date,lead_time_days\n4,\"Q,1\",2026-12-01,\n2,\"multi\nline\",,\n3,P,,\n"
    again = poll(env, reordered)
    assert (again.rows_total, again.rows_changed) == (3, 0)
    assert poll(env, reordered.replace("3,P", "9,P")).rows_changed == 1


def test_a_refused_feed_leaves_stock_and_fingerprints_as_they_were(env) -> None:
    good = HEADER + "A,1,,\nB,2,,\n"
    poll(env, good)
    uow, box, supplier_id, feed = env
    feed.write_text(HEADER + "A,9,,\n" + "".join(f"S{n},x,,\n" for n in range(30)))
    assert suppliers.poll_supplier(uow, box, supplier_id, clients=supplier_client).status == "failed"
    assert stock(env) == {"A": (1, None, None), "B": (2, None, None)}
    assert poll(env, good.replace("B,2", "B,3")).rows_changed == 1
    assert stock(env) == {"A": (1, None, None), "B": (3, None, None)}


def test_0010_adds_the_fingerprint_storage_and_removes_it_on_downgrade(database_url) -> None:
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        assert "line_hash" in {c["name"] for c in inspect(engine).get_columns("supplier_stock")}
        assert "supplier_feed_state" in inspect(engine).get_table_names()
        command.downgrade(alembic_config(engine), "0009")
        inspector = inspect(engine)
        assert "line_hash" not in {c["name"] for c in inspector.get_columns("supplier_stock")}
        assert "supplier_feed_state" not in inspector.get_table_names()
        upgrade(engine)
    finally:
        engine.dispose()


def test_fingerprints_change_with_the_line_and_the_header(tmp_path: Path) -> None:
    mapping = feed_scan.FieldMapping()
    seed = feed_scan.seeds("sku,quantity", mapping, ",")
    assert feed_scan.fingerprint("A,1", seed) != feed_scan.fingerprint("A,2", seed)
    assert feed_scan.fingerprint("A,1", seed) != feed_scan.fingerprint("A,1", feed_scan.seeds("sku,qty", mapping, ","))
    assert feed_scan.fingerprint("A,1", seed) < 1 << 60


def sell(env, *skus: str) -> None:
    """Put SKUs in the shop's catalogue mirror (what sync_catalog writes)."""
    uow, _, supplier_id, _ = env
    with uow:
        shop_id = uow.repo(SupplyRepository).supplier(supplier_id).shop_id
        for sku in skus:
            uow.session.add(StoreSku(shop_id=shop_id, sku=sku, product_id="p-" + sku))
        uow.commit()


def test_once_the_catalogue_is_known_only_sold_skus_are_stored_and_a_newly_sold_one_is_picked_up(env) -> None:
    lines = "".join(f"S{n},{n},,\n" for n in range(40))
    sell(env, "S3", "S7")
    first = poll(env, HEADER + lines)
    assert (first.rows_total, first.rows_changed, first.rows_not_sold) == (40, 2, 38)
    assert stock(env) == {"S3": (3, None, None), "S7": (7, None, None)}
    assert changes(env) == 2
    unchanged = poll(env, HEADER + lines.replace("S20,20", "S20,21"))  # an unsold SKU's line changed
    assert (unchanged.rows_total, unchanged.rows_changed, unchanged.rows_not_sold) == (40, 0, 38)
    sell(env, "S20", "S30")  # the merchant starts selling two more: their unchanged lines are read now
    picked = poll(env, HEADER + lines.replace("S20,20", "S20,21"))
    assert (picked.rows_changed, picked.rows_not_sold) == (2, 36)
    assert stock(env)["S20"] == (21, None, None) and stock(env)["S30"] == (30, None, None)
    again = poll(env, HEADER + lines.replace("S20,20", "S20,21") + "S3,9,,\n")  # listed twice: the later wins
    assert (again.rows_changed, stock(env)["S3"]) == (1, (9, None, None))


def test_an_open_backorder_sku_is_stored_though_the_catalogue_mirror_lacks_it(env) -> None:
    uow, _, supplier_id, _ = env
    sell(env, "A")
    with uow:
        shop_id = uow.repo(SupplyRepository).supplier(supplier_id).shop_id
        now = datetime(2026, 11, 27, tzinfo=UTC)
        order = Order(shop_id=shop_id, platform_order_id="1001", name="#1001", ordered_at=now, platform_updated_at=now)
        line = OrderLine(shop_id=shop_id, order=order, platform_line_id="l1", sku="NEW-ITEM", quantity=1)
        waiting = Backorder(shop_id=shop_id, line=line, sku="NEW-ITEM", quantity_backordered=1)
        uow.session.add_all([order, line, waiting])
        uow.commit()
    report = poll(env, HEADER + "A,1,,\nNEW-ITEM,0,2026-12-20,\nOTHER,5,,\n")
    assert report.rows_not_sold == 1
    assert set(stock(env)) == {"A", "NEW-ITEM"}


def test_the_sku_filter_reads_quoted_lines_other_columns_and_reports_bad_lines_of_sold_skus_only(env) -> None:
    sell(env, "Q,1", "B", "D")
    text = HEADER + 'A,1,,\n"Q,1",4,2026-12-01,\nB,many,,\nC,lots,,\nD,2,,\n'
    report = poll(env, text)
    assert (report.rows_total, report.rows_bad, report.rows_changed, report.rows_not_sold) == (5, 1, 2, 2)
    assert suppliers.last_snapshots(env[0], env[2])[0]["bad_rows"] == [
        {"line": 4, "reason": "quantity: not a number: 'many'"}]
    assert stock(env) == {"Q,1": (4, date(2026, 12, 1), None), "D": (2, None, None)}
    plain = HEADER + "A,1,,\nB,many,,\nC,lots,,\nD,2,,\n"  # no quotes: the split path, same line numbers
    assert poll(env, plain).rows_bad == 1
    assert suppliers.last_snapshots(env[0], env[2])[0]["bad_rows"] == [
        {"line": 3, "reason": "quantity: not a number: 'many'"}]
    later = "quantity,restock_date,sku,lead_time_days\n1,,A,\n7,,D,\n3,,E,\n"  # SKU not the first column
    moved = poll(env, later)
    assert (moved.rows_changed, moved.rows_not_sold, stock(env)["D"]) == (1, 2, (7, None, None))


def test_many_bad_lines_of_unsold_skus_do_not_refuse_the_feed(env) -> None:
    sell(env, "A")
    report = poll(env, HEADER + "A,1,,\n" + "".join(f"S{n},x,,\n" for n in range(30)))
    assert (report.rows_bad, report.rows_not_sold, stock(env)) == (0, 30, {"A": (1, None, None)})


def test_rows_stored_before_the_catalogue_was_read_are_deleted_once_it_is_and_come_back_when_sold(
        env, monkeypatch) -> None:
    from connector.dropship.terms import set_terms
    from connector.supply import repository as repositories_supply

    monkeypatch.setattr(repositories_supply, "PRUNE_SLACK", 2)
    lines = "".join(f"S{n},{n},,\n" for n in range(12))
    assert poll(env, HEADER + lines).rows_changed == 12  # no catalogue yet: every SKU is stored
    shop_id = suppliers.list_suppliers(env[0])[0]["shop_id"]
    set_terms(env[0], env[2], "S9", shop_id=shop_id, dropship=True, unit_cost=None)  # terms set by hand stay
    sell(env, "S1", "S2")
    assert poll(env, HEADER + lines).rows_changed == 0
    assert set(stock(env)) == {"S1", "S2", "S9"}
    with env[0] as uow:  # the fingerprints of deleted rows are gone with them
        assert uow.session.get(SupplierFeedState, env[2]) is None
    assert poll(env, HEADER + lines).rows_changed == 0
    sell(env, "S5")  # its line did not change since its row was deleted: it is read and stored again
    assert (poll(env, HEADER + lines).rows_changed, stock(env)["S5"]) == (1, (5, None, None))
    assert set(stock(env)) == {"S1", "S2", "S5", "S9"}


def test_a_sku_the_shop_starts_selling_is_read_though_the_feed_file_did_not_change(env) -> None:
    uow, box, supplier_id, feed = env
    sell(env, "A")
    poll(env, HEADER + "A,1,,\nB,2,,\n")
    # same file: not read
    assert suppliers.poll_supplier(uow, box, supplier_id, clients=supplier_client).status == "unchanged"
    sell(env, "B")
    # the file is the same, what the shop sells is not
    again = suppliers.poll_supplier(uow, box, supplier_id, clients=supplier_client)
    assert (again.status, again.rows_changed, stock(env)) == ("ok", 1, {"A": (1, None, None), "B": (2, None, None)})
    assert suppliers.poll_supplier(uow, box, supplier_id, clients=supplier_client).status == "unchanged"


def test_the_sold_skus_are_read_whole_also_when_a_sku_holds_a_line_feed(env) -> None:
    """PostgreSQL reads a catalogue as one joined text; a SKU with a line feed in it makes it read rows."""
    from connector.domain.clock import utcnow

    uow, _, supplier_id, _ = env
    with uow:
        shop_id = uow.repo(SupplyRepository).supplier(supplier_id).shop_id
    for skus in (["A-1", "B-2", ""], ["A-1", "B\n2", "C-3"]):
        with uow:
            uow.session.execute(StoreSku.__table__.delete())
            uow.session.execute(StoreSku.__table__.insert(), [
                {"shop_id": shop_id, "sku": sku, "product_id": f"p{n}", "variant_id": f"v{n}", "available": 0}
                for n, sku in enumerate(skus)])
            uow.repo(SupplyRepository).record_catalogue_read(shop_id, len(skus), utcnow())
            uow.commit()
        with uow:
            assert uow.repo(SupplyRepository).sold(shop_id).skus == frozenset(skus) - {""}


def test_the_sold_key_changes_with_what_the_shop_sells_and_with_nothing_else(env) -> None:
    """The key a poll compares with its last (SoldSkus): the same however often and in whatever order the
    SKUs are read (a catalogue update moves rows on PostgreSQL), another one when the catalogue or an open
    backorder's SKU is added or taken away, back again when it is put back; PostgreSQL's catalogue part
    is summed by the database, and a catalogue read as rows (a SKU with a line feed) gets a key too."""
    from connector.domain.clock import utcnow

    uow, _, supplier_id, _ = env
    with uow:
        shop_id = uow.repo(SupplyRepository).supplier(supplier_id).shop_id
        uow.session.execute(StoreSku.__table__.insert(), [
            {"shop_id": shop_id, "sku": sku, "product_id": f"p{n}", "variant_id": f"v{n}", "available": 0}
            for n, sku in enumerate(["A-1", "B-2", "É-3"])])
        uow.repo(SupplyRepository).record_catalogue_read(shop_id, 3, utcnow())
        uow.commit()

    def sold():
        with uow:
            return uow.repo(SupplyRepository).sold(shop_id)

    def catalogue(statement) -> None:
        with uow:
            uow.session.execute(statement)
            uow.commit()

    first = sold()
    assert first.skus == {"A-1", "B-2", "É-3"}
    assert first.key.startswith("db:") == (uow.engine.dialect.name == "postgresql")
    assert sold() == first
    for available in (4, 5, 0):  # new row versions, read back in another order
        catalogue(StoreSku.__table__.update().where(StoreSku.sku != "B-2").values(available=available))
        assert sold() == first
    catalogue(StoreSku.__table__.insert().values(shop_id=shop_id, sku="C-4", product_id="p9", variant_id="v9",
                                                 available=0))
    added = sold()
    assert added.skus == {"A-1", "B-2", "É-3", "C-4"} and added.key != first.key
    catalogue(StoreSku.__table__.delete().where(StoreSku.sku == "C-4"))
    assert sold() == first
    now = utcnow()
    with uow:
        order = Order(shop_id=shop_id, platform_order_id="1001", name="#1001", ordered_at=now, platform_updated_at=now)
        line = OrderLine(shop_id=shop_id, order=order, platform_line_id="l1", sku="WAIT-1", quantity=1)
        uow.session.add_all([order, line, Backorder(shop_id=shop_id, line=line, sku="WAIT-1", quantity_backordered=1)])
        uow.commit()
    waiting = sold()
    assert waiting.skus == {"A-1", "B-2", "É-3", "WAIT-1"}
    assert len({first.key, added.key, waiting.key}) == 3
    with uow:
        uow.session.execute(Backorder.__table__.update().values(status="cancelled"))
        uow.commit()
    assert sold() == first
    catalogue(StoreSku.__table__.update().where(StoreSku.sku == "B-2").values(sku="B\n2"))  # read as rows
    rows = sold()
    assert rows.skus == {"A-1", "B\n2", "É-3"} and rows.key not in (first.key, added.key, waiting.key)
    assert sold() == rows


def test_a_first_load_of_a_known_catalogue_skips_the_prune_check_and_a_later_poll_makes_it(env, monkeypatch) -> None:
    """A first load stores only SKUs the shop sells, so it has nothing to prune and does not count its rows
    for it; every later poll checks (SupplyRepository.prune_unsold)."""
    from connector.domain.clock import utcnow

    uow, _, supplier_id, _ = env
    with uow:
        shop_id = uow.repo(SupplyRepository).supplier(supplier_id).shop_id
        uow.session.add_all([StoreSku(shop_id=shop_id, sku=sku, product_id="p", variant_id=sku) for sku in "AB"])
        uow.repo(SupplyRepository).record_catalogue_read(shop_id, 2, utcnow())
        uow.commit()
    checks: list[int] = []
    prune = SupplyRepository.prune_unsold
    monkeypatch.setattr(SupplyRepository, "prune_unsold",
                        lambda self, shop, supplier, sold: checks.append(sold) or prune(self, shop, supplier, sold))
    first = poll(env, HEADER + "A,1,,\nB,2,,\nC,3,,\n")
    assert (first.rows_changed, first.rows_not_sold, checks) == (2, 1, [])
    assert stock(env) == {"A": (1, None, None), "B": (2, None, None)}
    assert poll(env, HEADER + "A,4,,\nB,2,,\nC,3,,\n").rows_changed == 1
    assert checks == [2]


def test_statistics_after_a_big_load_come_from_a_smaller_sample_and_leave_the_setting_as_it_was(env) -> None:
    """FeedRepository.refresh_statistics: PostgreSQL's ANALYZE of the stock rows samples STATISTICS_TARGET
    (a histogram of that many buckets for 5,000 distinct SKUs, not the default 100), and the session's own
    setting is what it was afterwards."""
    from connector.supply.feed_repository import FeedRepository

    uow, _, supplier_id, _ = env
    if uow.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's planner statistics (SQLite's planner is not given any)")
    poll(env, HEADER + "".join(f"S-{n:05d},{n % 7},,{n % 30}\n" for n in range(5000)))
    target = FeedRepository.STATISTICS_TARGET
    assert target < 100
    with uow:
        connection = uow.session.connection()
        connection.exec_driver_sql("SET LOCAL default_statistics_target = 77")
        uow.repo(FeedRepository).refresh_statistics()
        assert connection.exec_driver_sql("SHOW default_statistics_target").scalar() == "77"
        bounds = connection.exec_driver_sql(
            "SELECT array_length(histogram_bounds::text::text[], 1) FROM pg_stats "
            "WHERE tablename = 'supplier_stock' AND attname = 'sku'").scalar()
        uow.commit()
    assert bounds == target + 1
    with uow:
        assert uow.session.connection().exec_driver_sql("SHOW default_statistics_target").scalar() == "100"


def test_a_poll_reads_and_writes_its_rows_with_the_cycle_collector_paused_and_restores_it(env, monkeypatch) -> None:
    import gc

    seen: list[bool] = []
    write = suppliers._write

    def watched(*args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(gc.isenabled())
        return write(*args, **kwargs)

    monkeypatch.setattr(suppliers, "_write", watched)
    was = gc.isenabled()
    gc.enable()
    try:
        poll(env, HEADER + "".join(f"S{n},{n},,\n" for n in range(10)))
        assert seen == [False]
        assert gc.isenabled()
    finally:
        if not was:
            gc.disable()
