"""Consolation codes redeemed (issue 15 KPIs): the capture of an order that used one of the connector's
consolation codes records it here (``consolation_redemptions``), once per code.

The store tells us on the order itself: Shopify's ``discount_codes[].code``, WooCommerce's
``coupon_lines[].code`` (``OrderSnapshot.discount_codes``). Codes match case-insensitively (both platforms
treat codes so). Only codes the store created (notify's ``discount_codes`` rows with status ``created``)
count; the order that used one is usually a later order of the same customer.
"""

from __future__ import annotations

from collections.abc import Sequence

from connector.db.models import Order
from connector.db.uow import UnitOfWork
from connector.reports.kpi_repository import RedemptionRepository


def record_redemptions(uow: UnitOfWork, shop_id: int, order: Order, codes: Sequence[str]) -> int:
    """Record the shop's consolation codes among ``codes`` as redeemed by ``order`` (in the caller's open
    unit of work); returns how many were new."""
    if not codes:
        return 0
    return uow.repo(RedemptionRepository).record(shop_id, order, [code.lower() for code in codes])
