"""The Messages page (/app/messages): the log of every message the connector sent or tried for this shop
(customer messages and the shop's decision requests, filtered by kind, status and order, newest first,
50 a page, each opening its full text), the latest alerts to the shop (pile-up, drop-ship, purchase
orders), and the message templates: per kind and language the shop's own subject, body and "what we
are doing about it" paragraph (/app/messages/templates/<kind>/<language>), checked when saved, with a
preview on one of the shop's real backorders that sends nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import ceil
from typing import Any

from flask import abort, g, jsonify, make_response, redirect, request
from flask.typing import ResponseReturnValue

from connector.domain.errors import TemplateRefused
from connector.dropship.repository import DropshipRepository
from connector.merchant.pages.backorders import order_link, session_fields
from connector.merchant.shell import app_link, container, merchant_bp, merchant_view, render_page
from connector.notify import email as notify_email
from connector.notify import preview as message_preview
from connector.notify import templates
from connector.notify.languages import LANGUAGES
from connector.notify.repository import NotifyRepository

PAGE_SIZE = 50
STATUSES = ("pending", "sending", "sent", "failed", "uncertain", "suppressed")
STATUS_BADGES = {"sent": "badge-success", "failed": "badge-critical", "uncertain": "badge-warning",
                 "pending": "badge-info", "sending": "badge-info", "suppressed": ""}


@dataclass
class LogView:
    """The log's filters as read from the query string; an unreadable value is named and left out."""

    kind: str = ""
    status: str = ""
    order: str = ""
    page: int = 1
    problems: list[str] = field(default_factory=list)

    @classmethod
    def from_args(cls, args: Any) -> LogView:
        view = cls(order=(args.get("order") or "").strip()[:100])
        kind, status, page = args.get("kind") or "", args.get("status") or "", args.get("page") or "1"
        if kind and kind not in templates.KINDS:
            view.problems.append(f"kind {kind[:40]!r} is not a message kind")
        else:
            view.kind = kind
        if status and status not in STATUSES:
            view.problems.append(f"status {status[:40]!r} is not one of {', '.join(STATUSES)}")
        else:
            view.status = status
        try:
            view.page = max(1, int(page))
        except ValueError:
            view.problems.append(f"page {page[:20]!r} is not a number")
        return view

    def args(self, **changes: Any) -> dict[str, Any]:
        found = {"kind": self.kind, "status": self.status, "order": self.order, "page": self.page}
        found.update(changes)
        return {k: v for k, v in found.items() if v not in ("", None) and not (k == "page" and v == 1)}


@merchant_bp.get("/messages")
@merchant_view
def messages() -> ResponseReturnValue:
    shop_id, c = g.merchant.shop_id, container()
    view = LogView.from_args(request.args)
    with c.uow() as uow:
        notes = uow.repo(NotifyRepository)
        total, rows = notes.message_page(shop_id, kinds=[view.kind] if view.kind else [],
                                         statuses=[view.status] if view.status else [], order=view.order,
                                         offset=(view.page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
        log = [{"id": m.id, "kind": m.kind, "label": _label(m.kind), "status": m.status, "recipient": m.recipient,
                "subject": m.subject, "order_name": name, "order_link": order_link(platform_id),
                "created_at": m.created_at, "sent_at": m.sent_at, "error": m.error, "outcome": m.outcome,
                "language": m.language, "href": app_link(f"/app/messages/{m.id}")} for m, name, platform_id in rows]
        pileups = list(notes.recent_alerts(shop_id))
        alerts = list(uow.repo(DropshipRepository).recent_alerts(shop_id))
    pages = max(1, ceil(total / PAGE_SIZE))
    done = templates.customised(c.uow(), shop_id)
    kinds = [(spec, [(lang, (spec.kind, lang) in done, app_link(f"/app/messages/templates/{spec.kind}/{lang}"))
                     for lang in LANGUAGES]) for spec in templates.KINDS.values()]

    def link(**changes: Any) -> str:
        return app_link("/app/messages", **view.args(**changes))

    return render_page(
        "messages.html", view=view, log=log, total=total, pages=pages, statuses=STATUSES, kinds=kinds,
        badges=STATUS_BADGES, pileups=pileups, alerts=alerts, form_fields=session_fields("/app/messages"),
        reset=app_link("/app/messages"), first=link(page=1), last=link(page=pages),
        previous=link(page=view.page - 1) if view.page > 1 else None,
        next=link(page=view.page + 1) if view.page < pages else None,
        first_shown=(view.page - 1) * PAGE_SIZE + 1 if log else 0, last_shown=(view.page - 1) * PAGE_SIZE + len(log))


def _label(kind: str) -> str:
    spec = templates.KINDS.get(kind)
    return spec.label if spec is not None else kind.replace("_", " ")


@merchant_bp.get("/messages/<int:message_id>")
@merchant_view
def message(message_id: int) -> ResponseReturnValue:
    with container().uow() as uow:
        found = uow.repo(NotifyRepository).message_of_shop(g.merchant.shop_id, message_id)
        if found is None:
            abort(404, "This shop has no such message.")
        row, order = found
        shown = {"id": row.id, "kind": row.kind, "label": _label(row.kind), "status": row.status,
                 "recipient": row.recipient, "subject": row.subject, "body_text": row.body_text,
                 "language": row.language, "created_at": row.created_at, "sent_at": row.sent_at,
                 "error": row.error, "outcome": row.outcome, "attempts": row.attempts, "date_key": row.date_key,
                 "order_name": order.name, "order_link": order_link(order.platform_order_id)}
    return render_page("message_detail.html", m=shown, badges=STATUS_BADGES, back=app_link("/app/messages"))


def _kind_language(kind: str, language: str) -> templates.MessageKind:
    spec = templates.KINDS.get(kind)
    if spec is None or language not in LANGUAGES:
        abort(404, "No such message kind or language.")
    return spec


def _backorder_choice() -> int | None:
    raw = request.values.get("backorder") or ""
    return int(raw) if raw.isdigit() else None


def _editor(kind: str, language: str, *, text: notify_email.Custom | None = None,
            problems: dict[str, str] | None = None, preview: message_preview.Preview | None = None,
            saved: str | None = None, status: int = 200) -> ResponseReturnValue:
    spec = _kind_language(kind, language)
    c = container()
    current = templates.view(c.uow(), g.merchant.shop_id, kind, language)
    backorder = _backorder_choice()
    if preview is None and not problems:
        try:
            preview = message_preview.preview(c.uow, g.merchant.shop_id, kind, language, text, backorder)
        except TemplateRefused as refused:
            problems = refused.problems
    response = make_response(render_page(
        "message_template.html", spec=spec, language=language, language_name=LANGUAGES[language],
        current=current, text=text or current.text, problems=problems or {}, preview=preview, saved=saved,
        backorders=message_preview.choices(c.uow(), g.merchant.shop_id), backorder=backorder,
        default=templates.default_text(kind, language), languages=LANGUAGES,
        action=app_link(f"/app/messages/templates/{kind}/{language}"),
        preview_url=app_link(f"/app/messages/templates/{kind}/{language}/preview"),
        other_languages=[(lang, name, app_link(f"/app/messages/templates/{kind}/{lang}"))
                         for lang, name in LANGUAGES.items() if lang != language],
        back=app_link("/app/messages") + "#templates"))
    response.status_code = status
    return response


@merchant_bp.get("/messages/templates/<kind>/<language>")
@merchant_view
def template_page(kind: str, language: str) -> ResponseReturnValue:
    return _editor(kind, language, saved=request.args.get("saved"))


def _submitted() -> notify_email.Custom:
    return notify_email.Custom(subject=request.form.get("subject", ""), body=request.form.get("body", ""),
                               doing=request.form.get("doing", ""))


@merchant_bp.post("/messages/templates/<kind>/<language>")
@merchant_view
def save_template(kind: str, language: str) -> ResponseReturnValue:
    """action=save (checked; refused with each problem beside its field, nothing saved), preview (the draft
    rendered on the chosen backorder, nothing saved or sent) or reset (back to the shipped wording)."""
    _kind_language(kind, language)
    c, action = container(), request.form.get("action", "save")
    if action == "reset":
        templates.reset(c.uow(), g.merchant.shop_id, kind, language)
        return redirect(app_link(f"/app/messages/templates/{kind}/{language}", saved="reset"), code=303)
    text = _submitted()
    if action == "preview":
        return _editor(kind, language, text=text)
    try:
        templates.save(c.uow(), g.merchant.shop_id, kind, language, text, actor=g.merchant.actor)
    except TemplateRefused as refused:
        return _editor(kind, language, text=text, problems=refused.problems, status=422)
    return redirect(app_link(f"/app/messages/templates/{kind}/{language}", saved="saved",
                             backorder=_backorder_choice()), code=303)


@merchant_bp.post("/messages/templates/<kind>/<language>/preview")
@merchant_view
def live_preview(kind: str, language: str) -> ResponseReturnValue:
    """The live preview (static/messages.js, as the merchant types): JSON subject, text and html, or the
    problems (422)."""
    _kind_language(kind, language)
    try:
        shown = message_preview.preview(container().uow, g.merchant.shop_id, kind, language, _submitted(),
                                        _backorder_choice())
    except TemplateRefused as refused:
        return jsonify({"problems": refused.problems}), 422
    return jsonify({"subject": shown.subject, "text": shown.text, "html": shown.html, "about": shown.about})


__all__ = ["live_preview", "message", "messages", "save_template", "template_page"]
