"""A restock of many SKUs allocated in transactions of a few hundred SKUs each, the shop lock held
across them all.

On PostgreSQL the waiting rows of the next transaction's SKUs are read on a second connection while
this transaction ranks and writes, so the server reads them on one backend (and core) while it writes
on the other: the read, about a fifth of a restock's time, is no longer waited for between
transactions. The rows read ahead are the committed ones at the time of the read, exactly what the
next transaction would read itself: its SKUs are none of this transaction's (every arrival is by SKU
and no SKU comes twice, else nothing is read ahead), a backorder waits on one SKU, and every writer of
a shop's backorders (capture, events, allocation) takes the shop lock, held here from before the read
ahead until the transaction that uses it commits. SQLite reads in the transaction, as before.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy.engine import Engine

from connector.db.uow import UnitOfWork
from connector.restock.allocation import AllocationReport, Arrival, allocate_arrivals
from connector.restock.repository import waiting_rows_postgresql

PER_TRANSACTION = 250
"""Arrivals (SKUs) allocated in one transaction."""


def allocate_in_transactions(uow: UnitOfWork, shop_id: int, arrivals: Iterable[Arrival],
                             per_transaction: int | None = None) -> list[AllocationReport]:
    """Allocate the arrivals in the order given, ``per_transaction`` (default ``PER_TRANSACTION``) in each
    transaction (each commits on its own: a failure leaves the earlier ones allocated, and running the
    same arrivals again allocates only the rest, as references are processed once). Takes the shop lock
    and holds it until the last commit. Call it outside ``with uow:``."""
    if uow.session is not None:
        raise RuntimeError("allocate_in_transactions opens its own transactions: call it outside `with uow:`")
    per_transaction = PER_TRANSACTION if per_transaction is None else per_transaction
    if per_transaction < 1:
        raise ValueError(f"per_transaction must be at least 1, got {per_transaction}")
    arrivals = list(arrivals)
    batches = [arrivals[first:first + per_transaction] for first in range(0, len(arrivals), per_transaction)]
    ahead = uow.engine.dialect.name == "postgresql" and _distinct_skus(arrivals)
    reports: list[AllocationReport] = []
    pending: _ReadAhead | None = None
    with uow.shop_lock(shop_id):
        try:
            for at, batch in enumerate(batches):
                waiting = pending.rows() if pending is not None else None
                pending = None
                if ahead and at + 1 < len(batches):
                    pending = _ReadAhead(uow.engine, shop_id, [a.sku for a in batches[at + 1] if a.sku])
                with uow:
                    reports += allocate_arrivals(uow, shop_id, batch, waiting=waiting)
                    uow.commit()
        finally:
            if pending is not None:
                pending.join()
    return reports


def _distinct_skus(arrivals: Sequence[Arrival]) -> bool:
    """Every arrival by SKU (no stock position) and no SKU twice: no backorder waits in two transactions."""
    skus = [a.sku for a in arrivals]
    return all(a.sku and a.stock_key is None for a in arrivals) and len(set(skus)) == len(skus)


class _ReadAhead:
    """The waiting rows of some SKUs, read by a thread on a connection of its own (autocommit: one
    statement, no transaction to open or close)."""

    def __init__(self, engine: Engine, shop_id: int, skus: list[str]) -> None:
        self._found: Sequence[tuple[Any, ...]] = ()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._read, args=(engine, shop_id, skus), name="allocation-read-ahead",
                                        daemon=True)
        self._thread.start()

    def _read(self, engine: Engine, shop_id: int, skus: list[str]) -> None:
        try:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                self._found = waiting_rows_postgresql(connection, shop_id, skus=skus)
        except BaseException as exc:  # raised by rows(), in the caller's thread
            self._error = exc

    def join(self) -> None:
        self._thread.join()

    def rows(self) -> Sequence[tuple[Any, ...]]:
        self.join()
        if self._error is not None:
            raise self._error
        return self._found
