"""The weekly KPI digest (issue 15 item 3): a shop's KPIs (the last 90 days, as /app/kpis shows them) and
its reorder list (connector/reorder/stored.py: as stored, or computed when not fresh), e-mailed in text and
HTML to the shop's contact e-mail through the deployment's mailer, at most once per shop and ISO week.

Opt-in per shop: ``reports.weekly_digest`` (default off). The ledger row (``kpi_digests``, unique per shop and
week) is written and committed before the e-mail goes out; only a row whose send certainly failed
(DeliveryUnavailable) is tried again that week. jobs/reports.py runs it; jobs/schedules.py ticks it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from connector.db.uow import UnitOfWork
from connector.domain.clock import utcnow
from connector.domain.errors import DeliveryRejected, DeliveryUnavailable, DeliveryUncertain
from connector.domain.kpis import iso_week
from connector.ports import Mailer
from connector.reports.kpi_repository import DigestRepository
from connector.reports.kpis import default_period, shop_kpis
from connector.shop_settings import get_setting

log = logging.getLogger(__name__)

SETTING = "reports.weekly_digest"
REORDER_LINES = 20
"""Most urgent reorder lines listed in the e-mail (the rest are counted, and on /app/reorder)."""
TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


@dataclass(frozen=True)
class DigestOutcome:
    status: str
    """sent | off | inactive | no_recipient | already | failed | rejected | uncertain"""
    week: str
    detail: str = ""


def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]),
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def _reorder(uow: UnitOfWork, shop_id: int, now: datetime) -> tuple[list[Any], int]:
    """The most urgent reorder lines (those with a date to reorder by), and how many there are: the stored
    advice when fresh for the shop's today, else computed (connector/reorder/stored.py)."""
    from connector.reorder.stored import current_advice

    dated = [a for a in current_advice(uow, shop_id, now) if a.reorder_by is not None]
    return dated[:REORDER_LINES], len(dated)


def build_message(context: dict[str, Any], *, sender: str, recipient: str, message_key: str) -> EmailMessage:
    env = _environment()
    message = EmailMessage()
    message["Subject"] = f"{context['shop']}: backorder KPIs, week {context['week']}"
    message["From"] = sender
    message["To"] = recipient
    message["Message-ID"] = make_msgid(idstring=message_key, domain=sender.rsplit("@", 1)[-1].strip(">") or None)
    message.set_content(env.get_template("reports/weekly_digest.txt").render(**context))
    message.add_alternative(env.get_template("reports/weekly_digest.html").render(**context), subtype="html")
    return message


def send_weekly_digest(uow: UnitOfWork, mailer: Mailer, shop_id: int, *, sender: str, app_url: str = "",
                       now: datetime | None = None) -> DigestOutcome:
    """Send the shop's digest for the ISO week of ``now`` unless it is off, has nobody to go to, or was
    sent (or may have been) this week already."""
    now = now or utcnow()
    week = iso_week(now.date())
    if not get_setting(uow, shop_id, SETTING):
        return DigestOutcome("off", week)
    with uow:
        shop = uow.shops.get(shop_id)
        if shop is None or shop.status != "active":
            return DigestOutcome("inactive", week)
        domain, recipient = shop.domain, shop.contact_email
    if not recipient:
        log.warning("weekly digest on but the shop has no contact e-mail", extra={"shop_id": shop_id})
        return DigestOutcome("no_recipient", week, "the shop has no contact e-mail")
    with uow:
        digest_id = uow.repo(DigestRepository).claim(shop_id, week)
        uow.commit()
    if digest_id is None:
        return DigestOutcome("already", week)
    kpis = shop_kpis(uow, shop_id, domain, default_period(now), now=now)
    reorder, reorder_total = _reorder(uow, shop_id, now)
    context = {"shop": domain, "week": week, "k": kpis.as_dict(), "reorder": reorder, "reorder_total": reorder_total,
               "app_url": app_url.rstrip("/")}
    message = build_message(context, sender=sender, recipient=recipient, message_key=f"kpi-digest-{digest_id}")
    status, error, provider_id = "sent", None, None
    try:
        provider_id = mailer.send(message)
    except DeliveryUnavailable as exc:  # certainly not sent: the next tick this week tries again
        status, error = "failed", str(exc)
    except DeliveryRejected as exc:
        status, error = "rejected", str(exc)
    except DeliveryUncertain as exc:  # may have gone out: never sent again this week
        status, error = "uncertain", str(exc)
    with uow:
        uow.repo(DigestRepository).finish(digest_id, "sending" if status == "uncertain" else status, error,
                                          provider_id, now)
        uow.commit()
    log.info("weekly digest %s", status, extra={"shop_id": shop_id, "week": week, "error": error})
    return DigestOutcome(status, week, error or "")


def digest_shops(uow: UnitOfWork) -> list[int]:
    """Active shops with the weekly digest switched on."""
    with uow:
        shop_ids = [shop.id for shop in uow.shops.list(active_only=True)]
    return [shop_id for shop_id in shop_ids if get_setting(uow, shop_id, SETTING)]
