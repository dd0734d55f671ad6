"""Install upkeep: subscription health checks, token refresh, privacy export e-mails."""

from __future__ import annotations

import logging
from datetime import timedelta
from email.message import EmailMessage

from sqlalchemy import select, update

from connector.db.models import Shop
from connector.domain.clock import utcnow
from connector.install import health as install_health
from connector.install import tokens
from connector.install.models import DataExport
from connector.job_refs import RetryPolicy, job_ref, retry_policy
from connector.privacy import privacy
from jobs import runtime

log = logging.getLogger(__name__)

HEALTH_INTERVAL_MINUTES = 30
TOKEN_SWEEP_MINUTES = 5


@retry_policy(RetryPolicy(retries=2, intervals=(60, 300), timeout=300))
def check_shop(shop_id: int) -> install_health.HealthReport:
    """Compare one shop's webhook subscriptions with the wanted set and repair the difference."""
    report = install_health.check_subscriptions(runtime.container(), shop_id)
    if report.created or report.reactivated:
        log.warning("webhook subscriptions repaired", extra={"shop_id": shop_id, "topics_created": report.created,
                                                             "topics_reactivated": report.reactivated})
    return report


@retry_policy(RetryPolicy(retries=1, intervals=(60,), timeout=300))
def health_check() -> int:
    """Queue check_shop for every active shop."""
    c = runtime.container()
    with c.uow() as uow:
        shop_ids = [shop.id for shop in uow.shops.list(active_only=True)]
    for shop_id in shop_ids:  # not recorded (job_runs): the next scheduled health check asks again
        runtime.enqueue(c, check_shop, shop_id)
    purged = install_health.purge_expired(c)
    if any(purged.values()):
        log.info("expired install records purged", extra={"purged": purged})
    return len(shop_ids)


@retry_policy(RetryPolicy(retries=5, intervals=(5, 15, 60, 120, 300), timeout=120))
def refresh_token(shop_id: int) -> bool:
    c = runtime.container()
    refreshed = tokens.refresh_if_due(c.uow(), c.box, c.token_client(), shop_id,
                                      margin=timedelta(minutes=c.settings.token_refresh_margin_minutes))
    if refreshed:
        c.forget_platform(shop_id)  # other processes reload within PLATFORM_CACHE_SECONDS
    return refreshed


def refresh_due_tokens() -> int:
    """Queue a refresh for every shop whose token expires within the margin."""
    c = runtime.container()
    due = tokens.shops_due(c.uow(), timedelta(minutes=c.settings.token_refresh_margin_minutes))
    for shop_id in due:  # not recorded (job_runs): the token sweep every few minutes finds it due again
        runtime.enqueue(c, refresh_token, shop_id)
    return len(due)


@retry_policy(RetryPolicy(retries=5, intervals=(60, 300, 900, 3600, 7200), timeout=120))
def email_export(export_id: int) -> bool:
    """E-mail a customer data export to the shop's contact, once. False when there is nowhere to send it.

    Safe to run again (the sweeper re-queues a run whose worker died): an export whose ``emailed_at``
    is set is not sent again, and the download token is derived, not minted, so every e-mail for an
    export carries the same link. A worker that dies after the SMTP server accepted the message but
    before ``emailed_at`` is committed leaves the run to be retried, and the retry sends a second
    e-mail. That is the chosen outcome: the merchant may get the e-mail twice, with the same working
    link, rather than never (marking first would lose the e-mail when the send fails) or with a link
    that breaks the first e-mail's (a fresh token per attempt).
    """
    c = runtime.container()
    with c.uow() as uow:
        session = uow.session
        assert session is not None
        row = session.scalar(select(DataExport).where(DataExport.id == export_id))
        if row is None:
            return False
        if row.emailed_at is not None:
            log.info("data export already e-mailed; not sent again",
                     extra={"export_id": export_id, "emailed_at": row.emailed_at.isoformat()})
            return True
        shop = session.get(Shop, row.shop_id)
        to = shop.contact_email if shop else None
        content, request_id, shop_domain = row.content, row.request_id, shop.domain if shop else ""
    mailer = c.export_mailer()
    if not to or mailer is None:
        log.warning("data export kept for download only (no contact e-mail or SMTP configured)",
                    extra={"export_id": export_id})
        return False
    link = privacy.download_link(c, export_id)  # its digest and expiry are committed before it goes out
    message = EmailMessage()
    message["From"], message["To"] = c.settings.email_from, to
    message["Subject"] = f"Customer data request {request_id} for {shop_domain}"
    base = (c.settings.app_url or "").rstrip("/")
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
    with c.uow() as uow:
        uow.session.execute(update(DataExport).where(DataExport.id == export_id)  # type: ignore[union-attr]
                            .values(emailed_at=utcnow()))
        uow.commit()
    log.info("data export e-mailed", extra={"export_id": export_id})
    return True


CHECK_SHOP = job_ref(check_shop)
HEALTH_CHECK = job_ref(health_check)
REFRESH_TOKEN = job_ref(refresh_token)
REFRESH_DUE_TOKENS = job_ref(refresh_due_tokens)
EMAIL_EXPORT = job_ref(email_export)
