"""WooCommerce REST API v3 client: auth, base URL, paging and batches over ``HttpTransport``.

Every call goes through ``WooCommerceClient._request``. The shared transport adds the timeout,
retries timeouts/429/5xx and maps WooCommerce's ``{code, message, data{status}}`` errors to
connector errors (401/403 → PlatformAuthError, other 4xx → PlatformRejected). WooCommerce has no
idempotency keys: a POST that times out or answers 5xx may have been applied, so it is never sent
again blindly. ``post(..., landed=...)`` reads the resource back (a refund's reason, a note's
text, a coupon's code) and sends again only when the first attempt is not there; a POST without a
read-back raises OutcomeUncertain after one attempt, and the job that made it reads back first on
its next run. GET and PUT (idempotent) are retried as usual. Credentials travel
as HTTP Basic auth, or as ``consumer_key``/``consumer_secret`` query parameters when
``query_string_auth=True`` (for servers that strip the Authorization header). They never appear in
log lines or exception messages: the transport drops query strings from its messages, and this
module never formats a URL with its parameters.

The third-party ``woocommerce`` package is deliberately not used: over plain HTTP it forces
OAuth 1.0a and it neither retries nor pages.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

from adapters.http import HttpTransport
from connector.domain.errors import ConfigError, PlatformRejected

log = logging.getLogger(__name__)

API_PREFIX = "/wp-json/wc/v3"
"""Where the WooCommerce REST API v3 lives below the WordPress site URL (pretty permalinks)."""

PER_PAGE = 100
"""WordPress's largest page size for REST collections."""

BATCH_LIMIT = 100
"""WooCommerce's default limit of create+update+delete items per batch request."""

INDEX_MAX_BYTES = 256 * 1024
"""The most of the WordPress REST index (``GET /wp-json/``) read: asked for a few fields it is under 2 KB; a
site that ignores ``_fields`` would send every route's description (megabytes), which is refused."""


@dataclass(frozen=True)
class WooResponse:
    """A parsed 2xx answer: the JSON body and the response headers (case-insensitive)."""

    body: Any
    headers: Mapping[str, str]


def api_root(store_url: str, api_base: str | None = None) -> str:
    """The REST v3 root for a store, e.g. ``https://shop.example/blog/wp-json/wc/v3``.

    ``api_base`` (an origin such as ``http://127.0.0.1:8081``) replaces only the store URL's
    scheme, host and port; the store URL's path is kept, so a WordPress installed in a subfolder
    (``https://example.com/shop``) is reached at ``{api_base}/shop/wp-json/wc/v3``. An ``api_base``
    that carries a path of its own is refused rather than guessed at.
    """
    store = urlsplit(store_url.strip())
    if store.scheme not in ("http", "https") or not store.netloc:
        raise ConfigError("store_url", f"must be an absolute http(s) URL, got {store_url!r}")
    origin = f"{store.scheme}://{store.netloc}"
    if api_base:
        base = urlsplit(api_base.strip())
        if base.scheme not in ("http", "https") or not base.netloc:
            raise ConfigError("api_base", f"must be an absolute http(s) URL, got {api_base!r}")
        if base.path.strip("/") or base.query:
            raise ConfigError("api_base", f"must be scheme://host[:port] only, got {api_base!r}")
        origin = f"{base.scheme}://{base.netloc}"
    return origin + store.path.rstrip("/") + API_PREFIX


class WooCommerceClient:
    """Talks to one store's ``/wp-json/wc/v3``. Returns parsed JSON; raises connector errors."""

    def __init__(
        self,
        store_url: str,
        consumer_key: str,
        consumer_secret: str,
        *,
        api_base: str | None = None,
        transport: HttpTransport | None = None,
        query_string_auth: bool = False,
    ) -> None:
        if not consumer_key or not consumer_secret:
            raise ConfigError("consumer_key", "WooCommerce consumer key and secret are both required")
        self.store_url = store_url.rstrip("/")
        self.base_url = api_root(store_url, api_base)
        self._several_stores = bool(api_base)
        """An api_base origin may serve several stores (the sandbox): the site index then names the store."""
        self.transport = transport or HttpTransport(name="woocommerce")
        self.query_string_auth = query_string_auth
        self._key = consumer_key
        self._secret = consumer_secret

    def __repr__(self) -> str:
        return f"WooCommerceClient({self.base_url!r}, <credentials redacted>)"

    # -- the one choke point ------------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        resend_safe: bool | None = None,
    ) -> WooResponse:
        """Send one call below the API root; return the parsed JSON body and headers."""
        query: dict[str, Any] = dict(params or {})
        kwargs: dict[str, Any] = {"headers": {"Accept": "application/json"}}
        if self.query_string_auth:
            query["consumer_key"] = self._key
            query["consumer_secret"] = self._secret
        else:
            kwargs["auth"] = (self._key, self._secret)
        if query:
            kwargs["params"] = query
        if json is not None:
            kwargs["json"] = json
        url = f"{self.base_url}/{path.lstrip('/')}"
        response = self.transport.request(method, url, resend_safe=resend_safe, **kwargs)
        return WooResponse(body=_parse_json(response, method, path), headers=response.headers)

    # -- conveniences -------------------------------------------------------------------------

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self._request("GET", path, params=params).body

    def post(self, path: str, json: Any, *, landed: Callable[[], Any] | None = None,
             resend_safe: bool | None = None) -> Any:
        """POST once. ``landed`` reads back whether an uncertain attempt was applied (returns the
        resource or None): then the write is sent again only when it is not there. Without it an
        uncertain outcome raises OutcomeUncertain. ``resend_safe=True`` only where a repeat changes
        nothing (a batch of updates)."""
        if landed is None:
            return self._request("POST", path, json=json, resend_safe=resend_safe).body
        return self.transport.write_once(lambda: self._request("POST", path, json=json).body, landed,
                                         what=f"POST {path}")

    def add_order_note(self, order_path_id: str, note: str, *, customer_note: bool = False) -> Any:
        """POST an order note. WooCommerce lists an order's notes newest first, so after an uncertain
        attempt the note is sent again only when the newest note is not this very text."""
        path = f"orders/{order_path_id}/notes"

        def landed() -> Any:
            notes = self.get(path) or []
            newest = notes[0] if isinstance(notes, list) and notes else None
            return newest if isinstance(newest, Mapping) and newest.get("note") == note else None

        return self.post(path, {"note": note, "customer_note": customer_note}, landed=landed)

    def put(self, path: str, json: Any) -> Any:
        return self._request("PUT", path, json=json).body

    def site_index(self, fields: Sequence[str]) -> dict[str, Any]:
        """``GET /wp-json/``, the WordPress REST index, trimmed to ``fields`` (``_fields``; WordPress 5.9+
        adds ``site_icon_url`` only when it is asked for). The index is public, so it is asked for without the
        keys: WordPress would try Basic credentials as an application password and answer 401 for a
        consumer key. A redirect is not followed and a body over INDEX_MAX_BYTES is not read: both raise
        PlatformRejected, as does an answer that is not a JSON object."""
        url = self.base_url.removesuffix("/wc/v3") + "/"
        query: dict[str, Any] = {"_fields": ",".join(fields)}
        if self._several_stores:
            query["store_url"] = self.store_url  # WordPress ignores an unknown parameter here
        response = self.transport.request("GET", url, params=query, headers={"Accept": "application/json"},
                                          allow_redirects=False, stream=True)
        with response:
            if response.status_code >= 300:
                raise PlatformRejected(f"woocommerce: GET /wp-json/ answered {response.status_code} "
                                       f"(a redirect; not followed)")
            raw = response.raw.read(INDEX_MAX_BYTES + 1, decode_content=True)
        if len(raw) > INDEX_MAX_BYTES:
            raise PlatformRejected(f"woocommerce: GET /wp-json/ answered more than {INDEX_MAX_BYTES} bytes")
        try:
            body = json.loads(raw)
        except ValueError:
            raise PlatformRejected(f"woocommerce: GET /wp-json/ answered {response.status_code} with a non-JSON "
                                   f"body ({response.headers.get('Content-Type', 'no content type')})") from None
        if not isinstance(body, dict):
            raise PlatformRejected("woocommerce: GET /wp-json/ did not answer a JSON object")
        return body

    def paginate(self, path: str, params: Mapping[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Yield every item of a collection, page by page (``per_page=100``).

        Stops at ``X-WP-TotalPages``; without that header, continues while the ``Link`` header
        has ``rel="next"``; without either, while pages come back full. The next page is always
        requested by number on our own base URL, never by following a server-supplied URL.
        """
        page = 1
        while True:
            query = {**(params or {}), "per_page": PER_PAGE, "page": page}
            response = self._request("GET", path, params=query)
            items = response.body
            if not isinstance(items, list):
                raise PlatformRejected(f"woocommerce: GET {path} page {page}: expected a JSON list")
            yield from items
            if not items or not _has_next(response.headers, page, len(items)):
                return
            page += 1

    def batch(
        self,
        path: str,
        create: Sequence[Mapping[str, Any]] = (),
        update: Sequence[Mapping[str, Any]] = (),
        delete: Sequence[int | str] = (),
    ) -> dict[str, list[Any]]:
        """POST ``{path}/batch`` in calls of at most 100 items in all; return the merged results.

        Every chunk is sent even if an earlier one had item errors (they are independent writes);
        afterwards any per-item ``error`` raises PlatformRejected naming the failed items.
        """
        ops: list[tuple[str, Any]] = ([("create", c) for c in create] + [("update", u) for u in update]
                                      + [("delete", d) for d in delete])
        merged: dict[str, list[Any]] = {"create": [], "update": [], "delete": []}
        failures: list[str] = []
        endpoint = f"{path.rstrip('/')}/batch"
        for start in range(0, len(ops), BATCH_LIMIT):
            chunk = ops[start:start + BATCH_LIMIT]
            payload: dict[str, list[Any]] = {}
            for op, item in chunk:
                payload.setdefault(op, []).append(item)
            # updates of given ids to given values end the same however often they are applied
            result = self.post(endpoint, payload, resend_safe=set(payload) == {"update"})
            if not isinstance(result, dict):
                raise PlatformRejected(f"woocommerce: POST {endpoint}: expected a JSON object")
            for op in ("create", "update", "delete"):
                for index, item in enumerate(result.get(op) or []):
                    merged[op].append(item)
                    if isinstance(item, dict) and item.get("error"):
                        error = item["error"]
                        ident = item.get("id") or f"#{index}"
                        code = error.get("code", "error") if isinstance(error, dict) else str(error)
                        failures.append(f"{op} {ident}: {code}")
        if failures:
            raise PlatformRejected(f"woocommerce: POST {endpoint}: {len(failures)} item(s) failed: "
                                   + "; ".join(failures[:20]))
        return merged


def _parse_json(response: requests.Response, method: str, path: str) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        # WordPress without pretty permalinks, or a security plugin, answers HTML here.
        raise PlatformRejected(
            f"woocommerce: {method} {path} answered {response.status_code} with a non-JSON body "
            f"({response.headers.get('Content-Type', 'no content type')})"
        ) from None


def _has_next(headers: Mapping[str, str], page: int, count: int) -> bool:
    total_pages = headers.get("X-WP-TotalPages")
    if total_pages is not None:
        try:
            return page < int(total_pages)
        except ValueError:
            log.warning("woocommerce: ignoring bad X-WP-TotalPages header %r", total_pages)
    link = headers.get("Link")
    if link is not None:
        return 'rel="next"' in link
    return count >= PER_PAGE
