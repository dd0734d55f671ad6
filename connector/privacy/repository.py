"""Privacy's storage: finding, exporting, redacting and erasing a customer's or a shop's rows in every
table (walking the privacy registry and ``Base.metadata``), the data exports, and pruning the inbox."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Table, delete, false, func, inspect, or_, select, update
from sqlalchemy.engine import Engine

from connector.db.models import Backorder, Order, OrderLine, Shop, WebhookEvent
from connector.db.repositories import Repository, delete_in_batches
from connector.install.models import DataExport, WebhookSubscription
from connector.privacy.registry import EMAIL_COLUMN, NOT_PERSONAL, PERSONAL_DATA, REDACTED, Customer, PersonalData
from connector.schema import Base

FINISHED_EVENT_STATUSES = ("done", "failed", "ignored", "parked")
"""Inbox states nothing will process again. pending, retry and processing are never pruned."""


def entries() -> list[PersonalData]:
    """The registry plus automatic entries for e-mail-like columns of unregistered tables."""
    found = list(PERSONAL_DATA)
    known = {e.table for e in found}
    for table in Base.metadata.sorted_tables:
        if table.name in known or "shop_id" not in table.c:
            continue
        emails = [c.name for c in table.c
                  if EMAIL_COLUMN.search(c.name) and f"{table.name}.{c.name}" not in NOT_PERSONAL]
        if emails:
            found.append(PersonalData(table.name, {c: None if table.c[c].nullable else REDACTED for c in emails},
                                      match_email=emails[0]))
    return found


def _matching(table: Table, entry: PersonalData, shop_id: int, customer: Customer, order_pks: Sequence[int],
              backorder_pks: Sequence[int] = ()) -> ColumnElement[bool]:
    conditions: list[Any] = []
    if entry.match_backorder_id and backorder_pks:
        conditions.append(table.c[entry.match_backorder_id].in_(backorder_pks))
    if entry.match_email and customer.email:
        conditions.append(func.lower(table.c[entry.match_email]) == customer.email)
    if entry.match_platform_order and customer.order_ids:
        conditions.append(table.c[entry.match_platform_order].in_(customer.order_ids))
    if entry.match_order_id and order_pks:
        conditions.append(table.c[entry.match_order_id].in_(order_pks))
    if entry.table == "data_exports" and customer.customer_id:
        conditions.append(table.c.customer_ref == customer.customer_id)
    return (table.c.shop_id == shop_id) & (or_(*conditions) if conditions else false())


class PrivacyRepository(Repository):

    def _present(self) -> set[str]:
        """Tables that exist in this database (a model may be ahead of the migrations applied)."""
        return set(inspect(self.session.connection()).get_table_names())

    def _personal_tables(self, skip: Iterable[str] = ()) -> list[tuple[Table, PersonalData]]:
        present, skipped = self._present(), set(skip)
        found = []
        for entry in entries():
            table = Base.metadata.tables.get(entry.table)
            if table is None or entry.table in skipped or entry.table not in present:
                continue
            found.append((table, entry))
        return found

    def customer_keys(self, shop_id: int, customer: Customer) -> tuple[list[int], list[int]]:
        """Ids of the customer's orders in this shop, and of those orders' backorders."""
        conditions: list[Any] = []
        if customer.order_ids:
            conditions.append(Order.platform_order_id.in_(customer.order_ids))
        if customer.email:
            conditions.append(func.lower(Order.customer_email) == customer.email)
        if not conditions:
            return [], []
        order_pks = list(self.session.scalars(select(Order.id).where(Order.shop_id == shop_id, or_(*conditions))))
        if not order_pks:
            return [], []
        backorder_pks = list(self.session.scalars(
            select(Backorder.id).join(OrderLine, Backorder.order_line_id == OrderLine.id)
            .where(OrderLine.shop_id == shop_id, OrderLine.order_id.in_(order_pks))))
        return order_pks, backorder_pks

    def redact(self, shop_id: int, customer: Customer, order_pks: Sequence[int],
               backorder_pks: Sequence[int]) -> dict[str, int]:
        """Overwrite the customer's personal data in every registered table: {table: rows}."""
        rows: dict[str, int] = {}
        for table, entry in self._personal_tables():
            matching = _matching(table, entry, shop_id, customer, order_pks, backorder_pks)
            result = self.session.execute(update(table).where(matching).values(**entry.columns))
            rows[entry.table] = int(getattr(result, "rowcount", 0) or 0)
        return rows

    def customer_rows(self, shop_id: int, customer: Customer, order_pks: Sequence[int],
                      backorder_pks: Sequence[int]) -> dict[str, list[dict[str, Any]]]:
        """The customer's rows of every registered table but the exports themselves, and the lines of
        the customer's orders (``order_lines``), each row as {column: value}."""
        found = {
            entry.table: [dict(row._mapping) for row in self.session.execute(select(table).where(
                _matching(table, entry, shop_id, customer, order_pks, backorder_pks)))]
            for table, entry in self._personal_tables(skip=("data_exports",))}
        lines = Base.metadata.tables["order_lines"]
        found["order_lines"] = [
            dict(row._mapping)
            for row in self.session.execute(select(lines).where(lines.c.shop_id == shop_id,
                                                                lines.c.order_id.in_(order_pks)))]
        return found

    def export(self, export_id: int, shop_id: int | None = None) -> DataExport | None:
        """A data export by id (of this shop only, when given)."""
        query = select(DataExport).where(DataExport.id == export_id)
        if shop_id is not None:
            query = query.where(DataExport.shop_id == shop_id)
        return self.session.scalar(query)

    def export_for_request(self, shop_id: int, request_id: str) -> DataExport | None:
        return self.session.scalar(select(DataExport).where(DataExport.shop_id == shop_id,
                                                            DataExport.request_id == request_id))

    def mark_export_emailed(self, export_id: int, when: datetime) -> None:
        """Record that the export's e-mail was accepted by the SMTP server (it is not sent again)."""
        self.session.execute(update(DataExport).where(DataExport.id == export_id).values(emailed_at=when))

    def add_export(self, export: DataExport) -> DataExport:
        self.session.add(export)
        return export

    def erase_shop(self, shop_id: int) -> None:
        """Delete the shop and every row of every table that has ``shop_id``, dependants first."""
        present = self._present()
        for table in reversed(Base.metadata.sorted_tables):
            if "shop_id" in table.c and table.name in present:
                self.session.execute(delete(table).where(table.c.shop_id == shop_id))
        self.session.execute(delete(Shop).where(Shop.id == shop_id))

    def drop_subscriptions(self, shop_id: int) -> None:
        """Forget the shop's webhook subscriptions (the store drops them on uninstall)."""
        self.session.execute(delete(WebhookSubscription).where(WebhookSubscription.shop_id == shop_id))


def prune_finished_events(engine: Engine, before: datetime, batch_rows: int, max_batches: int) -> tuple[int, bool]:
    """Delete finished inbox events (``FINISHED_EVENT_STATUSES``) processed before ``before``, in batches:
    (rows deleted, more left)."""
    # Ids grow with received_at, and an event is processed after it is received: every prunable event
    # lies below the first one received since ``before``. Bounding the batches by that id keeps each
    # one from reading the recent part of the table (there is no index on processed_at).
    with engine.connect() as connection:
        boundary = connection.scalar(select(WebhookEvent.id).where(WebhookEvent.received_at >= before)
                                     .order_by(WebhookEvent.id).limit(1))
    conditions: list[ColumnElement[bool]] = [
        WebhookEvent.status.in_(FINISHED_EVENT_STATUSES),
        func.coalesce(WebhookEvent.processed_at, WebhookEvent.received_at) < before,
    ]
    if boundary is not None:
        conditions.append(WebhookEvent.id < boundary)
    ids = select(WebhookEvent.id).where(*conditions).order_by(WebhookEvent.id)
    return delete_in_batches(engine, WebhookEvent, ids, batch_rows, max_batches)

