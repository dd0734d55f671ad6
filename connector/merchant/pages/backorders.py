"""The Backorders page (/app/backorders), its CSV export (/app/backorders.csv) and the order timeline
(/app/orders/<store order id>).

The filters are a GET form and the sort and page are links, so everything works without JavaScript;
the export takes the same parameters as the page and streams every row of the view (no paging).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import replace
from urllib.parse import parse_qsl, quote, urlsplit

from flask import Response, abort, g, request, stream_with_context
from flask.typing import ResponseReturnValue
from markupsafe import Markup, escape

from connector.domain.clock import utcnow
from connector.domain.spreadsheet import write_sheet
from connector.merchant.backorder_filters import STATUSES, BackorderView
from connector.merchant.backorders_query import backorders_page, export_rows
from connector.merchant.shell import app_link, container, merchant_bp, merchant_view, render_page
from connector.merchant.timeline import OrderNotFound, order_timeline
from connector.supply.repository import SupplyRepository

EXPORT_CHUNK = 500
"""Rows written to the response at a time while the CSV streams."""

SORT_COLUMNS = (("order", "Order"), ("sku", "SKU"), ("supplier", "Supplier"), ("status", "Status"),
                ("age", "Age"), ("expected", "Expected"))
STATUS_LABELS = {"waiting": "Waiting", "open": "Open", "allocated": "Allocated", "fulfilled": "Fulfilled",
                 "cancelled": "Cancelled", "withdrawn": "Withdrawn", "all": "All"}
STATUS_BADGES = {"open": "badge-warning", "allocated": "badge-info", "fulfilled": "badge-success",
                 "cancelled": "", "withdrawn": ""}


def session_fields(path: str) -> Markup:
    """Hidden fields for a GET form to ``path``: the parameters that keep the session (Shopify: shop,
    host, id_token), as ``app_link`` puts them on a link (a GET form replaces the query string)."""
    query = urlsplit(app_link(path)).query
    return Markup("".join(f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">'
                          for k, v in parse_qsl(query)))


def order_link(platform_order_id: str) -> str:
    return app_link(f"/app/orders/{quote(platform_order_id, safe='')}")


@merchant_bp.get("/backorders")
@merchant_view
def backorders() -> ResponseReturnValue:
    shop_id = g.merchant.shop_id
    view = BackorderView.from_args(request.args)
    c = container()
    page = backorders_page(c.uow(), shop_id, view, utcnow())
    with c.uow() as uow:
        suppliers = [(s.id, s.name) for s in uow.repo(SupplyRepository).suppliers(shop_id)]
    view = page.view

    def link(target: BackorderView) -> str:
        return app_link("/app/backorders", **target.query_args())

    status_tabs = [(choice, STATUS_LABELS[choice], _count(page.counts, choice),
                    link(replace(view, status=choice, page=1)))
                   for choice in ("waiting", *STATUSES, "all")]
    return render_page(
        "backorders.html", page=page, view=view, suppliers=suppliers, status_tabs=status_tabs,
        sort_columns=[(key, label, link(view.sorted_by(key))) for key, label in SORT_COLUMNS],
        previous=link(view.with_page(view.page - 1)) if view.page > 1 else None,
        next=link(view.with_page(view.page + 1)) if view.page < page.pages else None,
        first=link(view.with_page(1)), last=link(view.with_page(page.pages)),
        export=app_link("/app/backorders.csv", **view.query_args(page=False)),
        reset=app_link("/app/backorders"), form_fields=session_fields("/app/backorders"),
        order_link=order_link, badges=STATUS_BADGES, now=utcnow())


def _count(counts: dict[str, int], choice: str) -> int:
    if choice == "waiting":
        return counts["open"] + counts["allocated"]
    if choice == "all":
        return sum(counts.values())
    return counts[choice]


@merchant_bp.get("/backorders.csv")
@merchant_view
def backorders_csv() -> ResponseReturnValue:
    shop_id, domain = g.merchant.shop_id, g.merchant.shop_domain
    view = BackorderView.from_args(request.args)
    now = utcnow()
    rows = export_rows(container().uow(), shop_id, view, now)

    def chunks() -> Iterator[str]:
        yield "\ufeff"  # byte order mark: spreadsheets then read the file as UTF-8
        buffer: list[list[object]] = []
        for row in rows:
            buffer.append(row)
            if len(buffer) >= EXPORT_CHUNK:
                yield _sheet(buffer)
                buffer = []
        if buffer:
            yield _sheet(buffer)

    name = "backorders-" + "".join(ch if ch.isalnum() else "-" for ch in domain)[:60] + f"-{now:%Y%m%d}.csv"
    answer = Response(stream_with_context(chunks()), mimetype="text/csv")
    answer.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return answer


def _sheet(rows: list[list[object]]) -> str:
    out = io.StringIO()
    write_sheet(out, rows)
    return out.getvalue()


@merchant_bp.get("/orders/<platform_order_id>")
@merchant_view
def order(platform_order_id: str) -> ResponseReturnValue:
    try:
        timeline = order_timeline(container().uow(), g.merchant.shop_id, platform_order_id)
    except OrderNotFound:
        abort(404, "This shop has no such order.")
    back = request.referrer if _is_backorders_page(request.referrer) else app_link("/app/backorders")
    return render_page("order_timeline.html", timeline=timeline, back=back, badges=STATUS_BADGES)


def _is_backorders_page(referrer: str | None) -> bool:
    """The page the merchant came from, when it is the Backorders page of this app (same host)."""
    if not referrer:
        return False
    parts = urlsplit(referrer)
    return parts.netloc == request.host and parts.path == "/app/backorders"
