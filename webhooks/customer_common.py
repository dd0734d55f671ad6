"""What the customer's link pages share (webhooks/customer.py, the delay notice's /orders/<token>/wait|cancel,
and webhooks/customer_page.py, the order page /orders/<token>): the link signer, the templates in
templates/customer, the response every page goes out with (no caching, no referrer, no indexing; no scripts,
the one inline stylesheet under a per-response CSP nonce, images only over https), the order page's
rendering and the page refusing a link that cannot be used, and queueing the shop's evaluation after a
customer's answer or request."""

from __future__ import annotations

import logging
import secrets
from functools import cache
from typing import Any

from flask import request
from flask.typing import ResponseReturnValue
from jinja2 import Environment, FileSystemLoader, Template, select_autoescape

from connector.bootstrap import Container
from connector.customer import copy, refusal
from connector.domain.errors import LinkInvalid, StorageUnavailable
from connector.domain.preferences import Frequency
from connector.notify.email import TEMPLATES
from connector.notify.links import LinkSigner, customer_link_signer
from webhooks.common import container

__all__ = ["container", "evaluate_soon", "frame", "render_page", "render_refusal", "respond", "signer"]

log = logging.getLogger(__name__)


def signer(container: Container) -> LinkSigner:
    """The signer of the customer links (the notice links' own secret and public address when set)."""
    return customer_link_signer(container.settings)


@cache
def _template(name: str) -> Template:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES.parent / "customer")),
                      autoescape=select_autoescape(["html"]))
    return env.get_template(name)


def frame(view: Any) -> dict[str, Any]:
    """The layout's shop frame (brand, order name, the store's order status link) from a page's facts."""
    return {"brand": view.brand, "order_name": view.order_name, "status_url": view.status_url}


def respond(template: str, status: int, **context: Any) -> ResponseReturnValue:
    """``template`` (in templates/customer) rendered with ``context`` and a fresh nonce for its stylesheet,
    with the headers every customer page carries."""
    nonce = secrets.token_urlsafe(16)
    html = _template(template).render(nonce=nonce, **context)
    return html, status, {
        "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
        "X-Robots-Tag": "noindex", "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": f"default-src 'none'; style-src 'nonce-{nonce}'; img-src https:; "
                                   "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"}


def render_page(status: int, lang: str, **context: Any) -> ResponseReturnValue:
    """The order page (customer/order.html) in ``lang``: an order's ``page``, a ``refusal`` of a link, or a
    bare ``refused`` message, framed in the shop's brand where it is known."""
    t = copy.words(lang)
    page = context.get("page")
    refused_link = context.get("refusal")
    title = t["title"].format(order=page.order_name) if page is not None else \
        refused_link.title if refused_link is not None else t["refused_title"]
    shop = frame(page) if page is not None else {**frame(refused_link), "contact": refused_link.contact} \
        if refused_link is not None else {}
    return respond("order.html", status, lang=lang, t=t, title=title, frequencies=[f.value for f in Frequency],
                   long_date=lambda value: copy.long_date(value, lang), **shop, **context)


def render_refusal(exc: LinkInvalid) -> ResponseReturnValue:
    """The page for a customer link that cannot be used (the order page's and the delay notice's links): what
    happened in plain words, the date written out, what to do next, how to reach the shop."""
    browser = request.accept_languages.best_match(list(copy.TEXT))
    try:
        found = refusal.refusal(container().uow(), exc, browser)
    except StorageUnavailable:
        lang = copy.language(browser, None)
        return render_page(503, lang, refused=copy.words(lang)["busy"])
    return render_page(found.status, found.lang, refusal=found)


def evaluate_soon(container: Container, shop_id: int, failure: str) -> None:
    """Queue the shop's evaluation, which carries out the customer's answer or request through the store
    (recorded in job_runs, so a lost queue does not leave it undone until the next scheduled run). The
    answer is already stored, so a queue that cannot be reached is logged (``failure``), not raised: the
    scheduled evaluation acts on it."""
    from jobs import notify
    from jobs.runtime import enqueue_run

    try:
        enqueue_run(container, notify.evaluate_backorders, shop_id, shop_id=shop_id, coalesce=True)
    except Exception:  # noqa: BLE001 - the answer or request is stored; the scheduled evaluation acts on it
        log.exception(failure, extra={"shop_id": shop_id})
