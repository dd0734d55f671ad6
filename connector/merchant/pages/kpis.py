"""The KPI page (/app/kpis, issue 15 item 1): every backorder KPI of the shop over a period picked with a GET
form (default the last 90 days), each as a server-side SVG chart (connector/merchant/svg_charts.py) with its
numbers in a table beside it. The numbers come from connector/reports/kpis.py, as `connector report` prints
them."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import g, make_response, request
from flask.typing import ResponseReturnValue
from markupsafe import Markup

from connector.domain.kpis import Kpis
from connector.merchant import svg_charts as charts
from connector.merchant.pages.backorders import session_fields
from connector.merchant.shell import app_link, container, merchant_bp, merchant_view, render_page
from connector.reports.kpis import period_from, shop_kpis

MAX_DAYS = 3 * 366
"""The longest period the page accepts (the report command takes any)."""


def _day(raw: str | None) -> date | None:
    return date.fromisoformat(raw) if raw else None


def build_charts(kpis: Kpis) -> dict[str, Markup]:
    d = kpis.as_dict()
    weeks = [w["week"][5:] for w in d["weekly"]]
    t = d["time_to_fill"]
    fill_weeks = [w["week"][5:] for w in t["weekly"]]
    return {
        "weekly": charts.line_chart(
            "chart-weekly", "Backorders opened and closed per week",
            f"{sum(w['opened'] for w in d['weekly'])} opened and {sum(w['closed'] for w in d['weekly'])} closed over "
            f"{len(weeks)} weeks; the numbers are in the table below.", weeks,
            [charts.Series("opened", [w["opened"] for w in d["weekly"]]),
             charts.Series("closed", [w["closed"] for w in d["weekly"]])]),
        "ages": charts.bar_chart(
            "chart-ages", "Age of waiting backorders", "Waiting backorders per age in days; the numbers are in "
            "the table below.", [b["days"] for b in d["age"]["buckets"]],
            [charts.Series("backorders", [b["count"] for b in d["age"]["buckets"]])]),
        "fill": charts.line_chart(
            "chart-fill", "Median time to fill per week", f"Median {t['median_days']} days over the period; "
            "weeks without a fulfilled backorder leave a gap; the numbers are in the table below.", fill_weeks,
            [charts.Series("median days", [w["median_days"] for w in t["weekly"]])]),
        "suppliers": charts.hbar_chart(
            "chart-suppliers", "Supplier dates: mean days late", "Per supplier, mean days between the date given "
            "and the day the goods came (negative: early); the numbers are in the table below.",
            [s["supplier"] for s in d["supplier_accuracy"] if s["samples"]],
            [s["mean_days_late"] for s in d["supplier_accuracy"] if s["samples"]], unit=" d"),
        "skus": charts.hbar_chart(
            "chart-skus", "SKUs backordered most often", "Backorders per SKU in the period; the numbers are in "
            "the table below.", [r["sku"] for r in d["skus"]["most_often"]],
            [r["backorders"] for r in d["skus"]["most_often"]]),
        "messages": charts.hbar_chart(
            "chart-messages", "Messages sent per kind", "Messages sent in the period per kind; the numbers are "
            "in the table below.", list(d["messages"]["sent"]), list(d["messages"]["sent"].values())),
    }


@merchant_bp.get("/kpis")
@merchant_view
def kpis_page() -> ResponseReturnValue:
    error = None
    raw_from, raw_to = request.args.get("from", ""), request.args.get("to", "")
    try:
        period = period_from(_day(raw_from), _day(raw_to))
        if period.days > MAX_DAYS:
            raise ValueError(f"choose a period of at most {MAX_DAYS} days")
    except ValueError as exc:
        error = f"That period cannot be shown ({exc}); showing the last 90 days."
        period = period_from(None, None)
    kpis = shop_kpis(container().uow(), g.merchant.shop_id, g.merchant.shop_domain, period)
    context: dict[str, Any] = {"k": kpis.as_dict(), "charts": build_charts(kpis), "error": error,
                               "form_fields": session_fields("/app/kpis"), "reset": app_link("/app/kpis")}
    response = make_response(render_page("kpis.html", **context))
    response.status_code = 400 if error else 200
    return response
