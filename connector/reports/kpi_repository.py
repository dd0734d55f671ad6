"""The KPI queries (connector/reports/kpis.py): set-based, scoped to one shop, aggregates in the database.

Counts per day, per SKU, per kind, per supplier and the drop-ship margin come out grouped; only the waiting
backorders (one row each: their age and value) and the fulfilled ones of the period (closing day and time
to fill in seconds, for the median and 90th percentile) are read row by row, as plain tuples.
Day and duration arithmetic differs per dialect: ``_day`` and ``_seconds`` hold the two spellings.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Float, Integer, and_, case, cast, distinct, func, literal, literal_column, select
from sqlalchemy.exc import IntegrityError

from connector.db.models import Backorder, Order, OrderLine
from connector.db.repositories import Repository
from connector.domain.kpis import (
    CLOSED,
    DAY,
    WAITING,
    DateChanges,
    DateSample,
    DropshipLine,
    Fill,
    FillSummary,
    OpenRow,
    SkuStat,
    iso_week,
    summarise_fills,
)
from connector.dropship.models import DropshipOrder
from connector.notify.models import DiscountCode, Message
from connector.purchasing.models import PurchaseOrder, PurchaseOrderReceipt
from connector.reports.models import CodeRedemption, KpiDigest
from connector.restock.models import Allocation
from connector.shipping.models import BackorderShipment
from connector.supply.models import SkuEta, Supplier, SupplierChange

EPOCH = date(1970, 1, 1).toordinal()


def _as_date(day_number: Any) -> date:
    return date.fromordinal(EPOCH + int(day_number))


class KpiRepository(Repository):

    @property
    def _postgres(self) -> bool:
        return self.session.get_bind().dialect.name == "postgresql"

    def _day(self, column: Any) -> ColumnElement[Any]:
        """The UTC day of a timestamp column, as a day number (days since 1970-01-01: an integer reads far
        faster than a date, which matters at 100,000 rows)."""
        if self._postgres:
            return func.date(func.timezone(literal_column("'UTC'"), column)) - literal_column("DATE '1970-01-01'")
        return cast(func.julianday(func.date(column)) - 2440587.5, Integer)

    def _day_of_date(self, column: Any) -> ColumnElement[Any]:
        """A date column as a day number (days since 1970-01-01)."""
        if self._postgres:
            return column - literal_column("DATE '1970-01-01'")
        return cast(func.julianday(column) - 2440587.5, Integer)

    def _seconds(self, start: Any, end: Any) -> ColumnElement[Any]:
        """``end - start`` in seconds, as a float."""
        if self._postgres:
            return cast(func.extract("epoch", end - start), Float)
        return (func.julianday(end) - func.julianday(start)) * 86400.0

    def _now(self, now: datetime) -> Any:
        """``now`` as a bound value the dialect's arithmetic reads (SQLite keeps UTC text without a zone)."""
        if self._postgres:
            return literal(now, Backorder.created_at.type)
        return literal(now.replace(tzinfo=None).isoformat(sep=" "))

    def open_rows(self, shop_id: int) -> list[OpenRow]:
        """Waiting backorders grouped by unit price and currency: how many, their units."""
        rows = self.session.execute(
            select(OrderLine.unit_price, Order.currency, func.count(), func.sum(Backorder.quantity_backordered))
            .join(OrderLine, OrderLine.id == Backorder.order_line_id)
            .join(Order, Order.id == OrderLine.order_id)
            .where(Backorder.shop_id == shop_id, Backorder.status.in_(WAITING))
            .group_by(OrderLine.unit_price, Order.currency)).all()
        return [OpenRow(int(units or 0), Decimal(price) if price is not None else None, currency, int(n))
                for price, currency, n, units in rows]

    def open_ages(self, shop_id: int, now: datetime) -> dict[int, int]:
        """Waiting backorders counted per age in whole days at ``now``."""
        if self._postgres:
            age: ColumnElement[Any] = cast(func.floor(self._seconds(Backorder.created_at, self._now(now)) / DAY),
                                           Integer)
        else:
            age = cast(func.julianday(self._now(now)) - func.julianday(Backorder.created_at), Integer)
        rows = self.session.execute(
            select(age, func.count()).where(Backorder.shop_id == shop_id, Backorder.status.in_(WAITING))
            .group_by(age)).all()
        return {int(days): int(n) for days, n in rows}

    def opened_by_day(self, shop_id: int, start: datetime, end: datetime) -> dict[date, int]:
        day = self._day(Backorder.created_at)
        rows = self.session.execute(
            select(day, func.count()).where(Backorder.shop_id == shop_id, Backorder.status != "withdrawn",
                                            Backorder.created_at >= start, Backorder.created_at < end)
            .group_by(day)).all()
        return {_as_date(d): int(n) for d, n in rows}

    def closed_by_day(self, shop_id: int, start: datetime, end: datetime) -> dict[date, int]:
        day = self._day(Backorder.closed_at)
        rows = self.session.execute(
            select(day, func.count()).where(Backorder.shop_id == shop_id, Backorder.status.in_(CLOSED),
                                            Backorder.closed_at >= start, Backorder.closed_at < end)
            .group_by(day)).all()
        return {_as_date(d): int(n) for d, n in rows}

    def fill_summaries(self, shop_id: int, start: datetime, end: datetime, manageable_days: int
                       ) -> tuple[FillSummary, dict[str, FillSummary]]:
        """Time to fill of the backorders fulfilled in the period, summarised over the period and per ISO week.
        PostgreSQL computes it in the query (percentile_cont(0.5): the median; percentile_disc(0.9): the
        nearest rank, as connector/domain/kpis.py defines them); elsewhere the fills are read and summarised
        by ``summarise_fills``."""
        if not self._postgres:
            fills = self.fills(shop_id, start, end)
            weeks: dict[str, list[float]] = {}
            for fill in fills:
                weeks.setdefault(iso_week(fill.closed_on), []).append(fill.seconds)
            return (summarise_fills([f.seconds for f in fills], manageable_days),
                    {week: summarise_fills(values, manageable_days) for week, values in weeks.items()})
        seconds = func.greatest(self._seconds(Backorder.created_at, Backorder.closed_at), 0.0)
        week = func.to_char(func.timezone(literal_column("'UTC'"), Backorder.closed_at),
                            literal_column("'IYYY-\"W\"IW'"))
        measures = (func.count(), func.percentile_cont(0.5).within_group(seconds),
                    func.percentile_disc(0.9).within_group(seconds),
                    func.count().filter(seconds <= manageable_days * DAY))
        scope = (Backorder.shop_id == shop_id, Backorder.status == "fulfilled", Backorder.closed_at >= start,
                 Backorder.closed_at < end)
        total = self.session.execute(select(*measures).where(*scope)).one()
        weekly = self.session.execute(select(week, *measures).where(*scope).group_by(week)).all()

        def summary(n: Any, mid: Any, p90: Any, within: Any) -> FillSummary:
            return FillSummary(int(n), float(mid) if mid is not None else None,
                               float(p90) if p90 is not None else None, int(within or 0))

        return summary(*total), {label: summary(*rest) for label, *rest in weekly}

    def fills(self, shop_id: int, start: datetime, end: datetime) -> list[Fill]:
        rows = self.session.execute(
            select(self._day(Backorder.closed_at), self._seconds(Backorder.created_at, Backorder.closed_at))
            .where(Backorder.shop_id == shop_id, Backorder.status == "fulfilled",
                   Backorder.closed_at >= start, Backorder.closed_at < end)).all()
        return [Fill(_as_date(d), float(s)) for d, s in rows]

    def filled_by_via(self, shop_id: int, start: datetime, end: datetime) -> dict[str | None, int]:
        rows = self.session.execute(
            select(Backorder.fulfilled_via, func.count())
            .where(Backorder.shop_id == shop_id, Backorder.status == "fulfilled",
                   Backorder.closed_at >= start, Backorder.closed_at < end)
            .group_by(Backorder.fulfilled_via)).all()
        return {via: int(n) for via, n in rows}

    def sku_stats(self, shop_id: int, start: datetime, end: datetime, now: datetime) -> list[SkuStat]:
        wait = self._seconds(Backorder.created_at, func.coalesce(Backorder.closed_at, self._now(now)))
        rows = self.session.execute(
            select(Backorder.sku, func.count(), func.sum(Backorder.quantity_backordered), func.avg(wait),
                   func.max(wait))
            .where(Backorder.shop_id == shop_id, Backorder.status != "withdrawn", Backorder.sku.is_not(None),
                   Backorder.created_at >= start, Backorder.created_at < end)
            .group_by(Backorder.sku)).all()
        return [SkuStat(sku, int(n), int(units or 0), max(float(mean or 0), 0.0), max(float(longest or 0), 0.0))
                for sku, n, units, mean, longest in rows]

    def date_samples(self, shop_id: int, start: datetime, end: datetime) -> list[DateSample]:
        """Per supplier: the day first promised to the customer against the day the goods came for that
        backorder (its first allocation, else its first shipment), for goods that came in the period; and each
        purchase order's expected date against its first receipt. The supplier of a backorder is its SKU's
        (sku_eta.supplier_id). Grouped by (supplier, days late) with a count."""
        first_allocation = (select(Allocation.backorder_id.label("backorder_id"),
                                   func.min(Allocation.created_at).label("at"))
                            .where(Allocation.shop_id == shop_id).group_by(Allocation.backorder_id).subquery())
        first_shipment = (select(BackorderShipment.backorder_id.label("backorder_id"),
                                 func.min(BackorderShipment.shipped_at).label("at"))
                          .where(BackorderShipment.shop_id == shop_id)
                          .group_by(BackorderShipment.backorder_id).subquery())
        arrived = func.coalesce(first_allocation.c.at, first_shipment.c.at)
        late = self._day(arrived) - self._day_of_date(Backorder.promised_date)
        rows = self.session.execute(
            select(Supplier.name, late, func.count())
            .join(SkuEta, and_(SkuEta.shop_id == Backorder.shop_id, SkuEta.sku == Backorder.sku))
            .join(Supplier, Supplier.id == SkuEta.supplier_id)
            .outerjoin(first_allocation, first_allocation.c.backorder_id == Backorder.id)
            .outerjoin(first_shipment, first_shipment.c.backorder_id == Backorder.id)
            .where(Backorder.shop_id == shop_id, Backorder.promised_date.is_not(None),
                   Backorder.status.in_(("allocated", "fulfilled")), arrived >= start, arrived < end)
            .group_by(Supplier.name, late)).all()
        samples = [DateSample(name, int(days), int(n)) for name, days, n in rows]
        first_receipt = (select(PurchaseOrderReceipt.purchase_order_id.label("po_id"),
                                func.min(PurchaseOrderReceipt.received_at).label("at"))
                         .where(PurchaseOrderReceipt.shop_id == shop_id)
                         .group_by(PurchaseOrderReceipt.purchase_order_id).subquery())
        po_late = self._day(first_receipt.c.at) - self._day_of_date(PurchaseOrder.expected_date)
        po_rows = self.session.execute(
            select(Supplier.name, po_late, func.count())
            .join(first_receipt, first_receipt.c.po_id == PurchaseOrder.id)
            .join(Supplier, Supplier.id == PurchaseOrder.supplier_id)
            .where(PurchaseOrder.shop_id == shop_id, PurchaseOrder.expected_date.is_not(None),
                   first_receipt.c.at >= start, first_receipt.c.at < end)
            .group_by(Supplier.name, po_late)).all()
        samples += [DateSample(name, int(days), int(n)) for name, days, n in po_rows]
        return samples

    def date_changes(self, shop_id: int, start: datetime, end: datetime) -> list[DateChanges]:
        """Per supplier: restock-date changes seen in the period (both dates known and different), and how
        many moved it later."""
        rows = self.session.execute(
            select(Supplier.name, func.count(),
                   func.sum(case((SupplierChange.restock_date > SupplierChange.previous_restock_date, 1), else_=0)))
            .join(Supplier, Supplier.id == SupplierChange.supplier_id)
            .where(SupplierChange.shop_id == shop_id, SupplierChange.changed_at >= start,
                   SupplierChange.changed_at < end, SupplierChange.restock_date.is_not(None),
                   SupplierChange.previous_restock_date.is_not(None),
                   SupplierChange.restock_date != SupplierChange.previous_restock_date)
            .group_by(Supplier.name)).all()
        return [DateChanges(name, int(n), int(slipped or 0)) for name, n, slipped in rows]

    def messages_sent(self, shop_id: int, start: datetime, end: datetime) -> dict[str, int]:
        rows = self.session.execute(
            select(Message.kind, func.count())
            .where(Message.shop_id == shop_id, Message.status == "sent", Message.sent_at >= start,
                   Message.sent_at < end)
            .group_by(Message.kind)).all()
        return {kind: int(n) for kind, n in rows}

    def codes_issued(self, shop_id: int, start: datetime, end: datetime) -> int:
        return int(self.session.execute(
            select(func.count()).select_from(DiscountCode)
            .where(DiscountCode.shop_id == shop_id, DiscountCode.status == "created",
                   DiscountCode.created_at >= start, DiscountCode.created_at < end)).scalar_one())

    def delay_notices(self, shop_id: int, start: datetime, end: datetime) -> tuple[int, int]:
        """Backorders sent a delay notice in the period, and how many of them were cancelled after it."""
        notice = (select(Message.backorder_id.label("backorder_id"), func.min(Message.sent_at).label("at"))
                  .where(Message.shop_id == shop_id, Message.kind == "delay_notice", Message.status == "sent",
                         Message.sent_at >= start, Message.sent_at < end)
                  .group_by(Message.backorder_id).subquery())
        cancelled = case((and_(Backorder.status == "cancelled", Backorder.closed_at >= notice.c.at), 1), else_=0)
        noticed, after = self.session.execute(
            select(func.count(distinct(notice.c.backorder_id)), func.sum(cancelled))
            .select_from(notice).join(Backorder, Backorder.id == notice.c.backorder_id)).one()
        return int(noticed or 0), int(after or 0)

    def dropship_lines(self, shop_id: int, start: datetime, end: datetime) -> list[DropshipLine]:
        """Units drop-shipped for the backorders fulfilled by drop-ship in the period, grouped by line price,
        supplier cost and currency."""
        rows = self.session.execute(
            select(OrderLine.unit_price, DropshipOrder.unit_cost, Order.currency,
                   func.sum(DropshipOrder.quantity_shipped))
            .join(Backorder, Backorder.id == DropshipOrder.backorder_id)
            .join(OrderLine, OrderLine.id == Backorder.order_line_id)
            .join(Order, Order.id == OrderLine.order_id)
            .where(DropshipOrder.shop_id == shop_id, Backorder.status == "fulfilled",
                   Backorder.fulfilled_via == "dropship", Backorder.closed_at >= start, Backorder.closed_at < end,
                   DropshipOrder.quantity_shipped > 0)
            .group_by(OrderLine.unit_price, DropshipOrder.unit_cost, Order.currency)).all()
        return [DropshipLine(int(units or 0), Decimal(price) if price is not None else None,
                             Decimal(cost) if cost is not None else None, currency)
                for price, cost, currency, units in rows]


class DigestRepository(Repository):
    """The weekly digest's ledger (kpi_digests): one row per shop and ISO week."""

    def claim(self, shop_id: int, week: str) -> int | None:
        """The id of this week's row, now ``sending``: a new row, or a failed one tried again; None when the
        week's digest was sent, is being sent, or may have been sent."""
        row = self.session.scalar(select(KpiDigest).where(KpiDigest.shop_id == shop_id, KpiDigest.week == week)
                                  .with_for_update())
        if row is None:
            try:
                with self.session.begin_nested():
                    row = KpiDigest(shop_id=shop_id, week=week, status="sending", attempts=1)
                    self.session.add(row)
            except IntegrityError:  # another worker claimed it first
                return None
            return row.id
        if row.status != "failed":
            return None
        row.status, row.attempts, row.error = "sending", row.attempts + 1, None
        return row.id

    def finish(self, digest_id: int, status: str, error: str | None, provider_id: str | None, now: datetime) -> None:
        row = self.session.get(KpiDigest, digest_id)
        if row is None:
            return
        row.status, row.error, row.provider_message_id = status, error, provider_id
        if status == "sent":
            row.sent_at = now

    def get(self, shop_id: int, week: str) -> KpiDigest | None:
        return self.session.scalar(select(KpiDigest).where(KpiDigest.shop_id == shop_id, KpiDigest.week == week))


class RedemptionRepository(Repository):
    """Consolation codes seen on captured orders (consolation_redemptions)."""

    def record(self, shop_id: int, order: Order, lowered_codes: list[str]) -> int:
        issued = self.session.execute(
            select(DiscountCode.id)
            .outerjoin(CodeRedemption, CodeRedemption.discount_code_id == DiscountCode.id)
            .where(DiscountCode.shop_id == shop_id, DiscountCode.status == "created",
                   func.lower(DiscountCode.code).in_(lowered_codes), CodeRedemption.id.is_(None))).scalars().all()
        if not issued:
            return 0
        self.session.flush()  # the order's id, when it is new
        for code_id in issued:
            self.session.add(CodeRedemption(shop_id=shop_id, discount_code_id=code_id, order_id=order.id,
                                            redeemed_at=order.ordered_at))
        return len(issued)

    def redeemed(self, shop_id: int, start: datetime, end: datetime) -> int:
        """Consolation codes used by orders placed in the period."""
        return int(self.session.execute(
            select(func.count()).select_from(CodeRedemption)
            .where(CodeRedemption.shop_id == shop_id, CodeRedemption.redeemed_at >= start,
                   CodeRedemption.redeemed_at < end)).scalar_one())
