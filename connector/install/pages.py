"""What the install and connect pages say: the merchant-facing outcome of each step, in plain words.

The entry point (webhooks/install.py) renders these with the templates in connector/templates/install/;
nothing here knows about Flask. Failures are described by the step that failed and its status code,
never by the exception's text, which is written for logs and API clients (they keep getting it as JSON).

A WooCommerce connect is told apart by the one-time ``user_id`` WooCommerce hands back on the return
URL (``return_url?success=1|0&user_id=…``, includes/class-wc-auth.php): only its SHA-256 is stored,
with the outcome of the key delivery for that attempt (connector/install/install.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Literal
from urllib.parse import urlencode

from connector.domain.clock import utcnow
from connector.install.ports import InstallPorts
from connector.install.repository import InstallRepository

ADMIN_URL = "https://admin.shopify.com"
WORDPRESS_APP_PAGE = "backorder-connector"
"""WooCommerce > Backorders: the plugin's page that opens the connector's app
(extensions/woocommerce/backorder-connector/includes/admin.php BACKORDER_CONNECTOR_APP_PAGE)."""
WORDPRESS_SETTINGS_PAGE = "backorder-connector-settings"
"""WooCommerce > Backorder connector: the plugin's settings (BACKORDER_CONNECTOR_SETTINGS_PAGE)."""

Flow = Literal["shopify_install", "shopify_callback", "shopify_session", "woocommerce_connect",
               "woocommerce_callback", "woocommerce_connected", "privacy_export"]


@dataclass(frozen=True)
class Link:
    label: str
    url: str


@dataclass(frozen=True)
class Problem:
    """A failure as the merchant reads it: what happened, what to do next, and where to click."""

    title: str
    happened: str
    next_step: str
    link: Link | None = None


def shopify_admin_apps(shop_domain: str) -> str:
    """The shop's list of apps in its admin (to add, open or remove an app)."""
    return f"{ADMIN_URL}/store/{shop_domain.removesuffix('.myshopify.com')}/settings/apps"


def wordpress_admin(store_url: str, page: str) -> str:
    return f"{store_url.rstrip('/')}/wp-admin/admin.php?{urlencode({'page': page})}"


def store_label(store_url: str) -> str:
    """A store's address as a merchant writes it: without the scheme or a trailing slash."""
    return store_url.split("://", 1)[-1].rstrip("/")


def connect_link(container: InstallPorts, store_url: str | None = None) -> str:
    """The connector's own start of a WooCommerce connect (the form, or straight on with a store)."""
    base = (container.settings.app_url or "").rstrip("/")
    return f"{base}/woocommerce/connect" + (f"?{urlencode({'store_url': store_url})}" if store_url else "")


def support_email(container: InstallPorts) -> str | None:
    """app.support_email (checked to be an address at start-up), or None: the pages then name no address."""
    return container.settings.app_support_email or None


# -- failures --------------------------------------------------------------------------------------------

UNAVAILABLE = Problem(
    "The connector is not available right now",
    "The backorder connector could not finish this step: it cannot reach its database or is not fully set up.",
    "Nothing was changed. Try again in a few minutes; if it keeps happening, contact support.")

PLATFORM_DOWN = {
    "shopify": Problem("Shopify did not answer",
                       "The backorder connector could not reach Shopify to finish this step.",
                       "Nothing was changed. Try again in a few minutes."),
    "woocommerce": Problem("Your store did not answer",
                           "The backorder connector could not reach your WooCommerce store to finish this step.",
                           "Nothing was changed. Check that your store is online, then try again."),
}


def problem(container: InstallPorts, flow: Flow, status: int, *, shop: str | None = None,
            store: str | None = None) -> Problem:
    """The page for a refused or failed request. ``shop`` is a verified-shape myshopify domain and
    ``store`` a store URL the request named, when known (they only build the next-step links)."""
    if status == 503:
        return UNAVAILABLE
    if status == 502:
        return PLATFORM_DOWN["woocommerce" if flow.startswith("woocommerce") else "shopify"]
    if flow in ("shopify_install", "shopify_callback", "shopify_session"):
        return _shopify_problem(container, flow, status, shop)
    if flow == "privacy_export":
        return Problem("This download link does not work",
                       "The link is incomplete, was changed, or the export it pointed to has been deleted.",
                       "Open the export again from the backorder connector in your store's admin.")
    return _woo_problem(container, status, store)


def _shopify_problem(container: InstallPorts, flow: Flow, status: int, shop: str | None) -> Problem:
    again = Link("Go to the apps in your Shopify admin", shopify_admin_apps(shop)) if shop else None
    if flow == "shopify_install":
        if status == 400:
            return Problem("This install link does not name a Shopify store",
                           "The link that started the install does not point to a store on myshopify.com.",
                           "Start the install again from the Shopify App Store or from Apps in your Shopify admin.")
        return Problem("This install link could not be checked",
                       "The link that started the install is not signed by Shopify, or it is more than a day old.",
                       "Start the install again from the Shopify App Store or from Apps in your Shopify admin.",
                       again)
    if status == 400:
        return Problem("Shopify did not confirm the install",
                       "Shopify sent the connector back without a usable approval, so nothing was installed.",
                       "Start the install again from Apps in your Shopify admin and approve the access it asks for.",
                       again)
    return Problem("This approval link has already been used or has expired",
                   "Each approval from Shopify works once and for a few minutes only, so this one was refused "
                   "and nothing was changed.",
                   "If you just installed the app, open it from Apps in your Shopify admin; otherwise start the "
                   "install again from there.", again)


STORE_URL_REFUSED = ("This address cannot be connected: the connector connects only to WooCommerce stores at a "
                     "public address starting with https://.")


def _woo_problem(container: InstallPorts, status: int, store: str | None) -> Problem:
    again = Link("Start connecting again", connect_link(container, store))
    if status == 400:
        return Problem("This store address cannot be connected",
                       "The connector connects only to WooCommerce stores at a public https:// address.",
                       "Check your store's address (as it appears in your browser) and try again.", again)
    if status == 409:
        return Problem("These keys were already delivered",
                       "WooCommerce already sent the keys for this connection, so a second delivery was refused.",
                       "Nothing else is needed if your store shows as connected; otherwise connect again.", again)
    return Problem("This connection request has expired or is not known",
                   "Each connection works once and for a few minutes only.", "Start connecting again.", again)


# -- a WooCommerce connect attempt, as the return URL finds it ------------------------------------------

class AttemptState(Enum):
    CONNECTED = "connected"
    """The keys for this attempt arrived, worked and are stored: the shop is active."""
    WAITING = "waiting"
    """The attempt is open and no keys have arrived (yet), or they are being checked."""
    REFUSED = "refused"
    """Keys arrived for this attempt but were refused (they did not work, or not read_write)."""
    EXPIRED = "expired"
    """No keys arrived before the attempt expired."""
    UNKNOWN = "unknown"
    """No attempt has this user_id (never issued, forged, or deleted after its retention)."""


@dataclass(frozen=True)
class ConnectAttempt:
    state: AttemptState
    store_url: str | None = None
    store_name: str | None = None


def connect_attempt(container: InstallPorts, user_id: str) -> ConnectAttempt:
    """What became of the connect attempt behind ``user_id``: its keys are looked up, never assumed."""
    from connector.install.install import digest

    if not user_id or len(user_id) > 200:
        return ConnectAttempt(AttemptState.UNKNOWN)
    with container.uow() as uow:
        row = uow.repo(InstallRepository).connect_by_hash(digest(user_id))
        if row is None:
            return ConnectAttempt(AttemptState.UNKNOWN)
        store = row.store_url
        if row.used_at is None:
            state = AttemptState.EXPIRED if row.expires_at <= utcnow() else AttemptState.WAITING
            return ConnectAttempt(state, store)
        if row.outcome == "connected" and row.shop_id is not None:
            shop = uow.shops.get(row.shop_id)
            if shop is not None and shop.status == "active" and shop.credentials and \
                    container.box.open(shop.credentials).consumer_key:
                return ConnectAttempt(AttemptState.CONNECTED, store, shop.store_name)
            return ConnectAttempt(AttemptState.REFUSED, store)  # disconnected since, or its keys gone
        if (row.outcome or "").startswith("rejected"):
            return ConnectAttempt(AttemptState.REFUSED, store)
        return ConnectAttempt(AttemptState.WAITING, store)  # received, still being checked


UNKNOWN_ATTEMPT = Problem(
    "We do not recognise this connection",
    "This page was opened with a link that does not belong to a connection started here, or the connection "
    "was started more than an hour ago.",
    "Start connecting again: it takes a minute.")

NOT_CONNECTED: dict[object, Problem] = {
    "declined": Problem("The keys were not approved",
                        "WooCommerce did not approve the connection, so the connector received no keys.",
                        "If you meant to connect, start again and press Approve on WooCommerce's page."),
    AttemptState.REFUSED: Problem("The keys from WooCommerce did not work",
                                  "WooCommerce sent keys for this connection, but the connector could not use "
                                  "them: they did not work, or they were not read and write keys.",
                                  "Start again, and approve with a WordPress user who can manage WooCommerce."),
    AttemptState.EXPIRED: Problem("This connection expired",
                                  "No keys arrived from WooCommerce within the few minutes a connection stays open.",
                                  "Start connecting again and approve on WooCommerce's page straight away."),
}


def not_connected(attempt: ConnectAttempt) -> Problem:
    """Why an attempt that is not connected is not: refused keys, expiry, or not approved at all."""
    if attempt.state in (AttemptState.REFUSED, AttemptState.EXPIRED):
        return NOT_CONNECTED[attempt.state]
    return NOT_CONNECTED["declined"]
