"""Engines and migrations. SQLite gets WAL and a busy timeout; PostgreSQL uses psycopg 3."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError

from connector.domain.errors import ConfigError, StorageUnavailable

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain postgresql:// URLs (Heroku-style hosts hand those out)."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 15, "check_same_thread": False}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    # No pre-ping: it costs a round trip per checkout on the webhook hot path. A connection the
    # server dropped fails once (the webhook answers 503, the platform retries) and SQLAlchemy
    # then invalidates the pool; recycling bounds a connection's age.
    kwargs.setdefault("pool_recycle", 300)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("connect_args", {"connect_timeout": 5})
    cache_long_statements()
    return create_engine(url, **kwargs)


STATEMENT_CACHE_LENGTH = 64 * 1024
"""Statements up to this many bytes (and ``STATEMENT_CACHE_PARAMS`` parameters) keep psycopg's parse of their
placeholders (``cache_long_statements``)."""
STATEMENT_CACHE_PARAMS = 4096


def cache_long_statements() -> None:
    """Let psycopg cache its conversion of long statements too. It parses a statement's ``%(name)s``
    placeholders on every execution unless the statement is under 4,096 bytes and 50 parameters; the
    multi-row INSERTs SQLAlchemy sends for a batch of orders (insertmanyvalues: a row of placeholders an
    order, the same text for every batch of that size) are far over both, and their parse was 11% of a
    worker's CPU in the burst bench. psycopg has no public setting for these limits: its module constants
    are raised here (docs/decisions/psycopg-statement-cache.md); a psycopg without them is left as it is, and
    tests/integration/test_engine_statement_cache.py fails on it so the loss is seen."""
    try:
        from psycopg import _queries
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return
    if hasattr(_queries, "MAX_CACHED_STATEMENT_LENGTH") and hasattr(_queries, "MAX_CACHED_STATEMENT_PARAMS"):
        _queries.MAX_CACHED_STATEMENT_LENGTH = max(_queries.MAX_CACHED_STATEMENT_LENGTH, STATEMENT_CACHE_LENGTH)
        _queries.MAX_CACHED_STATEMENT_PARAMS = max(_queries.MAX_CACHED_STATEMENT_PARAMS, STATEMENT_CACHE_PARAMS)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event open transactions (see _sqlite_begin_immediate).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.close()


def _sqlite_begin_immediate(connection: Any) -> None:
    # A deferred transaction that reads and then writes fails at once with SQLITE_BUSY when
    # another connection wrote in between (WAL snapshot upgrade). Taking the write lock at the
    # start makes writers queue on busy_timeout instead. Transactions here are short: no HTTP
    # call ever happens inside one.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def alembic_config(engine: Engine) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to ``revision``."""
    try:
        command.upgrade(alembic_config(engine), revision)
    except SQLAlchemyError as exc:
        raise StorageUnavailable(f"migration failed: {type(exc).__name__}: {exc}") from None


def is_current(engine: Engine) -> bool:
    """True when the database is at the newest migration."""
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError as exc:
        raise StorageUnavailable(f"database unreachable: {type(exc).__name__}") from None
    return current == head


def ensure_schema(engine: Engine, *, auto_upgrade: bool) -> None:
    """Upgrade (SQLite, or when asked) or insist that `connector db upgrade` was run."""
    if is_current(engine):
        return
    if auto_upgrade or engine.dialect.name == "sqlite":
        log.info("upgrading database schema")
        upgrade(engine)
        return
    raise ConfigError("DATABASE_URL", "database schema is not up to date: run `connector db upgrade`")
