"""The customer's page: /orders/<token> (issue 14 item 4), opened from the link in every customer e-mail.

Not behind the merchant's auth: the token is the key (connector/notify/links.py: signed, expiring, per
order; a delay notice's older token opens its order's page too). GET pages never change anything
(mail scanners prefetch links); each POST acts once and redirects back to the page (303) with what
happened. No scripts; the one inline stylesheet carries a CSP nonce; images (the shop's logo) only over
https. In the shop's brand (customer/_layout.html), refusals too when the link names a shop we can trust.

    GET  /orders/<token>                       the order's items, expected dates, history, choices
    GET  /orders/<token>/items/cancel?item=ID|all  the confirmation step
    POST /orders/<token>/items/cancel          item=ID (repeatable): ask the store to cancel them
    POST /orders/<token>/items/wait            keep waiting (answers an open delay notice)
    POST /orders/<token>/emails                frequency=every_change|when_ships|required_only
"""

from __future__ import annotations

import logging

from flask import Blueprint, redirect, request
from flask.typing import ResponseReturnValue

from connector.bootstrap import Container
from connector.customer import actions, copy
from connector.customer import page as order_page
from connector.domain.clock import utcnow
from connector.domain.errors import LinkInvalid, StorageUnavailable
from connector.domain.preferences import WORDS, parse_frequency
from connector.notify.links import OrderLink
from webhooks.customer_common import container, evaluate_soon, render_page, render_refusal, signer

log = logging.getLogger(__name__)

bp = Blueprint("customer_page", __name__)

MAX_ITEMS = 200
"""Items one form may name (an order has far fewer lines)."""


def _refused(exc: LinkInvalid | StorageUnavailable) -> ResponseReturnValue:
    browser = request.accept_languages.best_match(list(copy.TEXT))
    if isinstance(exc, StorageUnavailable):
        lang = copy.language(browser, None)
        return render_page(503, lang, refused=copy.words(lang)["busy"])
    log.info("order page link refused", extra={"reason": str(exc)})
    return render_refusal(exc)


def _link(token: str) -> OrderLink:
    ports = container()
    return order_page.resolve(ports.uow(), signer(ports), token, utcnow().date())


@bp.route("/orders/<token>", methods=["GET"])
def show(token: str) -> ResponseReturnValue:
    try:
        link = _link(token)
        page = order_page.load(container().uow(), link)
    except (LinkInvalid, StorageUnavailable) as exc:
        return _refused(exc)
    t = copy.words(page.language)
    done = request.args.get("done", "")
    banner = {"cancel": t["done_cancel"], "already": t["done_already"], "none": t["done_none"],
              "wait": t["done_wait"]}.get(done)
    if done == "emails":
        banner = t["done_emails"].format(choice=t["f_" + page.frequency.value].lower())
    return render_page(200, page.language, page=page, base=f"/orders/{token}", banner=banner)


def _chosen_ids(values: list[str]) -> list[int] | None:
    """None for "all"; the item ids named (non-numbers ignored)."""
    if "all" in values:
        return None
    return [int(v) for v in values[:MAX_ITEMS] if v.isdigit()]


@bp.route("/orders/<token>/items/cancel", methods=["GET"])
def confirm_cancel(token: str) -> ResponseReturnValue:
    try:
        page = order_page.load(container().uow(), _link(token))
    except (LinkInvalid, StorageUnavailable) as exc:
        return _refused(exc)
    ids = _chosen_ids(request.args.getlist("item"))
    chosen = [item for item in page.waiting if ids is None or item.backorder_id in ids]
    if not chosen:
        t = copy.words(page.language)
        return render_page(409, page.language, page=page, base=f"/orders/{token}", banner=t["done_none"],
                       banner_error=True)
    return render_page(200, page.language, page=page, base=f"/orders/{token}", confirm=chosen)


@bp.route("/orders/<token>/items/cancel", methods=["POST"])
def cancel(token: str) -> ResponseReturnValue:
    ports = container()
    try:
        link = _link(token)
        ids = _chosen_ids(request.form.getlist("item"))
        outcome = actions.cancel(ports.uow(), link, ids, utcnow().date())
    except (LinkInvalid, StorageUnavailable) as exc:
        return _refused(exc)
    if outcome.requested:
        _evaluate_soon(ports, link.shop_id)
    done = "cancel" if outcome.requested else "already" if outcome.already else "none"
    return redirect(f"/orders/{token}?done={done}", code=303)


@bp.route("/orders/<token>/items/wait", methods=["POST"])
def wait(token: str) -> ResponseReturnValue:
    ports = container()
    try:
        link = _link(token)
        if actions.keep_waiting(ports.uow(), link):
            _evaluate_soon(ports, link.shop_id)
    except (LinkInvalid, StorageUnavailable) as exc:
        return _refused(exc)
    return redirect(f"/orders/{token}?done=wait", code=303)


@bp.route("/orders/<token>/emails", methods=["POST"])
def emails(token: str) -> ResponseReturnValue:
    ports = container()
    try:
        link = _link(token)
        try:
            frequency = parse_frequency(request.form.get("frequency", ""))
        except ValueError:
            page = order_page.load(ports.uow(), link)
            return render_page(400, page.language, page=page, base=f"/orders/{token}",
                           banner=copy.words(page.language)["bad_choice"], banner_error=True)
        actions.choose_frequency(ports.uow(), link, frequency)
    except (LinkInvalid, StorageUnavailable) as exc:
        return _refused(exc)
    log.info("order page: customer chose %s", WORDS[frequency], extra={"shop_id": link.shop_id})
    return redirect(f"/orders/{token}?done=emails", code=303)


def _evaluate_soon(ports: Container, shop_id: int) -> None:
    evaluate_soon(ports, shop_id, "could not queue the evaluation after an order page request")
