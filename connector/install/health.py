"""Keeping installed shops healthy: wanted webhook subscriptions exist and are active.

Shopify deletes API-created subscriptions after repeated delivery failures; WooCommerce disables a
webhook after more than five consecutive failures and never retries. The health check compares
what the store has with what the connector wants and repairs the difference; a WooCommerce key
the store refuses (401/403) marks the shop disconnected and raises an alert, keeping its records.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from connector.domain.clock import utcnow
from connector.domain.errors import PlatformAuthError, PlatformError
from connector.domain.shopify_access import AccessDenied
from connector.install.brand_read import read_shopify_brand
from connector.install.models import WebhookSubscription
from connector.install.ports import InstallPorts
from connector.install.repository import InstallRepository
from connector.install.woo_identity import read_woo_identity
from connector.ports import ShopAccess, WooCommerceWebhooks

log = logging.getLogger(__name__)


@dataclass
class HealthReport:
    shop_id: int
    ok: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    reactivated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    """Subscriptions of this app to a connector topic at another address (an old app.url): deleted."""
    status: str = "active"
    site_language: str | None = None
    """WooCommerce: the site language read by this check (None: not read this time)."""
    brand_error: str | None = None
    """Why this check could not read the shop's brand (Shopify) or identity (WooCommerce); None: read, not
    asked (brand.from_store off; WooCommerce: read less than a day ago)."""


def check_subscriptions(container: InstallPorts, shop_id: int, *, sync_secret: bool = False) -> HealthReport:
    """Create missing subscriptions and re-enable disabled ones for one active shop."""
    access = container.shop_access(shop_id)
    report = HealthReport(shop_id)
    with container.uow() as uow:
        shop = uow.shops.get(shop_id)
        if shop is None or shop.status != "active":
            report.status = shop.status if shop is not None else "missing"
            return report
    base = (container.settings.app_url or "").rstrip("/")
    try:
        if access.platform.value == "shopify":
            _check_shopify(container, access, f"{base}/webhooks/shopify", report)
        else:
            _check_woo(container, access, f"{base}/webhooks/woocommerce", report, sync_secret)
    except AccessDenied as exc:  # a scope the shop did not grant: the token itself still works
        log.error("shopify refused a subscription call for a missing access scope; re-authorise the app",
                  extra={"shop_id": shop_id, "alert": True, "scopes": ",".join(exc.required)})
        report.status = "missing_scopes"
    except PlatformAuthError:
        what = "access token" if access.platform.value == "shopify" else "keys"
        mark_disconnected(container, shop_id, f"{access.platform.value} refused the stored {what} (401/403)")
        report.status = "disconnected"
    return report


def purge_expired(container: InstallPorts) -> dict[str, int]:
    """Drop used or expired OAuth states and pending connects (retention.install_grace_minutes after,
    in batches: connector/privacy/retention.py; the hourly retention job does the same) and expired
    data exports."""
    from connector.install.records import prune_install_records

    now = utcnow()
    grace = timedelta(minutes=container.settings.retention_install_grace_minutes)
    counts = {table: deleted for table, (deleted, _) in
              prune_install_records(container.uow().engine, now - grace).items()}
    with container.uow() as uow:
        counts["data_exports"] = uow.repo(InstallRepository).delete_expired_exports(now)
        uow.commit()
    return counts


def _check_shopify(container: InstallPorts, access: ShopAccess, uri: str, report: HealthReport) -> None:
    api = container.shopify_webhooks(access)
    wanted = container.webhook_topics(access.platform)
    name, contact = api.identity()  # the shop's voice (issue 18): its name and contact address for messages
    with container.uow() as uow:
        shop = uow.shops.get(access.shop_id)
        if shop is not None:
            if contact and shop.contact_email != contact:
                shop.contact_email = contact
            if name and shop.store_name != name:
                shop.store_name = name
            shop.identity_read_at = utcnow()
            uow.commit()
    report.brand_error = read_shopify_brand(container, access)  # logo and accent colour (Storefront API)
    listed = api.list()
    present = {(s.topic, s.uri): s for s in listed}
    for stale in listed:
        if stale.topic in wanted and stale.uri != uri:
            api.delete(stale.id)  # API subscriptions belong to this app: one address per topic
            report.removed.append(stale.topic)
    for topic in wanted:
        found = present.get((topic, uri))
        if found is None:
            found = api.create(topic, uri)
            report.created.append(topic)
        else:
            report.ok.append(topic)
        _record(container, access.shop_id, topic, found.id, uri, "active", repaired=topic in report.created)


def _check_woo(container: InstallPorts, access: ShopAccess, url: str, report: HealthReport,
               sync_secret: bool) -> None:
    creds = access.credentials
    api = container.woocommerce_webhooks(access.domain, access.api_base, creds.consumer_key or "",
                                         creds.consumer_secret or "")
    # the store's name, address, icon and e-mail (issue 18): always at connect (new keys), else daily
    report.brand_error = read_woo_identity(container, access.shop_id, api, force=sync_secret).error
    hooks = api.list()
    for topic in container.webhook_topics(access.platform):
        mine = [h for h in hooks if h.topic == topic and h.delivery_url == url]
        if not mine:
            hook = api.create(topic, url, creds.webhook_secret or "", container.settings.app_name)
            report.created.append(topic)
        elif sync_secret or mine[0].status != "active":
            hook = api.activate(mine[0].id, creds.webhook_secret if sync_secret else None)
            if mine[0].status != "active":
                report.reactivated.append(topic)
            else:
                report.ok.append(topic)
        else:
            hook = mine[0]
            report.ok.append(topic)
        _record(container, access.shop_id, topic, str(hook.id), url, "active",
                repaired=topic in report.created or topic in report.reactivated)
    report.site_language = _read_site_language(container, access.shop_id, api)


SITE_LANGUAGE_EVERY = timedelta(days=1)
"""How often the health check reads a WooCommerce store's site language again (connect always reads it)."""


def _read_site_language(container: InstallPorts, shop_id: int, api: WooCommerceWebhooks) -> str | None:
    """Read the WordPress site language onto the shop (the fallback language of its customers:
    connector/notify/settings.py) when it was never read or not for a day. A refusal (the keys' user lacks
    manage_woocommerce) or a failure keeps what was read before and is only logged: the webhook calls just
    worked with the same keys, so it neither disconnects the shop nor fails the check."""
    now = utcnow()
    with container.uow() as uow:
        shop = uow.shops.get(shop_id)
        if shop is None or (shop.site_language_read_at is not None
                            and now - shop.site_language_read_at < SITE_LANGUAGE_EVERY):
            return None
    try:
        language = api.site_language()
    except PlatformAuthError:
        log.warning("woocommerce refused the site language read: system_status needs the keys' user to have "
                    "manage_woocommerce; customers without an order language get notify.language",
                    extra={"shop_id": shop_id})
        language = None
    except PlatformError as exc:
        log.warning("woocommerce site language not read: %s", exc, extra={"shop_id": shop_id})
        return None
    with container.uow() as uow:
        shop = uow.shops.get(shop_id)
        if shop is not None:
            shop.site_language = language or shop.site_language
            shop.site_language_read_at = now
            uow.commit()
    return language


def _record(container: InstallPorts, shop_id: int, topic: str, remote_id: str, address: str, status: str,
            *, repaired: bool) -> None:
    with container.uow() as uow:
        subscriptions = uow.repo(InstallRepository)
        row = subscriptions.subscription(shop_id, topic)
        if row is None:
            subscriptions.add_subscription(WebhookSubscription(shop_id=shop_id, topic=topic, remote_id=remote_id,
                                                               address=address, status=status, checked_at=utcnow(),
                                                               repairs=0))
        else:
            if repaired:
                row.repairs += 1
            row.remote_id, row.address, row.status, row.checked_at = remote_id, address, status, utcnow()
        uow.commit()


def mark_disconnected(container: InstallPorts, shop_id: int, reason: str) -> None:
    """The store refuses our keys: stop work for the shop and alert; orders and backorders stay."""
    with container.uow() as uow:
        shop = uow.shops.get(shop_id)
        if shop is None or shop.status == "disconnected":
            return
        shop.status = "disconnected"
        uow.commit()
    container.forget_platform(shop_id)
    log.error("shop disconnected: %s", reason, extra={"shop_id": shop_id, "alert": True})
