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
from typing import Any

from flask import Blueprint, request
from flask.typing import ResponseReturnValue

from connector.customer import choice as link_page
from connector.customer import copy
from connector.domain.clock import utcnow
from connector.domain.errors import LinkInvalid, StorageUnavailable
from connector.notify import delay_flow
from webhooks.customer_common import container, evaluate_soon, frame, render_refusal, respond, signer

log = logging.getLogger(__name__)

bp = Blueprint("customer", __name__)

CHOICES = ("wait", "cancel")


def _render(status: int, **context: Any) -> ResponseReturnValue:
    view = context.get("view")
    return respond("page.html", status, **(frame(view) if view else {}), **context)


def _busy() -> ResponseReturnValue:
    lang = copy.language(request.accept_languages.best_match(list(copy.TEXT)), None)
    t = copy.words(lang)
    return _render(503, lang=lang, t=t, title=t["l_busy_title"], step="busy", view=None)


@bp.route("/orders/<token>/<choice>", methods=["GET", "POST"])
def customer_link(token: str, choice: str) -> ResponseReturnValue:
    if choice not in CHOICES:
        return render_refusal(LinkInvalid("unknown choice", reason="unknown"))
    ports = container()
    today = utcnow().date()
    try:
        links = signer(ports)
        if request.method == "GET":
            found = delay_flow.view(ports.uow(), links, token, today)
            nonce = token.split(".")[0]  # genuine: view() checked the signature
            if found.answer is not None or found.outcome not in (None, "escalated"):
                return render_refusal(LinkInvalid("already answered", reason="used", nonce=nonce,
                                                  answer=found.answer or found.outcome))
            if not found.open:
                return render_refusal(LinkInvalid("no longer waiting", reason="not_waiting", nonce=nonce))
            view = link_page.page(ports.uow(), links, found, today)
            return _render(200, lang=view.lang, t=view.t, title=view.t[f"l_title_{choice}"], step="choose",
                           chosen=choice, view=view, base=f"/orders/{token}")
        found = delay_flow.answer(ports.uow(), links, token, choice, today)
        view = link_page.page(ports.uow(), links, found, today)
    except LinkInvalid as exc:
        log.info("customer link refused", extra={"reason": str(exc)})
        return render_refusal(exc)
    except StorageUnavailable:
        return _busy()
    evaluate_soon(ports, found.shop_id, "could not queue the evaluation of an answered delay")
    title = view.t["l_done_cancel_title" if choice == "cancel" else "l_done_wait_title"]
    return _render(200, lang=view.lang, t=view.t, title=title, step=f"done_{choice}", view=view)
