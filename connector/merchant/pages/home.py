"""The home page (/app): the shop's name and a short status summary; the KPIs have their own page (/app/kpis)."""

from __future__ import annotations

from flask import g
from flask.typing import ResponseReturnValue

from connector.merchant.repository import MerchantRepository
from connector.merchant.shell import container, merchant_bp, merchant_view, render_page


@merchant_bp.get("")
@merchant_view
def home() -> ResponseReturnValue:
    shop_id = g.merchant.shop_id
    with container().uow() as uow:
        summary = uow.repo(MerchantRepository)
        lines, units = summary.waiting_backorders(shop_id)
        suppliers = summary.suppliers(shop_id)
        errors = summary.recent_job_errors(shop_id)
    failing = [s for s in suppliers if s.consecutive_failures > 0]
    return render_page("home.html", waiting_lines=lines, waiting_units=units, suppliers=suppliers,
                       failing=failing, errors=errors)
