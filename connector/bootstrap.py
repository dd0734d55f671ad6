"""The one composition root: settings, database, queue and platform adapters, wired once.

``create_app``, the CLI, the in-process workers and RQ workers all call ``bootstrap``. Nothing
here runs at import time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from sqlalchemy.engine import Engine

from connector.config import Settings, load_settings
from connector.crypto import CredentialBox
from connector.db.engine import ensure_schema, make_engine
from connector.db.uow import ShopLocks, UnitOfWork
from connector.domain.errors import InstallRejected, UnknownShop
from connector.domain.model import Platform
from connector.ports import (
    JobQueue,
    Mailer,
    OrderAdmin,
    OutboundGuard,
    PurchaseOrderSupplier,
    RunExecutor,
    SalesHistory,
    ShopAccess,
    ShopifyOAuth,
    ShopifyStorefrontBrand,
    ShopifyWebhooks,
    StoreCatalog,
    StorePayments,
    StorePlatform,
    SupplierClient,
    TokenClient,
    WooCommerceConnect,
    WooCommerceWebhooks,
)
from connector.schema import metadata as _schema  # noqa: F401  (every mapper configured before first use)
from connector.settings_registry import registry as shop_settings_registry
from connector.shop_settings import use as use_shop_settings

if TYPE_CHECKING:
    from apscheduler.schedulers.base import BaseScheduler

    from adapters.http import HttpRetry, HttpTransport
    from adapters.shopify.client import ShopifyGraphQL
    from adapters.woocommerce.client import WooCommerceClient
    from connector.dropship.fulfillment_service import FulfillmentServicePort
    from connector.ports import DropshipSupplier, SellingPlans, SlackChannel, StoreFulfillment
    from connector.purchasing.ports import PurchaseOrderReceiptFeed

log = logging.getLogger(__name__)


PlatformFactory = Callable[[ShopAccess], StorePlatform]

PLATFORM_CACHE_SECONDS = 300.0
"""How long a shop's platform adapter (with its decrypted token) is reused. Shorter than the token refresh
margin (install.token_refresh_margin_minutes), so every process picks up a refreshed Shopify token
before the old one expires."""

SHOP_CACHE_SECONDS = 30.0
"""How long a webhook's shop lookup is reused. Misses are never cached, so a new shop is seen at once;
a shop uninstalled meanwhile gets its events stored and then ignored by processing."""


@dataclass(frozen=True)
class WebhookShop:
    """What the webhook endpoints need about a shop, cached per process."""

    shop_id: int
    active: bool
    webhook_secret: str | None


@dataclass
class Container:
    settings: Settings
    engine: Engine
    queue: JobQueue
    locks: ShopLocks = field(default_factory=ShopLocks)
    platform_factory: PlatformFactory | None = None
    scheduler: BaseScheduler | None = None
    _box: CredentialBox | None = None
    _platforms: dict[int, StorePlatform] = field(default_factory=dict)
    _platforms_lock: threading.Lock = field(default_factory=threading.Lock)
    _webhook_shops: dict[tuple[str, str], tuple[float, WebhookShop]] = field(default_factory=dict)
    _platforms_loaded: dict[int, float] = field(default_factory=dict)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.engine, self.locks)

    @property
    def box(self) -> CredentialBox:
        if self._box is None:
            self._box = CredentialBox(self.settings.secret_key)
        return self._box

    def shop_access(self, shop_id: int) -> ShopAccess:
        with self.uow() as uow:
            shop = uow.shops.get(shop_id)
            if shop is None:
                raise UnknownShop(f"no shop with id {shop_id}")
            return ShopAccess(shop.id, Platform(shop.platform), shop.domain, shop.api_base,
                              self.box.open(shop.credentials))

    def platform_for(self, shop_id: int) -> StorePlatform:
        now = time.monotonic()
        with self._platforms_lock:
            cached = self._platforms.get(shop_id)
            fresh = self._platforms_loaded.get(shop_id, 0.0) + PLATFORM_CACHE_SECONDS > now
        if cached is not None and fresh:
            return cached
        access = self.shop_access(shop_id)
        factory = self.platform_factory or default_platform_factory(self.settings)
        platform = factory(access)
        with self._platforms_lock:
            self._platforms[shop_id] = platform
            self._platforms_loaded[shop_id] = now
        return platform

    def forget_platform(self, shop_id: int) -> None:
        with self._platforms_lock:
            self._platforms.pop(shop_id, None)
            self._webhook_shops.clear()

    def catalog_for(self, shop_id: int) -> StoreCatalog:
        """The StoreCatalog port of one shop (on its platform adapter's client and throttling)."""
        from adapters.store_catalog import catalog_for

        return catalog_for(self.platform_for(shop_id))

    def supplier_client(self, kind: str, settings: Mapping[str, Any], secret: Mapping[str, Any] | None,
                        name: str) -> SupplierClient:
        """The SupplierClientFactory port (connector/supply/suppliers.py takes it as ``clients``)."""
        return supplier_client(kind, settings, secret, name)

    def webhook_shop(self, platform: str, domain: str) -> WebhookShop | None:
        """The shop a webhook names, from a short-lived per-process cache (the webhook hot path)."""
        key = (platform, domain)
        now = time.monotonic()
        with self._platforms_lock:
            cached = self._webhook_shops.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
        with self.uow() as uow:
            shop = uow.shops.by_domain(platform, domain)
            if shop is None:
                return None
            sealed, shop_id, active = shop.credentials, shop.id, shop.status == "active"
        secret = self.box.open(sealed).webhook_secret if platform == Platform.WOOCOMMERCE.value else None
        entry = WebhookShop(shop_id, active, secret)
        with self._platforms_lock:
            self._webhook_shops[key] = (now + SHOP_CACHE_SECONDS, entry)
        return entry

    def export_mailer(self) -> Mailer | None:
        """The mailer of privacy data exports, on ``email.smtp_url`` (``smtp[s]://user:password@host:port``),
        or None when none is configured. One attempt per send: the export job's retry policy retries."""
        if not self.settings.smtp_url:
            return None
        from urllib.parse import unquote, urlsplit

        from adapters.http import HttpRetry
        from adapters.notify.smtp import SmtpMailer

        parts = urlsplit(self.settings.smtp_url)
        ssl = parts.scheme == "smtps"
        return SmtpMailer(parts.hostname or "localhost", parts.port or (465 if ssl else 25),
                          username=unquote(parts.username) if parts.username else None,
                          password=unquote(parts.password or ""), tls="ssl" if ssl else "none", timeout=10,
                          envelope_from=self.settings.email_from, retry=HttpRetry(max_attempts=1))

    def smtp_mailer(self) -> Mailer:
        """The deployment's SMTP mailer for customer messages and pile-up alerts (always built:
        ``smtp.host`` defaults to localhost)."""
        from adapters.notify.smtp import SmtpMailer

        return SmtpMailer.from_settings(self.settings)

    # -- store clients of the install feature and of customer messages (ports in connector/ports.py) --

    def token_client(self) -> TokenClient:
        """Shopify's token endpoint with this app's key and first secret (two attempts: a merchant waits)."""
        from adapters.shopify.oauth import ShopifyTokenClient

        s = self.settings
        secrets = shopify_secrets(s)
        return ShopifyTokenClient(s.shopify_api_key or "", secrets[0] if secrets else "",
                                  transport=http_transport(s, "shopify-oauth", "shopify-oauth"),
                                  admin_base=s.shopify_admin_base)

    def shopify_oauth(self) -> ShopifyOAuth:
        return ShopifyOAuthChecks()

    def woocommerce_connect(self) -> WooCommerceConnect:
        return WooCommerceAuthorize()

    def shopify_webhooks(self, access: ShopAccess) -> ShopifyWebhooks:
        """One Shopify shop's webhook subscriptions, on a client of its own (not the cached platform's)."""
        from adapters.shopify.subscriptions import ShopifySubscriptions

        return ShopifySubscriptions(shopify_graphql(self.settings, access))

    def shopify_granted_scopes(self, access: ShopAccess) -> Callable[[], tuple[str, ...]]:
        """Reads the scopes the shop granted now (currentAppInstallation)."""
        from adapters.shopify.access import granted_scopes

        client = shopify_graphql(self.settings, access)
        return lambda: granted_scopes(client)

    def shopify_brand(self, access: ShopAccess) -> ShopifyStorefrontBrand:
        """One Shopify shop's brand: a Storefront token made with its Admin client, the brand read with it."""
        from adapters.shopify.brand import ShopifyBrand

        return ShopifyBrand(shopify_graphql(self.settings, access), api_base=access.api_base)

    def woocommerce_webhooks(self, store: str, api_base: str | None, key: str, secret: str) -> WooCommerceWebhooks:
        """A store's webhooks reached with these keys (also how delivered keys are tried before storing)."""
        from adapters.woocommerce.install import WooWebhooks

        return WooWebhooks(woocommerce_client(self.settings, store, api_base, key, secret))

    def webhook_topics(self, platform: Platform) -> tuple[str, ...]:
        """The topics the connector subscribes to on a platform."""
        if platform == Platform.SHOPIFY:
            from adapters.shopify.subscriptions import CONNECTOR_TOPICS

            return CONNECTOR_TOPICS
        from adapters.woocommerce.install import CONNECTOR_TOPICS as WOO_TOPICS

        return WOO_TOPICS

    def outbound_guard(self) -> OutboundGuard:
        return OutboundAddresses()

    def order_admin(self, shop_id: int) -> OrderAdmin:
        """The OrderAdmin port of one shop (cancel, refund, discount codes), on a client of its own."""
        access = self.shop_access(shop_id)
        if access.platform == Platform.SHOPIFY:
            from adapters.shopify.orders_admin import ShopifyOrdersAdmin

            return ShopifyOrdersAdmin(shopify_graphql(self.settings, access))
        from adapters.woocommerce.orders_admin import WooCommerceOrdersAdmin

        creds = access.credentials
        return WooCommerceOrdersAdmin(woocommerce_client(self.settings, access.domain, access.api_base,
                                                         creds.consumer_key or "", creds.consumer_secret or ""))

    def mailer(self) -> Mailer | None:
        """The deployment's SMTP mailer, or None when no ``smtp.host`` is configured."""
        return self.smtp_mailer() if getattr(self.settings, "smtp_host", None) else None

    def slack_webhook(self, url: str, timeout: float) -> SlackChannel:
        """The SlackFactory port: one Slack incoming webhook (alerts); DeliveryRejected for a URL it refuses."""
        from adapters.notify.slack import SlackWebhook

        return SlackWebhook(url, timeout=timeout)

    def store_fulfillment(self, shop_id: int) -> StoreFulfillment:
        """The StoreFulfillment port of one shop (drop-ship), on the same client as its StorePlatform."""
        from connector.shop_settings import get_setting

        platform: Any = self.platform_for(shop_id)
        if self.shop_access(shop_id).platform == Platform.SHOPIFY:
            from adapters.shopify.fulfillment import ShopifyFulfillment

            return ShopifyFulfillment(platform.client,
                                      location_id=get_setting(self.uow(), shop_id, "dropship.shopify_location_id"),
                                      no_dropship_tag=get_setting(self.uow(), shop_id, "dropship.no_dropship_tag"))
        from adapters.woocommerce.fulfillment import WooCommerceFulfillment

        return WooCommerceFulfillment(platform.client)

    def sales_history(self, shop_id: int) -> SalesHistory:
        """The SalesHistory port of one shop (reorder advice), on the client of its StorePlatform."""
        platform: Any = self.platform_for(shop_id)
        if self.shop_access(shop_id).platform == Platform.SHOPIFY:
            from adapters.shopify.sales_history import ShopifySalesHistory

            return ShopifySalesHistory(platform.client)
        from adapters.woocommerce.sales_history import WooCommerceSalesHistory

        return WooCommerceSalesHistory(platform.client)

    def store_payments(self, shop_id: int) -> StorePayments:
        """The StorePayments port of one shop (payment on shipment), on the client of its StorePlatform."""
        platform: Any = self.platform_for(shop_id)
        if self.shop_access(shop_id).platform == Platform.SHOPIFY:
            from adapters.shopify.payments import ShopifyPayments

            return ShopifyPayments(platform.client)
        from adapters.woocommerce.payments import WooCommercePayments

        return WooCommercePayments(platform.client)

    def fulfillment_service(self, shop_id: int) -> FulfillmentServicePort:
        """The Shopify fulfillment-service port of one shop (connector/dropship/fulfillment_service.py)."""
        from adapters.shopify.fulfillment_service import ShopifyFulfillmentService

        platform: Any = self.platform_for(shop_id)
        return ShopifyFulfillmentService(platform.client)

    def selling_plans(self, shop_id: int) -> SellingPlans:
        """The SellingPlans port of one Shopify shop (connector/payments/selling_plans.py), on its own client;
        ConfigError for a WooCommerce shop (no selling plans there)."""
        from connector.domain.errors import ConfigError

        access = self.shop_access(shop_id)
        if access.platform != Platform.SHOPIFY:
            raise ConfigError("payments.route", f"{access.domain}: selling plans exist on Shopify only")
        from adapters.shopify.selling_plans import ShopifySellingPlans

        return ShopifySellingPlans(shopify_graphql(self.settings, access))

    def dropship_supplier(self, supplier_id: int) -> DropshipSupplier:
        """The DropshipSupplier port of a supplier row's ``dropship`` settings (HTTP desk or e-mail)."""
        from adapters.suppliers.dropship import EmailDropshipSupplier, HttpDropshipClient, dropship_mode
        from connector.domain.errors import ConfigError
        from connector.dropship.place import shop_identity, supplier_settings

        found = supplier_settings(self.uow(), self.box, supplier_id)
        mode = dropship_mode(found.settings)
        if mode == "email":
            mailer = self.mailer()
            if mailer is None:
                raise ConfigError("smtp", f"supplier {found.name} takes drop-ship orders by email; configure smtp")
            assert found.shop_id is not None
            shop = shop_identity(self.uow(), found.shop_id)  # the shop's name and Reply-To on the sheet
            return EmailDropshipSupplier(mailer, to=str(found.settings["dropship"].get("email", "")),
                                         sender=getattr(self.settings, "smtp_from", None) or "backorders@localhost",
                                         supplier_name=found.name, shop_name=shop.name, reply_to=shop.reply_to)
        if mode is None:
            raise ConfigError("dropship", f"supplier {found.name} has no drop-ship settings")
        return HttpDropshipClient(found.settings, found.secret, name=found.name)

    def purchase_order_supplier(self, supplier_id: int) -> PurchaseOrderSupplier:
        """The PurchaseOrderSupplier port of a supplier row's purchasing terms (HTTP API or e-mail)."""
        from adapters.suppliers.purchase_orders import EmailPurchaseOrderSupplier, HttpPurchaseOrderClient
        from connector.domain.errors import ConfigError
        from connector.dropship.place import supplier_settings

        found = supplier_settings(self.uow(), self.box, supplier_id)
        terms = found.settings.get("purchasing")
        if not isinstance(terms, Mapping):
            raise ConfigError("purchasing", f"supplier {found.name} has no purchasing terms")
        if terms.get("channel") == "email":
            mailer = self.mailer()
            if mailer is None:
                raise ConfigError("smtp", f"supplier {found.name} takes purchase orders by email; configure smtp")
            sender = getattr(self.settings, "smtp_from", None) or "backorders@localhost"
            return EmailPurchaseOrderSupplier(mailer, to=str(terms.get("email", "")), sender=sender,
                                              supplier_name=found.name,
                                              sheet_format=str(terms.get("sheet_format") or "csv"))
        return HttpPurchaseOrderClient(found.settings, found.secret, name=found.name)

    def purchase_order_receipt_feed(self, supplier_id: int) -> PurchaseOrderReceiptFeed | None:
        """The supplier's receipt feed (rows naming our purchase orders), None when its purchasing terms
        have no ``receipt_feed``. ConfigError for a feed the reader refuses."""
        from adapters.suppliers.factory import check_addresses
        from adapters.suppliers.receipt_feed import FeedReceiptReader
        from connector.dropship.place import supplier_settings

        found = supplier_settings(self.uow(), self.box, supplier_id)
        terms = found.settings.get("purchasing")
        if not isinstance(terms, Mapping) or not isinstance(terms.get("receipt_feed"), Mapping):
            return None
        check_addresses({"source": terms["receipt_feed"].get("source") or found.settings.get("source")})
        return FeedReceiptReader(found.settings, found.secret, name=found.name)

    def close(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
            self.scheduler = None
        stop = getattr(self.queue, "stop", None)
        if stop is not None:
            stop()
        global _bound
        with _bound_lock:
            if _bound is self:
                _bound = None
        self.engine.dispose()

_bound: Container | None = None
_bound_lock = threading.Lock()


def bind(container: Container | None) -> None:
    """Make ``container`` the one the job functions of this process use (``current``). ``bootstrap``
    binds what it builds; an RQ worker builds its container once at start (``connector worker``)."""
    global _bound
    with _bound_lock:
        _bound = container


def current() -> Container:
    """The container bound in this process. Never builds one: a process that runs jobs calls
    ``bootstrap`` first (the app, the CLI and ``connector worker`` do)."""
    with _bound_lock:
        if _bound is None:
            raise RuntimeError("no container bound in this process: call connector.bootstrap.bootstrap() first")
        return _bound


def run_queue_worker(container: Container, *, burst: bool = False) -> bool:
    """Work RQ jobs in this process on ``container`` (built once at worker start, bound for the jobs and
    for recorded runs): ``connector worker`` with REDIS_URL. Returns RQ's ``work`` result."""
    from adapters.queue.rq_queue import run_worker

    if not container.settings.redis_url:
        raise ValueError("run_queue_worker needs redis_url (without it, jobs run on in-process threads)")
    return run_worker(container.settings.redis_url, burst=burst)


def ledger_executor(engine: Engine, lease: timedelta) -> RunExecutor:
    """How the queues run a recorded run: inside its claim in the job-run ledger (connector/db/job_runs.py)."""
    from connector.db import job_runs

    def execute(run_id: int, call: Callable[[], Any], retry_in: Callable[[int], float | None]) -> Any:
        return job_runs.execute(engine, run_id, call, lease=lease, retry_in=retry_in)

    return execute



HTTP_ADAPTERS = ("shopify", "woocommerce", "shopify-oauth")
"""The HTTP adapters built here, each with its own retry policy (``http_retry``). Suppliers take
theirs from the supplier's settings (adapters/suppliers/transport.py), Slack its own (adapters/notify/slack.py)."""


def http_retry(settings: Settings, adapter: str) -> HttpRetry:
    """The retry policy of one HTTP adapter: ``http.max_attempts`` for the
    store APIs; two attempts for the OAuth token exchange (a merchant waits on it). Every adapter
    sleeps on Retry-After only up to ``http.max_retry_after_seconds``; past it the job is rescheduled."""
    from adapters.http import HttpRetry

    if adapter not in HTTP_ADAPTERS:
        raise ValueError(f"unknown HTTP adapter {adapter!r}; one of {HTTP_ADAPTERS}")
    attempts = 2 if adapter == "shopify-oauth" else settings.http_max_attempts
    return HttpRetry(max_attempts=attempts, max_retry_after=settings.http_max_retry_after_seconds)


def http_transport(settings: Settings, adapter: str, name: str) -> HttpTransport:
    """The transport of one adapter instance, e.g. ``woocommerce:<store>``."""
    from adapters.http import HttpTransport

    return HttpTransport(timeout=settings.http_timeout_seconds, retry=http_retry(settings, adapter), name=name)


def default_platform_factory(settings: Settings) -> PlatformFactory:
    def build(access: ShopAccess) -> StorePlatform:
        creds = access.credentials
        if access.platform == Platform.SHOPIFY:
            from adapters.shopify.platform import ShopifyPlatform

            return ShopifyPlatform(shopify_graphql(settings, access), backorder_tag=settings.shopify_backorder_tag)
        from adapters.woocommerce.platform import WooCommercePlatform

        wc = woocommerce_client(settings, access.domain, access.api_base, creds.consumer_key or "",
                                creds.consumer_secret or "")
        return WooCommercePlatform(wc, backordered_meta_keys=settings.woocommerce_backordered_meta_keys)

    return build


@runtime_checkable
class _ExecutorSlot(Protocol):
    """A queue that runs recorded runs through a ``RunExecutor`` it is given (adapters/queue/inline.py)."""

    run_recorded: RunExecutor | None


def shopify_secrets(settings: Settings) -> list[str]:
    """The app's API secrets (``shopify.api_secret``, comma-separated while rotating; the first signs)."""
    return [part.strip() for part in (settings.shopify_api_secret or "").split(",") if part.strip()]


def shopify_graphql(settings: Settings, access: ShopAccess) -> ShopifyGraphQL:
    """A Shopify Admin GraphQL client for one shop, on a transport named ``shopify:<domain>``."""
    from adapters.shopify.client import ShopifyGraphQL

    return ShopifyGraphQL(access.domain, access.credentials.access_token or "", api_base=access.api_base,
                          api_version=settings.shopify_api_version,
                          transport=http_transport(settings, "shopify", f"shopify:{access.domain}"))


def woocommerce_client(settings: Settings, store: str, api_base: str | None, key: str,
                       secret: str) -> WooCommerceClient:
    """A WooCommerce REST client for one store, on a transport named ``woocommerce:<store>``."""
    from adapters.woocommerce.client import WooCommerceClient

    return WooCommerceClient(store, key, secret, api_base=api_base,
                             transport=http_transport(settings, "woocommerce", f"woocommerce:{store}"))


class ShopifyOAuthChecks:
    """The ShopifyOAuth port over adapters/shopify/oauth.py; its failed checks become InstallRejected (401)."""

    def query_params(self, args: Any) -> dict[str, Any]:
        from adapters.shopify import oauth

        return oauth.query_params(args)

    def verify_query(self, params: Mapping[str, Any], secrets: Iterable[str]) -> None:
        from adapters.shopify import oauth

        try:
            oauth.verify_query_hmac(params, secrets)
        except oauth.QueryHmacError as exc:
            raise InstallRejected(str(exc), 401) from None

    def verify_session_token(self, token: str, *, api_key: str, secrets: Iterable[str]) -> dict[str, Any]:
        from adapters.shopify import oauth

        try:
            return oauth.verify_session_token(token, api_key=api_key, secrets=secrets)
        except oauth.SessionTokenInvalid as exc:
            raise InstallRejected(str(exc), 401) from None

    def authorize_url(self, shop_domain: str, *, api_key: str, scopes: Iterable[str], redirect_uri: str,
                      state: str, admin_base: str | None = None) -> str:
        from adapters.shopify import oauth

        return oauth.authorize_url(shop_domain, api_key=api_key, scopes=scopes, redirect_uri=redirect_uri,
                                   state=state, admin_base=admin_base)


class WooCommerceAuthorize:
    """The WooCommerceConnect port over adapters/woocommerce/install.py."""

    def authorize_url(self, store_url: str, *, app_name: str, user_id: str, return_url: str,
                      callback_url: str, api_base: str | None = None) -> str:
        from adapters.woocommerce import install

        return install.authorize_url(store_url, app_name=app_name, user_id=user_id, return_url=return_url,
                                     callback_url=callback_url, api_base=api_base)


class OutboundAddresses:
    """The OutboundGuard port over adapters/outbound.py (the policy ``bootstrap`` configured, read per call)."""

    @property
    def allow_private_targets(self) -> bool:
        from adapters import outbound

        return outbound.current_policy().allow_private_targets

    def check_url(self, url: str) -> None:
        from adapters import outbound

        outbound.check_url(url)


def supplier_client(kind: str, settings: Mapping[str, Any], secret: Mapping[str, Any] | None,
                    name: str) -> SupplierClient:
    """A SupplierClientFactory: the HTTP JSON or feed client of a supplier's kind and settings."""
    from adapters.suppliers.factory import build_supplier_client

    return build_supplier_client(kind, settings, secret, name=name)


def bootstrap(
    settings: Settings | None = None,
    *,
    start_workers: bool = False,
    queue: JobQueue | None = None,
    platform_factory: PlatformFactory | None = None,
    auto_upgrade: bool = False,
    bind_jobs: bool = True,
) -> Container:
    """Build the container. ``start_workers`` runs the in-process queue's threads."""
    settings = settings or load_settings()
    from adapters import outbound

    outbound.configure(outbound.OutboundPolicy(allow_private_targets=settings.allow_private_targets,
                                               allow_local_files=settings.allow_local_files))
    use_shop_settings(shop_settings_registry())  # every feature's per-shop settings, listed once
    engine = make_engine(settings.database_url)
    ensure_schema(engine, auto_upgrade=auto_upgrade)
    executor = ledger_executor(engine, timedelta(seconds=settings.event_lease_seconds))
    if queue is None and settings.redis_url:  # scaled out: RQ workers run the jobs (`connector worker`)
        from adapters.queue.rq_queue import RQQueue

        queue = RQQueue(settings.redis_url, run_recorded=executor)
    if queue is None:
        from adapters.queue.inline import InlineQueue, NoQueue

        queue = InlineQueue(settings.worker_threads, run_recorded=executor).start() \
            if start_workers and settings.worker_threads > 0 else NoQueue()
    elif isinstance(queue, _ExecutorSlot) and queue.run_recorded is None:  # a queue the caller built
        queue.run_recorded = executor
    container = Container(settings=settings, engine=engine, queue=queue, platform_factory=platform_factory)
    if bind_jobs:
        bind(container)
    return container
