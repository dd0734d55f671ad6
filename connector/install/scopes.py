"""Granted Shopify scopes: read them from Shopify, keep them on the shop, check them when a feature
is turned on, and hand the merchant a re-authorisation link for what is missing.

The declaration (which feature needs which scopes) is connector/domain/shopify_access.py.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from connector.domain import shopify_access
from connector.domain.clock import utcnow
from connector.domain.errors import ConnectorError, UnknownShop
from connector.domain.shopify_access import MissingScopes, ScopeGap
from connector.install.ports import InstallPorts

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GrantedScopes:
    shop_id: int
    domain: str
    scopes: tuple[str, ...] | None
    """None: never recorded (a shop added by hand, or Shopify could not be asked)."""
    checked: bool
    """Read from Shopify (currentAppInstallation), not only the token grant's ``scope``."""


def stored_scopes(container: InstallPorts, shop_id: int) -> GrantedScopes:
    with container.uow() as uow:
        shop = uow.shops.get(shop_id)
        if shop is None:
            raise UnknownShop(f"no shop with id {shop_id}")
        return GrantedScopes(shop.id, shop.domain, shopify_access.parse_granted(shop.scopes),
                             shop.scopes_checked_at is not None)


def record_granted_scopes(container: InstallPorts, shop_id: int) -> tuple[str, ...]:
    """Ask Shopify which scopes the shop granted (currentAppInstallation) and store them on the shop."""
    access = container.shop_access(shop_id)
    scopes = container.shopify_granted_scopes(access)()
    with container.uow() as uow:
        shop = uow.shops.get(shop_id)
        if shop is None:
            raise UnknownShop(f"no shop with id {shop_id}")
        shop.scopes = ",".join(scopes)
        shop.scopes_checked_at = utcnow()
        uow.commit()
    lacking = shopify_access.missing(scopes, container.settings.shopify_scopes)
    log.info("shopify granted scopes recorded", extra={"shop_id": shop_id, "scopes": ",".join(scopes),
                                                       "not_granted": ",".join(lacking)})
    return scopes


def record_after_install(container: InstallPorts, shop_id: int) -> None:
    """Best effort right after an install: the grant's ``scope`` stays when Shopify cannot be asked."""
    try:
        record_granted_scopes(container, shop_id)
    except ConnectorError as exc:
        log.warning("could not read the granted scopes after install; kept the token grant's",
                    extra={"shop_id": shop_id, "error": type(exc).__name__})


def reauthorize_url(container: InstallPorts, domain: str, scopes: tuple[str, ...]) -> str | None:
    """The shop's authorize page asking for ``scopes`` (a fresh one-time state is stored, valid for
    install.state_ttl_minutes); None when installs are not configured (no app.url or api key)."""
    from connector.install.install import authorize_url

    settings = container.settings
    if not settings.app_url or not settings.shopify_api_key:
        return None
    return authorize_url(container, domain, scopes)


def check_setting_change(container: InstallPorts, shop_id: int, key: str, value: Any,
                         current: Mapping[str, Any]) -> list[ScopeGap]:
    """Refuse (MissingScopes) a setting that turns on a Shopify feature whose scopes the shop did not grant.

    ``current`` is the shop's settings before the change. Scopes never read from Shopify are read
    first. When they cannot be known (Shopify cannot be asked and no grant was recorded) the change
    goes through and the features whose scopes are unverified are returned, for a warning."""
    after = {**current, key: value}
    turned_on = [f for f in shopify_access.FEATURES if f.enabled(after) and not f.enabled(current)]
    if not turned_on:
        return []
    state = stored_scopes(container, shop_id)
    with container.uow() as uow:
        shop = uow.shops.get(shop_id)
        if shop is None or shop.platform != "shopify":
            return []
    if not state.checked:
        try:
            record_granted_scopes(container, shop_id)
            state = stored_scopes(container, shop_id)
        except ConnectorError as exc:
            log.warning("could not read the granted scopes from Shopify",
                        extra={"shop_id": shop_id, "error": type(exc).__name__})
    if state.scopes is None:
        return [ScopeGap(f, f.scopes) for f in turned_on]
    granted = state.scopes
    gaps = [ScopeGap(f, lacking) for f in turned_on if (lacking := shopify_access.missing(granted, f.scopes))]
    if gaps:
        wanted = shopify_access.minimal((*granted, *container.settings.shopify_scopes,
                                         *(s for g in gaps for s in g.missing)))
        raise MissingScopes(state.domain, gaps, reauthorize_url(container, state.domain, wanted))
    return []


def check_before_setting(container: InstallPorts, shop_id: int, key: str, value: Any) -> list[str]:
    """`connector shops set`: raise MissingScopes, or return warnings (scopes that could not be verified)."""
    from connector.shop_settings import all_settings

    unverified = check_setting_change(container, shop_id, key, value, all_settings(container.uow(), shop_id))
    return [f"warning: could not verify that the shop granted {', '.join(g.missing)} (needed by "
            f"{g.feature.name}); `connector shops scopes` reads them" for g in unverified]
