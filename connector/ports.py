"""The small interfaces the services depend on. Adapters implement them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable

from connector.domain.model import BackorderMark, OrderSnapshot, Platform, ShopCredentials, StockLevel, StockRef
from connector.domain.notify import CancelResult
from connector.domain.payments import PaymentFacts, Transaction
from connector.domain.purchasing import PurchaseOrderAnswer, PurchaseOrderRequest
from connector.domain.routing import DropshipRequest, StoreOrderFacts, SupplierOrderStatus, Tracking
from connector.domain.sales_history import SalesPage
from connector.domain.selling_plans import PlanSpec, StoreGroup
from connector.domain.stock_events import StockChange
from connector.domain.supply import BackorderSwitch, CatalogItem, PageDate, SupplierFetch, Validators


class StorePlatform(Protocol):
    """One installed shop's store API (Shopify GraphQL Admin or WooCommerce REST v3)."""

    def parse_order(self, payload: Mapping[str, Any]) -> OrderSnapshot:
        """Turn an order webhook body into a snapshot. Raises InvalidPayload.

        Each line's quantity is the units still on it. A store whose body does not say so reads it
        (WooCommerce: the order's refunds), so this may also raise the platform's errors
        (PlatformUnavailable / PlatformThrottled are transient: retry the event)."""
        ...

    def stock_levels(self, refs: Sequence[StockRef]) -> dict[str, StockLevel]:
        """Current stock for each reference, keyed by ``StockRef.key``; unknown refs are left out."""
        ...

    def mark_backordered(self, order_id: str, marks: Sequence[BackorderMark]) -> None:
        """Record on the store order that these lines are backordered (idempotent)."""
        ...

    def unmark_backordered(self, order_id: str) -> None:
        """Remove the backorder marking from a store order (idempotent)."""
        ...

    def orders_updated_since(self, since: datetime) -> Iterator[OrderSnapshot]:
        """Every order updated at or after ``since``, oldest update first, across all pages."""
        ...


@runtime_checkable
class StockEvents(Protocol):
    """A store whose stock webhooks the connector reads (Shopify ``inventory_levels/update``,
    WooCommerce ``product.updated``). Optional: a platform without it has its stock webhooks ignored
    and relies on the periodic stock read (connector/capture/stock.py)."""

    def parse_stock_change(self, payload: Mapping[str, Any]) -> StockChange:
        """Which stock positions the webhook body names. Raises InvalidPayload."""
        ...


@runtime_checkable
class DeliveryPromises(Protocol):
    """A store that can say what delivery date it promised at checkout (Shopify's delivery method).
    Optional: capture asks only platforms that implement it (connector/capture/promise.py)."""

    def delivery_promise(self, order_id: str) -> datetime | None:
        """The latest delivery moment promised for the order, or None when none was stated."""
        ...


@runtime_checkable
class StoreBudget(Protocol):
    """A store whose API spends a rate budget its client learns from the answers (Shopify's cost points).
    Optional: a shop's events job asks it before a round, so a worker does not sleep on one shop's budget
    while other shops' jobs wait (jobs/events.py)."""

    def capture_wait(self, orders: int) -> float:
        """Seconds until the store's budget, as last reported to this process, covers capturing ``orders``
        orders (0: it does, or nothing is known yet)."""
        ...


class SupplierClient(Protocol):
    """One supplier's stock and restock dates per SKU (HTTP JSON API or feed file)."""

    def fetch(self, validators: Validators | None = None,
              page_state: Mapping[str, Any] | None = None) -> AbstractContextManager[SupplierFetch]:
        """Open one poll: ``unchanged`` (cache validators matched) or a stream of rows, read inside
        the ``with`` block. Raises SupplierUnavailable (after retries), SupplierRejected or
        SupplierFeedInvalid, possibly while the rows are being read."""
        ...


class SupplierClientFactory(Protocol):
    """Builds the SupplierClient for a supplier's kind, settings and opened secret (connector/bootstrap.py).
    Raises ConfigError for an unknown kind or a setting the client refuses (URL, auth, mapping)."""

    def __call__(self, kind: str, settings: Mapping[str, Any], secret: Mapping[str, Any] | None,
                 name: str) -> SupplierClient:
        ...


class StoreCatalog(Protocol):
    """One shop's catalogue: read SKUs and stock; write in-stock dates and backorder settings."""

    date_batch_size: int
    """Page dates per write call (Shopify metafieldsSet: 25; WooCommerce batch: 100)."""

    def items(self) -> Iterator[CatalogItem]:
        """Every SKU in the store, across all pages."""
        ...

    def write_dates(self, dates: Sequence[PageDate]) -> None:
        """Set or remove (``day`` None) the in-stock date of at most ``date_batch_size`` SKUs."""
        ...

    def switch_backorders(self, switches: Sequence[BackorderSwitch]) -> None:
        """Allow or stop selling these SKUs when out of stock."""
        ...


class DropshipSupplier(Protocol):
    """A supplier's drop-ship desk (adapters/suppliers/dropship.py): HTTP API or purchase sheet by email."""

    can_find: bool
    """Whether ``find`` can ask the supplier about a key (False for email: it cannot be asked)."""

    def place(self, order: DropshipRequest, idempotency_key: str) -> SupplierOrderStatus:
        """Place the order once per key (the same key again returns the same order). Raises
        SupplierRejected (refused: out of stock, bad address) or SupplierUnavailable (after retries)."""
        ...

    def find(self, idempotency_key: str) -> SupplierOrderStatus | None:
        """The order placed with this key, or None when the supplier never received it."""
        ...

    def shipments(self, supplier_reference: str) -> SupplierOrderStatus:
        """The order's status and every parcel shipped so far, with tracking."""
        ...


class StoreFulfillment(Protocol):
    """Store-side drop-ship operations (adapters/<platform>/fulfillment.py)."""

    def order_facts(self, order_id: str) -> StoreOrderFacts:
        """Payment, cancellation, flags, shipping address and per-line price and unfulfilled units."""
        ...

    def fulfill(self, order_id: str, line_id: str, quantity: int, tracking: Tracking, *,
                notify_customer: bool, order_complete: bool, dedupe_key: str) -> str:
        """Record ``quantity`` units of a line as shipped with tracking; return the store's reference.
        Safe to call again with the same ``dedupe_key`` (an existing fulfillment is found, not repeated)."""
        ...

    def hold(self, order_id: str, line_id: str, quantity: int, external_id: str) -> tuple[str, str] | None:
        """Hold a waiting line; return (fulfillment order id, hold id), None where the store has no holds."""
        ...

    def release_hold(self, fulfillment_order_id: str, hold_id: str) -> None:
        """Release exactly this hold (never every hold on the fulfillment order)."""
        ...


class JobQueue(Protocol):
    """Carries job references (``connector.job_refs.job_ref``: a dotted function name) and ids, never
    payloads (adapters/queue: in-process threads or RQ). Only delivery: the database is the truth."""

    def enqueue(self, job: str, *args: Any, delay_seconds: float = 0.0) -> None:
        """Deliver a job that nothing records (scheduled work: the next tick asks again).
        Raises PermanentError at once for a reference that names no job."""
        ...

    def push_run(self, run_id: int, job: str, args: tuple[Any, ...], delay_seconds: float = 0.0) -> None:
        """Deliver a run recorded in the job-run ledger (connector/db/job_runs.py); the worker runs it
        through the ledger's claim (``RunExecutor``)."""
        ...

    def is_live(self, run_id: int) -> bool:
        """Whether the queue still holds the recorded run (waiting, delayed or running): the sweeper
        leaves those alone."""
        ...

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until nothing waits or runs (delayed jobs not counted); True if idle."""
        ...

    def depth(self) -> int:
        """Jobs waiting, running or delayed (readiness and metrics)."""
        ...

    def stop(self, timeout: float = 10.0) -> None:
        ...


class RunExecutor(Protocol):
    """Runs one delivery of a recorded run inside the ledger's claim (built by bootstrap over
    connector/db/job_runs.execute): claim, heartbeat, then done, pending again or failed. Returns
    ``call()``'s result, or a marker when the run is finished or held elsewhere (nothing is run);
    raises ``call()``'s exception, or ``RunRescheduled`` when the job was throttled."""

    def __call__(self, run_id: int, call: Callable[[], Any], retry_in: Callable[[int], float | None]) -> Any:
        ...


class RunRescheduled(Exception):  # noqa: N818 - a signal to the queue, not an error
    """The job was throttled (a store or supplier answered Retry-After past the transport's cap):
    the run is pending again, due ``delay`` seconds later, and the queue must deliver it then (not
    retry it now, and not sleep in a worker). The throttled start does not count as an attempt."""

    def __init__(self, run_id: int, delay: float, cause: BaseException) -> None:
        super().__init__(f"run {run_id} throttled; rescheduled in {delay:.0f}s: "
                         f"{f'{type(cause).__name__}: {cause}'[:2000]}")
        self.run_id = run_id
        self.delay = delay


class Mailer(Protocol):
    """Sends one email (adapters/notify/smtp.py). Raises DeliveryUnavailable (certainly not
    delivered, retry later), DeliveryRejected (refused, do not retry) or DeliveryUncertain."""

    def send(self, message: Any) -> str:
        """Send an ``email.message.EmailMessage``; return its Message-ID."""
        ...


class SlackChannel(Protocol):
    """An alert channel: one Slack incoming webhook (adapters/notify/slack.py). Raises
    DeliveryUnavailable (retry later) or DeliveryRejected (refused, never retried)."""

    def post(self, text: str, *, fields: dict[str, str] | None = None) -> None:
        ...


SlackFactory = Callable[[str, float], SlackChannel]
"""Builds the SlackChannel of one (unsealed) webhook URL with a timeout in seconds
(connector/bootstrap.py Container.slack_webhook)."""


class OrderAdmin(Protocol):
    """Store-side order operations for customer messages: cancel or refund backordered items and
    create consolation discount codes (adapters/<platform>/orders_admin.py)."""

    def cancel_items(self, order_id: str, items: Sequence[tuple[str, int]], *, reason: str,
                     idempotency_key: str) -> CancelResult:
        """Cancel (and refund) ``quantity`` units of each (line id, quantity)."""
        ...

    def create_discount(self, code: str, *, kind: str, amount: float | None, customer_email: str,
                        title: str, ends_at: datetime | None, idempotency_key: str, order_id: str) -> str:
        """Create a single-use code for the customer of store order ``order_id``; return its store id."""
        ...


@dataclass(frozen=True)
class ShopAccess:
    """What an adapter needs to reach one shop (credentials decrypted, in memory only)."""

    shop_id: int
    platform: Platform
    domain: str
    api_base: str | None
    credentials: ShopCredentials


class TokenGrant(Protocol):
    """What Shopify's token endpoint gave (adapters/shopify/oauth.py TokenGrant). Never logged."""

    @property
    def access_token(self) -> str: ...
    @property
    def scope(self) -> str: ...
    @property
    def expires_at(self) -> datetime | None: ...
    @property
    def refresh_token(self) -> str | None: ...
    @property
    def refresh_expires_at(self) -> datetime | None: ...


class TokenClient(Protocol):
    """Shopify's token endpoint for the three grants the connector uses. Raises PlatformAuthError or
    PlatformRejected (refused), PlatformUnavailable (after retries)."""

    def exchange_code(self, shop_domain: str, code: str) -> TokenGrant:
        ...

    def refresh(self, shop_domain: str, refresh_token: str) -> TokenGrant:
        ...

    def exchange_session_token(self, shop_domain: str, token: str) -> TokenGrant:
        ...


class ShopifyOAuth(Protocol):
    """Shopify's app authentication checks and authorize page. A failed check raises InstallRejected
    (401) naming the check that failed."""

    def query_params(self, args: Any) -> dict[str, Any]:
        """A request's query (a werkzeug MultiDict or a mapping) as the checks read it."""
        ...

    def verify_query(self, params: Mapping[str, Any], secrets: Iterable[str]) -> None:
        """The install or callback query's ``hmac`` (for one of ``secrets``) and its ``timestamp``."""
        ...

    def verify_session_token(self, token: str, *, api_key: str, secrets: Iterable[str]) -> dict[str, Any]:
        """An App Bridge session token's claims, with ``shop`` (its myshopify domain) added."""
        ...

    def authorize_url(self, shop_domain: str, *, api_key: str, scopes: Iterable[str], redirect_uri: str,
                      state: str, admin_base: str | None = None) -> str:
        ...


class WooCommerceConnect(Protocol):
    """WooCommerce's wc-auth key delivery (adapters/woocommerce/install.py)."""

    def authorize_url(self, store_url: str, *, app_name: str, user_id: str, return_url: str,
                      callback_url: str, api_base: str | None = None) -> str:
        ...


class ShopifyWebhook(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def topic(self) -> str: ...
    @property
    def uri(self) -> str: ...


class ShopifyWebhooks(Protocol):
    """One shop's webhook subscriptions and contact address (adapters/shopify/subscriptions.py). Raises
    the platform's errors; AccessDenied when a scope is not granted."""

    def list(self) -> Sequence[ShopifyWebhook]:
        ...

    def create(self, topic: str, uri: str) -> ShopifyWebhook:
        ...

    def delete(self, subscription_id: str) -> None:
        ...

    def contact_email(self) -> str | None:
        ...

    def identity(self) -> tuple[str | None, str | None]:
        """(the shop's name, its contact e-mail), either None when the store gives none."""
        ...


@dataclass(frozen=True)
class StoreBrand:
    """What a store keeps of its brand, as read: either None when the store has none set. Raw as
    the store gives them; connector/install/brand_read.py checks them before keeping them."""

    logo_url: str | None
    """The default logo's image address, else the square logo's."""
    accent_color: str | None
    """The first primary brand colour's background."""


class ShopifyStorefrontBrand(Protocol):
    """One Shopify shop's brand (logo, colours), which Shopify serves only through the Storefront API
    (adapters/shopify/brand.py). Raises AccessDenied when a scope is not granted (creating a token needs
    an unauthenticated_* scope; the logo unauthenticated_read_product_listings), PlatformAuthError when
    the Storefront API refuses the token (401: revoked, or the app was reinstalled), PlatformRejected on
    userErrors or an answer without data, and the transport's other errors."""

    def create_storefront_token(self, title: str) -> str:
        """A new Storefront access token (Admin ``storefrontAccessTokenCreate``); a secret to seal."""
        ...

    def read_brand(self, storefront_token: str) -> StoreBrand:
        """``shop { brand }`` from the Storefront API with that token."""
        ...


@dataclass(frozen=True)
class SiteIdentity:
    """What a WordPress site says of itself in its public REST index (``GET /wp-json/``), as read: either
    None when the site gives none. connector/install/woo_identity.py checks them before keeping them."""

    name: str | None
    """The site title (``name``), HTML entities decoded."""
    home_url: str | None
    """The storefront's address (``home``, else ``url``)."""
    icon_url: str | None
    """The site icon's image address (``site_icon_url``, WordPress 5.9+)."""


class WooCommerceHook(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def topic(self) -> str: ...
    @property
    def delivery_url(self) -> str: ...
    @property
    def status(self) -> str: ...


class WooCommerceWebhooks(Protocol):
    """One store's webhooks, reached with a pair of keys (adapters/woocommerce/install.py). Raises the
    platform's errors (PlatformAuthError when the keys are refused)."""

    def verify_access(self) -> None:
        """A real read with the keys; PlatformRejected when the answer is not WooCommerce's."""
        ...

    def list(self) -> Sequence[WooCommerceHook]:
        ...

    def create(self, topic: str, delivery_url: str, secret: str, name: str) -> WooCommerceHook:
        ...

    def activate(self, hook_id: int, secret: str | None = None) -> WooCommerceHook:
        ...

    def site_language(self) -> str | None:
        """The WordPress site language ("nl_NL"), None when the store names none. PlatformAuthError when
        the keys' user may not read the system status (it needs manage_woocommerce)."""
        ...

    def site_identity(self) -> SiteIdentity:
        """The site's name, address and icon from the public WordPress REST index, asked for without the keys.
        PlatformRejected when the answer is not an index (a redirect, HTML, too large), else the transport's
        errors."""
        ...

    def store_email(self) -> str | None:
        """The "From" address of the store's own e-mails (WooCommerce ``woocommerce_email_from_address``),
        None when empty. PlatformAuthError when the keys' user may not read settings (manage_woocommerce)."""
        ...


class OutboundGuard(Protocol):
    """The outbound address guard (adapters/outbound.py): https and public addresses only, outside
    development. ``check_url`` raises a PermanentError naming the host and the reason."""

    @property
    def allow_private_targets(self) -> bool: ...

    def check_url(self, url: str) -> None:
        ...


class SellingPlans(Protocol):
    """One Shopify shop's selling plan groups (adapters/shopify/selling_plans.py; deferred purchase options).

    Errors: PlatformRejected (userErrors, e.g. an unknown variant), AccessDenied (the shop did not grant
    ``write_purchase_options``), PlatformUnavailable / PlatformThrottled (transient: retry), and
    OutcomeUncertain when a write may have landed (a retry reads back first: ``find`` finds a group made
    by a create whose answer was lost)."""

    def find(self, merchant_code: str) -> StoreGroup | None:
        """The app's group with this merchant code, with its variants; None when there is none."""
        ...

    def get(self, group_id: str) -> StoreGroup | None:
        """The group with its variants; None when it no longer exists (deleted in the store)."""
        ...

    def create(self, spec: PlanSpec, variant_ids: Sequence[str]) -> StoreGroup:
        """Make the group with its one plan, attached to these variants (numeric ids)."""
        ...

    def update(self, group: StoreGroup, spec: PlanSpec) -> StoreGroup:
        """Rewrite the group's plan (and its name) to ``spec``."""
        ...

    def add_variants(self, group_id: str, variant_ids: Sequence[str]) -> None: ...

    def remove_variants(self, group_id: str, variant_ids: Sequence[str]) -> None: ...

    def delete(self, group_id: str) -> None:
        """Delete the group (orders already placed keep their payment terms)."""
        ...

    def order_selling_plans(self, order_id: str) -> dict[str, str]:
        """The selling plan each line of an order was bought under: {line id: selling plan gid} (lines
        bought without one are left out). PlatformRejected when the order does not exist."""
        ...


class StorePayments(Protocol):
    """Store-side payment operations (adapters/<platform>/payments.py): read an order's money, capture
    an authorisation, charge a vaulted card, send the customer a payment link, hold the goods until paid.

    Errors: PlatformRejected (refused as asked: over the authorisation, a closed order; a card decline is
    not an error, it is a FAILURE transaction), PlatformUnavailable / PlatformThrottled (transient: nothing
    landed, or the write carries a key the store honours), OutcomeUncertain (a write without a key may
    have landed: the caller reads ``facts`` back before any new attempt)."""

    def facts(self, order_id: str) -> PaymentFacts:
        ...

    def capture(self, order_id: str, authorization_id: str, amount: Decimal, currency: str, *,
                final: bool) -> Transaction:
        """Capture ``amount`` of the authorisation; the CAPTURE transaction (status may be FAILURE)."""
        ...

    def charge_mandate(self, order_id: str, mandate_id: str, amount: Decimal, currency: str, *,
                       idempotency_key: str, payment_schedule_id: str | None) -> str:
        """Ask for a payment on a vaulted card (asynchronous); the store's reference to find its
        transaction later. The same key never charges twice."""
        ...

    def send_payment_link(self, order_id: str) -> None:
        """Send the customer the order's invoice with a link to pay the balance."""
        ...

    def hold_for_payment(self, order_id: str, external_id: str) -> list[tuple[str, str]]:
        """Hold the order's open fulfillment orders until paid; (fulfillment order id, hold id) each."""
        ...

    def release_hold(self, fulfillment_order_id: str, hold_id: str) -> None:
        """Release exactly this hold."""
        ...


class PurchaseOrderSupplier(Protocol):
    """A supplier's purchasing desk (adapters/suppliers/purchase_orders.py): HTTP API or a purchase
    sheet (CSV or PDF) by e-mail."""

    can_find: bool
    """Whether ``find`` can ask the supplier about a key (False for e-mail)."""

    def send(self, order: PurchaseOrderRequest, idempotency_key: str) -> PurchaseOrderAnswer:
        """Send a ``PurchaseOrderRequest`` once per key (the same key again answers the same order);
        return its ``PurchaseOrderAnswer``. Raises SupplierRejected (refused), SupplierUnavailable
        (certainly not received, after retries) or SupplierSendUncertain (may have been received and
        cannot be asked: never resend blindly)."""
        ...

    def find(self, idempotency_key: str) -> PurchaseOrderAnswer | None:
        """The ``PurchaseOrderAnswer`` of the order sent with this key, or None when the supplier never
        received it. Raises SupplierUnavailable."""
        ...

    def status(self, supplier_reference: str) -> PurchaseOrderAnswer:
        """The order's ``PurchaseOrderAnswer`` now (delivered units, expected date). Raises
        SupplierRejected (unknown order) or SupplierUnavailable."""
        ...


class SalesHistory(Protocol):
    """A shop's past orders for the sales history (connector/reorder/history.py): the platform's order
    pages, oldest first (Shopify GraphQL ``orders`` by CREATED_AT; WooCommerce ``GET /orders`` by date).

    Errors: PlatformUnavailable / PlatformThrottled (transient: the page was not read, ask again with the
    same cursor), PlatformRejected (the cursor or query was refused)."""

    def sales_page(self, cursor: str | None, until: datetime) -> SalesPage:
        """The page of orders created before ``until`` that starts at ``cursor`` (None: the first)."""
        ...
