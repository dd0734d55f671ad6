"""Restock's queries: backorders still waiting for units, arrivals processed, allocations made and
the stock positions' last known units in hand. Set-based: one query per batch of SKUs or positions.

A chunk's allocations and backorder updates go in one statement on PostgreSQL (two on SQLite), whatever
their number: on PostgreSQL the rows travel as arrays (``unnest``), on SQLite (3.33 or later: UPDATE ...
FROM) as one JSON text (``json_each``), so neither the statements nor the parameters grow with the
backorders."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Date, Integer, String, and_, bindparam, column, func, insert, or_, select, table, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from connector.background import InOrder
from connector.db.models import Backorder, Order, OrderLine, UTCDateTime
from connector.db.repositories import Repository
from connector.restock.models import Allocation, StockArrival, StockPosition
from connector.supply.models import StoreSku, SupplierStock

WAITING = ("open", "allocated")
"""Backorder states still waiting (still a backorder): units short, or set aside and not shipped."""

_PO = table("purchase_orders", column("id", Integer), column("shop_id", Integer), column("status", String))
_PO_LINES = table("purchase_order_lines", column("purchase_order_id", Integer), column("sku", String),
                  column("quantity", Integer), column("quantity_received", Integer))
"""The purchasing feature's tables, as far as allocation reads them (``units_on_order``). Named here
rather than imported: purchasing builds on restock (its receipts call ``units_arrived``)."""

ON_ORDER = ("placed", "partially_received")
"""Purchase-order states whose units not yet received are still to come."""

_WAITING_SQL = (
    "SELECT b.id, b.sku, b.stock_key, b.quantity_backordered, b.quantity_allocated, o.platform_order_id, "
    "l.platform_line_id, o.ordered_at, o.tags FROM backorders AS b "
    "JOIN order_lines AS l ON l.id = b.order_line_id JOIN orders AS o ON o.id = l.order_id "
    "WHERE b.shop_id = %(shop_id)s AND b.status = 'open' AND o.status = 'open' "
    "AND b.quantity_allocated < b.quantity_backordered AND b.{by} = ANY(%(values)s)")
"""``RestockRepository.waiting_rows`` on PostgreSQL (psycopg's parameter style), ``{by}``: sku or stock_key.
The same rows as the Core select used on SQLite (tests/integration/test_restock_waiting_rows.py compares them)."""

_WAITING_SQLITE = (
    "SELECT b.id, b.sku, b.stock_key, b.quantity_backordered, b.quantity_allocated, o.platform_order_id, "
    "l.platform_line_id, o.ordered_at, o.tags FROM backorders AS b "
    "JOIN order_lines AS l ON l.id = b.order_line_id JOIN orders AS o ON o.id = l.order_id "
    "WHERE b.shop_id = ? AND b.status = 'open' AND o.status = 'open' "
    "AND b.quantity_allocated < b.quantity_backordered AND b.{by} IN (SELECT value FROM json_each(?))")
"""``RestockRepository.waiting_rows`` on SQLite (the SKUs or keys as one JSON array): the driver's rows are
taken as they come and only ``ordered_at`` is converted, which costs a third less CPU than the Core
select's rows (tests/integration/test_restock_waiting_rows.py compares them)."""

_UTC_ZONES = frozenset({"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Etc/Universal", "Universal", "Etc/Zulu", "Zulu"})
"""Session time zones in which psycopg's aware datetimes are already UTC."""


def _utc_text(value: str) -> datetime:
    """A datetime SQLite keeps as text (``UTCDateTime`` writes UTC without a zone) as an aware UTC datetime."""
    parsed = datetime.fromisoformat(value)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _int_array(values: Iterable[int]) -> str:
    """PostgreSQL's text form of an integer array ('{1,2,3}'), for ``CAST(:x AS INTEGER[])``. A join in C:
    psycopg's array dumper adapts element by element in Python, which cost more client time than the
    ranking for 60,000 allocation rows. ``int.__index__`` refuses anything that is not an int."""
    return "{" + ",".join(map(str, map(int.__index__, values))) + "}"


def _indexed(values: Iterable[Any]) -> tuple[list[Any], str]:
    """The distinct values in first-seen order, and each value's 1-based position among them as an
    integer array (``_int_array``): repeated strings (an arrival's source and reference, a status) travel
    once, and the statement picks them by subscript."""
    values = list(values)
    distinct = list(dict.fromkeys(values))
    position = {value: at for at, value in enumerate(distinct, 1)}
    return distinct, _int_array(map(position.__getitem__, values))


def waiting_rows_postgresql(connection: Connection, shop_id: int, *, skus: Collection[str] | None = None,
                            keys: Collection[str] | None = None) -> Sequence[tuple[Any, ...]]:
    """``RestockRepository.waiting_rows`` on a PostgreSQL connection (the session's, or another one:
    connector/restock/batches.py reads the next transaction's rows ahead)."""
    by, values = ("stock_key", keys) if keys is not None else ("sku", skus)
    if values is None:
        raise ValueError("waiting_rows needs skus or keys")
    rows = connection.exec_driver_sql(_WAITING_SQL.format(by=by), {"shop_id": shop_id, "values": list(values)}).all()
    raw: Any = connection.connection.driver_connection  # psycopg's
    zone = raw.info.timezone
    if zone is UTC or getattr(zone, "key", None) in _UTC_ZONES:
        return rows
    return [(*row[:7], row[7] if row[7] is None else row[7].astimezone(UTC), row[8]) for row in rows]


class RestockRepository(Repository):

    def waiting_rows(self, shop_id: int, *, skus: Collection[str] | None = None,
                     keys: Collection[str] | None = None) -> Sequence[tuple[Any, ...]]:
        """Open backorders still short of units (allocated fewer than backordered) of open orders, by
        SKU or by stock position, as columns in one query: backorder id, sku, stock key, quantity
        backordered, quantity allocated, platform order id, platform line id, ordered at (aware, UTC),
        order tags (``connector.restock.allocation.WAITING_COLUMNS``). Read on the session's connection
        as plain rows: no ORM loading per row. On PostgreSQL the statement goes to the driver as it is
        (``_WAITING_SQL``): the SKUs or keys travel as one array and no result processor runs per row
        (psycopg already returns aware datetimes; they are moved to UTC only when the session's time
        zone is another), which costs a quarter of the client CPU of the Core select. On SQLite likewise
        (``_WAITING_SQLITE``: the values as one JSON array, the driver's tuples, only ``ordered_at`` converted)."""
        self.session.flush()  # what the session holds is read back, as an ORM query would autoflush
        connection = self.session.connection()
        if connection.dialect.name == "postgresql":
            return waiting_rows_postgresql(connection, shop_id, skus=skus, keys=keys)
        if connection.dialect.name == "sqlite":
            by, values = ("stock_key", keys) if keys is not None else ("sku", skus)
            if values is None:
                raise ValueError("waiting_rows needs skus or keys")
            result = connection.exec_driver_sql(_WAITING_SQLITE.format(by=by), (shop_id, json.dumps(list(values))))
            try:
                found = result.cursor.fetchall()  # the driver's tuples: no SQLAlchemy row per row
            finally:
                result.close()
            return [(a, b, c, d, e, f, g, None if at is None else _utc_text(at), tags)
                    for a, b, c, d, e, f, g, at, tags in found]
        query = (select(Backorder.id, Backorder.sku, Backorder.stock_key, Backorder.quantity_backordered,
                        Backorder.quantity_allocated, Order.platform_order_id, OrderLine.platform_line_id,
                        Order.ordered_at, Order.tags)
                 .join(OrderLine, OrderLine.id == Backorder.order_line_id)
                 .join(Order, Order.id == OrderLine.order_id)
                 .where(Backorder.shop_id == shop_id, Backorder.status == "open", Order.status == "open",
                        Backorder.quantity_allocated < Backorder.quantity_backordered))
        if skus is not None:
            query = query.where(Backorder.sku.in_(list(skus)))
        if keys is not None:
            query = query.where(Backorder.stock_key.in_(list(keys)))
        return connection.execute(query).all()

    def seen_arrivals(self, shop_id: int, source: str, references: Collection[str]) -> set[str]:
        if not references:
            return set()
        return set(self.session.scalars(select(StockArrival.reference).where(
            StockArrival.shop_id == shop_id, StockArrival.source == source,
            StockArrival.reference.in_(list(references)))))

    def add_arrivals(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.session.execute(insert(StockArrival), rows)

    _writer: InOrder | None = None
    """SQLite, inside ``writes_in_flight``: the thread that runs the chunks' writes."""

    @contextmanager
    def writes_in_flight(self) -> Iterator[None]:
        """The allocation writes (``write_allocations``) executed inside run beside the caller's work: the
        database writes one chunk of allocations while Python ranks the next. On PostgreSQL they are sent
        without waiting for their results (psycopg's pipeline mode, the server works on them); on SQLite a
        thread of this process runs them in order on the session's connection (sqlite3 releases the GIL
        while SQLite executes: connector/background.py), so only ``write_allocations`` may touch
        the session inside. Only writes whose results nobody reads belong inside. Their errors surface at
        the latest when the block ends, as SQLAlchemy's exceptions (IntegrityError, OperationalError, ...),
        and the transaction is then failed as usual."""
        bind = self.session.get_bind()
        if bind.dialect.name == "sqlite":
            self.session.connection()  # the transaction begins (BEGIN IMMEDIATE) in the caller's thread
            writer = self._writer = InOrder("allocation-writer")
            try:
                yield
            except BaseException:
                writer.finish(abort=True)
                raise
            finally:
                self._writer = None
            writer.finish()
            return
        dbapi = bind.dialect.loaded_dbapi
        pipeline = getattr(dbapi, "Pipeline", None)
        if bind.dialect.name != "postgresql" or pipeline is None or not pipeline.is_supported():
            yield
            return
        raw: Any = self.session.connection().connection.driver_connection  # psycopg's
        try:
            with raw.pipeline():
                yield
        except dbapi.Error as exc:
            raise DBAPIError.instance(None, None, exc, dbapi.Error, dialect=bind.dialect) from exc

    def write_allocations(self, shop_id: int, given: Sequence[tuple[int, int, str, str]],
                          backorders: Sequence[tuple[int, int, str]], now: datetime, today: date) -> None:
        """A chunk's allocation rows ``given`` (backorder id, units, source, reference), created ``now``, and
        its backorders (id, quantity allocated now, status; each once): allocated at ``now``, expected
        ``today``. The backorders' UPDATE runs first and locks them (a deletion then waits for this
        transaction, and its trigger takes these rows with it, migration 0036). ``allocations`` has no
        foreign key to ``backorders`` (a check per row cost half the insert); instead, when the UPDATE
        finds fewer of the shop's backorders than given (one is gone, or another shop's), every row of the
        INSERT gets a NULL ``backorder_id``, which NOT NULL refuses: IntegrityError, the transaction fails,
        as the foreign key made it. PostgreSQL: one statement (the UPDATE in a ``WITH``, its row count read
        once). SQLite: two, the INSERT reading the UPDATE's row count with ``changes()``; a transaction
        there holds the write lock from its start (BEGIN IMMEDIATE), so nothing is deleted meanwhile."""
        if not given:
            return
        if self.session.get_bind().dialect.name == "postgresql":
            self._write_allocations_postgresql(shop_id, given, backorders, now, today)
        else:
            self._write_allocations_sqlite(shop_id, given, backorders, now, today)

    def _write_allocations_postgresql(self, shop_id: int, given: Sequence[tuple[int, int, str, str]],
                                      backorders: Sequence[tuple[int, int, str]], now: datetime, today: date) -> None:
        arrivals, arrival_at = _indexed((source, reference) for _, _, source, reference in given)
        statuses, status_at = _indexed(status for _, _, status in backorders)
        self.session.execute(text(
            "WITH b AS (UPDATE backorders AS b SET quantity_allocated = u.allocated, "
            "status = (CAST(:statuses AS VARCHAR[]))[u.status], allocated_at = :now, expected_date = :today, "
            "updated_at = :now FROM unnest(CAST(:changed AS INTEGER[]), CAST(:allocated AS INTEGER[]), "
            "CAST(:status_at AS INTEGER[])) AS u(id, allocated, status) "
            "WHERE b.id = u.id AND b.id = ANY(CAST(:changed AS INTEGER[])) AND b.shop_id = :shop_id RETURNING 1) "
            "INSERT INTO allocations (shop_id, backorder_id, quantity, source, reference, created_at) "
            "SELECT :shop_id, CASE WHEN (SELECT count(*) FROM b) = cardinality(CAST(:changed AS INTEGER[])) "
            "THEN v.backorder_id END, v.quantity, (CAST(:sources AS VARCHAR[]))[v.arrival], "
            "(CAST(:references AS VARCHAR[]))[v.arrival], :now FROM unnest(CAST(:ids AS INTEGER[]), "
            "CAST(:units AS INTEGER[]), CAST(:arrival_at AS INTEGER[])) AS v(backorder_id, quantity, arrival)")
            .bindparams(bindparam("now", type_=UTCDateTime()), bindparam("today", type_=Date())),
            {"shop_id": shop_id, "now": now, "today": today,
             "changed": _int_array(row[0] for row in backorders), "allocated": _int_array(row[1] for row in backorders),
             "statuses": statuses, "status_at": status_at,
             "ids": _int_array(row[0] for row in given), "units": _int_array(row[1] for row in given),
             "arrival_at": arrival_at, "sources": [source for source, _ in arrivals],
             "references": [reference for _, reference in arrivals]})

    def _write_allocations_sqlite(self, shop_id: int, given: Sequence[tuple[int, int, str, str]],
                                  backorders: Sequence[tuple[int, int, str]], now: datetime, today: date) -> None:
        """The JSON rows lead the UPDATE (primary-key lookups); ``shop_id + 0`` still scopes them to the
        shop but keeps SQLite from walking the shop's index against every row instead. Inside
        ``writes_in_flight`` the two statements run in its thread, one after the other."""
        binds = (bindparam("now", type_=UTCDateTime()), bindparam("today", type_=Date()))
        update_rows = (text(
            "UPDATE backorders SET quantity_allocated = v.allocated, status = v.status, allocated_at = :now, "
            "expected_date = :today, updated_at = :now FROM (SELECT json_extract(value, '$[0]') AS id, "
            "json_extract(value, '$[1]') AS allocated, json_extract(value, '$[2]') AS status "
            "FROM json_each(:rows)) AS v "
            "WHERE backorders.id = v.id AND backorders.shop_id + 0 = :shop_id").bindparams(*binds),
            {"shop_id": shop_id, "now": now, "today": today, "rows": json.dumps(backorders)})
        insert_rows = (text(
            "INSERT INTO allocations (shop_id, backorder_id, quantity, source, reference, created_at) "
            "SELECT :shop_id, CASE WHEN changes() = :changed THEN json_extract(value, '$[0]') END, "
            "json_extract(value, '$[1]'), json_extract(value, '$[2]'), json_extract(value, '$[3]'), :now "
            "FROM json_each(:rows)").bindparams(binds[0]),
            {"shop_id": shop_id, "now": now, "changed": len(backorders), "rows": json.dumps(given)})

        def run() -> None:
            self.session.execute(*update_rows)
            self.session.execute(*insert_rows)  # next on the connection: changes() is the UPDATE's

        if self._writer is not None:
            self._writer.submit(run)
        else:
            run()

    def allocated_from(self, shop_id: int, source: str, skus: Collection[str]) -> dict[str, int]:
        """Units allocated from ``source`` to backorders still waiting (open or allocated), by SKU."""
        if not skus:
            return {}
        rows = self.session.execute(
            select(Backorder.sku, func.sum(Allocation.quantity))
            .join(Backorder, Backorder.id == Allocation.backorder_id)
            .where(Allocation.shop_id == shop_id, Allocation.source == source, Backorder.status.in_(WAITING),
                   Backorder.sku.in_(list(skus)))
            .group_by(Backorder.sku))
        return {str(sku): int(total or 0) for sku, total in rows}

    def supplier_quantities(self, shop_id: int, supplier_id: int) -> dict[str, int]:
        """A supplier's last reported quantity (> 0) of each SKU that has backorders still short of units."""
        short = (select(Backorder.sku).where(Backorder.shop_id == shop_id, Backorder.status == "open",
                                             Backorder.quantity_allocated < Backorder.quantity_backordered)
                 .distinct())
        rows = self.session.execute(select(SupplierStock.sku, SupplierStock.quantity).where(
            SupplierStock.shop_id == shop_id, SupplierStock.supplier_id == supplier_id, SupplierStock.quantity > 0,
            SupplierStock.sku.in_(short)))
        return {str(sku): int(quantity or 0) for sku, quantity in rows}

    def units_on_order(self, shop_id: int, skus: Collection[str]) -> dict[str, int]:
        """Units still to come per SKU: ordered and not yet received on the shop's purchase orders placed
        and not fully received (SKUs with none are left out)."""
        if not skus:
            return {}
        rows = self.session.execute(
            select(_PO_LINES.c.sku, func.sum(_PO_LINES.c.quantity - _PO_LINES.c.quantity_received))
            .join(_PO, _PO.c.id == _PO_LINES.c.purchase_order_id)
            .where(_PO.c.shop_id == shop_id, _PO.c.status.in_(ON_ORDER), _PO_LINES.c.sku.in_(list(skus)))
            .group_by(_PO_LINES.c.sku))
        return {str(sku): int(units) for sku, units in rows if units is not None and units > 0}

    def sku_of_key(self, shop_id: int, key: str) -> str | None:
        """The SKU of the order lines on a stock position (for a store that names none)."""
        return self.session.scalar(select(OrderLine.sku).where(
            OrderLine.shop_id == shop_id, OrderLine.stock_key == key, OrderLine.sku.is_not(None)).limit(1))

    def positions_of(self, shop_id: int, *, skus: Collection[str], keys: Collection[str]) -> list[StockPosition]:
        """In one query, key order: the positions of these SKUs whose store count is ahead of the
        purchase-order receipts (negative ``credit``: units counted in while on order that no receipt named
        yet), and the positions of these stock keys."""
        if not skus and not keys:
            return []
        wanted = []
        if skus:
            wanted.append(and_(StockPosition.sku.in_(list(skus)), StockPosition.credit < 0))
        if keys:
            wanted.append(StockPosition.stock_key.in_(list(keys)))
        return list(self.session.scalars(select(StockPosition).where(StockPosition.shop_id == shop_id, or_(*wanted))
                                         .order_by(StockPosition.stock_key)))

    def add_allocation(self, allocation: Allocation) -> None:
        self.session.add(allocation)

    def allocations_of(self, shop_id: int, backorder_ids: Collection[int] | None = None) -> Sequence[Allocation]:
        query = select(Allocation).where(Allocation.shop_id == shop_id).order_by(Allocation.id)
        if backorder_ids is not None:
            query = query.where(Allocation.backorder_id.in_(list(backorder_ids)))
        return self.session.scalars(query).all()

    def positions(self, shop_id: int, keys: Collection[str]) -> dict[str, StockPosition]:
        if not keys:
            return {}
        rows = self.session.scalars(select(StockPosition).where(
            StockPosition.shop_id == shop_id, StockPosition.stock_key.in_(list(keys))))
        return {row.stock_key: row for row in rows}

    def add_positions(self, rows: list[dict[str, Any]]) -> None:
        """New stock positions (each row: shop_id, stock_key and figures), in one executemany."""
        if rows:
            self.session.execute(insert(StockPosition), rows)

    def add_position(self, position: StockPosition) -> StockPosition:
        self.session.add(position)
        return position

    def keys_of_inventory_items(self, shop_id: int, item_ids: Collection[str]) -> dict[str, str]:
        """Stock keys by Shopify inventory item id: the positions whose item id a stock read recorded,
        then the store's catalogue mirror (store_skus, its variant id) for the others."""
        if not item_ids:
            return {}
        rows = self.session.execute(select(StockPosition.inventory_item_id, StockPosition.stock_key).where(
            StockPosition.shop_id == shop_id, StockPosition.inventory_item_id.in_(list(item_ids))))
        found = {str(item): key for item, key in rows}
        rest = [item for item in item_ids if item not in found]
        if rest:
            found.update({str(item): str(variant) for item, variant in self.session.execute(
                select(StoreSku.inventory_item_id, StoreSku.variant_id).where(
                    StoreSku.shop_id == shop_id, StoreSku.inventory_item_id.in_(rest),
                    StoreSku.variant_id.is_not(None)))})
        return found

    def waiting_positions(self, shop_id: int, after: str = "", limit: int = 250) -> list[tuple[str, str | None,
                                                                                             str | None]]:
        """Stock positions with waiting backorders (open or allocated) of open orders, key order, after
        ``after``: (stock key, product id, variant id), ``limit`` at most."""
        rows = self.session.execute(
            select(OrderLine.stock_key, OrderLine.product_id, OrderLine.variant_id)
            .join(Backorder, Backorder.order_line_id == OrderLine.id)
            .join(Order, Order.id == OrderLine.order_id)
            .where(Backorder.shop_id == shop_id, Backorder.status.in_(WAITING), Order.status == "open",
                   OrderLine.stock_key.is_not(None), OrderLine.stock_key > after)
            .group_by(OrderLine.stock_key, OrderLine.product_id, OrderLine.variant_id)
            .order_by(OrderLine.stock_key).limit(limit))
        return [(str(key), product, variant) for key, product, variant in rows]

    def refs_of_keys(self, shop_id: int, keys: Collection[str]) -> list[tuple[str, str | None, str | None]]:
        """(stock key, product id, variant id) of open lines on these positions (one per key)."""
        if not keys:
            return []
        rows = self.session.execute(
            select(OrderLine.stock_key, OrderLine.product_id, OrderLine.variant_id)
            .join(Order, Order.id == OrderLine.order_id)
            .where(OrderLine.shop_id == shop_id, OrderLine.stock_key.in_(list(keys)), Order.status == "open")
            .group_by(OrderLine.stock_key, OrderLine.product_id, OrderLine.variant_id))
        seen: dict[str, tuple[str, str | None, str | None]] = {}
        for key, product, variant in rows:
            seen.setdefault(str(key), (str(key), product, variant))
        return list(seen.values())

    def keys_of_skus(self, shop_id: int, skus: Collection[str]) -> dict[str, set[str]]:
        """Stock keys of open lines by SKU."""
        if not skus:
            return {}
        found: dict[str, set[str]] = {}
        rows = self.session.execute(select(OrderLine.sku, OrderLine.stock_key).where(
            OrderLine.shop_id == shop_id, OrderLine.sku.in_(list(skus)), OrderLine.stock_key.is_not(None))
            .distinct())
        for sku, key in rows:
            found.setdefault(str(sku), set()).add(str(key))
        return found

    def waiting_with_allocations(self, shop_id: int, since: datetime | None = None) -> Sequence[int]:
        """Ids of allocated backorders (status 'allocated'), newest allocation first."""
        query = select(Backorder.id).where(Backorder.shop_id == shop_id, Backorder.status == "allocated")
        if since is not None:
            query = query.where(and_(Backorder.allocated_at.is_not(None), Backorder.allocated_at >= since))
        return list(self.session.scalars(query.order_by(Backorder.allocated_at.desc())))
