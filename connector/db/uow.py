"""The unit of work: one transaction, its repositories, and per-shop serialisation.

Services use ``with uow:`` and call ``uow.commit()`` explicitly; leaving the block without a
commit rolls back. Database failures surface as StorageUnavailable (transient), so the webhook
answers 503 and a job is retried instead of crashing.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, TypeVar, cast

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from connector.db.repositories import (
    BackorderRepository,
    EventRepository,
    OrderRepository,
    Repository,
    ShopRepository,
)
from connector.domain.errors import StorageUnavailable

R = TypeVar("R", bound=Repository)

ADVISORY_NAMESPACE = 0x42_4F  # "BO": keeps our advisory lock keys apart from other users'


class ShopLocks:
    """Serialises work on one shop: a lock per shop in this process, plus (on PostgreSQL) a
    session-level advisory lock so that other processes wait too."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[int, threading.Lock] = {}
        self._held = threading.local()

    def for_shop(self, shop_id: int) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(shop_id, threading.Lock())

    def _holding(self) -> set[int]:
        held: set[int] | None = getattr(self._held, "shops", None)
        if held is None:
            held = self._held.shops = set()
        return held

    @contextmanager
    def hold(self, engine: Engine, shop_id: int) -> Iterator[None]:
        """Hold the shop's lock; a thread that already holds it goes straight in (re-entrant), so one
        event can keep it across capture and marks without a second lock and unlock round trip."""
        holding = self._holding()
        if shop_id in holding:
            yield
            return
        with self.for_shop(shop_id):
            holding.add(shop_id)
            try:
                with self._server_lock(engine, shop_id):
                    yield
            finally:
                holding.discard(shop_id)

    @contextmanager
    def _server_lock(self, engine: Engine, shop_id: int) -> Iterator[None]:
        """On PostgreSQL, a session-level advisory lock so that other processes wait too."""
        if engine.dialect.name != "postgresql":
            yield
            return
        try:
            # autocommit: lock and unlock are one round trip each, not BEGIN + SELECT + COMMIT
            # (session-level advisory locks do not need a transaction)
            connection = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        except OperationalError as exc:
            raise StorageUnavailable(f"cannot lock shop: {type(exc.orig).__name__}") from None
        try:
            connection.execute(text("SELECT pg_advisory_lock(:ns, :shop)"),
                               {"ns": ADVISORY_NAMESPACE, "shop": shop_id})
            connection.commit()
        except OperationalError as exc:
            connection.invalidate()  # it may hold the lock after all: never hand it back to the pool
            connection.close()
            raise StorageUnavailable(f"cannot lock shop: {type(exc.orig).__name__}") from None
        try:
            yield
        finally:
            try:
                connection.execute(text("SELECT pg_advisory_unlock(:ns, :shop)"),
                                   {"ns": ADVISORY_NAMESPACE, "shop": shop_id})
                connection.commit()
            except SQLAlchemyError:
                # A pooled connection still holding the lock would let this process's next user of it
                # walk straight in (advisory locks are re-entrant per session) while blocking every
                # other process. Closing the session for good releases the lock on the server.
                connection.invalidate()
            finally:
                connection.close()


_factories: weakref.WeakKeyDictionary[Engine, sessionmaker[Session]] = weakref.WeakKeyDictionary()
_factories_lock = threading.Lock()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """One sessionmaker per engine: building one per unit of work costs more than the query."""
    with _factories_lock:
        factory = _factories.get(engine)
        if factory is None:
            factory = _factories[engine] = sessionmaker(bind=engine, expire_on_commit=False)
        return factory


class UnitOfWork:
    def __init__(self, engine: Engine, locks: ShopLocks | None = None) -> None:
        self.engine = engine
        self._factory = session_factory(engine)
        self._locks = locks or ShopLocks()
        self.session: Session | None = None
        self._repositories: dict[type[Repository], Repository] = {}
        self._single = False
        self._connection: Connection | None = None

    def repo(self, kind: type[R]) -> R:
        """The open transaction's repository of ``kind`` (one per unit of work, made on first use)."""
        if self.session is None:
            raise RuntimeError("repository asked for outside `with uow:`")
        found = self._repositories.get(kind)
        if found is None:
            found = self._repositories[kind] = kind(self.session)
        return cast(R, found)

    def single(self) -> UnitOfWork:
        """This unit of work, for one statement (``with uow.single():``): on PostgreSQL it runs on an
        autocommit connection, so the statement commits on its own without the BEGIN and COMMIT round
        trips (a quarter of an event's round trips were those). ``commit()`` is still called as usual.
        Only for a single statement, or reads that need no common snapshot. Elsewhere (SQLite) it is an
        ordinary unit of work."""
        if self.session is not None:
            raise RuntimeError("unit of work is already open")
        self._single = self.engine.dialect.name == "postgresql"
        return self

    def __enter__(self) -> UnitOfWork:
        if self.session is not None:
            raise RuntimeError("unit of work is already open")
        if self._single:
            self._single = False
            try:
                self._connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            except OperationalError as exc:
                raise StorageUnavailable(f"database unreachable: {type(exc.orig).__name__}") from None
            session = self._factory(bind=self._connection)
        else:
            session = self._factory()
        self.session = session
        self.shops = ShopRepository(session)
        self.events = EventRepository(session)
        self.orders = OrderRepository(session)
        self.backorders = BackorderRepository(session)
        return self

    def __exit__(self, *exc_info: Any) -> None:
        session = self.session
        self.session = None
        self._repositories.clear()
        connection, self._connection = self._connection, None
        if session is not None:
            try:
                session.rollback()
            finally:
                session.close()
                if connection is not None:
                    connection.close()

    def fresh(self) -> UnitOfWork:
        """A new, unopened unit of work on the same database (for nested or parallel use)."""
        return UnitOfWork(self.engine, self._locks)

    def commit(self) -> None:
        assert self.session is not None, "commit outside `with uow:`"
        try:
            self.session.commit()
        except IntegrityError:
            self.session.rollback()
            raise
        except OperationalError as exc:
            self.session.rollback()
            raise StorageUnavailable(f"commit failed: {type(exc.orig).__name__}") from None

    def rollback(self) -> None:
        assert self.session is not None
        self.session.rollback()

    def shop_lock(self, shop_id: int) -> AbstractContextManager[None]:
        """Serialise work on one shop across threads and processes; may span transactions."""
        return self._locks.hold(self.engine, shop_id)


def check_database(engine: Engine) -> None:
    """Raise StorageUnavailable unless a trivial query succeeds."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        raise StorageUnavailable(f"database unreachable: {type(exc).__name__}") from None
