"""Named errors, each with a category that entry points map to HTTP and exit codes.

Categories:
- ``config``: the deployment is wrong (a missing or bad setting); fix and restart.
- ``transient``: worth retrying later (timeouts, 429, 5xx, a database that is down).
- ``permanent``: retrying will not help (4xx, invalid input, a GraphQL error).
"""

from __future__ import annotations

from datetime import date


class ConnectorError(Exception):
    """Base of every error the connector raises on purpose."""

    category = "permanent"


class ConfigError(ConnectorError):
    """A setting is missing or invalid. The message names the setting."""

    category = "config"

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"setting {key}: {problem}")
        self.key = key
        self.problem = problem


class TransientError(ConnectorError):
    """Temporary failure: the same call may succeed later."""

    category = "transient"


class PermanentError(ConnectorError):
    """The call cannot succeed as made: do not retry."""

    category = "permanent"


class StorageUnavailable(TransientError):
    """The database cannot be reached or is locked beyond the timeout."""


class UnknownShop(PermanentError):
    """No installed shop matches the given domain or store URL."""


class DuplicateShop(PermanentError):
    """A shop with this platform and domain is already installed."""


class InvalidPayload(PermanentError):
    """A platform payload lacks a field the connector needs or has a bad value."""


class PlatformError(ConnectorError):
    """Base for errors that come from a store platform's API."""


class PlatformUnavailable(PlatformError, TransientError):
    """The platform timed out, refused the connection or answered 5xx."""


class PlatformThrottled(PlatformError, TransientError):
    """The platform kept throttling past the retry budget."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class OutcomeUncertain(PlatformError, TransientError):
    """A write that is not safe to resend (no idempotency key the server honours, no read-back)
    may or may not have landed: it timed out, the connection broke after it was sent, or it
    answered 5xx. It is never resent blindly: the job that made it runs again later and reads the
    resource back (its key in a refund reason, a note, a coupon code) before any new attempt."""

    resend_safe = False


class PlatformAuthError(PlatformError, PermanentError):
    """The platform rejected the credentials (401/403)."""


class PlatformRejected(PlatformError, PermanentError):
    """The platform rejected the request (4xx, GraphQL errors or userErrors)."""


class PlatformNotFound(PlatformRejected):
    """The platform answered 404: the resource does not exist (any more)."""


class CredentialsError(PermanentError):
    """Stored credentials cannot be decrypted with the configured secret key."""


class SupplierError(ConnectorError):
    """Base for errors that come from a supplier's API or feed."""


class SupplierUnavailable(SupplierError, TransientError):
    """The supplier timed out, refused the connection or answered 5xx (after retries)."""


class SupplierThrottled(SupplierUnavailable):
    """The supplier asked to wait (429/503 with Retry-After) longer than a worker sleeps: the job is
    rescheduled ``retry_after`` seconds later."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class SupplierRejected(SupplierError, PermanentError):
    """The supplier refused the request (4xx, bad credentials) or the source cannot be read."""


class SupplierFeedInvalid(SupplierError, PermanentError):
    """The feed as a whole cannot be trusted (missing columns, too many bad rows): nothing is applied."""


class HostKeyChanged(SupplierRejected):
    """A supplier's SFTP server presented a host key other than the one pinned by ``host_key`` or
    trusted on first use. Refused before any credential is sent; never retried: a person checks with
    the supplier, then trusts the new key (``connector suppliers trust-host-key``)."""

    def __init__(self, message: str, expected: str, got: str) -> None:
        super().__init__(message)
        self.expected, self.got = expected, got


class InstallRejected(PermanentError):
    """An install, OAuth callback or connect request failed a check (signature, state, domain, replay)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class DeliveryError(ConnectorError):
    """Base for errors from sending a message (SMTP, Slack)."""


class DeliveryUnavailable(DeliveryError, TransientError):
    """The message certainly was not delivered (server down, refused before the data, 4xx): retry."""


class DeliveryRejected(DeliveryError, PermanentError):
    """The server refused the message (5xx, bad address): retrying will not help."""


class DeliveryUncertain(DeliveryError, TransientError):
    """The connection broke while the message was being handed over: it may have been delivered."""


class LinkInvalid(PermanentError):
    """A signed customer link is malformed, forged, expired or already used.

    ``reason``: malformed | bad_signature | expired | unknown | used | not_waiting | replaced | invalid;
    what a genuine (correctly signed) link names rides along so the refusal page can name the order and
    the shop: ``nonce`` (a delay-notice link) or ``shop_id``/``order_id`` (an order-page link);
    ``expired_on`` for an expired one, ``answer`` for one already used. A forged link carries none."""

    def __init__(self, message: str, *, reason: str = "invalid", expired_on: date | None = None,
                 nonce: str | None = None, shop_id: int | None = None, order_id: int | None = None,
                 answer: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.expired_on = expired_on
        self.nonce = nonce
        self.shop_id = shop_id
        self.order_id = order_id
        self.answer = answer


class ExportNotFound(PermanentError):
    """No customer data export has the given id (never made, or deleted with its shop)."""


class ExportLinkExpired(PermanentError):
    """A data export's e-mailed download link is genuine but past its expiry (privacy.export_link_days)."""

    def __init__(self, expired_at: str) -> None:
        super().__init__(f"this download link expired on {expired_at}; open the export from the app in "
                         "the store admin instead")
        self.expired_at = expired_at


class SupplierSendUncertain(SupplierError, TransientError):
    """A write to a supplier may have landed and cannot be read back (an e-mail whose SMTP call was
    interrupted): it is never resent blindly; the merchant confirms or sends again by hand."""


class AppAccessRefused(PermanentError):
    """A request to the merchant's app (/app) failed authentication: a missing, forged, expired or
    other shop's session token, a bad or used app link, a bad CSRF token. ``status`` is 401 or 403."""

    def __init__(self, message: str, status: int = 401) -> None:
        super().__init__(message)
        self.status = status


class UnknownJob(PermanentError):
    """A job the merchant's app may not run: not on the merchant's list (jobs/merchant.py), or not for
    this shop's platform."""


class NothingToRun(PermanentError):
    """A job asked for that has nothing to work on for this shop (polling suppliers when it has none)."""


class TemplateRefused(PermanentError):
    """A message template the merchant wrote that cannot be used: it does not compile, names a variable
    its message kind does not have, or fails to render. ``problems`` maps the field (subject, body,
    doing) to what is wrong; nothing is saved."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {problem}" for field, problem in problems.items()))
        self.problems = problems
