"""Customer links from delay notices: /orders/<token>/cancel and /orders/<token>/wait.

GET shows the choice (link scanners that prefetch emails change nothing): both choices, the items, the
ships-by date and the deadline when an answer is needed; POST records the answer once and confirms it
(the refund and its currency after a cancellation; the ships-by date after keeping waiting, confirmed by
e-mail too). The token is signed (constant-time check), expires, and is single use; see
connector/notify/links.py and connector/notify/delay_flow.py. The words and facts come from
connector/customer/choice.py, in the customer's language and the shop's brand. A cancellation itself
goes through the store in jobs.notify.evaluate_backorders, queued here, as is the wait confirmation.
"""

from __future__ import annotations

import logging
import secrets
from functools import lru_cache
from typing import Any

from flask import Blueprint, current_app, request
from flask.typing import ResponseReturnValue
from jinja2 import Environment, FileSystemLoader, Template, select_autoescape

from connector.bootstrap import Container
from connector.customer import choice as link_page
from connector.customer import copy
from connector.domain.clock import utcnow
from connector.domain.errors import LinkInvalid, StorageUnavailable
from connector.notify import delay_flow
from connector.notify.email import TEMPLATES
from connector.notify.links import LinkSigner
from webhooks.customer_page import render_refusal

log = logging.getLogger(__name__)

bp = Blueprint("customer", __name__)

CHOICES = ("wait", "cancel")


@lru_cache(maxsize=1)
def _page() -> Template:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES.parent / "customer")),
                      autoescape=select_autoescape(["html"]))
    return env.get_template("page.html")


def _container() -> Container:
    container: Container = current_app.extensions["connector"]
    return container


def _signer(container: Container) -> LinkSigner:
    settings = container.settings
    return LinkSigner(settings.notify_link_secret or settings.secret_key,
                      settings.notify_public_base_url or settings.app_url)


def _render(status: int, **context: Any) -> ResponseReturnValue:
    nonce = secrets.token_urlsafe(16)
    view = context.get("view")
    frame = {"brand": view.brand, "order_name": view.order_name, "status_url": view.status_url} if view else {}
    html = _page().render(nonce=nonce, **frame, **context)
    return html, status, {
        "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
        "X-Robots-Tag": "noindex", "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": f"default-src 'none'; style-src 'nonce-{nonce}'; img-src https:; "
                                   "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"}


def _busy() -> ResponseReturnValue:
    lang = copy.language(request.accept_languages.best_match(list(copy.TEXT)), None)
    t = copy.words(lang)
    return _render(503, lang=lang, t=t, title=t["l_busy_title"], step="busy", view=None)


@bp.route("/orders/<token>/<choice>", methods=["GET", "POST"])
def customer_link(token: str, choice: str) -> ResponseReturnValue:
    if choice not in CHOICES:
        return render_refusal(LinkInvalid("unknown choice", reason="unknown"))
    container = _container()
    today = utcnow().date()
    try:
        signer = _signer(container)
        if request.method == "GET":
            found = delay_flow.view(container.uow(), signer, token, today)
            nonce = token.split(".")[0]  # genuine: view() checked the signature
            if found.answer is not None or found.outcome not in (None, "escalated"):
                return render_refusal(LinkInvalid("already answered", reason="used", nonce=nonce,
                                                  answer=found.answer or found.outcome))
            if not found.open:
                return render_refusal(LinkInvalid("no longer waiting", reason="not_waiting", nonce=nonce))
            view = link_page.page(container.uow(), signer, found, today)
            return _render(200, lang=view.lang, t=view.t, title=view.t[f"l_title_{choice}"], step="choose",
                           chosen=choice, view=view, base=f"/orders/{token}")
        found = delay_flow.answer(container.uow(), signer, token, choice, today)
        view = link_page.page(container.uow(), signer, found, today)
    except LinkInvalid as exc:
        log.info("customer link refused", extra={"reason": str(exc)})
        return render_refusal(exc)
    except StorageUnavailable:
        return _busy()
    from jobs import notify
    from jobs.runtime import enqueue_run

    try:  # recorded (job_runs): a lost queue does not leave the answer unacted until the next scheduled run
        enqueue_run(container, notify.evaluate_backorders, found.shop_id, shop_id=found.shop_id, coalesce=True)
    except Exception:  # noqa: BLE001 - the answer is stored; the scheduled evaluation acts on it
        log.exception("could not queue the evaluation of an answered delay", extra={"shop_id": found.shop_id})
    title = view.t["l_done_cancel_title" if choice == "cancel" else "l_done_wait_title"]
    return _render(200, lang=view.lang, t=view.t, title=title, step=f"done_{choice}", view=view)
