"""Queries for suppliers, their stock, the catalogue mirror and SKU dates; every one scoped to a shop.

Reached with ``uow.repo(SupplyRepository)``. Bulk paths (date refresh, publishing) use Core
statements with executemany and never load ORM objects per row, so memory stays flat however large
the catalogue; feed ingest's bulk reads and writes are FeedRepository's (feed_repository.py).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence, Set
from dataclasses import dataclass
from datetime import date, datetime
from operator import itemgetter, methodcaller
from typing import Any, cast

from sqlalchemy import CursorResult, Date, Integer, String, and_, bindparam, column, delete, func, select, table, update

from connector.db.models import Backorder, Shop
from connector.db.repositories import IN_CHUNK, Repository, in_chunks
from connector.supply import history
from connector.supply.models import (
    CatalogRead,
    SkuEta,
    StoreSku,
    Supplier,
    SupplierChange,
    SupplierSnapshot,
    SupplierStock,
)

PRUNE_SLACK = 1000
"""Stored rows beyond the catalogue's size before a poll deletes the rows of unsold SKUs."""


@dataclass(frozen=True)
class SoldSkus:
    """What a shop sells as a supplier poll sees it: ``skus`` (None: the catalogue was never read) and
    ``key``, which changes when they change (a SKU the shop starts selling may sit on an unchanged feed
    line or API page: a changed key makes the next poll skip the conditional request). The key is the
    count and an order-free sum of per-SKU hashes: on PostgreSQL the catalogue's is summed by the
    database (``hashtext``, in the scan that reads the catalogue: 100,000 SKUs, 2-3 ms of the server's
    time against 18-28 ms of CRC-32s in Python) and the open backorders' other SKUs are added in
    Python; elsewhere every SKU's CRC-32 is summed in Python. A key that changes without the SKUs
    changing (a backorder's SKU joining the catalogue, a PostgreSQL upgrade that changed ``hashtext``)
    costs one unconditional read, nothing else."""

    skus: frozenset[str] | None
    key: str


SKU_CHUNK = IN_CHUNK
"""SKUs per ``IN (...)`` list (SQLite allows 999 parameters per statement)."""

_PO = table("purchase_orders", column("id", Integer), column("shop_id", Integer), column("supplier_id", Integer),
             column("status", String), column("expected_date", Date))
_PO_LINES = table("purchase_order_lines", column("purchase_order_id", Integer), column("sku", String),
                  column("quantity", Integer), column("quantity_received", Integer))
"""The purchasing feature's tables, as far as the date rules read them (open_purchase_orders)."""

PageState = tuple[str, date | None, date | None, str, str | None, str | None, bool, bool]
"""(sku, page date, published date, date source, product id, variant id, backorders allowed, supplier lists it)."""


def _sku_filters(column: Any, skus: Sequence[str] | None) -> Iterator[tuple[Any, ...]]:
    """No filter (the whole shop) when ``skus`` is None, else one ``IN`` of at most SKU_CHUNK SKUs a query."""
    if skus is None:
        yield ()
        return
    for chunk in in_chunks(skus, SKU_CHUNK):
        yield (column.in_(chunk),)


class SupplyRepository(Repository):
    # -- suppliers -------------------------------------------------------------------------------

    def supplier(self, supplier_id: int) -> Supplier | None:
        return self.session.get(Supplier, supplier_id)

    def shop_supplier(self, shop_id: int, supplier_id: int) -> Supplier | None:
        """The supplier with this id when it is one of this shop's (None for another shop's)."""
        return self.session.scalar(select(Supplier).where(Supplier.shop_id == shop_id, Supplier.id == supplier_id))

    def supplier_by_name(self, shop_id: int, name: str) -> Supplier | None:
        return self.session.scalar(select(Supplier).where(Supplier.shop_id == shop_id, Supplier.name == name))

    def suppliers(self, shop_id: int | None = None, *, active_only: bool = False) -> Sequence[Supplier]:
        query = select(Supplier).order_by(Supplier.shop_id, Supplier.name)
        if shop_id is not None:
            query = query.where(Supplier.shop_id == shop_id)
        if active_only:  # an active supplier of an active (installed) shop
            query = query.join(Shop, Shop.id == Supplier.shop_id).where(Supplier.status == "active",
                                                                         Shop.status == "active")
        return self.session.scalars(query).all()

    def add(self, row: Any) -> Any:
        """Add a row and flush it (its id is known on return)."""
        self.session.add(row)
        self.session.flush()
        return row

    def put(self, row: Any) -> None:
        """Add a new row, written with the next flush or commit (many rows: no round trip each)."""
        self.session.add(row)

    def snapshot(self, snapshot_id: int) -> SupplierSnapshot | None:
        return self.session.get(SupplierSnapshot, snapshot_id)

    def snapshots(self, supplier_id: int, limit: int = 20) -> Sequence[SupplierSnapshot]:
        return self.session.scalars(select(SupplierSnapshot).where(SupplierSnapshot.supplier_id == supplier_id)
                                    .order_by(SupplierSnapshot.id.desc()).limit(limit)).all()

    # -- what the date rules read ----------------------------------------------------------------

    # Each of these reads the whole shop, or with ``skus`` only those (in lists of SKU_CHUNK): a poll that
    # changed 100 of a shop's 10,000 SKUs refreshes the dates of those 100 (connector/supply/dates.py).

    def store_skus(self, shop_id: int, skus: Sequence[str] | None = None) -> dict[str, tuple[int | None, bool]]:
        found: dict[str, tuple[int | None, bool]] = {}
        for only in _sku_filters(StoreSku.sku, skus):
            for sku, available, allowed in self.session.execute(
                    select(StoreSku.sku, StoreSku.available, StoreSku.backorders_allowed)
                    .where(StoreSku.shop_id == shop_id, *only)):
                found[sku] = (available, allowed)
        return found

    def catalogue_read(self, shop_id: int) -> bool:
        """Whether the shop's catalogue has been read: a catalogue read recorded (``catalog_reads``), or
        a catalogue mirror with rows (written before reads were recorded)."""
        if self.session.get(CatalogRead, shop_id) is not None:
            return True
        return self.session.scalar(select(StoreSku.id).where(StoreSku.shop_id == shop_id).limit(1)) is not None

    def record_catalogue_read(self, shop_id: int, skus: int, at: datetime) -> None:
        row = self.session.get(CatalogRead, shop_id)
        if row is None:
            self.session.add(CatalogRead(shop_id=shop_id, read_at=at, skus=skus))
        else:
            row.read_at, row.skus = at, skus

    def sold(self, shop_id: int) -> SoldSkus:
        """The SKUs a supplier poll stores for this shop, with their key (see SoldSkus): the store's
        catalogue and the SKUs of open backorders (an empty set for a store that sells nothing); None until
        the catalogue has been read (connector/supply/first_poll.py reads it before a shop's first poll).
        Read at the driver level: a big catalogue's SKUs through the ORM cost more than the rest of a
        poll's set-up, and through SQLAlchemy's result rows (Python calls per row) about half as much again
        as fetched whole; the catalogue comes as one text the database joins (``_joined_skus``), rows only
        when that cannot serve."""
        m = "%s" if self._pg else "?"
        cursor = self.session.connection().connection.cursor()  # the driver's: every row in one fetchall
        try:
            joined = _joined_skus(cursor, int(shop_id), self._pg)
            if joined is None:
                cursor.execute(f"SELECT sku FROM store_skus WHERE shop_id = {m}", (shop_id,))
                catalogue, digest = frozenset(map(itemgetter(0), cursor.fetchall())), None
            else:
                catalogue, digest = joined
            if not catalogue and not self.catalogue_read(shop_id):
                return SoldSkus(None, "all")
            cursor.execute(f"SELECT sku FROM backorders WHERE shop_id = {m} AND status = 'open' AND sku IS NOT NULL",
                           (shop_id,))
            extra = set(map(itemgetter(0), cursor.fetchall())).difference(catalogue)  # not in the catalogue
        finally:
            cursor.close()
        extra.discard("")
        sold = catalogue.union(extra) if extra else catalogue  # (a big catalogue is not copied for nothing)
        if "" in sold:
            sold = sold.difference(("",))
        if digest is None:
            return SoldSkus(sold, _crc_key(sold))
        return SoldSkus(sold, f"db:{digest}:{_crc_key(extra)}")

    @property
    def _pg(self) -> bool:
        return self.session.get_bind().dialect.name == "postgresql"

    def prune_unsold(self, shop_id: int, supplier_id: int, sold: int) -> int:
        """Delete a supplier's stock rows of SKUs the shop does not sell, once they clearly outnumber
        the catalogue (``sold`` SKUs; e.g. the rows of a poll that ran before the catalogue was read).
        Rows with drop-ship terms set by hand stay. Returns the rows deleted."""
        stored = self.session.scalar(select(func.count()).select_from(SupplierStock)
                                     .where(SupplierStock.supplier_id == supplier_id)) or 0
        if stored <= sold + max(PRUNE_SLACK, sold // 4):
            return 0
        catalogue = select(StoreSku.sku).where(StoreSku.shop_id == shop_id)
        waiting = select(Backorder.sku).where(Backorder.shop_id == shop_id, Backorder.status == "open",
                                              Backorder.sku.is_not(None))
        unsold = and_(SupplierStock.supplier_id == supplier_id, SupplierStock.dropship.is_(False),
                      SupplierStock.unit_cost.is_(None), SupplierStock.sku.not_in(catalogue),
                      SupplierStock.sku.not_in(waiting))
        self.session.execute(history.keep_first_load_rows(unsold))  # their first load's history stays
        result = cast(CursorResult[Any], self.session.execute(delete(SupplierStock).where(unsold)))
        return int(result.rowcount or 0)

    def shop_offers(self, shop_id: int, skus: Sequence[str]) -> Iterable[tuple[Any, ...]]:
        """(sku, supplier id, quantity, restock date, row lead time, supplier lead time, handling, transit)."""
        return self.session.execute(
            select(SupplierStock.sku, Supplier.id, SupplierStock.quantity, SupplierStock.restock_date,
                   SupplierStock.lead_time_days, Supplier.lead_time_days, Supplier.handling_days,
                   Supplier.transit_days)
            .join(Supplier, Supplier.id == SupplierStock.supplier_id)
            .where(SupplierStock.shop_id == shop_id, Supplier.status == "active",
                   SupplierStock.sku.in_(list(skus))))

    def open_purchase_orders(self, shop_id: int) -> Iterable[tuple[str, int, date | None, int]]:
        """(sku, supplier id, expected date, units still to arrive) of every purchase order placed and not
        fully received. The tables are the purchasing feature's (connector/purchasing/models.py), named
        here rather than imported: purchasing builds on supply, never the other way round."""
        received = _PO_LINES.c.quantity - _PO_LINES.c.quantity_received
        return cast(Iterable[tuple[str, int, date | None, int]], self.session.execute(
            select(_PO_LINES.c.sku, _PO.c.supplier_id, _PO.c.expected_date, received)
            .join(_PO, _PO.c.id == _PO_LINES.c.purchase_order_id)
            .where(_PO.c.shop_id == shop_id, _PO.c.status.in_(("placed", "partially_received")),
                   _PO.c.expected_date.is_not(None), received > 0)))

    def waiting_units(self, shop_id: int, skus: Sequence[str] | None = None) -> dict[str, int]:
        """Units still to come per SKU: open backorders' units less those already set aside from
        arriving stock (connector/restock), which need no supplier any more."""
        units: dict[str, int] = {}
        for only in _sku_filters(Backorder.sku, skus):
            for sku, quantity, allocated in self.session.execute(
                    select(Backorder.sku, Backorder.quantity_backordered, Backorder.quantity_allocated)
                    .where(Backorder.shop_id == shop_id, Backorder.status == "open", Backorder.sku.is_not(None),
                           *only)):
                if sku is not None:
                    units[sku] = units.get(sku, 0) + max(0, quantity - (allocated or 0))
        return units

    # -- sku dates -------------------------------------------------------------------------------

    def etas(self, shop_id: int, skus: Sequence[str] | None = None) -> dict[str, SkuEta]:
        return {row.sku: row for only in _sku_filters(SkuEta.sku, skus)
                for row in self.session.scalars(select(SkuEta).where(SkuEta.shop_id == shop_id, *only))}

    def open_backorder_dates(self, shop_id: int, skus: Sequence[str] | None = None,
                             ) -> list[tuple[int, str | None, date | None, date | None]]:
        """``(id, sku, expected_date, promised_date)`` of the shop's open backorders (of these SKUs), as columns:
        every refresh of a whole shop reads them all, and only the few whose date moved are written
        (``set_backorder_dates``), so entities would cost far more than the work."""
        return [row for only in _sku_filters(Backorder.sku, skus)
                for row in self.session.execute(
                    select(Backorder.id, Backorder.sku, Backorder.expected_date, Backorder.promised_date)
                    .where(Backorder.shop_id == shop_id, Backorder.status == "open", *only))]

    def set_backorder_dates(self, expected: Mapping[date | None, Sequence[int]], promised: Mapping[date, Sequence[int]],
                            now: datetime) -> None:
        """Give backorders their new expected date (``expected``: the backorders of each date) and, to those without
        one yet, their first promised date: one UPDATE a date (and SKU_CHUNK ids). Entities of these backorders
        already loaded in the session are updated with them (the ORM's synchronisation of an UPDATE)."""
        writes: list[tuple[Sequence[int], tuple[Any, ...], dict[str, Any]]]
        writes = [(ids, (), {"expected_date": day, "dates_updated_at": now}) for day, ids in expected.items()]
        writes += [(ids, (Backorder.promised_date.is_(None),), {"promised_date": day}) for day, ids in promised.items()]
        for ids, only, values in writes:
            for chunk in in_chunks(ids, SKU_CHUNK):
                self.session.execute(update(Backorder).where(Backorder.id.in_(chunk), *only).values(**values))

    def changed_by(self, shop_id: int, snapshot_id: int, limit: int) -> list[str] | None:
        """The SKUs whose stock rows the supplier poll ``snapshot_id`` wrote (rows it inserted or changed
        carry a time from its start on: connector/supply/ingest.py), at most ``limit``; None when there
        are more, or the snapshot is not this shop's (then the whole shop is refreshed). A later poll
        of the same supplier may add its own SKUs: a few more refreshed, none missed."""
        snapshot = self.session.get(SupplierSnapshot, snapshot_id)
        if snapshot is None or snapshot.shop_id != shop_id:
            return None
        skus = list(self.session.scalars(
            select(SupplierStock.sku).where(SupplierStock.supplier_id == snapshot.supplier_id,
                                            SupplierStock.updated_at >= snapshot.started_at).limit(limit + 1)))
        return None if len(skus) > limit else skus

    def store_sku_rows(self, shop_id: int) -> dict[str, StoreSku]:
        return {row.sku: row for row in self.session.scalars(select(StoreSku).where(StoreSku.shop_id == shop_id))}

    def unpublished(self, shop_id: int) -> Sequence[tuple[SkuEta, StoreSku]]:
        """SKU dates whose product page shows something else, with where the SKU lives."""
        rows = self.session.execute(
            select(SkuEta, StoreSku).join(StoreSku, (StoreSku.shop_id == SkuEta.shop_id) & (StoreSku.sku == SkuEta.sku))
            .where(SkuEta.shop_id == shop_id,
                   (SkuEta.expected_date != SkuEta.published_date)
                   | (SkuEta.expected_date.is_(None) & SkuEta.published_date.is_not(None))
                   | (SkuEta.expected_date.is_not(None) & SkuEta.published_date.is_(None)))
            .order_by(SkuEta.sku))
        return [(eta, sku) for eta, sku in rows]

    def mark_published(self, shop_id: int, published: Mapping[str, date | None], at: datetime) -> None:
        if not published:
            return
        statement = (update(SkuEta).where(SkuEta.shop_id == shop_id, SkuEta.sku == bindparam("b_sku"))
                     .values(published_date=bindparam("b_date"), published_at=at, publish_error=None))
        self.session.connection().execute(statement, [{"b_sku": sku, "b_date": day} for sku, day in published.items()])


    def delete_store_skus(self, shop_id: int, skus: Sequence[str]) -> None:
        """Forget catalogue rows of SKUs the store no longer lists."""
        for chunk in in_chunks(skus, SKU_CHUNK):
            self.session.execute(delete(StoreSku).where(StoreSku.shop_id == shop_id, StoreSku.sku.in_(chunk)))

    def page_states(self, shop_id: int) -> Sequence[PageState]:
        """Per SKU in the catalogue with a date row: (sku, page date, published date, date source, product id,
        variant id, backorders allowed, whether some supplier lists it), by product."""
        supplied = (select(SupplierStock.id).where(SupplierStock.shop_id == SkuEta.shop_id,
                                                   SupplierStock.sku == SkuEta.sku).exists())
        rows = self.session.execute(
            select(SkuEta.sku, SkuEta.page_date, SkuEta.published_date, SkuEta.source, StoreSku.product_id,
                   StoreSku.variant_id, StoreSku.backorders_allowed, supplied)
            .join(StoreSku, (StoreSku.shop_id == SkuEta.shop_id) & (StoreSku.sku == SkuEta.sku))
            .where(SkuEta.shop_id == shop_id).order_by(StoreSku.product_id, SkuEta.sku)).all()
        return cast(Sequence[PageState], rows)

    def record_publish_error(self, shop_id: int, skus: Sequence[str], message: str) -> None:
        self.session.connection().execute(
            update(SkuEta).where(SkuEta.shop_id == shop_id, SkuEta.sku == bindparam("b_sku"))
            .values(publish_error=message[:2000]), [{"b_sku": sku} for sku in skus])

    def set_backorders_allowed(self, shop_id: int, allowed: Mapping[str, bool]) -> None:
        """The backorder setting the store now has for these SKUs (after switching it)."""
        self.session.connection().execute(
            update(StoreSku).where(StoreSku.shop_id == shop_id, StoreSku.sku == bindparam("b_sku"))
            .values(backorders_allowed=bindparam("b_allowed")),
            [{"b_sku": sku, "b_allowed": value} for sku, value in allowed.items()])

    def sku_dates(self, shop_id: int) -> Sequence[tuple[SkuEta, str | None]]:
        """Every SKU date of the shop with its supplier's name (None: no supplier), by SKU."""
        rows = self.session.execute(
            select(SkuEta, Supplier.name).outerjoin(Supplier, Supplier.id == SkuEta.supplier_id)
            .where(SkuEta.shop_id == shop_id).order_by(SkuEta.sku))
        return [(eta, name) for eta, name in rows]

    def changes_of_skus(self, shop_id: int, skus: Sequence[str], since: datetime
                        ) -> Sequence[tuple[SupplierChange, str]]:
        """What supplier polls changed for these SKUs since ``since``, with the supplier's name, oldest
        first (the merchant's order timeline: dates promised and changed). First loads included
        (connector/supply/history.py: their rows are SupplierChange objects outside the session)."""
        if not skus:
            return []
        skus = list(skus)[:SKU_CHUNK]
        rows = self.session.execute(
            select(SupplierChange, Supplier.name).join(Supplier, Supplier.id == SupplierChange.supplier_id)
            .where(SupplierChange.shop_id == shop_id, SupplierChange.sku.in_(skus),
                   SupplierChange.changed_at >= since)
            .order_by(SupplierChange.changed_at, SupplierChange.id))
        return history.merged([(change, name) for change, name in rows],
                              history.first_load_changes(self.session, shop_id, skus, since))

    # -- one poll at a time (connector/supply/poll_lease.py) -------------------------------------

    def claim_poll(self, supplier_id: int, now: datetime, until: datetime) -> int | None:
        """Take the supplier's poll lease when free or run out; returns its shop id, or None."""
        result = cast(CursorResult[Any], self.session.execute(
            update(Supplier).where(Supplier.id == supplier_id,
                                   (Supplier.poll_lease_until.is_(None)) | (Supplier.poll_lease_until < now))
            .values(poll_lease_until=until, last_polled_at=now).returning(Supplier.shop_id)))
        row = result.first()
        return int(row[0]) if row is not None else None

    def end_unchanged_poll(self, supplier_id: int, now: datetime) -> None:
        self.session.execute(update(Supplier).where(Supplier.id == supplier_id).values(
            poll_lease_until=None, last_success_at=now, consecutive_failures=0, last_error=None))

    def release_poll(self, supplier_id: int) -> None:
        self.session.execute(update(Supplier).where(Supplier.id == supplier_id).values(poll_lease_until=None))


def _joined_skus(cursor: Any, shop_id: int, pg: bool) -> tuple[frozenset[str], str | None] | None:
    """A shop's catalogue SKUs as one text the database joins, split in C, instead of a row tuple and a
    string made by the driver per SKU (100,000 SKUs: 0.033 s against 0.055 s, either database), and on
    PostgreSQL the catalogue's part of the poll's key, summed by the database in the same scan (see
    SoldSkus). None when a SKU holds a line feed (the pieces do not add up; the caller then reads rows)."""
    if pg:
        cursor.execute("SELECT count(*), string_agg(sku, E'\\n'), sum(hashtext(sku)) FROM store_skus "
                       f"WHERE shop_id = {shop_id}")
        count, text, total = cursor.fetchone()
    else:
        cursor.execute(f"SELECT count(*), group_concat(sku, char(10)) FROM store_skus WHERE shop_id = {shop_id}")
        (count, text), total = cursor.fetchone(), None
    skus = text.split("\n") if text else []
    if len(skus) != count:
        return None
    return frozenset(skus), (f"{count}:{total or 0}" if pg else None)


def _crc_key(skus: Set[str]) -> str:
    """How many SKUs, and the sum of their CRC-32s (the same whatever their order)."""
    try:  # the SKUs are the database's text: UTF-8 (str.encode takes no arguments: a third less time)
        total = sum(map(zlib.crc32, map(str.encode, skus)))
    except UnicodeEncodeError:  # a lone surrogate: the same sum, such SKUs encoded as they are
        total = sum(map(zlib.crc32, map(methodcaller("encode", "utf-8", "surrogatepass"), skus)))
    return f"{len(skus)}:{total}"
