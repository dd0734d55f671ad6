"""Deliver drop-ship merchant alerts (supplier refused, supplier unreachable, store refused a
fulfillment) through the same channels as the pile-up alerts: the shop's ``alerts.email`` (default
``notify.support_email``) over the deployment's SMTP mailer, and ``alerts.slack_webhook_url``.

connector/dropship/place.py ``alert`` records each alert once (unique dedupe key). Delivery
claims an undelivered row (``sent_at`` NULL -> now, committed) before sending, so two workers never
send the same alert; a transient failure (SMTP 4xx / unreachable, Slack 5xx) puts the claim back
and the next run retries; a refusal is logged and not retried.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from connector.crypto import CredentialBox
from connector.db.uow import UnitOfWork
from connector.domain.errors import DeliveryError, DeliveryUnavailable
from connector.dropship.repository import DropshipRepository
from connector.notify import email as notify_email
from connector.notify import settings as notify_settings
from connector.notify import templates as message_templates
from connector.ports import Mailer, SlackFactory

log = logging.getLogger(__name__)

KIND = "dropship_alert"
notify_email.SUBJECTS.setdefault(KIND, "Drop-ship needs your attention: {title}")
"""The subject of the drop-ship alert email (templates dropship_alert.txt / .html)."""

TITLES = {"supplier_rejected": "a supplier refused a drop-ship order",
          "supplier_unavailable": "a supplier could not be reached",
          "supplier_host_key_changed": "a supplier's SFTP server key changed",
          "store_refused_fulfillment": "the store refused a fulfillment",
          "fulfillment_request_rejected": "a fulfillment request was rejected"}

EMAIL_KINDS: dict[str, str] = {}
"""Alert kinds sent with an e-mail of their own: alert kind -> notify e-mail kind (its subject in
``notify_email.SUBJECTS``, its templates); every other kind goes out as KIND. Its context: ``title``,
``message``, ``headline`` (the message's first line), ``kind``, ``shop_name`` and ``shop_domain``."""

FEED_DOWN = "supplier_feed_down"
"""A supplier's stock feed that keeps failing (jobs/supply.py alert_supplier_down): its own e-mail,
supplier_feed_alert (subject "<supplier> stock feed is not answering", the headline), in plain words."""
FEED_EMAIL_KIND = "supplier_feed_alert"
EMAIL_KINDS[FEED_DOWN] = FEED_EMAIL_KIND
notify_email.SUBJECTS.setdefault(FEED_EMAIL_KIND, "{headline}")
TITLES[FEED_DOWN] = "a supplier's stock feed is not answering"


def deliver_alerts(uow_factory: Callable[[], UnitOfWork], mailer: Mailer | None, default_sender: str,
                   shop_id: int, *, slack: SlackFactory, slack_timeout: float = 10.0,
                   box: CredentialBox | None = None) -> int:
    """Send every undelivered drop-ship alert of the shop; returns how many went out. ``box`` unseals
    the shop's Slack webhook URL (needed when one is stored); ``slack`` builds the channel that posts to it."""
    shop = notify_settings.load(uow_factory(), shop_id)
    wanted = [name for name, on in (("email", shop.alert_email and mailer is not None),
                                    ("slack", shop.slack_webhook_url)) if on]
    with uow_factory() as uow:
        due = [(a.id, a.kind, a.message) for a in uow.repo(DropshipRepository).undelivered_alerts(shop_id)]
        found = uow.shops.get(shop_id)
        assert found is not None
        domain = found.domain
        customs = {kind: message_templates.custom(uow, shop_id, kind, shop.language)
                   for kind in {KIND, *EMAIL_KINDS.values()}}
    if not wanted:
        if due:
            log.warning("drop-ship alerts not delivered: no alerts.email or alerts.slack_webhook_url",
                        extra={"shop_id": shop_id, "pending": len(due)})
        return 0
    sent = 0
    for alert_id, kind, message in due:
        with uow_factory() as uow:  # claim, so a concurrent run does not send it too
            claimed = uow.repo(DropshipRepository).claim_alert(alert_id)
            uow.commit()
            if not claimed:
                continue
        headline, _, rest = message.partition("\n")
        if kind == FEED_DOWN and rest.strip():  # the headline is the subject: the body is what follows it
            message = rest.strip("\n")
        context = {"title": TITLES.get(kind, kind.replace("_", " ")), "message": message, "kind": kind,
                   "shop_name": shop.sender_name or domain, "order_name": "-", "support_email": "",
                   "headline": headline, "shop_domain": domain}
        retry = False
        for channel in wanted:
            try:
                _send(channel, mailer, shop, context, alert_id, default_sender, slack, slack_timeout, box, customs)
            except DeliveryUnavailable as exc:
                retry = True
                log.warning("drop-ship alert not delivered yet", extra={"shop_id": shop_id, "alert_id": alert_id,
                                                                        "channel": channel, "error": str(exc)})
            except DeliveryError as exc:
                log.error("drop-ship alert refused", extra={"shop_id": shop_id, "alert_id": alert_id,
                                                            "channel": channel, "error": str(exc)})
        if retry:
            with uow_factory() as uow:
                uow.repo(DropshipRepository).unclaim_alert(alert_id)
                uow.commit()
            continue
        sent += 1
        log.info("drop-ship alert delivered", extra={"shop_id": shop_id, "alert_id": alert_id, "channels": wanted})
    return sent


def _send(channel: str, mailer: Mailer | None, shop: notify_settings.ShopNotifySettings, context: dict[str, Any],
          alert_id: int, default_sender: str, slack: SlackFactory, slack_timeout: float,
          box: CredentialBox | None, customs: dict[str, notify_email.Custom | None] | None = None) -> None:
    """``customs``: the shop's own wording per e-mail kind in its language (message_templates)."""
    email_kind = EMAIL_KINDS.get(context["kind"], KIND)
    custom = (customs or {}).get(email_kind)
    if channel == "email":
        assert mailer is not None
        email = notify_email.build(email_kind, context, sender_name=context["shop_name"],
                                   sender_email=shop.sender_email or default_sender, recipient=shop.alert_email,
                                   reply_to=None, message_key=f"dropship-alert-{alert_id}",
                                   language=shop.language, custom=custom)
        mailer.send(email)
        return
    subject = notify_email.render(email_kind, context, language=shop.language, custom=custom)[0]
    slack(notify_settings.open_slack_url(shop, box), slack_timeout).post(
        f":warning: {subject}", fields={"What happened": context["message"]})


def list_alerts(uow: UnitOfWork, shop_id: int) -> list[dict[str, Any]]:
    with uow:
        rows = uow.repo(DropshipRepository).alerts(shop_id)
        return [{"id": r.id, "kind": r.kind, "created": r.created_at.isoformat(timespec="seconds"),
                 "sent": r.sent_at.isoformat(timespec="seconds") if r.sent_at else "", "message": r.message}
                for r in rows]
