"""E-mailing a customer data export to the shop's contact, once (the body of jobs.install.email_export)."""

from __future__ import annotations

import logging
from email.message import EmailMessage
from typing import Protocol

from connector.domain.clock import utcnow
from connector.ports import Mailer
from connector.privacy import privacy
from connector.privacy.ports import PrivacyPorts
from connector.privacy.repository import PrivacyRepository

log = logging.getLogger(__name__)


class ExportMailPorts(PrivacyPorts, Protocol):
    def export_mailer(self) -> Mailer | None:
        """The mailer of data exports, or None when none is configured."""
        ...


def email_export(ports: ExportMailPorts, export_id: int) -> bool:
    """E-mail a customer data export to the shop's contact, once. False when there is nowhere to send it.

    Safe to run again (the sweeper re-queues a run whose worker died): an export whose ``emailed_at``
    is set is not sent again, and the download token is derived, not minted, so every e-mail for an
    export carries the same link. A worker that dies after the SMTP server accepted the message but
    before ``emailed_at`` is committed leaves the run to be retried, and the retry sends a second
    e-mail. That is the chosen outcome: the merchant may get the e-mail twice, with the same working
    link, rather than never (marking first would lose the e-mail when the send fails) or with a link
    that breaks the first e-mail's (a fresh token per attempt).
    """
    with ports.uow() as uow:
        row = uow.repo(PrivacyRepository).export(export_id)
        if row is None:
            return False
        if row.emailed_at is not None:
            log.info("data export already e-mailed; not sent again",
                     extra={"export_id": export_id, "emailed_at": row.emailed_at.isoformat()})
            return True
        shop = uow.shops.get(row.shop_id)
        to = shop.contact_email if shop else None
        content, request_id, shop_domain = row.content, row.request_id, shop.domain if shop else ""
    mailer = ports.export_mailer()
    if not to or mailer is None:
        log.warning("data export kept for download only (no contact e-mail or SMTP configured)",
                    extra={"export_id": export_id})
        return False
    link = privacy.download_link(ports, export_id)  # its digest and expiry are committed before it goes out
    settings = ports.settings
    message = EmailMessage()
    message["From"], message["To"] = settings.email_from, to
    message["Subject"] = f"Customer data request {request_id} for {shop_domain}"
    base = (settings.app_url or "").rstrip("/")
    until = link.expires_at.strftime("%Y-%m-%d %H:%M UTC")
    message.set_content(f"The data the backorder connector holds about the customer is attached.\n"
                        f"It can also be downloaded until {until} from this link, which opens this "
                        f"export only; keep it private:\n"
                        f"{base}/privacy/exports/{export_id}?token={link.token}\n")
    message.add_attachment(content.encode(), maintype="application", subtype="json",
                           filename=f"data-request-{request_id}.json")
    mailer.send(message)
    # Crash window: from here until the commit below, a dead worker means the e-mail goes again
    # (same link, see the docstring).
    with ports.uow() as uow:
        uow.repo(PrivacyRepository).mark_export_emailed(export_id, utcnow())
        uow.commit()
    log.info("data export e-mailed", extra={"export_id": export_id})
    return True
