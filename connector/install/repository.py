"""The install feature's queries: one-time states, pending connects, webhook subscriptions, token
expiry, expired exports and the sealed values re-encrypted by key rotation; the per-shop token
refresh lock.

Reached with ``uow.repo(InstallRepository)`` inside ``with uow:``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, String, Text, delete, select, text, update
from sqlalchemy.engine import Engine

from connector.db.models import Base, Shop
from connector.db.repositories import Repository
from connector.install.models import DataExport, OAuthState, PendingConnect, WebhookSubscription

TOKEN_LOCK_NAMESPACE = 0x42_54  # "BT": apart from the shop-work locks in connector.db.uow

_guard = threading.Lock()
_thread_locks: dict[tuple[str, int], threading.Lock] = {}


@contextmanager
def refresh_lock(engine: Engine, shop_id: int) -> Iterator[None]:
    """Only one refresh per shop at a time, across threads and (on PostgreSQL) processes."""
    with _guard:
        local = _thread_locks.setdefault((str(engine.url), shop_id), threading.Lock())
    with local:
        if engine.dialect.name != "postgresql":
            yield
            return
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:ns, :shop)"),
                               {"ns": TOKEN_LOCK_NAMESPACE, "shop": shop_id})
            connection.commit()
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:ns, :shop)"),
                                   {"ns": TOKEN_LOCK_NAMESPACE, "shop": shop_id})
                connection.commit()


@dataclass(frozen=True)
class SealedCell:
    """One encrypted value (a Fernet token) in a text column of a table with a one-column key."""

    table: str
    column: str
    row_id: Any
    value: str


class InstallRepository(Repository):

    # -- Shopify OAuth states -------------------------------------------------------------------------

    def add_state(self, state: OAuthState) -> None:
        self.session.add(state)

    def state_by_hash(self, state_hash: str) -> OAuthState | None:
        return self.session.scalar(select(OAuthState).where(OAuthState.state_hash == state_hash))

    def take_state(self, state_id: int, now: datetime) -> bool:
        """Mark a state used; False when another request used it first (one conditional UPDATE)."""
        taken = self.session.execute(update(OAuthState).where(OAuthState.id == state_id, OAuthState.used_at.is_(None))
                                     .values(used_at=now).execution_options(synchronize_session=False))
        return bool(cast(CursorResult[Any], taken).rowcount)

    # -- WooCommerce pending connects -----------------------------------------------------------------

    def add_connect(self, connect: PendingConnect) -> None:
        self.session.add(connect)

    def connect_by_hash(self, user_id_hash: str) -> PendingConnect | None:
        return self.session.scalar(select(PendingConnect).where(PendingConnect.user_id_hash == user_id_hash))

    def take_connect(self, connect_id: int, now: datetime) -> bool:
        """Mark a connect's keys received; False when another delivery took it first."""
        taken = self.session.execute(update(PendingConnect)
                                     .where(PendingConnect.id == connect_id, PendingConnect.used_at.is_(None))
                                     .values(used_at=now, outcome="received")
                                     .execution_options(synchronize_session=False))
        return bool(cast(CursorResult[Any], taken).rowcount)

    def settle_connect(self, user_id_hash: str, outcome: str, shop_id: int | None = None) -> None:
        """Record what became of a connect whose keys arrived: "connected" with its shop, or "rejected: …"."""
        values: dict[str, Any] = {"outcome": outcome}
        if shop_id is not None:
            values["shop_id"] = shop_id
        self.session.execute(update(PendingConnect).where(PendingConnect.user_id_hash == user_id_hash)
                             .values(**values).execution_options(synchronize_session=False))

    # -- webhook subscriptions ------------------------------------------------------------------------

    def subscription(self, shop_id: int, topic: str) -> WebhookSubscription | None:
        return self.session.scalar(select(WebhookSubscription).where(WebhookSubscription.shop_id == shop_id,
                                                                     WebhookSubscription.topic == topic))

    def add_subscription(self, subscription: WebhookSubscription) -> None:
        self.session.add(subscription)

    # -- tokens and retention -------------------------------------------------------------------------

    def shops_with_tokens_expiring(self, before: datetime) -> list[int]:
        """Active Shopify shops whose token expires at or before ``before``."""
        return list(self.session.scalars(
            select(Shop.id).where(Shop.platform == "shopify", Shop.status == "active",
                                  Shop.token_expires_at.is_not(None), Shop.token_expires_at <= before)))

    def delete_expired_exports(self, now: datetime) -> int:
        result = self.session.execute(delete(DataExport).where(DataExport.expires_at < now))
        return int(cast(CursorResult[Any], result).rowcount or 0)

    # -- key rotation ---------------------------------------------------------------------------------

    def sealed_cells(self, prefix: str) -> list[SealedCell]:
        """Every value starting with ``prefix`` in a text column (not the key) of every table with a
        one-column primary key, table by table in dependency order."""
        cells: list[SealedCell] = []
        for table in Base.metadata.sorted_tables:
            key_columns = list(table.primary_key.columns)
            if len(key_columns) != 1:
                continue
            pk = key_columns[0]
            for column in table.c:
                if not isinstance(column.type, Text | String) or column is pk:
                    continue
                rows = self.session.execute(select(pk, column).where(column.like(f"{prefix}%"))).all()
                cells += [SealedCell(table.name, column.name, row_id, value) for row_id, value in rows]
        return cells

    def replace_cell(self, cell: SealedCell, value: str) -> None:
        table = Base.metadata.tables[cell.table]
        pk = list(table.primary_key.columns)[0]
        self.session.execute(update(table).where(pk == cell.row_id).values({cell.column: value}))
