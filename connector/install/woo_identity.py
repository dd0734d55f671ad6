"""Reading a WooCommerce store's identity (its name, address, icon and e-mail) onto the shop, at connect and by
the health check (issue 18 items 1-2; connector/notify/brand.py uses them after the merchant's settings).

From the public WordPress REST index: ``shops.store_name`` (the site title), ``shops.store_url`` (the
storefront's ``home``, https only) and ``shops.store_logo_url`` (the site icon, https only and checked as the
merchant's brand.logo_url is; not read while ``brand.from_store`` is false). From WooCommerce's settings:
``shops.contact_email``, the "From" address of the store's own e-mails, unless it is a no-reply address,
which customers could not write to. ``shops.identity_read_at`` says when the index was read.

A successful read replaces what was read before: a name or icon the store no longer has is cleared, so the
merchant is asked for it (``Brand.missing``). A failed read (the index unreachable or not WordPress's; the
settings refused because the keys' user lacks manage_woocommerce) keeps what was read before, is recorded in
``shops.brand_read_error`` (``brand_read_at``: when last tried, so a site that blocks its index is asked
again a day later, not every half hour) and logged, and never fails the connect or the check: the webhook calls with the
same keys decide whether the store is disconnected. Nothing the store answers is ever called: the icon's
address only goes into e-mails and pages.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from connector.domain.clock import utcnow
from connector.domain.errors import PlatformAuthError, PlatformError
from connector.install.ports import InstallPorts
from connector.notify.brand import logo_ok
from connector.notify.settings import EMAIL
from connector.ports import SiteIdentity, WooCommerceWebhooks
from connector.shop_settings import all_settings

log = logging.getLogger(__name__)

IDENTITY_EVERY = timedelta(days=1)
"""How often the health check reads a WooCommerce store's identity again (connect always reads it): the index
makes WordPress describe every route before it trims the answer, so it is not asked for every half hour."""

NO_REPLY = ("noreply", "no-reply", "no_reply", "donotreply", "do-not-reply", "do_not_reply", "mailer-daemon")
"""Local parts of "From" addresses nobody reads: never used as the address customers reply to."""


@dataclass(frozen=True)
class IdentityRead:
    """What one read kept: ``error`` is None when both reads worked, else why not (also on the shop)."""

    name: str | None = None
    store_url: str | None = None
    logo_url: str | None = None
    contact_email: str | None = None
    error: str | None = None
    skipped: bool = False
    """True: tried less than IDENTITY_EVERY ago (or the shop is gone), nothing was asked."""


def store_url_ok(value: str) -> bool:
    """An https:// address of at most 500 characters, without spaces or quotes (it is linked in e-mails)."""
    return (value.startswith("https://") and len(value) > len("https://") and len(value) <= 500
            and not any(c.isspace() or c in "\"'<>" for c in value))


def contact_ok(value: str) -> bool:
    """An e-mail address customers can write to: well formed, at most 320 characters, not a no-reply one."""
    local = value.split("@", 1)[0].lower()
    return len(value) <= 320 and bool(EMAIL.match(value)) and not local.startswith(NO_REPLY)


def read_woo_identity(container: InstallPorts, shop_id: int, api: WooCommerceWebhooks, *,
                      force: bool = False) -> IdentityRead:
    """Read the store's identity onto the shop when ``force`` (connect) or not read for IDENTITY_EVERY.
    Raises nothing: every platform error is recorded on the shop and logged."""
    with container.uow() as uow:
        shop = uow.shops.get(shop_id)
        if shop is None:
            return IdentityRead(error="no such shop", skipped=True)
        tried = shop.brand_read_at or shop.identity_read_at  # every WooCommerce attempt stamps brand_read_at
        if not force and tried is not None and utcnow() - tried < IDENTITY_EVERY:
            return IdentityRead(skipped=True)
    with_icon = bool(all_settings(container.uow(), shop_id).get("brand.from_store", True))
    problems: list[str] = []
    site: SiteIdentity | None = None
    try:
        site = api.site_identity()
    except PlatformError as exc:
        problems.append(f"site index not read ({type(exc).__name__}: {exc})")
    email: str | None = None
    email_read = False
    try:
        email, email_read = api.store_email(), True
    except PlatformAuthError:
        problems.append("store e-mail not read: WooCommerce refused its settings to these keys (their user "
                        "needs manage_woocommerce)")
    except PlatformError as exc:
        problems.append(f"store e-mail not read ({type(exc).__name__}: {exc})")
    kept = _keep(site, email, with_icon, shop_id)
    error = "; ".join(problems)[:500] or None
    if error:
        log.warning("woocommerce store identity partly read: %s", error, extra={"shop_id": shop_id})
    with container.uow() as uow:
        shop = uow.shops.get(shop_id)
        if shop is None:
            return IdentityRead(error="no such shop", skipped=True)
        now = utcnow()
        if site is not None:
            shop.store_name, shop.store_url = kept.name, kept.store_url
            if with_icon:
                shop.store_logo_url = kept.logo_url
            shop.identity_read_at = now
        if email_read:
            shop.contact_email = kept.contact_email
        shop.brand_read_at, shop.brand_read_error = now, error
        uow.commit()
    log.info("woocommerce store identity read", extra={"shop_id": shop_id, "store_name": bool(kept.name),
                                                        "icon": bool(kept.logo_url),
                                                        "contact": bool(kept.contact_email)})
    return IdentityRead(kept.name, kept.store_url, kept.logo_url, kept.contact_email, error)


def _keep(site: SiteIdentity | None, email: str | None, with_icon: bool, shop_id: int) -> IdentityRead:
    """What of the answers may be kept, each checked; what is refused is logged (never its value)."""
    name = site.name[:255] if site is not None and site.name else None
    home = site.home_url if site is not None and site.home_url else None
    icon = site.icon_url if site is not None and site.icon_url and with_icon else None
    refused = []
    if home and not store_url_ok(home):
        refused.append("home address (not https)")
        home = None
    if icon and not logo_ok(icon):
        refused.append("site icon (not https)")
        icon = None
    if email and not contact_ok(email):
        refused.append("store e-mail (no-reply or malformed)")
        email = None
    if refused:
        log.warning("woocommerce store identity: not kept: %s", ", ".join(refused), extra={"shop_id": shop_id})
    return IdentityRead(name, home, icon, email)
