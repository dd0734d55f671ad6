"""Install upkeep: subscription health checks, token refresh, privacy export e-mails."""

from __future__ import annotations

import logging
from datetime import timedelta

from connector.install import health as install_health
from connector.install import tokens
from connector.job_refs import RetryPolicy, job_ref, retry_policy
from connector.privacy import export_mail
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
    """E-mail a customer data export to the shop's contact, once (connector/privacy/export_mail.py)."""
    return export_mail.email_export(runtime.container(), export_id)


CHECK_SHOP = job_ref(check_shop)
HEALTH_CHECK = job_ref(health_check)
REFRESH_TOKEN = job_ref(refresh_token)
REFRESH_DUE_TOKENS = job_ref(refresh_due_tokens)
EMAIL_EXPORT = job_ref(email_export)
