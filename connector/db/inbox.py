"""The inbox: accepted webhooks are committed, raw, under a unique key before anyone answers 200.

This is the webhook hot path: one transaction, one INSERT ... ON CONFLICT DO NOTHING RETURNING id
(a re-delivery inserts nothing and is then looked up), on a pooled DBAPI connection.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from connector.db.uow import UnitOfWork
from connector.domain.clock import utcnow
from connector.domain.errors import StorageUnavailable

log = logging.getLogger(__name__)

KEPT_HEADERS = ("content-type", "user-agent")
"""Besides the platform's own X-Shopify-*/Shopify-*/X-WC-* headers (signatures excluded)."""

@dataclass(frozen=True)
class Stored:
    event_id: int
    created: bool


def store_event(uow: UnitOfWork, shop_id: int, topic: str, dedupe_key: str,
                headers: Mapping[str, str], body: bytes) -> Stored:
    """Commit the raw event; a second delivery under the same key is found, not stored again."""
    return insert_event(uow.engine, shop_id, topic, dedupe_key, headers, body)


_COLUMNS = "shop_id, topic, dedupe_key, headers, body, status, attempts, received_at"
_SQL = {
    # SQLite: qmark parameters; the write lock is taken at BEGIN (see connector.db.engine).
    "sqlite": (
        "BEGIN IMMEDIATE",
        f"INSERT INTO webhook_events ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, 'pending', 0, ?) "
        "ON CONFLICT (shop_id, dedupe_key) DO NOTHING RETURNING id",
        "SELECT id FROM webhook_events WHERE shop_id = ? AND dedupe_key = ?",
    ),
    # psycopg 3: %s parameters, autocommit: the one INSERT is its own durable transaction, so the
    # answer waits for one round trip instead of three (BEGIN, INSERT, COMMIT).
    "postgresql": (
        None,
        f"INSERT INTO webhook_events ({_COLUMNS}) VALUES (%s, %s, %s, %s, %s, 'pending', 0, %s) "
        "ON CONFLICT (shop_id, dedupe_key) DO NOTHING RETURNING id",
        "SELECT id FROM webhook_events WHERE shop_id = %s AND dedupe_key = %s",
    ),
}


class HeaderItems(Protocol):
    """A Mapping, or the web framework's headers object: anything with ``items()``."""

    def items(self) -> Iterable[tuple[str, str]]: ...


def insert_event(engine: Engine, shop_id: int, topic: str, dedupe_key: str,
                 headers: HeaderItems, body: bytes, *, headers_json: str | None = None) -> Stored:
    """One short transaction on a pooled DBAPI connection.

    This runs for every webhook, so it skips SQLAlchemy's statement layer (its per-execution
    overhead was most of the request's cost); the SQL is plain and the same on both databases.
    """
    kept = kept_headers(headers) if headers_json is None else headers_json
    dialect = "postgresql" if engine.dialect.name == "postgresql" else "sqlite"
    begin, insert, lookup = _SQL[dialect]
    now = utcnow()
    received = now.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds") if dialect == "sqlite" else now
    try:
        connection = engine.raw_connection()
    except (OperationalError, engine.dialect.loaded_dbapi.Error) as exc:
        # The pool hands out the driver's own error when it reconnects a discarded connection.
        raise StorageUnavailable(f"cannot store event: {type(exc).__name__}") from None
    autocommit = dialect == "postgresql"
    try:
        if autocommit:
            connection.driver_connection.autocommit = True  # type: ignore[union-attr]
        cursor = connection.cursor()
        if begin:
            cursor.execute(begin)
        cursor.execute(insert, (shop_id, topic, dedupe_key, kept, body, received))
        row = cursor.fetchone()
        created = row is not None
        if row is None:
            cursor.execute(lookup, (shop_id, dedupe_key))
            row = cursor.fetchone()
        if not autocommit:
            connection.commit()
        cursor.close()
    except engine.dialect.loaded_dbapi.Error as exc:
        _discard_if_broken(engine, connection, exc)
        raise StorageUnavailable(f"cannot store event: {type(exc).__name__}") from None
    finally:
        if autocommit:
            _restore_transactions(connection)
        connection.close()  # back to the pool
    if row is None:
        raise StorageUnavailable("event neither inserted nor found")
    return Stored(int(row[0]), created=created)


@dataclass
class Incoming:
    """One webhook to store: what ``insert_event`` takes, its kept headers already as JSON."""
    shop_id: int
    topic: str
    dedupe_key: str
    headers_json: str
    body: bytes


def kept_headers(headers: HeaderItems) -> str:
    """The headers an event keeps (platform headers and a few others, never a signature), as JSON."""
    return json.dumps({name: value for name, value in headers.items() if _keep(name)})


def insert_events(engine: Engine, batch: list[Incoming]) -> list[Stored | StorageUnavailable]:
    """Store several webhooks at once: on PostgreSQL one autocommitted multi-row INSERT ... ON CONFLICT DO
    NOTHING (one round trip and one commit for all), each answer in the order given: ``Stored`` or the
    ``StorageUnavailable`` that event alone met. An event whose key is already stored, or given twice in the
    batch, is found (``created`` False). When the statement fails (a shop removed meanwhile, the database
    gone) nothing of it was stored, and every event is stored on its own (``insert_event``) so one bad event
    fails alone. SQLite (one writer anyway) stores them one by one."""
    if len(batch) == 1 or engine.dialect.name != "postgresql":
        return [_insert_one(engine, item) for item in batch]
    first: dict[tuple[int, str], int] = {}
    for index, item in enumerate(batch):
        first.setdefault((item.shop_id, item.dedupe_key), index)
    unique = [batch[index] for index in sorted(first.values())]
    now = utcnow()
    placeholders = ", ".join(["(%s, %s, %s, %s, %s, 'pending', 0, %s)"] * len(unique))
    sql = (f"INSERT INTO webhook_events ({_COLUMNS}) VALUES {placeholders} "
           "ON CONFLICT (shop_id, dedupe_key) DO NOTHING RETURNING id, shop_id, dedupe_key")
    params = [value for item in unique
              for value in (item.shop_id, item.topic, item.dedupe_key, item.headers_json, item.body, now)]
    try:
        connection = engine.raw_connection()
    except (OperationalError, engine.dialect.loaded_dbapi.Error) as exc:
        error = StorageUnavailable(f"cannot store event: {type(exc).__name__}")
        return [error for _ in batch]
    created: dict[tuple[int, str], int] = {}
    try:
        connection.driver_connection.autocommit = True  # type: ignore[union-attr]
        cursor = connection.cursor()
        cursor.execute(sql, params)
        created = {(int(shop), str(key)): int(event_id) for event_id, shop, key in cursor.fetchall()}
        cursor.close()
        failed = False
    except engine.dialect.loaded_dbapi.Error as exc:
        _discard_if_broken(engine, connection, exc)
        failed = True
    finally:
        _restore_transactions(connection)
        connection.close()
    if failed:  # nothing of the statement was stored: each event on its own, so one bad event fails alone
        return [_insert_one(engine, item) for item in batch]
    answers: list[Stored | StorageUnavailable] = []
    for index, item in enumerate(batch):
        key = (item.shop_id, item.dedupe_key)
        if key in created:
            answers.append(Stored(created[key], created=first[key] == index))
        else:  # stored before this batch: found, as insert_event finds it
            answers.append(_insert_one(engine, item))
    return answers


def _insert_one(engine: Engine, item: Incoming) -> Stored | StorageUnavailable:
    try:
        return insert_event(engine, item.shop_id, item.topic, item.dedupe_key, {}, item.body,
                            headers_json=item.headers_json)
    except StorageUnavailable as error:
        return error


def _restore_transactions(connection: Any) -> None:
    try:
        connection.driver_connection.autocommit = False
    except Exception:  # noqa: BLE001 - a broken connection: make the pool discard it
        connection.invalidate()


def _discard_if_broken(engine: Engine, connection: Any, error: Any) -> None:
    """Roll back; a connection the server dropped is invalidated so the pool does not hand it out again."""
    try:
        connection.rollback()
        broken = engine.dialect.is_disconnect(error, connection.dbapi_connection, None)
    except Exception:  # noqa: BLE001 - rolling back a dead connection fails too: it is broken
        broken = True
    if broken:
        try:
            connection.invalidate()
        except Exception:  # noqa: BLE001 - already gone
            log.debug("invalidating a broken connection failed")


def _keep(name: str) -> bool:
    lowered = name.lower()
    if "signature" in lowered or "hmac" in lowered:
        return False
    return lowered.startswith(("x-shopify-", "shopify-", "x-wc-webhook-")) or lowered in KEPT_HEADERS
