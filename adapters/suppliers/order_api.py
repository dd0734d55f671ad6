"""What a supplier's two order APIs share (drop-ship orders, adapters/suppliers/dropship.py, and purchase
orders, adapters/suppliers/purchase_orders.py): the endpoint from the supplier's settings section, its auth
headers and transport, and the one request function both send every call through.

Every keyed write carries ``Idempotency-Key`` and may be resent by the transport after a timeout or 5xx:
the supplier honours the key and answers the same order. A 404 is None (the caller says what is missing);
429 is SupplierThrottled, other transient failures SupplierUnavailable, the rest SupplierRejected; an answer
that is not JSON is rejected.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from adapters.suppliers.transport import auth_headers, make_transport
from connector.domain.errors import (
    ConfigError,
    PlatformError,
    PlatformNotFound,
    PlatformThrottled,
    SupplierRejected,
    SupplierThrottled,
    SupplierUnavailable,
    TransientError,
)


class SupplierOrderApi:
    """The endpoint at ``settings[section]["url"]``, authenticated with ``auth`` and the supplier's secret;
    ``what`` names its answers in errors ("drop-ship", "purchase-order") and ``transport_name`` its
    transport in logs."""

    def __init__(self, settings: Mapping[str, Any], secret: Mapping[str, Any] | None, *, section: str,
                 auth: Mapping[str, Any] | None, name: str, what: str, transport_name: str) -> None:
        options = settings.get(section) or {}
        url = str(options.get("url") or "")
        if urlsplit(url).scheme not in ("http", "https"):
            raise ConfigError(f"{section}.url", f"must be an http(s) URL, got {url!r}")
        self.url = url.rstrip("/")
        self.name = name
        self.what = what
        self.headers = {"Accept": "application/json", **auth_headers(auth, secret)}
        self.transport = make_transport(f"supplier {name} {transport_name}", {**settings, **options})

    def request(self, method: str, path: str = "", *, key: str | None = None, **kwargs: Any) -> Any:
        """The choke point: auth, Idempotency-Key, retries and error mapping; None on 404."""
        headers = dict(self.headers)
        if key is not None:
            headers["Idempotency-Key"] = key
        try:  # the supplier honours Idempotency-Key: a keyed write may be resent after a timeout or 5xx
            response = self.transport.request(method, self.url + path, headers=headers,
                                              resend_safe=True if key is not None else None, **kwargs)
        except PlatformNotFound:
            return None
        except PlatformThrottled as exc:
            raise SupplierThrottled(str(exc), retry_after=exc.retry_after) from None
        except PlatformError as exc:
            if isinstance(exc, TransientError):
                raise SupplierUnavailable(str(exc)) from None
            raise SupplierRejected(str(exc)) from None
        try:
            return response.json()
        except ValueError:
            raise SupplierRejected(f"supplier {self.name}: {self.what} answer is not JSON") from None
