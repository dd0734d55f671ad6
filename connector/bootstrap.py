"""The one composition root: settings, database, queue and platform adapters, wired once.

``create_app``, the CLI, the in-process workers and RQ workers all call ``bootstrap``. Nothing
here runs at import time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from sqlalchemy.engine import Engine

from connector.config import Settings, load_settings
from connector.crypto import CredentialBox
from connector.db.engine import ensure_schema, make_engine
from connector.db.uow import ShopLocks, UnitOfWork
from connector.domain.errors import UnknownShop
from connector.domain.model import Platform, ShopCredentials
from connector.ports import JobQueue, Mailer, RunExecutor, StorePlatform
from connector.schema import metadata as _schema  # noqa: F401  (every mapper configured before first use)
from connector.settings_registry import registry as shop_settings_registry
from connector.shop_settings import use as use_shop_settings

if TYPE_CHECKING:
    from apscheduler.schedulers.base import BaseScheduler

    from adapters.http import HttpRetry, HttpTransport

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ShopAccess:
    """What an adapter needs to reach one shop (credentials decrypted, in memory only)."""

    shop_id: int
    platform: Platform
    domain: str
    api_base: str | None
    credentials: ShopCredentials


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
    def transport(name: str) -> HttpTransport:
        adapter = name.split(":", 1)[0]
        return http_transport(settings, adapter, name)

    def build(access: ShopAccess) -> StorePlatform:
        creds = access.credentials
        if access.platform == Platform.SHOPIFY:
            from adapters.shopify.client import ShopifyGraphQL
            from adapters.shopify.platform import ShopifyPlatform

            client = ShopifyGraphQL(access.domain, creds.access_token or "", api_base=access.api_base,
                                    api_version=settings.shopify_api_version,
                                    transport=transport(f"shopify:{access.domain}"))
            return ShopifyPlatform(client, backorder_tag=settings.shopify_backorder_tag)
        from adapters.woocommerce.client import WooCommerceClient
        from adapters.woocommerce.platform import WooCommercePlatform

        wc = WooCommerceClient(access.domain, creds.consumer_key or "", creds.consumer_secret or "",
                               api_base=access.api_base, transport=transport(f"woocommerce:{access.domain}"))
        return WooCommercePlatform(wc, backordered_meta_keys=settings.woocommerce_backordered_meta_keys)

    return build


@runtime_checkable
class _ExecutorSlot(Protocol):
    """A queue that runs recorded runs through a ``RunExecutor`` it is given (adapters/queue/inline.py)."""

    run_recorded: RunExecutor | None


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
