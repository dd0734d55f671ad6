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
import secrets
from functools import lru_cache
from typing import Any

from flask import Blueprint, current_app, redirect, request
from flask.typing import ResponseReturnValue
from jinja2 import Environment, FileSystemLoader, Template, select_autoescape

from connector.bootstrap import Container
from connector.customer import actions, copy, refusal
from connector.customer import page as order_page
from connector.domain.clock import utcnow
from connector.domain.errors import LinkInvalid, StorageUnavailable
from connector.domain.preferences import WORDS, Frequency, parse_frequency
from connector.notify.email import TEMPLATES
from connector.notify.links import LinkSigner, OrderLink

log = logging.getLogger(__name__)

bp = Blueprint("customer_page", __name__)

MAX_ITEMS = 200
"""Items one form may name (an order has far fewer lines)."""


@lru_cache(maxsize=1)
def _template() -> Template:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES.parent / "customer")),
                      autoescape=select_autoescape(["html"]))
    return env.get_template("order.html")


def _container() -> Container:
    container: Container = current_app.extensions["connector"]
    return container


def _signer(container: Container) -> LinkSigner:
    settings = container.settings
    return LinkSigner(settings.notify_link_secret or settings.secret_key,
                      settings.notify_public_base_url or settings.app_url)


def _render(status: int, lang: str, **context: Any) -> ResponseReturnValue:
    nonce = secrets.token_urlsafe(16)
    t = copy.words(lang)
    page = context.get("page")
    refusal = context.get("refusal")
    title = t["title"].format(order=page.order_name) if page is not None else \
        refusal.title if refusal is not None else t["refused_title"]
    frame = {"brand": page.brand, "order_name": page.order_name, "status_url": page.status_url} if page is not None \
        else {"brand": refusal.brand, "order_name": refusal.order_name, "status_url": refusal.status_url,
              "contact": refusal.contact} if refusal is not None else {}
    html = _template().render(lang=lang, t=t, nonce=nonce, title=title, frequencies=[f.value for f in Frequency],
                              long_date=lambda value: copy.long_date(value, lang), **frame, **context)
    return html, status, {
        "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
        "X-Robots-Tag": "noindex", "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": f"default-src 'none'; style-src 'nonce-{nonce}'; img-src https:; "
                                   "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"}


def _refused(exc: LinkInvalid | StorageUnavailable) -> ResponseReturnValue:
    browser = request.accept_languages.best_match(list(copy.TEXT))
    if isinstance(exc, StorageUnavailable):
        lang = copy.language(browser, None)
        return _render(503, lang, refused=copy.words(lang)["busy"])
    log.info("order page link refused", extra={"reason": str(exc)})
    return render_refusal(exc)


def render_refusal(exc: LinkInvalid) -> ResponseReturnValue:
    """The page for a customer link that cannot be used (this page's and the delay notice's links): what
    happened in plain words, the date written out, what to do next, how to reach the shop."""
    browser = request.accept_languages.best_match(list(copy.TEXT))
    try:
        found = refusal.refusal(_container().uow(), exc, browser)
    except StorageUnavailable:
        lang = copy.language(browser, None)
        return _render(503, lang, refused=copy.words(lang)["busy"])
    return _render(found.status, found.lang, refusal=found)


def _link(token: str) -> OrderLink:
    container = _container()
    return order_page.resolve(container.uow(), _signer(container), token, utcnow().date())


@bp.route("/orders/<token>", methods=["GET"])
def show(token: str) -> ResponseReturnValue:
    try:
        link = _link(token)
        page = order_page.load(_container().uow(), link)
    except (LinkInvalid, StorageUnavailable) as exc:
        return _refused(exc)
    t = copy.words(page.language)
    done = request.args.get("done", "")
    banner = {"cancel": t["done_cancel"], "already": t["done_already"], "none": t["done_none"],
              "wait": t["done_wait"]}.get(done)
    if done == "emails":
        banner = t["done_emails"].format(choice=t["f_" + page.frequency.value].lower())
    return _render(200, page.language, page=page, base=f"/orders/{token}", banner=banner)


def _chosen_ids(values: list[str]) -> list[int] | None:
    """None for "all"; the item ids named (non-numbers ignored)."""
    if "all" in values:
        return None
    return [int(v) for v in values[:MAX_ITEMS] if v.isdigit()]


@bp.route("/orders/<token>/items/cancel", methods=["GET"])
def confirm_cancel(token: str) -> ResponseReturnValue:
    try:
        page = order_page.load(_container().uow(), _link(token))
    except (LinkInvalid, StorageUnavailable) as exc:
        return _refused(exc)
    ids = _chosen_ids(request.args.getlist("item"))
    chosen = [item for item in page.waiting if ids is None or item.backorder_id in ids]
    if not chosen:
        t = copy.words(page.language)
        return _render(409, page.language, page=page, base=f"/orders/{token}", banner=t["done_none"],
                       banner_error=True)
    return _render(200, page.language, page=page, base=f"/orders/{token}", confirm=chosen)


@bp.route("/orders/<token>/items/cancel", methods=["POST"])
def cancel(token: str) -> ResponseReturnValue:
    container = _container()
    try:
        link = _link(token)
        ids = _chosen_ids(request.form.getlist("item"))
        outcome = actions.cancel(container.uow(), link, ids, utcnow().date())
    except (LinkInvalid, StorageUnavailable) as exc:
        return _refused(exc)
    if outcome.requested:
        _evaluate_soon(container, link.shop_id)
    done = "cancel" if outcome.requested else "already" if outcome.already else "none"
    return redirect(f"/orders/{token}?done={done}", code=303)


@bp.route("/orders/<token>/items/wait", methods=["POST"])
def wait(token: str) -> ResponseReturnValue:
    container = _container()
    try:
        link = _link(token)
        if actions.keep_waiting(container.uow(), link):
            _evaluate_soon(container, link.shop_id)
    except (LinkInvalid, StorageUnavailable) as exc:
        return _refused(exc)
    return redirect(f"/orders/{token}?done=wait", code=303)


@bp.route("/orders/<token>/emails", methods=["POST"])
def emails(token: str) -> ResponseReturnValue:
    container = _container()
    try:
        link = _link(token)
        try:
            frequency = parse_frequency(request.form.get("frequency", ""))
        except ValueError:
            page = order_page.load(container.uow(), link)
            return _render(400, page.language, page=page, base=f"/orders/{token}",
                           banner=copy.words(page.language)["bad_choice"], banner_error=True)
        actions.choose_frequency(container.uow(), link, frequency)
    except (LinkInvalid, StorageUnavailable) as exc:
        return _refused(exc)
    log.info("order page: customer chose %s", WORDS[frequency], extra={"shop_id": link.shop_id})
    return redirect(f"/orders/{token}?done=emails", code=303)


def _evaluate_soon(container: Container, shop_id: int) -> None:
    """Queue the shop's evaluation, which carries out the request through the store (recorded in
    job_runs, so a lost queue does not leave it undone until the next scheduled run)."""
    from jobs import notify
    from jobs.runtime import enqueue_run

    try:
        enqueue_run(container, notify.evaluate_backorders, shop_id, shop_id=shop_id, coalesce=True)
    except Exception:  # noqa: BLE001 - the request is stored; the scheduled evaluation acts on it
        log.exception("could not queue the evaluation after an order page request", extra={"shop_id": shop_id})
