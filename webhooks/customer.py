"""Customer links from delay notices: /orders/<token>/cancel and /orders/<token>/wait.

GET shows a confirmation page (link scanners that prefetch emails change nothing); POST records
the answer once. The token is signed (constant-time check), expires, and is single use; see
connector/notify/links.py and connector/notify/delay_flow.py. A cancellation itself goes
through the store in jobs.notify.evaluate_backorders, queued here.
"""

from __future__ import annotations

import logging
from functools import lru_cache

from flask import Blueprint, current_app, request
from flask.typing import ResponseReturnValue
from jinja2 import Environment, FileSystemLoader, Template, select_autoescape

from connector.bootstrap import Container
from connector.domain.clock import utcnow
from connector.domain.errors import LinkInvalid, StorageUnavailable
from connector.notify import delay_flow
from connector.notify.email import TEMPLATES, long_date
from connector.notify.links import LinkSigner
from webhooks.customer_page import render_refusal

log = logging.getLogger(__name__)

bp = Blueprint("customer", __name__)

COPY = {
    "cancel": ("Cancel these items?", "Yes, cancel them for a full refund",
               "We will cancel the items below and refund them in full to the way you paid."),
    "wait": ("Keep waiting?", "Yes, I will wait",
             "We will keep the items below on order and ship them as soon as they arrive."),
}
UNCHARGED_CANCEL = ("Cancel these items?", "Yes, cancel them (you will not be charged for them)",
                    "We will cancel the items below. Your payment for them is only reserved, so you will not be "
                    "charged for them.")
"""The cancel page when the payment is only reserved (LinkView.uncharged, the delay notice's rule)."""
CANCELLED = {False: "Thank you. We are cancelling these items now; you will get an email when the refund is on "
                    "its way.",
             True: "Thank you. We are cancelling these items now; you will not be charged for them. You will get "
                   "an email when they are cancelled."}
"""The page after a confirmed cancellation, by LinkView.uncharged."""


def _copy(choice: str, view: delay_flow.LinkView) -> tuple[str, str, str]:
    return UNCHARGED_CANCEL if choice == "cancel" and view.uncharged else COPY[choice]


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


def _render(status: int, title: str, paragraphs: list[str], view: object = None, action: str | None = None,
            button: str = "") -> ResponseReturnValue:
    html = _page().render(title=title, paragraphs=paragraphs, view=view, action=action, button=button)
    return html, status, {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store",
                          "Referrer-Policy": "no-referrer"}


@bp.route("/orders/<token>/<choice>", methods=["GET", "POST"])
def customer_link(token: str, choice: str) -> ResponseReturnValue:
    if choice not in COPY:
        return render_refusal(LinkInvalid("unknown choice", reason="unknown"))
    container = _container()
    today = utcnow().date()
    try:
        signer = _signer(container)
        if request.method == "GET":
            view = delay_flow.view(container.uow(), signer, token, today)
            nonce = token.split(".")[0]  # genuine: view() checked the signature
            if view.answer is not None or view.outcome not in (None, "escalated"):
                return render_refusal(LinkInvalid("already answered", reason="used", nonce=nonce,
                                                  answer=view.answer or view.outcome))
            if not view.open:
                return render_refusal(LinkInvalid("no longer waiting", reason="not_waiting", nonce=nonce))
            when = long_date(view.notified_date) if view.notified_date else "not known yet"
            title, button, explanation = _copy(choice, view)
            return _render(200, title, [explanation, f"The new expected date is {when}."], view, choice, button)
        view = delay_flow.answer(container.uow(), signer, token, choice, today)
    except LinkInvalid as exc:
        log.info("customer link refused", extra={"reason": str(exc)})
        return render_refusal(exc)
    except StorageUnavailable:
        return _render(503, "Please try again", ["We could not record your answer just now. Please try again."])
    from jobs import notify
    from jobs.runtime import enqueue_run

    try:  # recorded (job_runs): a lost queue does not leave the answer unacted until the next scheduled run
        enqueue_run(container, notify.evaluate_backorders, view.shop_id, shop_id=view.shop_id, coalesce=True)
    except Exception:  # noqa: BLE001 - the answer is stored; the scheduled evaluation acts on it
        log.exception("could not queue the evaluation of an answered delay", extra={"shop_id": view.shop_id})
    if choice == "cancel":
        return _render(200, "Cancellation requested", [CANCELLED[view.uncharged]], view)
    return _render(200, "Thank you for waiting", ["We will ship these items as soon as they arrive."], view)
