"""Set-up shared by the drop-ship integration tests: a sandbox stack on the given database, a
drop-ship supplier (HTTP desk or purchase sheet by email), terms per SKU, a long store restock."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update

from connector.db.models import Backorder
from connector.dropship.models import DropshipOrder
from connector.dropship.terms import set_terms
from connector.shop_settings import set_setting
from connector.supply.suppliers import add_supplier
from jobs.supply import poll_supplier
from sandbox.stack import LocalStack
from sandbox.supplier_sim.seed import SUPPLIER_TOKEN

MERCHANT = "owner@merchant.example"


def shop(stack: LocalStack, platform: str) -> Any:
    return next(i for i in stack.shops.values() if i.platform == platform)


def add_dropship_supplier(stack: LocalStack, shop_id: int, *, mode: str = "api", name: str = "sandbox-supplier",
                          **options: Any) -> int:
    c = stack.container
    url = stack.sandbox.supplier_url
    dropship: dict[str, Any] = {"mode": mode, **options}
    if mode == "api":
        dropship.setdefault("url", url + "/api/dropship/orders")
    supplier_id = add_supplier(c.uow(), c.box, shop_id, {
        "name": name, "kind": "http_json",
        "settings": {"url": url + "/api/all", "auth": {"type": "bearer"}, "dropship": dropship},
        "secret": {"token": SUPPLIER_TOKEN}}, clients=c.supplier_client)
    poll_supplier(supplier_id)
    return supplier_id


def enable(stack: LocalStack, shop_id: int, **settings: Any) -> None:
    c = stack.container
    set_setting(c.uow(), shop_id, "dropship.enabled", True)
    set_setting(c.uow(), shop_id, "dropship.max_wait_days", 7)
    set_setting(c.uow(), shop_id, "alerts.email", MERCHANT)
    for key, value in settings.items():
        set_setting(c.uow(), shop_id, key, value)


def terms(stack: LocalStack, supplier_id: int, sku: str, cost: str) -> None:
    from connector.supply.suppliers import list_suppliers

    [shop_id] = [s["shop_id"] for s in list_suppliers(stack.container.uow()) if s["id"] == supplier_id]
    set_terms(stack.container.uow(), supplier_id, sku, shop_id=shop_id, dropship=True, unit_cost=Decimal(cost))


def restock_in(stack: LocalStack, shop_id: int, days: int = 30) -> None:
    with stack.container.uow() as uow:
        uow.session.execute(update(Backorder).where(Backorder.shop_id == shop_id).values(
            expected_date=datetime.now(UTC).date() + timedelta(days=days)))
        uow.commit()


def dropship_orders(stack: LocalStack, shop_id: int) -> list[DropshipOrder]:
    with stack.container.uow() as uow:
        rows = list(uow.session.scalars(select(DropshipOrder).where(DropshipOrder.shop_id == shop_id)
                                        .order_by(DropshipOrder.id)))
        uow.session.expunge_all()
        return rows


def process_env(stack: LocalStack) -> dict[str, str]:
    """The environment a separate `connector` process needs to work on this stack's database."""
    s = stack.container.settings
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONNECTOR_", "SENTRY", "REDIS", "DATABASE"))}
    env.update({"DATABASE_URL": s.database_url, "CONNECTOR_SECRET_KEY": s.secret_key or "",
                "SHOPIFY_API_SECRET": s.shopify_api_secret or "", "CONNECTOR_API_TOKEN": s.api_token or "",
                "CONNECTOR_SMTP_HOST": s.smtp_host, "CONNECTOR_SMTP_PORT": str(s.smtp_port),
                "CONNECTOR_SMTP_FROM": s.smtp_from, "CONNECTOR_LOG_LEVEL": "INFO", "PYTHONUNBUFFERED": "1",
                "CONNECTOR_ALLOW_PRIVATE_TARGETS": "true"})
    return env
