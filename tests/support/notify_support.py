"""Test harness for customer messages: a real database, a real SMTP server (aiosmtpd) on loopback,
a frozen 'today', and a recording store admin (the real adapters are tested against the simulators)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import event

from adapters.notify.smtp import SmtpMailer
from connector.bootstrap import Container, bootstrap
from connector.config import Settings
from connector.crypto import generate_key
from connector.db.models import Backorder, Order, OrderLine
from connector.domain.errors import PlatformRejected, PlatformUnavailable
from connector.domain.model import Platform, ShopCredentials
from connector.domain.notify import CancelResult
from connector.notify.evaluate import Notifier
from connector.notify.links import LinkSigner
from connector.shop_settings import set_setting
from connector.shops import add_shop
from sandbox.smtp_sink import SmtpSink

TODAY = date(2026, 12, 1)


@contextmanager
def loads_recorded(*entities: type, key: Callable[[Any], Any] = lambda target: target) -> Iterator[list[Any]]:
    """``key`` of every instance of ``entities`` loaded from the database inside the block, in order."""
    found: list[Any] = []

    def on_load(target: Any, _context: object) -> None:
        found.append(key(target))

    for entity in entities:
        event.listen(entity, "load", on_load)
    try:
        yield found
    finally:
        for entity in entities:
            event.remove(entity, "load", on_load)


def days(n: int) -> date:
    """The day ``n`` days after TODAY."""
    return TODAY + timedelta(days=n)


BASE_URL = "https://connector.example"


@dataclass
class RecordingOrderAdmin:
    cancels: list[tuple[str, list[tuple[str, int]], str]] = field(default_factory=list)
    discounts: list[dict[str, Any]] = field(default_factory=list)
    fail_cancel: Exception | None = None
    fail_discount: Exception | None = None
    refunds: bool = True
    charged: bool = True
    """False: the order was only authorized, so nothing was charged for the cancelled items."""

    def cancel_items(self, order_id: str, items: Any, *, reason: str, idempotency_key: str) -> CancelResult:
        if self.fail_cancel is not None:
            raise self.fail_cancel
        self.cancels.append((order_id, list(items), idempotency_key))
        return CancelResult(f"refund-{len(self.cancels)}", refunded=self.refunds, charged=self.charged,
                            amount="16.00" if self.refunds and self.charged else None)

    def create_discount(self, code: str, **kwargs: Any) -> str:
        if self.fail_discount is not None:
            raise self.fail_discount
        self.discounts.append({"code": code, **kwargs})
        return f"gid://shopify/DiscountCodeNode/{len(self.discounts)}"


class Harness:
    def __init__(self, database_url: str, sink: SmtpSink) -> None:
        self.sink = sink
        self.secret = generate_key()
        settings = Settings(database_url=database_url, secret_key=self.secret, worker_threads=0,
                            smtp_host=sink.host, smtp_port=sink.port, smtp_from="orders@tea.example",
                            notify_public_base_url=BASE_URL, allow_private_targets=True)
        self.container: Container = bootstrap(settings, auto_upgrade=True, bind_jobs=False)
        shop = add_shop(self.container.uow(), self.container.box, Platform.SHOPIFY, "tea-shop.myshopify.com",
                        ShopCredentials(access_token="t"))
        self.shop_id = shop.id
        self.today = TODAY
        self.admin = RecordingOrderAdmin()
        self.mailer = SmtpMailer(sink.host, sink.port, timeout=5, envelope_from="orders@tea.example",
                                 sleep=lambda s: None)
        self.links = LinkSigner(self.secret, BASE_URL)
        self.notifier = Notifier(uow=self.container.uow, mailer=self.mailer, links=self.links,
                                 order_admin=lambda shop_id: self.admin, default_sender="orders@tea.example",
                                 today=lambda: self.today, box=self.container.box,
                                 slack=self.container.slack_webhook)
        self._orders = 0

    def set(self, key: str, value: Any) -> None:
        set_setting(self.container.uow(), self.shop_id, key, value, box=self.container.box)

    def backorder(self, *, expected: date | None, ordered: date = TODAY, email: str | None = "ada@example.com",
                  sku: str = "TEA-1", quantity: int = 2, promised: date | None = None,
                  title: str = "Darjeeling 100 g", financial_status: str | None = None) -> int:
        self._orders += 1
        number = self._orders
        placed = datetime.combine(ordered, time(10), tzinfo=UTC)
        with self.container.uow() as uow:
            order = Order(shop_id=self.shop_id, platform_order_id=str(1000 + number), name=f"#{1000 + number}",
                          customer_email=email, ordered_at=placed, platform_updated_at=placed,
                          financial_status=financial_status)
            line = OrderLine(shop_id=self.shop_id, platform_line_id=f"L{number}", sku=sku, variant_id=f"V{number}",
                             stock_key=f"V{number}", title=title, quantity=quantity)
            order.lines.append(line)
            uow.session.add(order)
            uow.session.flush()
            backorder = Backorder(shop_id=self.shop_id, order_line_id=line.id, sku=sku, stock_key=line.stock_key,
                                  quantity_backordered=quantity, status="open", expected_date=expected,
                                  promised_date=promised, created_at=placed, updated_at=placed)
            uow.session.add(backorder)
            uow.commit()
            return backorder.id

    def restock(self, skus: list[str], day: date, *, handling: int = 2, transit: int = 3) -> None:
        """The supplier Acme, with ``handling`` and ``transit`` days, restocks ``skus`` on ``day``; the dates
        are then computed as the connector computes them for the product pages (connector/supply/dates.py),
        so a date counting handling and transit days is said as "ships by"."""
        from connector.supply.dates import refresh_dates
        from connector.supply.models import Supplier, SupplierStock

        with self.container.uow() as uow:
            supplier = uow.session.query(Supplier).filter_by(shop_id=self.shop_id, name="Acme").one_or_none()
            if supplier is None:
                supplier = Supplier(shop_id=self.shop_id, name="Acme", kind="feed")
                uow.session.add(supplier)
            supplier.handling_days, supplier.transit_days = handling, transit
            uow.session.flush()
            for sku in skus:
                stock = uow.session.query(SupplierStock).filter_by(supplier_id=supplier.id, sku=sku).one_or_none()
                if stock is None:
                    uow.session.add(SupplierStock(shop_id=self.shop_id, supplier_id=supplier.id, sku=sku,
                                                  quantity=0, restock_date=day))
                else:
                    stock.restock_date = day
            uow.commit()
        refresh_dates(self.container.uow(), self.shop_id, today=self.today)

    def move(self, backorder_id: int, expected: date | None) -> None:
        with self.container.uow() as uow:
            row = uow.session.get(Backorder, backorder_id)
            row.expected_date = expected
            uow.commit()

    def get(self, model: Any, row_id: int) -> Any:
        with self.container.uow() as uow:
            row = uow.session.get(model, row_id)
            uow.session.expunge_all()
            return row

    def rows(self, model: Any, **where: Any) -> list[Any]:
        from sqlalchemy import select

        with self.container.uow() as uow:
            query = select(model).where(*(getattr(model, k) == v for k, v in where.items())).order_by(model.id)
            found = list(uow.session.scalars(query))
            uow.session.expunge_all()
            return found

    def evaluate(self) -> Any:
        from connector.notify.evaluate import evaluate_backorders

        return evaluate_backorders(self.notifier, self.shop_id)

    def close(self) -> None:
        self.container.close()


__all__ = ["Harness", "RecordingOrderAdmin", "TODAY", "PlatformRejected", "PlatformUnavailable"]
